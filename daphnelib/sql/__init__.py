"""DAPHNE's SQL: the dialect and its one parse (``dialect``), planning to DuckDB SQL
(``planning``), the DuckDB boundary (``duckdb``) and the engine kernels (``kernels``).
:class:`~daphnelib.errors.SQLError` is what every layer of it raises."""
