"""DAG integrity, a snapshot of the graph, light parsing, and a real dag.test() on Postgres."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from c360.settings import PROJECT_ROOT
from silos.world import AS_OF

DAGS_DIR = PROJECT_ROOT / "dags"
SNAPSHOT = Path(__file__).parent / "snapshots" / "dag_graph.json"
HEAVY_MODULES = ("pandas", "great_expectations", "duckdb", "splink", "pyarrow", "psycopg2", "sqlalchemy")


@pytest.fixture(scope="module")
def airflow_db() -> None:
    """Airflow's metadata database (SQLite in the test's AIRFLOW_HOME), migrated once."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], check=True, capture_output=True, env=os.environ.copy()
    )


@pytest.fixture(scope="module")
def dag_bag(airflow_db: None):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_dags_import_without_errors_and_carry_owner_tags_retries_and_docs(dag_bag) -> None:
    assert dag_bag.import_errors == {}
    assert set(dag_bag.dag_ids) == {"c360_pipeline"}
    for dag in dag_bag.dags.values():
        assert dag.doc_md and dag.doc_md.strip().startswith("###"), dag.dag_id
        assert dag.tags, dag.dag_id
        for task in dag.tasks:
            assert task.owner == "data-platform", task.task_id
            assert task.retries >= 1, task.task_id


def _graph(dag_bag) -> dict[str, dict[str, list[str]]]:
    return {
        dag_id: {task.task_id: sorted(task.downstream_task_ids) for task in sorted(dag.tasks, key=lambda t: t.task_id)}
        for dag_id, dag in sorted(dag_bag.dags.items())
    }


def test_dag_graph_matches_the_reviewed_snapshot(dag_bag) -> None:
    """Regenerate with C360_UPDATE_SNAPSHOTS=1 when the graph changes on purpose."""
    graph = _graph(dag_bag)
    if os.environ.get("C360_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(graph, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    assert graph == json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_parsing_a_dag_file_imports_nothing_heavy() -> None:
    """Beyond what Airflow itself loads, a DAG file pulls in none of the data libraries."""
    probe = (
        "import runpy, sys, airflow.sdk; "
        f"before = {{m for m in {HEAVY_MODULES!r} if m in sys.modules}}; "
        "runpy.run_path(sys.argv[1]); "
        f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules and m not in before))"
    )
    for dag_file in DAGS_DIR.glob("*.py"):
        loaded = (
            subprocess.run(
                [sys.executable, "-c", probe, str(dag_file)],
                check=True,
                capture_output=True,
                text=True,
                env=os.environ.copy(),
            )
            .stdout.strip()
            .splitlines()[-1:]
        )
        assert loaded in ([], [""]), f"{dag_file.name} imports {loaded} at parse time"


def test_pipeline_dag_runs_end_to_end_on_postgres(
    airflow_db: None, postgres_url: str, silos_dir: Path, crm_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_WAREHOUSE", postgres_url)
    monkeypatch.setenv("C360_SOURCE_CRM_URL", crm_server[0])
    monkeypatch.setenv("C360_SOURCE_CRM_TOKEN", crm_server[1])
    monkeypatch.setenv("C360_SILOS_DIR", str(silos_dir))
    monkeypatch.setenv("C360_AS_OF", AS_OF.isoformat())
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS_DIR / "c360_pipeline.py")).get_dag("c360_pipeline")
    dag_run = dag.test()
    assert str(dag_run.state) in ("success", "DagRunState.SUCCESS")

    engine = sa.create_engine("postgresql+psycopg2://" + postgres_url.split("://", 1)[1])
    with engine.connect() as conn:
        customers = conn.execute(sa.text("SELECT COUNT(*) FROM mart.customer_360")).scalar_one()
        runs = conn.execute(sa.text("SELECT stage, source, status, run_id FROM meta.pipeline_run")).all()
    engine.dispose()
    assert customers > 0
    sources = ("loan_origination", "core_banking", "crm", "risk")
    assert {(stage, source) for stage, source, _, _ in runs} == {
        *((stage, source) for stage in ("extract", "standardize") for source in sources),
        ("resolve", ""),
        ("segment", ""),
    }
    assert {status for _, _, status, _ in runs} == {"succeeded"}
    assert {run_id for _, _, _, run_id in runs} == {dag_run.run_id}
