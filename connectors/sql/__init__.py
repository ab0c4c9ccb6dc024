"""SQL databases: any SQLAlchemy URL, read incrementally by a cursor column and key.

Rows come ordered by (cursor, key) through a server-side cursor, in batches of
``batch_rows``. Each batch lands in one transaction together with its watermark (the
last cursor value and key), so a crash between batches loses nothing and a re-run
starts where the last committed batch ended; rows sharing a cursor value are told
apart by the key. See this package's README for configuration.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
import zoneinfo
from pathlib import Path

import sqlalchemy as sa

from c360.config import SqlEntity
from c360.errors import SourceError
from connectors.landing import (
    ExtractResult,
    columns_to_arrow,
    count_batch_rows,
    drop_redeliveries,
    ensure_raw_table,
    read_state,
    record_batch,
    save_state,
)
from warehouse import Warehouse
from warehouse.base import mask_password


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
    table = sa.table(config.table.split(".")[-1], schema=config.table.split(".")[0] if "." in config.table else None)
    cursor, key = sa.column(config.cursor), sa.column(config.key)
    query = sa.select(sa.text("*")).select_from(table).order_by(cursor, key)
    if watermark is not None and config.lookback_seconds:
        query = query.where(cursor >= _behind(watermark[0], config.lookback_seconds, source_name, entity_name))
    elif watermark is not None:
        query = query.where(sa.or_(cursor > watermark[0], sa.and_(cursor == watermark[0], key > watermark[1])))
    engine = sa.create_engine(url, connect_args=_utc_session(url))
    zone = zoneinfo.ZoneInfo(timezone)
    try:
        with engine.connect() as source:
            rows = source.execution_options(stream_results=True, yield_per=config.batch_rows).execute(query)
            columns = list(rows.keys())
            _check_columns(source_name, entity_name, config, columns)
            cursor_position, key_position = columns.index(config.cursor), columns.index(config.key)
            for partition in rows.partitions(config.batch_rows):
                values = [_column_as_text(column, zone) for column in zip(*partition, strict=True)]
                last = partition[-1]
                reached = (_as_text(last[cursor_position], None), _as_text(last[key_position], None))
                watermark = reached if watermark is None or _after(reached, watermark) else watermark
                batch_id, landed, redelivered = _land_batch(
                    warehouse, source_name, entity_name, columns, values, len(partition), watermark
                )
                result.batch_ids.append(batch_id)
                result.rows_read += len(partition)
                result.rows_landed += landed
                result.rows_redelivered += redelivered
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise SourceError(
            f"{source_name}.{entity_name}: cannot read {config.table} from {mask_password(url)}: {reason}"
        ) from None
    finally:
        engine.dispose()
    return result


def _utc_session(url: str) -> dict[str, str]:
    """Driver options that pin the source session's time zone to UTC."""
    if url.startswith("postgresql"):
        return {"options": "-c timezone=UTC"}
    if url.startswith("mysql"):
        return {"init_command": "SET time_zone = '+00:00'"}
    return {}


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


def _check_columns(source: str, entity: str, config: SqlEntity, columns: list[str]) -> None:
    needed = {config.key, config.cursor, *config.mapping.values()}
    missing = sorted(needed - set(columns))
    if missing:
        raise SourceError(f"{source}.{entity}: table {config.table} has no column(s) {missing} named in sources.yml")


def _land_batch(
    warehouse: Warehouse,
    source: str,
    entity: str,
    columns: list[str],
    values: list[list[str | None]],
    count: int,
    watermark: tuple[str | None, str | None],
) -> tuple[str, int, int]:
    """Land one batch with the watermark it reaches; returns (batch id, landed, already landed)."""
    batch_id = f"{source}.{entity}.{uuid.uuid4().hex[:16]}"
    extracted_at = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        table = ensure_raw_table(warehouse, conn, source, entity, columns, batch_id=batch_id)
        data = columns_to_arrow(
            columns, values, [None] * count, batch_id=batch_id, source_file=None, extracted_at=extracted_at
        )
        warehouse.bulk_insert(conn, table, data)
        redelivered = drop_redeliveries(conn, table, batch_id=batch_id)
        landed = count_batch_rows(conn, table, batch_id)
        record_batch(
            conn, batch_id=batch_id, source=source, entity=entity, source_file=None, content_sha256=None,
            rows_read=count, rows_landed=landed, rows_unparsed=0, rows_redelivered=redelivered,
            extracted_at=extracted_at,
        )  # fmt: skip
        save_state(
            conn, source=source, entity=entity, cursor_value=watermark[0] or "", key_value=watermark[1] or "",
            batch_id=batch_id, at=extracted_at,
        )  # fmt: skip
    return batch_id, landed, redelivered


def _column_as_text(values: tuple[object, ...], zone: zoneinfo.ZoneInfo) -> list[str | None]:
    """One column of a batch as text, converting by the column's type rather than value by value."""
    sample = next((value for value in values if value is not None), None)
    if sample is None or isinstance(sample, str):
        # A database without strict column types (SQLite) may still mix in a number.
        return [value if value is None or isinstance(value, str) else _as_text(value, zone) for value in values]
    if isinstance(sample, int | float):
        return [None if value is None else str(value) for value in values]
    if isinstance(sample, decimal.Decimal):
        return [None if value is None else format(value, "f") for value in values]
    return [_as_text(value, zone) for value in values]


def _as_text(value: object, zone: zoneinfo.ZoneInfo | None) -> str | None:
    """Every source value lands as text; the canonical types come at standardization.

    With a ``zone``, timestamps become UTC (naive ones read as local to ``zone``);
    without one they keep the source's own spelling, as a watermark must.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if zone is not None:
            value = (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(dt.UTC)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
