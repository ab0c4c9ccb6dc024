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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from c360.canonical import ENTITIES, PARTY, CanonicalEntity
from c360.config import FileEntity, FileSource, QuarantineLimit, RestEntity, RestSource, SqlEntity, SqlSource
from c360.errors import BatchStopped, ConfigError, InvariantError
from connectors.landing import raw_table
from expectations.data_docs import write_batch_page, write_index
from expectations.quarantine import quarantine_failures
from expectations.validate import (
    QUARANTINE_SEVERITY,
    REFERENCE_SUFFIX,
    ROW_ID,
    ValidationOutcome,
    validate_frame,
)
from transforms.standardize.fields import CLEANERS, INVALID_SUFFIX, PARSERS, clean_key
from transforms.standardize.party import derive_party
from warehouse import Warehouse, table_name

KEY = ("source_system", "source_entity", "source_id")
PARTY_PARTS = (
    "name_core", "name_romanized", "name_lead", "legal_form", "name_place",
    "province", "city", "district", "address_detail", "industry_section",
)  # fmt: skip
"""Text columns standardization derives for a party beyond its canonical fields."""
_CENTS = decimal.Decimal("0.01")
_T = TypeVar("_T")


@dataclass
class StandardizeResult:
    """Counts for one source: rows_in = rows_out + rows_quarantined."""

    source: str
    batch_ids: list[str] = field(default_factory=list)
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    data_docs: Path | None = None
    """The run's Data Docs index, when pages were written."""


def standardize_source(
    warehouse: Warehouse, source_name: str, source: FileSource | SqlSource | RestSource, docs: Path | None = None
) -> StandardizeResult:
    """Standardize and validate every pending batch of one source, oldest first.

    With ``docs``, each batch's validation is rendered there as a Data Docs page and the
    folder's index is refreshed.
    """
    result = StandardizeResult(source=source_name)
    has_parties = any(entity.canonical == "party" for entity in source.entities.values())
    has_accounts = any(entity.canonical == "account" for entity in source.entities.values())
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
            warehouse,
            source_name,
            entity_name,
            entity,
            batch_id,
            has_parties=has_parties,
            has_accounts=has_accounts,
            docs=docs,
        )
        result.batch_ids.append(batch_id)
        result.rows_in += rows_in
        result.rows_out += rows_out
        result.rows_quarantined += rows_quarantined
    if docs is not None and result.batch_ids:
        result.data_docs = _write_docs_index(warehouse, docs)
    return result


def standardize_frame(
    entity: CanonicalEntity, raw: pd.DataFrame, mapping: Mapping[str, str | list[str]]
) -> pd.DataFrame:
    """Canonical columns for ``entity`` from a raw frame, given canonical field -> source column(s).

    Values stay Python objects (``None`` for missing), so an identifier never becomes a float.
    A composite key (several columns) is their values joined by ``:``, missing if any is.
    """
    columns: dict[str, list[object]] = {}
    for canonical_field in entity.fields:
        values = _source_values(raw, mapping.get(canonical_field.name))
        if canonical_field.kind in PARSERS:
            parsed = _each_distinct(PARSERS[canonical_field.kind], values)
            columns[canonical_field.name] = [value for value, _ in parsed]
            columns[canonical_field.name + INVALID_SUFFIX] = [invalid for _, invalid in parsed]
        else:
            columns[canonical_field.name] = _each_distinct(CLEANERS[canonical_field.kind], values)
    frame = pd.DataFrame(columns, index=raw.index, dtype=object)
    for canonical_field in entity.fields:
        if canonical_field.kind in ("decimal", "fraction"):
            frame[canonical_field.name] = pd.to_numeric(frame[canonical_field.name], errors="raise").astype("float64")
    if entity is PARTY:
        frame = derive_party(frame, raw[mapping["name"]].tolist())
    return frame


