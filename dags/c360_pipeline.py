"""
### c360_pipeline

Pulls every configured department system into the warehouse and refreshes the single
customer view, once a day.

For each source in `config/sources.yml`: **extract** lands what is new since the last
run in `raw.*` (changed rows of a database, new files of a file drop), then
**standardize** cleans and validates them (failing rows go to `quarantine.*` with the
expectation that failed). When every source is in, **resolve** scores the new and
changed records against the rest under the matching model in force (training a new
version when the bank has grown or shrunk by a quarter) and rebuilds the golden
customers in `core.customer` and `core.customer_xref`; its log says how many records it
scored and under which model. `C360_RESOLVE_MODE=full` or `retrain` on the workers
scores every record, or retrains first. **segment** computes the
segments under `config/segments.yml` and publishes `mart.customer_360`, the segment
history and migrations, and `mart.segment_strategy`. A rules file that is refused fails
the segment task with the key at fault, after refreshing the mart under the last good
rules.

Each task records its counts in `meta.pipeline_run` (rows in, out, quarantined) and
`c360 status` shows the latest. A failed source fails its own tasks; the others still
land, and resolve waits until all of them succeed.

**Connections:** the warehouse is the Airflow connection `c360_warehouse` (else the
`C360_WAREHOUSE` environment variable); a database source is `c360_source_<name>` (else
`C360_SOURCE_<NAME>_URL`). **Owner:** data platform. **On failure:** look at the task log;
configuration and source errors name the file and key at fault.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import TaskGroup, dag, task

from c360.airflow_tasks import DEFAULT_ARGS, Tag, configured_sources


@dag(
    dag_id="c360_pipeline",
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=[Tag.PIPELINE, Tag.CUSTOMER_360],
    doc_md=__doc__,
)
def c360_pipeline() -> None:
    @task
    def extract(source: str, run_id: str | None = None) -> dict[str, object]:
        from c360.airflow_tasks import run_stage_for_task

        return run_stage_for_task("extract", source, run_id)

    @task
    def standardize(source: str, run_id: str | None = None) -> dict[str, object]:
        from c360.airflow_tasks import run_stage_for_task

        return run_stage_for_task("standardize", source, run_id)

    @task
    def resolve(run_id: str | None = None) -> dict[str, object]:
        from c360.airflow_tasks import run_stage_for_task

        return run_stage_for_task("resolve", None, run_id)

    @task
    def segment(run_id: str | None = None) -> dict[str, object]:
        from c360.airflow_tasks import run_stage_for_task

        return run_stage_for_task("segment", None, run_id)

    resolved = resolve()
    for source in configured_sources():
        with TaskGroup(group_id=source):
            (
                extract.override(task_id="extract")(source)
                >> standardize.override(task_id="standardize")(source)
                >> resolved
            )
    resolved >> segment()


dag = c360_pipeline()

if __name__ == "__main__":
    dag.test()
