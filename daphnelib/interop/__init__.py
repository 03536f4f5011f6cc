"""daphnelib.interop."""
