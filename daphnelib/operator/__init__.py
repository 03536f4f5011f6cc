"""daphnelib.operator."""
