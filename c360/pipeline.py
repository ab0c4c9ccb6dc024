"""Running stages in order and recording each in ``meta.pipeline_run``.

A stage's row is written as ``running`` before it starts and updated with its counts, or
with ``failed`` and the error, when it ends, so ``c360 status`` and operators see a run
in flight and why one stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from c360 import stages
from c360.config import load_config
from c360.errors import C360Error
from c360.settings import Settings
from c360.stages import STAGES, StageResult
from warehouse import Warehouse
from warehouse.base import mask_password

log = logging.getLogger(__name__)


class PipelineFailed(C360Error):
    """One or more stages failed; their errors are in the message and in meta.pipeline_run."""


def new_run_id() -> str:
    """A run id for runs started outside Airflow: time first, so ids sort by start."""
    return f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}_{uuid.uuid4().hex[:6]}"


def run_stage(settings: Settings, stage: str, source: str | None = None, run_id: str | None = None) -> StageResult:
    """Run one stage (for one source where it is per source) and record it."""
    run_id = run_id or new_run_id()
    function = _stage_function(settings, stage, source, run_id)
    with stages.open_warehouse(settings) as ledger:
        _record_start(ledger, run_id, stage, source or "")
        try:
            result = function()
        except Exception as exc:
            _record_end(ledger, run_id, stage, source or "", "failed", message=mask_password(str(exc)))
            raise
        _record_end(ledger, run_id, stage, source or "", "succeeded", result=result)
    log.info(
        "%s %s: in %d, out %d, quarantined %d; %s",
        stage,
        source or "",
        result.rows_in,
        result.rows_out,
        result.rows_quarantined,
        result.detail,
    )
    return result


def run_pipeline(
    settings: Settings, only: Sequence[str] = STAGES, sources: Sequence[str] | None = None, run_id: str | None = None
) -> list[StageResult]:
    """Run the chosen stages in pipeline order.

    A per-source stage runs for every source even when one fails, so one broken system
    does not hold up the others' landing; later stages run only if all of them succeeded.
    """
    unknown = [stage for stage in only if stage not in STAGES]
    if unknown:
        raise C360Error(f"unknown stage(s) {unknown}; stages are {list(STAGES)}")
    run_id = run_id or new_run_id()
    configured = list(load_config(settings.config_dir).sources.sources)
    chosen_sources = list(sources) if sources else configured
    results: list[StageResult] = []
    for stage in STAGES:
        if stage not in only:
            continue
        failures = []
        for source in chosen_sources if stage in stages.PER_SOURCE_STAGES else [None]:
            try:
                results.append(run_stage(settings, stage, source, run_id))
            except C360Error as exc:
                failures.append(f"{stage} {source}: {exc}" if source else f"{stage}: {exc}")
        if failures:
            raise PipelineFailed("; ".join(failures))
    return results


def _stage_function(settings: Settings, stage: str, source: str | None, run_id: str) -> Callable[[], StageResult]:
    if stage not in STAGES:
        raise C360Error(f"unknown stage {stage!r}; stages are {list(STAGES)}")
    function = getattr(stages, stage)
    if stage in stages.PER_SOURCE_STAGES:
        if source is None:
            raise C360Error(f"stage {stage!r} runs per source; name one")
        if stage == "standardize":  # its Data Docs go to a folder per run
            return lambda: function(settings, source, run_id)
        return lambda: function(settings, source)
    return lambda: function(settings)


def _record_start(ledger: Warehouse, run_id: str, stage: str, source: str) -> None:
    with ledger.transaction() as conn:
        conn.execute(
            sa.text("DELETE FROM meta.pipeline_run WHERE run_id = :run_id AND stage = :stage AND source = :source"),
            {"run_id": run_id, "stage": stage, "source": source},
        )
        conn.execute(
            sa.text(
                "INSERT INTO meta.pipeline_run (run_id, stage, source, status, started_at)"
                " VALUES (:run_id, :stage, :source, 'running', :now)"
            ),
            {"run_id": run_id, "stage": stage, "source": source, "now": dt.datetime.now(dt.UTC)},
        )


def _record_end(
    ledger: Warehouse,
    run_id: str,
    stage: str,
    source: str,
    status: str,
    *,
    result: StageResult | None = None,
    message: str | None = None,
) -> None:
    with ledger.transaction() as conn:
        conn.execute(
            sa.text(
                "UPDATE meta.pipeline_run SET status = :status, ended_at = :now, rows_in = :rows_in,"
                " rows_out = :rows_out, rows_quarantined = :rows_quarantined, message = :message"
                " WHERE run_id = :run_id AND stage = :stage AND source = :source"
            ),
            {
                "status": status,
                "now": dt.datetime.now(dt.UTC),
                "rows_in": result.rows_in if result else None,
                "rows_out": result.rows_out if result else None,
                "rows_quarantined": result.rows_quarantined if result else None,
                "message": message if message is not None else (result.detail if result else None),
                "run_id": run_id,
                "stage": stage,
                "source": source,
            },
        )
