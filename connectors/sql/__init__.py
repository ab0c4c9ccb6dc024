"""SQL databases: any SQLAlchemy URL, read incrementally by a cursor column and key.

Rows come ordered by (cursor, key), streamed as Arrow (``read.py``: connectorx for
Postgres and MariaDB, a server-side cursor otherwise), in batches of ``batch_rows``.
Each batch lands in one transaction together with its watermark (the last cursor value
and key), so a crash between batches loses nothing and a re-run starts where the last
committed batch ended; rows sharing a cursor value are told apart by the key. See this
package's README for configuration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

from c360.config import SqlEntity
from c360.errors import SourceError
from connectors.landing import (
    ExtractResult,
    ensure_raw_table,
    has_rows,
    index_row_hashes,
    land_unseen,
    raw_table,
    read_state,
    record_batch,
    save_state,
)
from connectors.sql.read import ConnectorxCannotRead, exact_watermark, read_batches
from connectors.text import land_raw
from warehouse import Warehouse, table_name
from warehouse.base import mask_password

log = logging.getLogger(__name__)


def database_url(source_name: str, url: str, silos_dir: Path, *, from_config: bool) -> str:
    """The SQLAlchemy URL to read from, with this project's driver.

    A SQLite path from the configuration (the demo) is relative to the silos folder and is
    opened read-only, so a missing file is an error rather than a new, empty database.
    """
    if url.startswith("sqlite:///") and from_config:
        path = silos_dir / url.removeprefix("sqlite:///")
        if not path.is_file():
            raise SourceError(f"{source_name}: database file {path} not found")
        return f"sqlite:///file:{path}?mode=ro&uri=true"
    return driver_url(url)


def driver_url(url: str) -> str:
    """The URL with the driver this project installs: PyMySQL for MariaDB/MySQL, psycopg2 for Postgres."""
    scheme, separator, rest = url.partition("://")
    drivers = {
        "mysql": "mysql+pymysql",
        "mariadb": "mysql+pymysql",
        "postgresql": "postgresql+psycopg2",
        "postgres": "postgresql+psycopg2",
    }
    return drivers.get(scheme, scheme) + separator + rest


def extract_table(
    warehouse: Warehouse, source_name: str, entity_name: str, config: SqlEntity, url: str, timezone: str = "UTC"
) -> ExtractResult:
    """Land the rows of one table changed since the last watermark, batch by batch.

    The source session runs in UTC; timestamps land as UTC text, those without a zone
    read as ``timezone``. The watermark keeps the cursor as the source spells it.
    """
    result = ExtractResult(source=source_name, entity=entity_name)
    watermark = read_state(warehouse, source_name, entity_name)
    rereading = _may_read_again(warehouse, source_name, entity_name, config, url, watermark)
    where = f"{source_name}.{entity_name}: cannot read {config.table} from {mask_password(url)}"
    for with_connectorx in (True, False):
        query = _changes_since(config, watermark, source_name, entity_name)
        batches = read_batches(
            url, query, config.batch_rows, where=where, check=_column_check(source_name, entity_name, config),
            with_connectorx=with_connectorx,
        )  # fmt: skip
        try:
            with contextlib.closing(batches):  # the source is let go of even when landing fails
                for batch in batches:
                    watermark = _land_counted(warehouse, result, config, batch, timezone, watermark, rereading)
            break
        except ConnectorxCannotRead as exc:
            # The batches before landed with their watermark: the rest is read from there.
            after = "from the start" if watermark is None else f"after {watermark[0]} / {watermark[1]}"
            log.warning("%s; reading on through SQLAlchemy %s", exc, after)
    if result.batch_ids and not rereading and _reads_again_from_the_watermark(config, url):
        with warehouse.transaction() as conn:  # for the next run's check: built once, not row by row
            index_row_hashes(warehouse, conn, table_name(*raw_table(source_name, entity_name)))
    return result


def _changes_since(config: SqlEntity, watermark: tuple[str, str] | None, source: str, entity: str) -> sa.Select:
    """The rows past ``watermark`` (or behind it by the lookback window), in (cursor, key) order."""
    table = sa.table(config.table.split(".")[-1], schema=config.table.split(".")[0] if "." in config.table else None)
    cursor, key = sa.column(config.cursor), sa.column(config.key)
    query = sa.select(sa.text("*")).select_from(table).order_by(cursor, key)
    if watermark is not None and config.lookback_seconds:
        return query.where(cursor >= _behind(watermark[0], config.lookback_seconds, source, entity))
    if watermark is not None:
        return query.where(sa.or_(cursor > watermark[0], sa.and_(cursor == watermark[0], key > watermark[1])))
    return query


def _may_read_again(
    warehouse: Warehouse, source: str, entity: str, config: SqlEntity, url: str, watermark: tuple[str, str] | None
) -> bool:
    """Whether this run can read a row an earlier run landed, so each row's hash is looked up.

    Batches of one run never repeat each other's rows (each (cursor, key) is read once). A row
    past the watermark differs from every landed row in its (cursor, key), so its hash cannot
    have landed: the lookup is left out, unless the run reads behind the watermark (a lookback
    window), the watermark is gone while rows remain (deleted to re-sync the source), or the
    watermark may round the cursor down (``exact_watermark``) and read the boundary row again.
    """
    if not has_rows(warehouse, source, entity):
        return False
    return watermark is None or _reads_again_from_the_watermark(config, url)


def _reads_again_from_the_watermark(config: SqlEntity, url: str) -> bool:
    """Whether every run from a watermark may read landed rows again, and so checks them."""
    return bool(config.lookback_seconds) or not exact_watermark(url)


def _behind(cursor_value: str, seconds: int, source: str, entity: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(cursor_value)
    except ValueError:
        raise SourceError(
            f"{source}.{entity}: lookback_seconds needs a timestamp cursor, not {cursor_value!r}"
        ) from None
    return (moment - dt.timedelta(seconds=seconds)).isoformat(sep=" ")


def _after(candidate: tuple[str | None, str | None], watermark: tuple[str, str]) -> bool:
    """Whether (cursor, key) ``candidate`` lies past ``watermark``: times compared as times."""
    try:
        return (dt.datetime.fromisoformat(candidate[0] or ""), candidate[1] or "") > (
            dt.datetime.fromisoformat(watermark[0]),
            watermark[1],
        )
    except ValueError:
        return (candidate[0] or "", candidate[1] or "") > watermark


def _column_check(source: str, entity: str, config: SqlEntity) -> Callable[[list[str]], None]:
    def check(columns: list[str]) -> None:
        needed = {config.key, config.cursor, *config.source_columns}
        missing = sorted(needed - set(columns))
        if missing:
            raise SourceError(
                f"{source}.{entity}: table {config.table} has no column(s) {missing} named in sources.yml"
            )

    return check


def _land_counted(
    warehouse: Warehouse,
    result: ExtractResult,
    config: SqlEntity,
    batch: pa.RecordBatch,
    timezone: str,
    watermark: tuple[str | None, str | None] | None,
    rereading: bool,
) -> tuple[str | None, str | None]:
    """Land ``batch`` with the watermark its last row reaches, counted into ``result``; returns that watermark."""
    last = batch.slice(batch.num_rows - 1).to_pylist()[0]
    reached = (_as_text(last[config.cursor]), _as_text(last[config.key]))
    watermark = reached if watermark is None or _after(reached, watermark) else watermark
    batch_id, landed, redelivered = _land_batch(
        warehouse, result.source, result.entity, batch, timezone, watermark, check_redelivery=rereading
    )
    result.batch_ids.append(batch_id)
    result.rows_read += batch.num_rows
    result.rows_landed += landed
    result.rows_redelivered += redelivered
    return watermark


def _land_batch(
    warehouse: Warehouse,
    source: str,
    entity: str,
    batch: pa.RecordBatch,
    timezone: str,
    watermark: tuple[str | None, str | None],
    *,
    check_redelivery: bool,
) -> tuple[str, int, int]:
    """Land one batch with the watermark it reaches; returns (batch id, landed, already landed).

    Landed rows are the database's own counts of rows inserted.
    """
    batch_id = f"{source}.{entity}.{uuid.uuid4().hex[:16]}"
    extracted_at = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        table = ensure_raw_table(warehouse, conn, source, entity, batch.schema.names, batch_id=batch_id)
        lineage = {"batch_id": batch_id, "source_file": None, "extracted_at": extracted_at, "zone": timezone}
        if check_redelivery:
            landed, redelivered = land_unseen(warehouse, conn, table, batch, **lineage)
        else:
            landed, redelivered = land_raw(warehouse, conn, table, batch, **lineage), 0
        record_batch(
            conn, batch_id=batch_id, source=source, entity=entity, source_file=None, content_sha256=None,
            rows_read=batch.num_rows, rows_landed=landed, rows_unparsed=0, rows_redelivered=redelivered,
            extracted_at=extracted_at,
        )  # fmt: skip
        save_state(
            conn, source=source, entity=entity, cursor_value=watermark[0] or "", key_value=watermark[1] or "",
            batch_id=batch_id, at=extracted_at,
        )  # fmt: skip
    return batch_id, landed, redelivered


def _as_text(value: object) -> str | None:
    """A cursor or key value as the source spells it, for the watermark and the next query."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    return str(value)
