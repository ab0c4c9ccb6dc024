"""The warehouse interface behaves the same on DuckDB and Postgres."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pytest

from warehouse import WarehouseError, connect, migrate
from warehouse.migrate import available_migrations

SCHEMAS = {"raw", "staging", "quarantine", "core", "mart", "meta"}


def test_start_up_creates_schemas_and_records_migrations(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        schemas = {row[0] for row in warehouse.fetch_all("SELECT schema_name FROM information_schema.schemata")}
        assert schemas >= SCHEMAS
        versions = [row[0] for row in warehouse.fetch_all("SELECT version FROM meta.schema_migration ORDER BY version")]
        assert versions == [migration.version for migration in available_migrations()]
        assert warehouse.migrate() == [], "a second start-up must apply nothing"
    finally:
        warehouse.dispose()


def test_an_edited_applied_migration_stops_start_up(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(warehouse_url).dispose()
    edited = [
        dataclasses.replace(migration, script=migration.script + "\n-- edited\n")
        for migration in available_migrations()
    ]
    monkeypatch.setattr(migrate, "available_migrations", lambda: edited)
    with pytest.raises(WarehouseError, match="was changed after it was applied"):
        connect(warehouse_url)


def test_bulk_insert_keeps_nulls_empty_strings_and_long_identifiers(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql('CREATE TABLE raw.sample ("证件号码" TEXT, note TEXT, amount BIGINT)')
            data = pa.table(
                {
                    "证件号码": pa.array(["110101199003070000", "000000000000000001", None]),
                    "note": pa.array(["", None, 'say "hi", then\nleave']),
                    "amount": pa.array([1, None, 3], pa.int64()),
                }
            )
            assert warehouse.bulk_insert(conn, "raw.sample", data) == 3
        rows = warehouse.fetch_all('SELECT "证件号码", note, amount FROM raw.sample ORDER BY amount NULLS FIRST')
        assert [tuple(row) for row in rows] == [
            ("000000000000000001", None, None),
            ("110101199003070000", "", 1),
            (None, 'say "hi", then\nleave', 3),
        ]
    finally:
        warehouse.dispose()


def test_upsert_replaces_rows_with_the_same_key(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE core.thing (id TEXT PRIMARY KEY, value TEXT)")
            warehouse.upsert(conn, "core.thing", pa.table({"id": ["a", "b"], "value": ["1", "2"]}), ["id"])
            warehouse.upsert(conn, "core.thing", pa.table({"id": ["b", "c"], "value": ["20", "30"]}), ["id"])
        rows = warehouse.fetch_all("SELECT id, value FROM core.thing ORDER BY id")
        assert [tuple(row) for row in rows] == [("a", "1"), ("b", "20"), ("c", "30")]
    finally:
        warehouse.dispose()


def test_a_failed_transaction_leaves_nothing(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE core.ledger (id TEXT PRIMARY KEY)")
        with (
            pytest.raises(WarehouseError, match=r"bulk load into core\.ledger failed: .*duplicate key"),
            warehouse.transaction() as conn,
        ):
            warehouse.bulk_insert(conn, "core.ledger", pa.table({"id": ["x"]}))
            warehouse.bulk_insert(conn, "core.ledger", pa.table({"id": ["x"]}))
        assert warehouse.fetch_all("SELECT COUNT(*) FROM core.ledger")[0][0] == 0
    finally:
        warehouse.dispose()


def test_unreachable_warehouse_names_the_url_and_hides_the_password() -> None:
    with pytest.raises(
        WarehouseError, match=r"cannot reach warehouse postgresql://analyst:\*\*\*@127\.0\.0\.1:1/x"
    ) as caught:
        connect("postgresql://analyst:s3cret@127.0.0.1:1/x")
    assert "s3cret" not in str(caught.value)


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(WarehouseError, match="is not supported"):
        connect("mysql://root@localhost/c360")
