"""Source rows as they land in ``raw``: lineage, every value as text, a content hash.

Every source value lands as text (the canonical types come at standardization), spelled
the same whichever reader fetched it. The conversion, the hash and the lineage columns
are computed column-wise in one DuckDB query over the Arrow batch (inside the load on a
DuckDB warehouse), which keeps Python out of the per-value work that bounds extract speed.

Spellings: timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]+00:00`` in UTC (those without a zone
read in the source's zone), dates ``YYYY-MM-DD``, decimals in plain notation without
trailing zeros, booleans ``true``/``false``, bytes as lower-case hex, anything else as
DuckDB casts it to text.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from sqlalchemy.engine import Connection

from warehouse import Warehouse, quote_identifier
from warehouse.arrow_query import BATCH

SOURCE_LINE = "_source_line"
"""A column of the input that is lineage (the row's line or position in its file), not data."""


def land_raw(
    warehouse: Warehouse,
    conn: Connection,
    table: str,
    data: pa.Table | pa.RecordBatch,
    *,
    batch_id: str,
    source_file: str | None,
    extracted_at: dt.datetime,
    zone: str = "UTC",
    unseen_only: bool = False,
) -> int:
    """Append ``data`` to the raw ``table``: the lineage columns, then every source column
    as text; returns the rows inserted. With ``unseen_only``, rows whose ``_row_hash`` the
    table already holds are left out.

    ``_row_hash`` is stable across runs and readers: built from the (column, value) pairs
    that are present, in column-name order, so the same record hashes the same whatever
    order or set of columns it arrived with; an empty string is a value, a missing one
    is not. Timestamps without a zone are read in ``zone``.
    """
    sources = [name for name in data.schema.names if name != SOURCE_LINE]
    line = SOURCE_LINE if SOURCE_LINE in data.schema.names else "NULL"
    # Each value is spelled once, in the inner query; the hash reads the spellings.
    spelled = [
        f"CAST({line} AS BIGINT) AS {SOURCE_LINE}",
        *(
            f"{_as_text(quote_identifier(name), data.schema.field(name).type, zone)} AS {quote_identifier(name)}"
            for name in sources
        ),
    ]
    pairs = ", ".join(f"{_literal(name + chr(31))} || {quote_identifier(name)}" for name in sorted(sources)) or "''"
    at = extracted_at.astimezone(dt.UTC).isoformat()
    selected = [
        f"{_literal(batch_id)} AS _batch_id",
        f"CAST({_literal(source_file) if source_file is not None else 'NULL'} AS VARCHAR) AS _source_file",
        SOURCE_LINE,
        f"CAST({_literal(at)} AS TIMESTAMPTZ) AS _extracted_at",
        f"sha256(concat_ws(chr(30), {pairs}))[1:32] AS _row_hash",
        *(quote_identifier(name) for name in sources),
    ]
    select = f"SELECT {', '.join(selected)} FROM (SELECT {', '.join(spelled)} FROM {BATCH}) AS spelled"
    if unseen_only:
        return warehouse.insert_unseen(conn, table, data, select=select, column="_row_hash")
    return warehouse.bulk_insert(conn, table, data, select=select)


def _as_text(column: str, kind: pa.DataType, zone: str) -> str:
    """The DuckDB expression that spells ``column`` of Arrow type ``kind`` as text."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return column
    if pa.types.is_timestamp(kind):
        # A timestamp without a zone is local time in the source's zone (already UTC in a UTC one).
        if kind.tz:
            utc = f"timezone('UTC', {column})"
        else:
            utc = column if zone == "UTC" else f"timezone('UTC', timezone({_literal(zone)}, {column}))"
        # The only '.' is the fraction's: a whole second drops it.
        return f"replace(strftime({utc}, '%Y-%m-%d %H:%M:%S.%f'), '.000000', '') || '+00:00'"
    if pa.types.is_date(kind):
        return f"strftime({column}, '%Y-%m-%d')"
    if pa.types.is_decimal(kind):
        # A scale above zero always spells its fraction, whose trailing zeros are dropped.
        plain = f"CAST({column} AS VARCHAR)"
        return f"rtrim(rtrim({plain}, '0'), '.')" if kind.scale > 0 else plain
    if pa.types.is_boolean(kind):
        return f"CASE WHEN {column} THEN 'true' WHEN NOT {column} THEN 'false' END"
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        return f"lower(hex({column}))"
    return f"CAST({column} AS VARCHAR)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
