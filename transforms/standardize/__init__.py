"""Standardize landed batches into ``staging.<entity>`` and quarantine what fails validation.

Each pending batch (landed, not yet standardized) is read from ``raw``, cleaned into
canonical records of its entity (see :mod:`c360.canonical`), validated with that
entity's suite, and written in one transaction: valid rows to staging, failing rows to
``quarantine.<entity>``, and the batch marked done. Re-running finds no pending batch
and changes nothing. Entities configured ``canonical: none`` are only landed.
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from c360.canonical import ENTITIES, PARTY, CanonicalEntity
from c360.config import FileSource, SqlSource
from c360.errors import ConfigError, InvariantError
from connectors.landing import raw_table
from expectations.quarantine import quarantine_failures
from expectations.validate import ROW_ID, validate_frame
from transforms.standardize.fields import CLEANERS, INVALID_SUFFIX, PARSERS
from transforms.standardize.party import derive_party
from warehouse import Warehouse, table_name

KEY = ("source_system", "source_entity", "source_id")
_CENTS = decimal.Decimal("0.01")


@dataclass
class StandardizeResult:
    """Counts for one source: rows_in = rows_out + rows_quarantined."""

    source: str
    batch_ids: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0


def standardize_source(warehouse: Warehouse, source_name: str, source: FileSource | SqlSource) -> StandardizeResult:
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
        if entity.canonical == "none":
            continue
        rows_in, rows_out, rows_quarantined = _standardize_batch(
            warehouse, source_name, entity_name, ENTITIES[entity.canonical], entity.mapping, batch_id
        )
        result.batch_ids.append(batch_id)
        result.rows_in += rows_in
        result.rows_out += rows_out
        result.rows_quarantined += rows_quarantined
    return result


def standardize_frame(entity: CanonicalEntity, raw: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Canonical columns for ``entity`` from a raw frame, given canonical field -> source column.

    Values stay Python objects (``None`` for missing), so an identifier never becomes a float.
    """
    columns: dict[str, list[object]] = {}
    for canonical_field in entity.fields:
        source_column = mapping.get(canonical_field.name)
        values = raw[source_column].tolist() if source_column is not None else [None] * len(raw)
        if canonical_field.kind in PARSERS:
            parsed = [PARSERS[canonical_field.kind](value) for value in values]
            columns[canonical_field.name] = [value for value, _ in parsed]
            columns[canonical_field.name + INVALID_SUFFIX] = [invalid for _, invalid in parsed]
        else:
            columns[canonical_field.name] = [CLEANERS[canonical_field.kind](value) for value in values]
    frame = pd.DataFrame(columns, index=raw.index, dtype=object)
    for canonical_field in entity.fields:
        if canonical_field.kind in ("decimal", "fraction"):
            frame[canonical_field.name] = pd.to_numeric(frame[canonical_field.name], errors="raise").astype("float64")
    if entity is PARTY:
        frame = derive_party(frame, raw[mapping["name"]].tolist())
    return frame


def _standardize_batch(
    warehouse: Warehouse,
    source_name: str,
    entity_name: str,
    entity: CanonicalEntity,
    mapping: dict[str, str],
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
        canonical = standardize_frame(entity, raw, mapping)
        canonical[ROW_ID] = range(len(canonical))
        canonical["source_file"] = raw["_source_file"]
        canonical["source_line"] = raw["_source_line"]
        outcome = validate_frame(canonical, entity.name)
        quarantined = quarantine_failures(
            warehouse,
            conn,
            entity=entity.name,
            frame=canonical,
            outcome=outcome,
            lineage={"source_system": source_name, "source_entity": entity_name, "batch_id": batch_id},
            quarantined_at=now,
        )
        valid = canonical[~canonical[ROW_ID].isin(outcome.quarantined_row_ids())]
        staged = warehouse.upsert(
            conn,
            f"staging.{entity.name}",
            _staging_rows(
                entity, valid, raw.loc[valid.index, "_extracted_at"].tolist(), source_name, entity_name, batch_id
            ),
            KEY,
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


def _staging_rows(
    entity: CanonicalEntity,
    valid: pd.DataFrame,
    extracted_at: list[object],
    source_name: str,
    entity_name: str,
    batch_id: str,
) -> pa.Table:
    count = len(valid)
    columns: dict[str, pa.Array] = {
        "source_system": pa.array([source_name] * count, pa.string()),
        "source_entity": pa.array([entity_name] * count, pa.string()),
        "batch_id": pa.array([batch_id] * count, pa.string()),
        "source_file": pa.array([_missing_as_none(value) for value in valid["source_file"]], pa.string()),
        "source_line": pa.array([_missing_as_none(value) for value in valid["source_line"]], pa.int64()),
        "extracted_at": pa.array(extracted_at, pa.timestamp("us", tz="UTC")),
    }
    for canonical_field in entity.fields:
        if entity is PARTY and canonical_field.name in ("certificate_type", "certificate_number"):
            continue
        values = [_missing_as_none(value) for value in valid[canonical_field.name]]
        if canonical_field.kind == "date":
            columns[canonical_field.name] = pa.array(values, pa.date32())
        elif canonical_field.kind == "decimal":
            amounts = [None if value is None else decimal.Decimal(repr(value)).quantize(_CENTS) for value in values]
            columns[canonical_field.name] = pa.array(amounts, pa.decimal128(18, 2))
        elif canonical_field.kind == "fraction":
            columns[canonical_field.name] = pa.array(values, pa.float64())
        else:
            columns[canonical_field.name] = pa.array(values, pa.string())
    if entity is PARTY:
        columns["name_original"] = pa.array([str(value) for value in valid["name_original"]], pa.string())
        columns["uscc_valid"] = pa.array([value is True for value in valid["uscc_valid"]], pa.bool_())
        columns["resident_id_valid"] = pa.array([value is True for value in valid["resident_id_valid"]], pa.bool_())
    return pa.table(columns)


def _missing_as_none(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
