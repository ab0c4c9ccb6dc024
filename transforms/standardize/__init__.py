"""Standardize landed batches into ``staging.party`` and quarantine what fails validation.

Each pending batch (landed, not yet standardized) is read from ``raw``, cleaned into
canonical records, validated with the ``party`` suite, and written in one transaction:
valid rows to staging, failing rows to ``quarantine.party``, and the batch marked done.
Re-running finds no pending batch and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from c360.config import Source
from c360.errors import ConfigError, InvariantError
from connectors.landing import raw_table
from expectations.quarantine import quarantine_failures
from expectations.validate import ROW_ID, validate_frame
from transforms.standardize.party import CANONICAL_COLUMNS, standardize_party
from warehouse import Warehouse, table_name

PARTY_KEY = ("source_system", "source_entity", "source_id")


@dataclass
class StandardizeResult:
    """Counts for one source: rows_in = rows_out + rows_quarantined."""

    source: str
    batch_ids: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0


def standardize_source(warehouse: Warehouse, source_name: str, source: Source) -> StandardizeResult:
    """Standardize and validate every pending batch of one source, oldest first."""
    result = StandardizeResult(source=source_name)
    pending = warehouse.fetch_all(
        "SELECT batch_id, entity FROM meta.batch WHERE source = :source AND standardized_at IS NULL "
        "ORDER BY extracted_at, batch_id",
        {"source": source_name},
    )
    for batch_id, entity_name in pending:
        entity = source.entities.get(entity_name)
        if entity is None:
            raise ConfigError(
                f"sources.yml: {source_name}.entities has no {entity_name!r}, but batch {batch_id} of it "
                "is waiting to be standardized; restore the entity or remove its batches"
            )
        rows_in, rows_out, rows_quarantined = _standardize_batch(
            warehouse, source_name, entity_name, entity.mapping, entity.relationship, batch_id
        )
        result.batch_ids.append(batch_id)
        result.rows_in += rows_in
        result.rows_out += rows_out
        result.rows_quarantined += rows_quarantined
    return result


def _standardize_batch(
    warehouse: Warehouse,
    source_name: str,
    entity_name: str,
    mapping: dict[str, str],
    relationship: str,
    batch_id: str,
) -> tuple[int, int, int]:
    now = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        raw = warehouse.fetch_frame(
            conn,
            f"SELECT * FROM {table_name(*raw_table(source_name, entity_name))} "
            "WHERE _batch_id = :batch_id ORDER BY _source_line",
            {"batch_id": batch_id},
        )
        canonical = standardize_party(raw, mapping)
        canonical[ROW_ID] = range(len(canonical))
        canonical["source_file"] = raw["_source_file"]
        canonical["source_line"] = raw["_source_line"]
        outcome = validate_frame(canonical, "party")
        quarantined = quarantine_failures(
            warehouse,
            conn,
            entity="party",
            frame=canonical,
            outcome=outcome,
            lineage={"source_system": source_name, "source_entity": entity_name, "batch_id": batch_id},
            quarantined_at=now,
        )
        valid = canonical[~canonical[ROW_ID].isin(outcome.quarantined_row_ids())]
        staged = warehouse.upsert(
            conn,
            "staging.party",
            _party_rows(valid, source_name, entity_name, relationship, batch_id, raw),
            PARTY_KEY,
        )
        if len(raw) != staged + quarantined:
            raise InvariantError(
                f"{source_name}.{entity_name} batch {batch_id}: {len(raw)} rows in, "
                f"{staged} standardized and {quarantined} quarantined"
            )
        conn.execute(
            sa.text(
                "UPDATE meta.batch SET standardized_at = :now, rows_standardized = :staged, "
                "rows_quarantined = :quarantined WHERE batch_id = :batch_id"
            ),
            {"now": now, "staged": staged, "quarantined": quarantined, "batch_id": batch_id},
        )
    return len(raw), staged, quarantined


def _party_rows(
    valid: pd.DataFrame, source_name: str, entity_name: str, relationship: str, batch_id: str, raw: pd.DataFrame
) -> pa.Table:
    count = len(valid)
    extracted_at = raw.loc[valid.index, "_extracted_at"].tolist()

    def text(column: str) -> pa.Array:
        return pa.array([None if pd.isna(value) else str(value) for value in valid[column]], pa.string())

    return pa.table(
        {
            "source_system": pa.array([source_name] * count, pa.string()),
            "source_entity": pa.array([entity_name] * count, pa.string()),
            "batch_id": pa.array([batch_id] * count, pa.string()),
            "source_file": text("source_file"),
            "source_line": pa.array([int(line) for line in valid["source_line"]], pa.int64()),
            "relationship": pa.array([relationship] * count, pa.string()),
            **{
                column: text(column)
                for column in CANONICAL_COLUMNS
                if column not in ("uscc_valid", "last_activity_date")
            },
            "uscc_valid": pa.array([value is True for value in valid["uscc_valid"]], pa.bool_()),
            "last_activity_date": pa.array(
                [None if pd.isna(value) else dt.date.fromisoformat(value) for value in valid["last_activity_date"]],
                pa.date32(),
            ),
            "extracted_at": pa.array(extracted_at, pa.timestamp("us", tz="UTC")),
        }
    )
