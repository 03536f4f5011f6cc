"""daphnelib.engine."""
