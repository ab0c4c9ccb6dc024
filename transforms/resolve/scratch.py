"""A DuckDB of a resolve run's own, for work on Arrow data: Splink's backend, and the
groupings and digests that DuckDB does on two cores where Arrow takes one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator


@contextlib.contextmanager
def scratch_duckdb() -> Iterator[object]:
    """An in-process DuckDB under the warehouse's memory cap, spilling to a scratch folder beyond it.

    ``C360_DUCKDB_MEMORY_LIMIT`` (``1GB``, say) caps it; unset, DuckDB takes 80 % of RAM.
    """
    import duckdb

    from warehouse.duckdb_warehouse import MEMORY_LIMIT

    with tempfile.TemporaryDirectory(prefix="c360-resolve-") as scratch:
        connection = duckdb.connect()
        connection.execute("SET temp_directory = ?", [scratch])
        if os.environ.get(MEMORY_LIMIT):
            connection.execute("SET memory_limit = ?", [os.environ[MEMORY_LIMIT]])
        try:
            yield connection
        finally:
            connection.close()
