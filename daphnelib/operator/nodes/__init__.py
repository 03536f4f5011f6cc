"""Matrix, Frame and Scalar nodes (DaphneLib's ``daphne.operator.nodes``)."""
