"""daphnelib.engine.kernels."""
