"""daphnelib.operator.nodes."""
