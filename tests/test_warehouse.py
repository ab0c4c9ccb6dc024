"""The warehouse interface behaves the same on DuckDB and Postgres."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from warehouse import Warehouse, WarehouseError, connect, migrate
from warehouse.base import execute_script
from warehouse.duckdb_warehouse import MEMORY_LIMIT
from warehouse.migrate import available_migrations

SCHEMAS = {"raw", "staging", "quarantine", "core", "mart", "meta"}


def test_start_up_creates_schemas_and_records_migrations(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        schemas = {row[0] for row in warehouse.fetch_all("SELECT schema_name FROM information_schema.schemata")}
        assert schemas >= SCHEMAS
        versions = [row[0] for row in warehouse.fetch_all("SELECT version FROM meta.schema_migration ORDER BY version")]
        assert versions == [migration.version for migration in available_migrations(warehouse.engine.dialect.name)]
        assert warehouse.migrate() == [], "a second start-up must apply nothing"
    finally:
        warehouse.dispose()


def test_an_edited_applied_migration_stops_start_up(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(warehouse_url).dispose()
    edited = [
        dataclasses.replace(migration, script=migration.script + "\n-- edited\n")
        for migration in available_migrations("duckdb" if warehouse_url.startswith("duckdb") else "postgresql")
    ]
    monkeypatch.setattr(migrate, "available_migrations", lambda dialect: edited)
    with pytest.raises(WarehouseError, match="was changed after it was applied"):
        connect(warehouse_url)


def test_resolution_tables_are_keyed_on_postgres_only(warehouse: Warehouse) -> None:
    # A migration for one warehouse: DuckDB keeps a key's index whole in memory, outside its
    # memory cap, so the tables resolution rewrites go without; Postgres keeps its keys.
    keyed = {
        row[0]
        for row in warehouse.fetch_all(
            "SELECT table_name FROM information_schema.table_constraints"
            " WHERE table_schema = 'core' AND constraint_type = 'PRIMARY KEY'"
        )
    }
    rewritten = {"match_pair", "match_record", "customer_attribute_source", "customer_xref", "customer"}
    assert keyed & rewritten == (set() if warehouse.engine.dialect.name == "duckdb" else rewritten)
    assert "customer_id_registry" in keyed, "issued ids stay unique on both"


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


def test_present_tells_which_values_a_column_holds_where_other_columns_match(warehouse_url: str) -> None:
    warehouse = connect(warehouse_url)
    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE core.thing (source TEXT, id TEXT)")
            warehouse.bulk_insert(conn, "core.thing", pa.table({"source": ["s1", "s1", "s2"], "id": ["a", "b", "c"]}))
            assert warehouse.present(conn, "core.thing", "id", ["a", "c", "x"], source="s1") == {"a"}
            assert warehouse.present(conn, "core.thing", "id", ["a", "c", "x"]) == {"a", "c"}
            assert warehouse.present(conn, "core.thing", "id", []) == set()
    finally:
        warehouse.dispose()


def test_fetch_arrow_reads_a_query_into_the_schema_given_in_the_open_transaction(warehouse_url: str) -> None:
    schema = pa.schema([("id", pa.string()), ("born", pa.date32()), ("flag", pa.bool_())])
    rows = [
        (f"p{number:06d}", None if number % 3 else dt.date(1956, 4, 9), number % 2 == 0) for number in range(120_000)
    ]
    rows[1] = ("", None, False)  # an empty string is a value, not a null
    warehouse = connect(warehouse_url)
    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE core.thing (id TEXT, born DATE, flag BOOLEAN)")
            ids, born, flags = zip(*rows, strict=True)
            warehouse.bulk_insert(
                conn, "core.thing", pa.table({"id": ids, "born": pa.array(born, pa.date32()), "flag": flags})
            )
            conn.exec_driver_sql("SELECT id FROM core.thing").first()  # a result read only in part
            # Read before the transaction commits: the rows it wrote are there.
            table = warehouse.fetch_arrow(conn, "SELECT id, born, flag FROM core.thing ORDER BY id", schema)
            flagged = warehouse.fetch_arrow(
                conn, "SELECT id, born, flag FROM core.thing WHERE flag = :flag AND id < :below", schema,
                {"flag": True, "below": "p000010"},
            )  # fmt: skip
            none = warehouse.fetch_arrow(conn, "SELECT id, born, flag FROM core.thing WHERE 1 = 0", schema)
        assert table.schema == schema and table.num_rows == len(rows), "read a part at a time, whole"
        assert table.to_pylist()[:3] == [
            {"id": "", "born": None, "flag": False},
            {"id": "p000000", "born": dt.date(1956, 4, 9), "flag": True},
            {"id": "p000002", "born": None, "flag": True},
        ]
        assert sorted(flagged.column("id").to_pylist()) == ["p000000", "p000002", "p000004", "p000006", "p000008"]
        assert none.schema == schema and none.num_rows == 0
    finally:
        warehouse.dispose()


def test_postgres_plans_on_statistics_of_fresh_and_temporary_tables(postgres_url: str) -> None:
    warehouse = connect(postgres_url)

    def estimated_rows(conn: object, table: str) -> float:
        return conn.exec_driver_sql(f"SELECT reltuples FROM pg_class WHERE relname = '{table}'").scalar()  # type: ignore[attr-defined]

    try:
        with warehouse.transaction() as conn:
            conn.exec_driver_sql("CREATE TABLE core.thing (id INTEGER)")
            warehouse.bulk_insert(conn, "core.thing", pa.table({"id": pa.array(range(5000), pa.int32())}))
            assert estimated_rows(conn, "thing") < 0, "never analyzed"
            warehouse.refresh_statistics(conn, ["core"])
            assert estimated_rows(conn, "thing") == 5000
            execute_script(conn, ["CREATE TEMPORARY TABLE _even AS SELECT id FROM core.thing WHERE id % 2 = 0"])
            assert estimated_rows(conn, "_even") == 2500
    finally:
        warehouse.dispose()


def test_a_bulk_insert_holds_no_arrow_memory_for_the_rest_of_its_transaction(warehouse: Warehouse) -> None:
    # Resolution stores a million scored pairs in one transaction: each batch must be
    # released once stored, not held until the commit.
    with warehouse.transaction() as conn:
        conn.exec_driver_sql("CREATE TABLE core.scored (explanation TEXT)")
        before = pa.total_allocated_bytes()
        for _ in range(3):
            batch = pa.table({"explanation": pa.array([f"{index:08d}" * 50 for index in range(20_000)])})
            warehouse.bulk_insert(conn, "core.scored", batch)
            del batch
        held = pa.total_allocated_bytes() - before
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM core.scored").scalar_one() == 60_000
    assert held < 1_000_000, f"{held:,} bytes of stored batches still held"


def test_duckdb_lends_its_memory_and_takes_its_cap_back_even_after_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MEMORY_LIMIT, "1GB")
    warehouse = connect(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    cap = "SELECT current_setting('memory_limit')"
    try:
        with pytest.raises(sa.exc.DBAPIError), warehouse.transaction() as conn, warehouse.memory_lent(conn):
            assert conn.exec_driver_sql(cap).scalar_one() == "256.0 MiB"
            conn.exec_driver_sql("SELECT error('scoring failed')")  # the transaction is aborted now
        assert warehouse.fetch_all(cap) == [("953.6 MiB",)], "1GB again"
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
