"""What the DAG files share: default arguments, tags, and the bridge to the stages.

Imported at DAG parse time, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import datetime as dt
import enum
import os

DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=5),
    "retry_exponential_backoff": True,
}
WAREHOUSE_CONNECTION_ID = "c360_warehouse"
SOURCE_CONNECTION_PREFIX = "c360_source_"
"""A SQL source's database is the Airflow connection c360_source_<source name>, if set."""


class Tag(enum.StrEnum):
    """Tags shown in the Airflow UI, from one list so they stay consistent."""

    PIPELINE = "c360"
    CUSTOMER_360 = "customer-360"


def configured_sources() -> list[str]:
    """Source names from ``config/sources.yml``, read at parse time to lay out the tasks."""
    from c360.config import SourcesConfig, load_yaml
    from c360.settings import Settings

    settings = Settings.from_env()
    return list(load_yaml(settings.config_dir / "sources.yml", SourcesConfig).sources)


def connection_url(connection_id: str) -> tuple[str, str | None] | None:
    """(URL, token) of an Airflow connection, if there is one; read at run time only, never logged.

    A database connection's URL carries its credentials; an HTTP connection's does not,
    and its password is the API's bearer token.
    """
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        connection = BaseHook.get_connection(connection_id)
    except AirflowNotFoundException:
        return None
    if connection.conn_type in ("http", "https"):
        port = f":{connection.port}" if connection.port else ""
        return f"{connection.conn_type}://{connection.host}{port}", connection.password
    return connection.get_uri(), None


def run_stage_for_task(stage: str, source: str | None, run_id: str | None) -> dict[str, object]:
    """Run one stage inside an Airflow task, recorded under the DAG run's id; counts go to XCom."""
    from c360.pipeline import run_stage
    from c360.settings import Settings

    source_urls, source_tokens = {}, {}
    if source is not None and (found := connection_url(f"{SOURCE_CONNECTION_PREFIX}{source}")):
        source_urls[source] = found[0]
        if found[1]:
            source_tokens[source] = found[1]
    warehouse = connection_url(WAREHOUSE_CONNECTION_ID)
    settings = Settings.from_env(
        warehouse_url=warehouse[0] if warehouse else os.environ.get("C360_WAREHOUSE"),
        source_urls=source_urls or None,
        source_tokens=source_tokens or None,
    )
    result = run_stage(settings, stage, source, run_id)
    return {
        "rows_in": result.rows_in,
        "rows_out": result.rows_out,
        "rows_quarantined": result.rows_quarantined,
        "detail": result.detail,
    }
