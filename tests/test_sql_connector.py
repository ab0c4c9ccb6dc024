"""Incremental extraction from real MariaDB and Postgres sources into each warehouse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from c360.config import SqlEntity
from c360.errors import SourceError
from connectors.sql import driver_url, extract_table
from warehouse import Warehouse

METADATA = sa.MetaData()
BORROWER = sa.Table(
    "borrower",
    METADATA,
    sa.Column("borrower_id", sa.String(16), primary_key=True),
    sa.Column("borrower_name", sa.String(200), nullable=False),
    sa.Column("amount", sa.Numeric(18, 2)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
NOON = dt.datetime(2026, 6, 1, 12, 0, 0)


@pytest.fixture(params=["mariadb", "postgres"])
def source_engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """An empty source database with a borrower table, on MariaDB or Postgres."""
    url = request.getfixturevalue("mariadb_url" if request.param == "mariadb" else "postgres_url")
    engine = sa.create_engine(driver_url(url))
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def _entity(batch_rows: int = 50_000) -> SqlEntity:
    return SqlEntity(
        table="borrower",
        key="borrower_id",
        cursor="updated_at",
        batch_rows=batch_rows,
        canonical="party",
        mapping={"source_id": "borrower_id", "name": "borrower_name"},
    )


def _insert(engine: sa.Engine, *rows: tuple[str, str, dt.datetime]) -> None:
    with engine.begin() as conn:
        conn.execute(
            BORROWER.insert(),
            [{"borrower_id": key, "borrower_name": name, "amount": 1000.5, "updated_at": at} for key, name, at in rows],
        )


def _landed(warehouse: Warehouse) -> list[tuple]:
    rows = warehouse.fetch_all(
        "SELECT borrower_id, borrower_name, updated_at FROM raw.los__borrowers ORDER BY _batch_id, borrower_id"
    )
    return sorted(tuple(row) for row in rows)


def _url(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_inserts_and_updates_arrive_once_each(source_engine: sa.Engine, warehouse: Warehouse) -> None:
    _insert(source_engine, *[(f"B{n}", f"公司{n}", NOON + dt.timedelta(minutes=n)) for n in range(5)])
    first = extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    assert (first.rows_read, first.rows_landed) == (5, 5)

    _insert(source_engine, ("B5", "公司5", NOON + dt.timedelta(hours=1)))
    with source_engine.begin() as conn:
        conn.execute(
            BORROWER.update()
            .where(BORROWER.c.borrower_id == "B1")
            .values(borrower_name="公司1(更名)", updated_at=NOON + dt.timedelta(hours=2))
        )
    second = extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    assert second.rows_read == 2
    assert ("B1", "公司1(更名)", "2026-06-01 14:00:00+00:00") in _landed(warehouse)
    assert len(_landed(warehouse)) == 7

    third = extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    assert third.rows_read == 0 and third.batch_ids == []


def test_rows_sharing_a_timestamp_are_neither_lost_nor_repeated(source_engine: sa.Engine, warehouse: Warehouse) -> None:
    _insert(source_engine, *[(f"B{n}", f"公司{n}", NOON) for n in range(5)])
    first = extract_table(warehouse, "los", "borrowers", _entity(batch_rows=2), _url(source_engine))
    assert (first.rows_read, len(first.batch_ids)) == (5, 3)
    _insert(source_engine, ("B5", "公司5", NOON), ("B6", "公司6", NOON))
    second = extract_table(warehouse, "los", "borrowers", _entity(batch_rows=2), _url(source_engine))
    assert second.rows_read == 2
    assert [row[0] for row in _landed(warehouse)] == [f"B{n}" for n in range(7)]
    [(cursor_value, key_value)] = warehouse.fetch_all("SELECT cursor_value, key_value FROM meta.source_state")
    assert (cursor_value, key_value) == ("2026-06-01 12:00:00", "B6")


@pytest.mark.filterwarnings("ignore:Previous unbuffered result was left incomplete")
def test_a_crash_mid_extract_loses_and_repeats_nothing(
    source_engine: sa.Engine, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch, crash_bulk_insert
) -> None:
    _insert(source_engine, *[(f"B{n}", f"公司{n}", NOON + dt.timedelta(minutes=n)) for n in range(5)])
    real_bulk_insert = warehouse.bulk_insert
    crash_bulk_insert(warehouse, 2, ConnectionError("warehouse went away"))
    with pytest.raises(ConnectionError):
        extract_table(warehouse, "los", "borrowers", _entity(batch_rows=2), _url(source_engine))
    assert [row[0] for row in _landed(warehouse)] == ["B0", "B1"]

    monkeypatch.setattr(warehouse, "bulk_insert", real_bulk_insert)
    retried = extract_table(warehouse, "los", "borrowers", _entity(batch_rows=2), _url(source_engine))
    assert retried.rows_read == 3
    assert [row[0] for row in _landed(warehouse)] == ["B0", "B1", "B2", "B3", "B4"]


def test_a_source_that_is_down_fails_clearly_and_keeps_its_watermark(
    source_engine: sa.Engine, warehouse: Warehouse
) -> None:
    _insert(source_engine, ("B0", "公司0", NOON))
    extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    before = warehouse.fetch_all("SELECT cursor_value, key_value, batch_id FROM meta.source_state")
    down = source_engine.url.set(host="127.0.0.1", port=1, password="s3cret").render_as_string(hide_password=False)
    with pytest.raises(
        SourceError, match=r"los\.borrowers: cannot read borrower from .*:\*\*\*@127\.0\.0\.1:1/"
    ) as caught:
        extract_table(warehouse, "los", "borrowers", _entity(), down)
    assert "s3cret" not in str(caught.value)
    assert warehouse.fetch_all("SELECT cursor_value, key_value, batch_id FROM meta.source_state") == before


def test_a_column_named_in_the_config_but_missing_in_the_table_is_named(
    source_engine: sa.Engine, warehouse: Warehouse
) -> None:
    entity = _entity().model_copy(update={"mapping": {"source_id": "borrower_id", "name": "company_name"}})
    with pytest.raises(SourceError, match=r"table borrower has no column\(s\) \['company_name'\]"):
        extract_table(warehouse, "los", "borrowers", entity, _url(source_engine))


def test_timestamps_without_a_zone_land_in_utc_from_the_sources_zone(
    source_engine: sa.Engine, warehouse: Warehouse
) -> None:
    _insert(source_engine, ("B0", "公司0", NOON))
    extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine), timezone="Asia/Shanghai")
    assert _landed(warehouse) == [("B0", "公司0", "2026-06-01 04:00:00+00:00")]
    [(cursor_value,)] = warehouse.fetch_all("SELECT cursor_value FROM meta.source_state")
    assert cursor_value == "2026-06-01 12:00:00", "the watermark keeps the source's own spelling"


def test_a_lookback_window_catches_rows_committed_late_and_lands_nothing_twice(
    source_engine: sa.Engine, warehouse: Warehouse
) -> None:
    entity = _entity().model_copy(update={"lookback_seconds": 600})
    _insert(source_engine, ("B0", "公司0", NOON), ("B1", "公司1", NOON + dt.timedelta(minutes=5)))
    extract_table(warehouse, "los", "borrowers", entity, _url(source_engine))
    _insert(source_engine, ("B2", "公司2", NOON + dt.timedelta(minutes=2)))
    late = extract_table(warehouse, "los", "borrowers", entity, _url(source_engine))
    assert (late.rows_read, late.rows_landed, late.rows_redelivered) == (3, 1, 2)
    assert [row[0] for row in _landed(warehouse)] == ["B0", "B1", "B2"]
    [(cursor_value, key_value)] = warehouse.fetch_all("SELECT cursor_value, key_value FROM meta.source_state")
    assert (cursor_value, key_value) == ("2026-06-01 12:05:00", "B1"), "the watermark never moves back"


def test_a_source_re_synced_after_its_watermark_was_deleted_lands_only_what_changed(
    source_engine: sa.Engine, warehouse: Warehouse
) -> None:
    _insert(source_engine, *[(f"B{n}", f"公司{n}", NOON + dt.timedelta(minutes=n)) for n in range(3)])
    extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    with source_engine.begin() as conn:
        conn.execute(BORROWER.update().where(BORROWER.c.borrower_id == "B1").values(borrower_name="公司1(更名)"))
    with warehouse.transaction() as conn:
        conn.exec_driver_sql("DELETE FROM meta.source_state")

    again = extract_table(warehouse, "los", "borrowers", _entity(), _url(source_engine))
    assert (again.rows_read, again.rows_landed, again.rows_redelivered) == (3, 1, 2)
    assert [row[:2] for row in _landed(warehouse)] == [
        ("B0", "公司0"), ("B1", "公司1"), ("B1", "公司1(更名)"), ("B2", "公司2"),
    ]  # fmt: skip


_BEYOND_CONNECTORX = {
    # connectorx knows no interval or money type, and panics on a numeric NaN.
    "postgres": (
        "CREATE TABLE loan (loan_id TEXT PRIMARY KEY, rate NUMERIC, term INTERVAL, fee MONEY, updated_at TIMESTAMP)",
        "INSERT INTO loan VALUES ('L1', 1.50, '1 mon 1 day 02:00:00', 12.5, '2026-06-01 12:00:00'),"
        " ('L2', 'NaN', NULL, NULL, '2026-06-01 12:01:00'), ('L3', 2.25, NULL, NULL, '2026-06-01 12:02:00')",
        "rate, term, fee",
    ),
    # connectorx panics on a decimal of more than 28 digits.
    "mariadb": (
        "CREATE TABLE loan (loan_id VARCHAR(8) PRIMARY KEY, rate DECIMAL(40, 2), updated_at DATETIME)",
        "INSERT INTO loan VALUES ('L1', 1.50, '2026-06-01 12:00:00'),"
        " ('L2', 1234567890123456789012345678901234567.80, '2026-06-01 12:01:00'), ('L3', 2.25, '2026-06-01 12:02:00')",
        "rate",
    ),
}


@pytest.mark.parametrize("source", ["postgres", "mariadb"])
def test_types_and_values_connectorx_cannot_convert_land_through_sqlalchemy_once_each(
    source: str, request: pytest.FixtureRequest, warehouse: Warehouse, caplog: pytest.LogCaptureFixture
) -> None:
    create, insert, columns = _BEYOND_CONNECTORX[source]
    engine = sa.create_engine(driver_url(request.getfixturevalue(f"{source}_url")))
    with engine.begin() as conn:
        conn.exec_driver_sql(create)
        conn.exec_driver_sql(insert)
    entity = SqlEntity(table="loan", key="loan_id", cursor="updated_at", batch_rows=1, canonical="none")
    first = extract_table(warehouse, "los", "loans", entity, _url(engine))
    engine.dispose()

    assert (first.rows_read, first.rows_landed) == (3, 3)
    assert "connectorx cannot convert the result" in caplog.text and "reading on through SQLAlchemy" in caplog.text
    landed = warehouse.fetch_all(f"SELECT loan_id, {columns} FROM raw.los__loans ORDER BY loan_id")
    expected = {
        "postgres": [
            ("L1", "1.5", "1 mon 1 day 02:00:00", "$12.50"),
            ("L2", "NaN", None, None),
            ("L3", "2.25", None, None),
        ],
        "mariadb": [("L1", "1.5"), ("L2", "1234567890123456789012345678901234567.8"), ("L3", "2.25")],
    }
    assert [tuple(row) for row in landed] == expected[source]
    again = extract_table(warehouse, "los", "loans", entity, _url(engine))
    assert (again.rows_read, again.rows_landed) == (0, 0)
