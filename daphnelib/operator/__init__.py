"""The lazy DAG: OperationNode and the Matrix, Frame and Scalar nodes."""
