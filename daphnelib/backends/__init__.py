"""daphnelib.backends."""
