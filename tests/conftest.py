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
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from c360.settings import PROJECT_ROOT, Settings
from connectors.sql import driver_url
from silos.generate import generate_silos
from silos.serve import sample_bank_settings, serving_crm
from warehouse import Warehouse, connect

PG_ADMIN_URL = os.environ.get("C360_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("C360_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/mysql")
BACKENDS = ("duckdb", "postgres")
SAMPLE_CUSTOMERS = 300
SAMPLE_SEED = 7


def pytest_configure(config: pytest.Config) -> None:
    # Airflow reads its configuration on first import: point it at a throw-away home,
    # never at a real one the environment may name.
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="c360-airflow-")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    for variable in ("C360_WAREHOUSE", "C360_CONFIG_DIR", "C360_SILOS_DIR", "C360_AS_OF", "C360_RESOLVE_MODE"):
        os.environ.pop(variable, None)
    # Data Docs of runs started through the CLI or Airflow go to a throw-away folder too.
    os.environ["C360_DATA_DOCS_DIR"] = str(Path(os.environ["AIRFLOW_HOME"]) / "data_docs")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ["AIRFLOW_HOME"], ignore_errors=True)


def _server(url: str, name: str) -> Iterator[sa.Engine]:
    """An admin connection to a database server; unreachable fails in CI and skips elsewhere."""
    engine = sa.create_engine(driver_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        message = f"{name} at {url} is unreachable: {str(exc.orig).strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """The Postgres server that test databases are created on."""
    yield from _server(PG_ADMIN_URL, "Postgres")


@pytest.fixture(scope="session")
def mariadb_admin() -> Iterator[sa.Engine]:
    """The MariaDB server that test databases are created on."""
    yield from _server(MARIADB_ADMIN_URL, "MariaDB")


def _scratch_database(admin: sa.Engine, admin_url: str, create: str, drop: str) -> Iterator[str]:
    name = f"c360_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(create.format(name=name)))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(drop.format(name=name)))


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """A fresh, uniquely named Postgres database, dropped after the test."""
    yield from _scratch_database(
        postgres_admin, PG_ADMIN_URL, 'CREATE DATABASE "{name}"', 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


@pytest.fixture
def mariadb_url(mariadb_admin: sa.Engine) -> Iterator[str]:
    """A fresh, uniquely named MariaDB database, dropped after the test."""
    yield from _scratch_database(
        mariadb_admin,
        MARIADB_ADMIN_URL,
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        "DROP DATABASE IF EXISTS `{name}`",
    )


@pytest.fixture(params=BACKENDS)
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty warehouse: a DuckDB file, then a Postgres database."""
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def warehouse(warehouse_url: str) -> Iterator[Warehouse]:
    """The empty test warehouse, opened and migrated; closed after the test."""
    opened = connect(warehouse_url)
    try:
        yield opened
    finally:
        opened.dispose()


@pytest.fixture(scope="session")
def generated_silos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bank's silos, generated once per test session; tests copy before changing them."""
    directory = tmp_path_factory.mktemp("generated") / "silos"
    generate_silos(directory, SAMPLE_CUSTOMERS, SAMPLE_SEED)
    return directory


@pytest.fixture
def silos_dir(generated_silos: Path, tmp_path: Path) -> Path:
    """A private copy of the sample silos that the test may change."""
    return Path(shutil.copytree(generated_silos, tmp_path / "silos"))


@pytest.fixture
def crm_server(silos_dir: Path) -> Iterator[tuple[str, str]]:
    """The sample bank's CRM API on a loopback port: (base URL, bearer token)."""
    with serving_crm(silos_dir) as served:
        yield served


@pytest.fixture
def settings(warehouse_url: str, silos_dir: Path, crm_server: tuple[str, str]) -> Settings:
    """Settings for a pipeline run over the sample silos (CRM served over HTTP) on the test warehouse."""
    url, token = crm_server
    return sample_bank_settings(warehouse_url, silos_dir, url, token)


@pytest.fixture
def crash_bulk_insert(monkeypatch: pytest.MonkeyPatch) -> Callable[[Warehouse, int, Exception], None]:
    """Make a warehouse's bulk load raise ``error`` on its ``call``-th use, as a dying connection would."""

    def arm(warehouse: Warehouse, call: int, error: Exception) -> None:
        real_bulk_insert = warehouse.bulk_insert
        calls = []

        def bulk_insert(conn, table, data, **options):
            calls.append(table)
            if len(calls) == call:
                raise error
            return real_bulk_insert(conn, table, data, **options)

        monkeypatch.setattr(warehouse, "bulk_insert", bulk_insert)

    return arm