def _each_distinct(function: Callable[[object], _T], values: list[object]) -> list[_T]:
    """``function`` of each value, computed once per distinct value: a column of dates or
    statuses holds few, and parsing each row again dominated a million-row load. Keyed by
    type as well, since 1, 1.0 and True are equal keys but not the same text."""
    results: dict[tuple[type, object], _T] = {}
    cleaned = []
    for value in values:
        key = (type(value), value)
        try:
            if key not in results:
                results[key] = function(value)
            cleaned.append(results[key])
        except TypeError:  # unhashable (a list from a JSON source): nothing to share
            cleaned.append(function(value))
    return cleaned


def _source_values(raw: pd.DataFrame, source: str | list[str] | None) -> list[object]:
    if source is None:
        return [None] * len(raw)
    if isinstance(source, str):
        return raw[source].tolist()
    parts = [[clean_key(value) for value in raw[column].tolist()] for column in source]
    return [None if None in row else ":".join(row) for row in zip(*parts, strict=True)]


def _standardize_batch(
    warehouse: Warehouse,
    source_name: str,
    entity_name: str,
    entity_config: FileEntity | SqlEntity | RestEntity,
    batch_id: str,
    *,
    has_parties: bool,
    has_accounts: bool,
    docs: Path | None,
) -> tuple[int, int, int]:
    entity = ENTITIES[entity_config.canonical]
    now = dt.datetime.now(dt.UTC)
    with warehouse.transaction() as conn:
        raw = warehouse.fetch_frame(
            conn,
            f"SELECT * FROM {table_name(*raw_table(source_name, entity_name))} "
            "WHERE _batch_id = :batch_id ORDER BY _source_line",
            {"batch_id": batch_id},
        )
        canonical = standardize_frame(entity, raw, entity_config.mapping)
        canonical[ROW_ID] = range(len(canonical))
        canonical["source_file"] = raw["_source_file"]
        canonical["source_line"] = raw["_source_line"]
        _check_references(
            warehouse, conn, canonical, source_name, entity, has_parties=has_parties, has_accounts=has_accounts
        )
        # Dates may be a day ahead of UTC in zones east of it.
        outcome = validate_frame(canonical, entity.name, {"today": now.date() + dt.timedelta(days=1)})
        if docs is not None:
            write_batch_page(docs, source_name, batch_id, outcome.result)
        _stop_if_over_limit(outcome, entity_config.quarantine_limit, len(raw), f"{source_name}.{entity_name}", batch_id)
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
        _record_summary(warehouse, conn, outcome, batch_id, source_name, entity_name, entity.name, now)
        conn.execute(
            sa.text(
                "UPDATE meta.batch SET standardized_at = :now, rows_standardized = :staged, "
                "rows_quarantined = :quarantined WHERE batch_id = :batch_id"
            ),
            {"now": now, "staged": staged, "quarantined": quarantined, "batch_id": batch_id},
        )
    return len(raw), staged, quarantined


def _check_references(
    warehouse: Warehouse,
    conn: Connection,
    canonical: pd.DataFrame,
    source_name: str,
    entity: CanonicalEntity,
    *,
    has_parties: bool,
    has_accounts: bool,
) -> None:
    """Add ``<field>__known`` beside each reference the source can answer: is the referenced record staged?

    A missing reference counts as known here; its own not-null expectation reports it.
    """
    for reference, referenced, present in (("party_id", "party", has_parties), ("account_id", "account", has_accounts)):
        if present and reference in entity.field_names:
            # Only this batch's references are looked up: reading all the source's staged ids for
            # every batch made a million-record load quadratic.
            known = warehouse.present(
                conn, f"staging.{referenced}", "source_id", canonical[reference].dropna().unique().tolist(),
                source_system=source_name,
            )  # fmt: skip
            canonical[reference + REFERENCE_SUFFIX] = [
                value is None or value in known for value in canonical[reference].tolist()
            ]


