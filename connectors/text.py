"""Source rows as they land in ``raw``: lineage, every value as text, a content hash.

Every source value lands as text (the canonical types come at standardization), spelled
the same whichever reader fetched it. The conversion, the hash and the lineage columns
are computed column-wise in one DuckDB query over the Arrow batch, which keeps Python
out of the per-value work that bounds extract speed.

Spellings: timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00`` in UTC (those without a zone
read in the source's zone), dates ``YYYY-MM-DD``, decimals in plain notation without
trailing zeros, booleans ``true``/``false``, bytes as lower-case hex, anything else as
DuckDB casts it to text.
"""

from __future__ import annotations

import datetime as dt
import functools

import duckdb
import pyarrow as pa

from warehouse import quote_identifier

SOURCE_LINE = "_source_line"
"""A column of the input that is lineage (the row's line or position in its file), not data."""


def raw_rows(
    data: pa.Table | pa.RecordBatch,
    *,
    batch_id: str,
    source_file: str | None,
    extracted_at: dt.datetime,
    zone: str = "UTC",
) -> pa.Table:
    """The lineage columns, then every source column of ``data`` as text.

    ``_row_hash`` is stable across runs and readers: built from the (column, value) pairs
    that are present, in column-name order, so the same record hashes the same whatever
    order or set of columns it arrived with; an empty string is a value, a missing one
    is not.
    """
    sources = [name for name in data.schema.names if name != SOURCE_LINE]
    texts = {name: _as_text(quote_identifier(name), data.schema.field(name).type) for name in sources}
    labelled = [f"{_literal(name + chr(31))} || {texts[name]}" for name in sorted(texts)]
    pairs = ", ".join(labelled) or "''"
    line = f"CAST({SOURCE_LINE} AS BIGINT)" if SOURCE_LINE in data.schema.names else "CAST(NULL AS BIGINT)"
    at = extracted_at.astimezone(dt.UTC).isoformat()
    selected = [
        f"{_literal(batch_id)} AS _batch_id",
        f"CAST({_literal(source_file) if source_file is not None else 'NULL'} AS VARCHAR) AS _source_file",
        f"{line} AS {SOURCE_LINE}",
        f"CAST({_literal(at)} AS TIMESTAMPTZ) AS _extracted_at",
        f"sha256(concat_ws(chr(30), {pairs}))[1:32] AS _row_hash",
        *(f"{expression} AS {quote_identifier(name)}" for name, expression in texts.items()),
    ]
    with _engine().cursor() as conn:
        conn.execute(f"SET TimeZone = {_literal(zone)}")
        # The warehouses load plain strings, not DuckDB's default string views.
        conn.execute("SET produce_arrow_string_view = false")
        conn.register("batch", data)
        return conn.sql(f"SELECT {', '.join(selected)} FROM batch").to_arrow_table()


@functools.cache
def _engine() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per process; each call works in its own cursor (its own session)."""
    return duckdb.connect()


def _as_text(column: str, kind: pa.DataType) -> str:
    """The DuckDB expression that spells ``column`` of Arrow type ``kind`` as text."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column
    if pa.types.is_timestamp(kind):
        # A timestamp without a zone is local time in the source's zone (the session's).
        utc = f"timezone('UTC', {column if kind.tz else f'CAST({column} AS TIMESTAMPTZ)'})"
        fraction = f"microsecond({utc}) % 1000000"
        return (
            f"strftime({utc}, '%Y-%m-%d %H:%M:%S') || CASE WHEN {fraction} = 0 THEN ''"
            f" ELSE '.' || lpad(CAST({fraction} AS VARCHAR), 6, '0') END || '+00:00'"
        )
    if pa.types.is_date(kind):
        return f"strftime({column}, '%Y-%m-%d')"
    if pa.types.is_decimal(kind):
        plain = f"CAST({column} AS VARCHAR)"
        return f"CASE WHEN contains({plain}, '.') THEN rtrim(rtrim({plain}, '0'), '.') ELSE {plain} END"
    if pa.types.is_boolean(kind):
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return f"lower(hex({column}))"
    return f"CAST({column} AS VARCHAR)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
