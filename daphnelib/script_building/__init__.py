"""DAG -> DaphneDSL text, for ``compute(verbose=True)``, ``node.script()`` and debugging."""
