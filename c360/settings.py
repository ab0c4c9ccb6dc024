"""Run-time settings, read from the environment and overridden by the command line.

The same settings object drives the command line and the Airflow tasks, so a stage
behaves the same wherever it runs. Nothing here holds a secret: a warehouse URL with a
password comes from the environment or an Airflow connection at run time.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = "duckdb:///demo/warehouse.duckdb"
DEFAULT_SILOS_DIR = Path("demo/silos")
DEFAULT_DATA_DOCS_DIR = Path("demo/data_docs")
ResolveMode = Literal["incremental", "full", "retrain"]
"""incremental: score only new and changed records; full: score every record under the model in
force; retrain: train a new model version, then score every record."""


class Settings(BaseModel):
    """Where the warehouse, the configuration and the source files are."""

    model_config = ConfigDict(frozen=True)

    warehouse_url: str = DEFAULT_WAREHOUSE
    config_dir: Path = PROJECT_ROOT / "config"
    silos_dir: Path = DEFAULT_SILOS_DIR
    data_docs_dir: Path = DEFAULT_DATA_DOCS_DIR
    """Where validation results are rendered as Data Docs, one folder per run."""
    bi_role: str = Field("c360_bi", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    """Postgres role that may read ``mart`` and nothing else; BI users are granted it."""
    as_of: dt.date | None = None
    """The business date segments are computed for; today (UTC) when unset."""
    source_urls: dict[str, str] = {}
    """URLs of database and API sources by source name, e.g. from Airflow connections."""
    source_tokens: dict[str, str] = Field(default_factory=dict, repr=False)
    """Bearer tokens of API sources by source name; never printed."""
    resolve_mode: ResolveMode = "incremental"
    """How resolve scores pairs: only new and changed records, every record, or every record
    under a newly trained model (``transforms/resolve/README.md``)."""

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Settings from ``C360_*`` environment variables, then explicit overrides."""
        values: dict[str, object] = {}
        env = {
            "warehouse_url": "C360_WAREHOUSE",
            "config_dir": "C360_CONFIG_DIR",
            "silos_dir": "C360_SILOS_DIR",
            "data_docs_dir": "C360_DATA_DOCS_DIR",
            "as_of": "C360_AS_OF",
            "bi_role": "C360_BI_ROLE",
            "resolve_mode": "C360_RESOLVE_MODE",
        }
        for field, variable in env.items():
            if os.environ.get(variable):
                values[field] = os.environ[variable]
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls.model_validate(values)

    def source_url(self, source: str) -> str | None:
        """A source's URL: given explicitly, else from ``C360_SOURCE_<NAME>_URL``."""
        return self.source_urls.get(source) or os.environ.get(f"C360_SOURCE_{source.upper()}_URL")

    def source_token(self, source: str) -> str | None:
        """An API source's bearer token: given explicitly, else from ``C360_SOURCE_<NAME>_TOKEN``."""
        return self.source_tokens.get(source) or os.environ.get(f"C360_SOURCE_{source.upper()}_TOKEN")

    @property
    def business_date(self) -> dt.date:
        """The as-of date, defaulting to today in UTC."""
        return self.as_of or dt.datetime.now(dt.UTC).date()
