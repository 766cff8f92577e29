"""The store: the one place that talks to DuckDB and holds SQL.

`Store` opens short-lived connections (the app and the CLI may both write one file; DuckDB lets
only one process hold it at a time). The modules beside this one hold the queries of one area each.
"""

from monitoring.store.connection import Store, quote

__all__ = ["Store", "quote"]
