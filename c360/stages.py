"""The pipeline's stages as plain functions of the settings.

The command line and the Airflow tasks call these same functions; each opens the
warehouse, does one stage (for one source where the stage is per source), and returns
a small :class:`StageResult` that ``meta.pipeline_run`` records.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from c360.config import Source, load_config
from c360.errors import ConfigError
from c360.settings import Settings
from warehouse import Warehouse, connect

PER_SOURCE_STAGES = ("extract", "standardize")
STAGES = (*PER_SOURCE_STAGES, "resolve", "segment")


@dataclass(frozen=True)
class StageResult:
    """What one stage did, in the counts every stage reports."""

    stage: str
    source: str
    rows_in: int
    rows_out: int
    rows_quarantined: int
    detail: str = ""
    batch_ids: list[str] = field(default_factory=list)


@contextmanager
def open_warehouse(settings: Settings) -> Iterator[Warehouse]:
    """The configured warehouse, migrated, closed again on exit."""
    warehouse = connect(settings.warehouse_url)
    try:
        yield warehouse
    finally:
        warehouse.dispose()


def configured_source(settings: Settings, source: str) -> Source:
    """The configuration of ``source``, or an error naming the sources that are configured."""
    sources = load_config(settings.config_dir).sources.sources
    if source not in sources:
        raise ConfigError(f"sources.yml has no source {source!r}; configured: {sorted(sources)}")
    return sources[source]


def extract(settings: Settings, source: str) -> StageResult:
    """Land new files (or rows, or pages) of one source in ``raw``."""
    from connectors import extract_source

    source_config = configured_source(settings, source)
    with open_warehouse(settings) as warehouse:
        results = extract_source(
            warehouse,
            source,
            source_config,
            settings.silos_dir,
            settings.source_url(source),
            settings.source_token(source),
        )
    landed = sum(len(result.batch_ids) for result in results)
    skipped = sum(result.items_skipped for result in results)
    redelivered = sum(result.rows_redelivered for result in results)
    return StageResult(
        stage="extract",
        source=source,
        rows_in=sum(result.rows_read for result in results),
        rows_out=sum(result.rows_landed for result in results),
        rows_quarantined=sum(result.rows_unparsed for result in results),
        detail=_extract_detail(landed, skipped, redelivered),
        batch_ids=[batch for result in results for batch in result.batch_ids],
    )


def _extract_detail(batches: int, files_seen: int, redelivered: int) -> str:
    parts = [f"{batches} new batch(es)"]
    if files_seen:
        parts.append(f"{files_seen} file(s) seen before")
    if redelivered:
        parts.append(f"{redelivered} row(s) already landed")
    return ", ".join(parts)


def standardize(settings: Settings, source: str, run_id: str) -> StageResult:
    """Standardize and validate one source's pending batches into ``staging``; Data Docs go to the run's folder."""
    from expectations.data_docs import run_folder
    from transforms.standardize import standardize_source

    source_config = configured_source(settings, source)
    with open_warehouse(settings) as warehouse:
        result = standardize_source(warehouse, source, source_config, docs=run_folder(settings.data_docs_dir, run_id))
    detail = f"{len(result.batch_ids)} batch(es)"
    if result.data_docs is not None:
        detail += f"; Data Docs: {result.data_docs}"
    return StageResult(
        stage="standardize",
        source=source,
        rows_in=result.rows_in,
        rows_out=result.rows_out,
        rows_quarantined=result.rows_quarantined,
        detail=detail,
        batch_ids=result.batch_ids,
    )


def resolve(settings: Settings) -> StageResult:
    """Resolve staged records into golden customers."""
    from transforms.resolve import resolve_customers

    config = load_config(settings.config_dir)
    with open_warehouse(settings) as warehouse:
        result = resolve_customers(warehouse, config.matching, settings.resolve_mode)
    model = (
        "no model"
        if result.model_version is None
        else f"model v{result.model_version}" + (" (trained now)" if result.model_trained else "")
    )
    return StageResult(
        stage="resolve",
        source="",
        rows_in=result.records,
        rows_out=result.customers,
        rows_quarantined=0,
        detail=(
            f"{result.records_scored} of {result.records} record(s) scored under {model}; "
            f"{result.ids_issued} id(s) issued, {result.ids_retired} retired, {result.reviews_queued} pair(s) to review"
        ),
    )


def segment(settings: Settings) -> StageResult:
    """Compute segments, publish ``mart``, and let the BI role read it.

    A refused rules file still refreshes the segments, under the last good rules, and
    then fails the stage with the refusal, so operators see it and BI stays current.
    """
    from transforms.segment import segment_customers
    from transforms.segment.versions import rules_in_force

    with open_warehouse(settings) as warehouse:
        rules, refusal = rules_in_force(warehouse, settings.config_dir)
        result = segment_customers(warehouse, rules, settings.business_date)
        warehouse.grant_mart_reader(settings.bi_role)
    if refusal is not None:
        raise ConfigError(f"{refusal}; segments were refreshed under the last good rules, version {rules.version}")
    lifecycle = result.segments.get("lifecycle", {})
    return StageResult(
        stage="segment",
        source="",
        rows_in=result.customers,
        rows_out=result.customers,
        rows_quarantined=0,
        detail=f"rules {rules.version}; " + ", ".join(f"{stage} {count}" for stage, count in lifecycle.items()),
    )
