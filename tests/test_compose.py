"""docker-compose.yml describes the production-like stack correctly.

Docker does not run where the tests run, so the file is checked as data: the services,
their healthchecks and start order, the shared Airflow settings, and the mounts.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from c360.settings import PROJECT_ROOT

AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


SOURCE_SERVICES = ("loan-origination-db", "core-banking-db", "crm-api")
ONE_SHOT_SERVICES = ("airflow-init", "silos-init")


def test_the_stack_has_a_warehouse_the_sources_and_every_airflow_component(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "warehouse",
        "airflow-db",
        *ONE_SHOT_SERVICES,
        *SOURCE_SERVICES,
        *AIRFLOW_SERVICES,
    }
    assert compose["services"]["loan-origination-db"]["image"].startswith("mariadb:")
    assert compose["services"]["core-banking-db"]["image"].startswith("postgres:")
    assert compose["services"]["crm-api"]["entrypoint"][:3] == ["c360", "silos", "serve"]
    silos_init = " ".join(compose["services"]["silos-init"]["command"])
    assert "c360 silos generate" in silos_init and "c360 silos load" in silos_init
    commands = {name: compose["services"][name]["command"] for name in AIRFLOW_SERVICES}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    assert "airflow db migrate" in " ".join(compose["services"]["airflow-init"]["command"])


def test_long_running_services_have_healthchecks(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT_SERVICES:
            continue
        check = service.get("healthcheck")
        assert check and check["test"] and check["interval"] and check["retries"], name


def test_airflow_waits_for_healthy_databases_and_a_migrated_metadata_db(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        depends_on = compose["services"][name]["depends_on"]
        assert depends_on["airflow-db"]["condition"] == "service_healthy", name
        assert depends_on["warehouse"]["condition"] == "service_healthy", name
        assert depends_on["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends_on["silos-init"]["condition"] == "service_completed_successfully", name
        assert depends_on["crm-api"]["condition"] == "service_healthy", name


def test_airflow_services_share_executor_jwt_secret_and_image(compose: dict[str, Any]) -> None:
    airflow = [compose["services"][name] for name in ("airflow-init", *AIRFLOW_SERVICES)]
    environments = [service["environment"] for service in airflow]
    assert {env["AIRFLOW__CORE__EXECUTOR"] for env in environments} == {"LocalExecutor"}
    secrets = {env["AIRFLOW__API_AUTH__JWT_SECRET"] for env in environments}
    assert len(secrets) == 1 and secrets.pop().startswith("${AIRFLOW_JWT_SECRET:?")
    assert {service["image"] for service in airflow} == {"customer360-airflow:latest"}
    assert {service["build"] for service in airflow} == {"."}


def test_no_secret_is_written_in_the_file(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in ("PASSWORD", "SECRET", "TOKEN")) or key.startswith("AIRFLOW_CONN_"):
                assert "${" in str(value), f"{name}.{key} must come from the environment"


def test_dags_config_and_file_drops_are_mounted(compose: dict[str, Any]) -> None:
    for name in ("airflow-init", *AIRFLOW_SERVICES):
        service = compose["services"][name]
        targets = {_mount_target(volume) for volume in service["volumes"]}
        assert {"/opt/airflow/dags", "/opt/c360/config", "/opt/c360/silos"} <= targets, name
        assert service["environment"]["C360_CONFIG_DIR"] == "/opt/c360/config"
        assert service["environment"]["C360_SILOS_DIR"] == "/opt/c360/silos"
        assert service["environment"]["AIRFLOW_CONN_C360_WAREHOUSE"].startswith("postgresql://")
        assert service["environment"]["AIRFLOW_CONN_C360_SOURCE_LOAN_ORIGINATION"].startswith("mysql://")
        assert service["environment"]["AIRFLOW_CONN_C360_SOURCE_CORE_BANKING"].startswith("postgresql://")
        assert service["environment"]["AIRFLOW_CONN_C360_SOURCE_CRM"].endswith("@crm-api:8765")


def _mount_target(volume: str) -> str:
    """The container path of a short-syntax volume (the host part may hold ``${VAR:-default}``)."""
    parts = volume.rsplit(":", 2)
    return parts[1] if parts[-1] in ("ro", "rw") else parts[-1]


def test_the_image_installs_this_project_on_the_pinned_airflow() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM apache/airflow:${AIRFLOW_VERSION}" in dockerfile
    assert 'pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /opt/c360' in dockerfile
    for package in ("c360", "connectors", "transforms", "expectations", "warehouse", "silos", "config"):
        assert f"COPY --chown=airflow:root {package} ./{package}" in dockerfile
