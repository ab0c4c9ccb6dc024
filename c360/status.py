"""Reading run history and headline counts back from the warehouse."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from c360.settings import Settings
from c360.stages import STAGES, open_warehouse


@dataclass(frozen=True)
class StageRun:
    """The most recent run of one stage for one source."""

    stage: str
    source: str
    run_id: str
    status: str
    rows_in: int | None
    rows_out: int | None
    rows_quarantined: int | None
    started_at: dt.datetime
    ended_at: dt.datetime | None
    message: str | None


def last_runs(settings: Settings) -> list[StageRun]:
    """The latest run of every stage and source, in pipeline order."""
    with open_warehouse(settings) as warehouse:
        rows = warehouse.fetch_all(
            "SELECT stage, source, run_id, status, rows_in, rows_out, rows_quarantined, started_at, ended_at, message "
            "FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY stage, source ORDER BY started_at DESC) AS recency "
            "FROM meta.pipeline_run) AS ranked WHERE recency = 1"
        )
    runs = [StageRun(*row) for row in rows]
    return sorted(runs, key=lambda run: (STAGES.index(run.stage) if run.stage in STAGES else len(STAGES), run.source))


SEGMENT_COLUMNS = (
    "lifecycle", "risk_grade", "contribution_tier", "needs_tier", "customer_size", "relationship_model",
    "industry_section",
)  # fmt: skip
"""The ``mart.customer_360`` columns the summary counts, lifecycle first."""


def segment_counts(settings: Settings) -> dict[str, dict[str, int]]:
    """Customers in ``mart.customer_360`` per segment of each summarized dimension, largest first."""
    counts: dict[str, dict[str, int]] = {}
    with open_warehouse(settings) as warehouse:
        for column in SEGMENT_COLUMNS:
            rows = warehouse.fetch_all(
                f"SELECT {column}, COUNT(*) FROM mart.customer_360 GROUP BY {column} ORDER BY 2 DESC, 1"
            )
            counts[column] = {segment: int(customers) for segment, customers in rows}
    return counts
