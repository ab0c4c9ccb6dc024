"""DuckDB queries over Arrow data in memory, for work done on the way into a warehouse."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import duckdb
import pyarrow as pa

BATCH = "batch"
"""The name the Arrow data goes by in a query."""


def stream_query(select: str, data: pa.Table | pa.RecordBatch, *, rows: int) -> Iterator[pa.RecordBatch]:
    """The result of ``select`` over ``data`` (named ``batch`` in it), with plain strings, as
    it is computed, ``rows`` at a time, so a consumer can work on one part while DuckDB
    computes the next."""
    with _engine().cursor() as conn:
        # The warehouses load plain strings, not DuckDB's default string views.
        conn.execute("SET produce_arrow_string_view = false")
        conn.register(BATCH, data)
        yield from conn.sql(select).to_arrow_reader(rows)


@functools.cache
def _engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process; each query works in its own cursor (its own session)."""
    return duckdb.connect()
