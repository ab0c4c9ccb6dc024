"""Fixtures: every warehouse test runs on DuckDB and on a real Postgres database.

Postgres comes from ``C360_TEST_PG_URL`` (default: the local server, user postgres).
Each test gets a database of its own, created and dropped here. With ``CI=true`` an
unreachable Postgres fails the run instead of skipping its tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from c360.sample import SAMPLE_AS_OF, write_sample_silos
from c360.settings import PROJECT_ROOT, Settings

PG_ADMIN_URL = os.environ.get("C360_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("duckdb", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    # Airflow reads its configuration on first import: point it at a throw-away home,
    # never at a real one the environment may name.
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="c360-airflow-")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    for variable in ("C360_WAREHOUSE", "C360_CONFIG_DIR", "C360_SILOS_DIR", "C360_AS_OF"):
        os.environ.pop(variable, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ["AIRFLOW_HOME"], ignore_errors=True)


def _admin_engine() -> sa.Engine:
    url = "postgresql+psycopg2://" + PG_ADMIN_URL.split("://", 1)[1]
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """A connection to the Postgres server used to create and drop test databases."""
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        message = f"Postgres at {PG_ADMIN_URL} is unreachable: {str(exc.orig).strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A fresh, uniquely named Postgres database, dropped after the test."""
    name = f"c360_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty warehouse: a DuckDB file, then a Postgres database."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def silos_dir(tmp_path: Path) -> Path:
    """The sample department exports, freshly written."""
    directory = tmp_path / "silos"
    write_sample_silos(directory)
    return directory


@pytest.fixture
def settings(warehouse_url: str, silos_dir: Path) -> Settings:
    """Settings for a pipeline run over the sample silos on the test warehouse."""
    return Settings(warehouse_url=warehouse_url, silos_dir=silos_dir, as_of=SAMPLE_AS_OF)
