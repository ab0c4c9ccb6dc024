"""Landing in raw: every value spelled as text the same way on both warehouses, and a row
hash that stays what it was, so re-deliveries are still recognised after an upgrade."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib

import pyarrow as pa

from connectors.landing import ensure_raw_table
from connectors.text import land_raw
from warehouse import Warehouse

ROWS = 40_000
"""More rows than one streamed part of a Postgres load, so a batch crosses parts."""

_TYPED = pa.schema(
    [
        ("key", pa.int64()),
        ("name", pa.string()),
        ("amount", pa.decimal128(18, 4)),
        ("active", pa.bool_()),
        ("opened", pa.date32()),
        ("local_time", pa.timestamp("us")),
        ("zoned_time", pa.timestamp("us", tz="Asia/Shanghai")),
        ("blob", pa.binary()),
    ]
)


def _typed_rows() -> pa.Table:
    first = {
        "key": 1,
        "name": "北京华信科技有限公司",
        "amount": decimal.Decimal("1000.5000"),
        "active": True,
        "opened": dt.date(2026, 6, 1),
        "local_time": dt.datetime(2026, 6, 1, 12, 0, 0, 500_000),
        "zoned_time": dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "blob": b"\x00\xff",
    }
    empty = dict.fromkeys(first) | {"key": 2, "name": ""}
    rest = [first | {"key": key, "amount": decimal.Decimal(key), "active": False} for key in range(3, ROWS + 1)]
    return pa.Table.from_pylist([first, empty, *rest], schema=_TYPED)


def _expected_hash(values: dict[str, str | None]) -> str:
    """The documented construction: present (column, value) pairs in column-name order."""
    pairs = [f"{name}\x1f{value}" for name, value in sorted(values.items()) if value is not None]
    return hashlib.sha256("\x1e".join(pairs).encode()).hexdigest()[:32]


def test_every_type_lands_spelled_once_and_hashed_as_documented(warehouse: Warehouse) -> None:
    data = _typed_rows()
    with warehouse.transaction() as conn:
        table = ensure_raw_table(warehouse, conn, "los", "typed", data.column_names, batch_id="b1")
        inserted = land_raw(
            warehouse, conn, table, data, batch_id="b1", source_file=None,
            extracted_at=dt.datetime(2026, 6, 2, tzinfo=dt.UTC), zone="Asia/Shanghai",
        )  # fmt: skip
    assert inserted == ROWS

    columns = ", ".join(_TYPED.names)
    landed = warehouse.fetch_all(
        f"SELECT _row_hash, {columns} FROM raw.los__typed WHERE key IN ('1', '2') ORDER BY key"
    )
    spelled = [dict(zip(_TYPED.names, row[1:], strict=True)) for row in landed]
    assert spelled == [
        {
            "key": "1",
            "name": "北京华信科技有限公司",
            "amount": "1000.5",
            "active": "true",
            "opened": "2026-06-01",
            "local_time": "2026-06-01 04:00:00.500000+00:00",
            "zoned_time": "2026-06-01 00:00:00+00:00",
            "blob": "00ff",
        },
        dict.fromkeys(_TYPED.names) | {"key": "2", "name": ""},
    ]
    assert [row[0] for row in landed] == [_expected_hash(row) for row in spelled]

    counts = warehouse.fetch_all(
        "SELECT COUNT(*), COUNT(DISTINCT key), COUNT(DISTINCT _row_hash), MIN(_batch_id), MAX(_extracted_at)"
        " FROM raw.los__typed"
    )
    assert counts[0][:4] == (ROWS, ROWS, ROWS, "b1")
    assert counts[0][4] == dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