def _stop_if_over_limit(
    outcome: ValidationOutcome, limit: QuarantineLimit, rows_in: int, where: str, batch_id: str
) -> None:
    """Stop the whole batch when too many of its rows fail: something upstream changed."""
    failing = len(outcome.quarantined_row_ids())
    if failing < limit.min_rows or failing <= limit.share * rows_in:
        return
    worst = sorted(
        (item for item in outcome.summary if item.severity == QUARANTINE_SEVERITY and item.rows_failed),
        key=lambda item: -item.rows_failed,
    )[:3]
    causes = "; ".join(f"{item.expectation} on {item.column}: {item.rows_failed} rows" for item in worst)
    raise BatchStopped(
        f"{where} batch {batch_id} stopped: {failing} of {rows_in} rows ({failing / rows_in:.1%}) fail a critical "
        f"expectation, more than the limit of {limit.share:.0%} ({causes}). Nothing of it was standardized; "
        "fix the source, or raise quarantine_limit for this entity in sources.yml, and run again"
    )


def _record_summary(
    warehouse: Warehouse,
    conn: Connection,
    outcome: ValidationOutcome,
    batch_id: str,
    source: str,
    entity: str,
    suite: str,
    at: dt.datetime,
) -> None:
    """One ``meta.validation_summary`` row per expectation of the suite, failed or not."""
    count = len(outcome.summary)
    warehouse.bulk_insert(
        conn,
        "meta.validation_summary",
        pa.table(
            {
                "batch_id": pa.array([batch_id] * count, pa.string()),
                "source": pa.array([source] * count, pa.string()),
                "entity": pa.array([entity] * count, pa.string()),
                "suite": pa.array([suite] * count, pa.string()),
                "expectation": pa.array([item.expectation for item in outcome.summary], pa.string()),
                "column_name": pa.array([item.column for item in outcome.summary], pa.string()),
                "severity": pa.array([item.severity for item in outcome.summary], pa.string()),
                "rows_evaluated": pa.array([item.rows_evaluated for item in outcome.summary], pa.int64()),
                "rows_passed": pa.array(
                    [item.rows_evaluated - item.rows_failed for item in outcome.summary], pa.int64()
                ),
                "rows_failed": pa.array([item.rows_failed for item in outcome.summary], pa.int64()),
                "rows_quarantined": pa.array(
                    [item.rows_failed if item.severity == QUARANTINE_SEVERITY else 0 for item in outcome.summary],
                    pa.int64(),
                ),
                "validated_at": pa.array([at] * count, pa.timestamp("us", tz="UTC")),
            }
        ),
    )


def _write_docs_index(warehouse: Warehouse, docs: Path) -> Path:
    """Refresh the run's index from every page in its folder (each source's task adds its own)."""
    pages = {page.stem: page.parent.name for page in docs.glob("*/*.html")}
    counts = {
        row[0]: row[1:]
        for row in warehouse.fetch_all(
            "SELECT batch_id, rows_landed, rows_standardized, rows_quarantined FROM meta.batch "
            "WHERE standardized_at IS NOT NULL"
        )
        if row[0] in pages
    }
    return write_index(
        docs,
        sorted((pages[batch], batch, *(value or 0 for value in counts[batch])) for batch in counts),
    )


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
        if canonical_field.kind in ("date", "month"):
            columns[canonical_field.name] = pa.array(values, pa.date32())
        elif canonical_field.kind == "decimal":
            amounts = [None if value is None else decimal.Decimal(repr(value)).quantize(_CENTS) for value in values]
            columns[canonical_field.name] = pa.array(amounts, pa.decimal128(18, 2))
        elif canonical_field.kind == "fraction":
            columns[canonical_field.name] = pa.array(values, pa.float64())
        elif canonical_field.kind == "count":
            columns[canonical_field.name] = pa.array(values, pa.int64())
        else:
            columns[canonical_field.name] = pa.array(values, pa.string())
    if entity is PARTY:
        columns["name_original"] = pa.array([str(value) for value in valid["name_original"]], pa.string())
        columns["uscc_valid"] = pa.array([value is True for value in valid["uscc_valid"]], pa.bool_())
        columns["resident_id_valid"] = pa.array([value is True for value in valid["resident_id_valid"]], pa.bool_())
        columns["is_branch"] = pa.array([value is True for value in valid["is_branch"]], pa.bool_())
        for part in PARTY_PARTS:
            columns[part] = pa.array([_missing_as_none(value) for value in valid[part]], pa.string())
    return pa.table(columns)


def _missing_as_none(value: object) -> object:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value
