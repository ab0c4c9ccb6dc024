"""Connectors pull department systems into ``raw.*``, one batch per transaction.

Every kind (files, SQL databases, JSON APIs) lands through :mod:`connectors.landing`, so
lineage columns, the batch ledger and the unparsed-row quarantine behave the same.
"""

from __future__ import annotations

from pathlib import Path

from c360.config import Source
from c360.errors import SourceError
from connectors.landing import ExtractResult
from warehouse import Warehouse

__all__ = ["ExtractResult", "extract_source"]


def extract_source(
    warehouse: Warehouse,
    source_name: str,
    source: Source,
    silos_dir: Path,
    url: str | None = None,
    token: str | None = None,
) -> list[ExtractResult]:
    """Land every entity of one source; returns one result per entity.

    ``url`` is a database or API source's URL and ``token`` an API's bearer token, when
    the environment or Airflow gives them; otherwise the configuration's default URL.
    """
    if source.kind == "files":
        from connectors.files import extract_files

        return [
            extract_files(warehouse, source_name, entity_name, entity, silos_dir)
            for entity_name, entity in source.entities.items()
        ]
    resolved = url or source.default_url
    if resolved is None:
        raise SourceError(
            f"{source_name}: no URL; set C360_SOURCE_{source_name.upper()}_URL or the Airflow connection "
            f"c360_source_{source_name}"
        )
    if source.kind == "rest":
        from connectors.rest import extract_collection

        return [
            extract_collection(warehouse, source_name, entity_name, source, entity, resolved, token)
            for entity_name, entity in source.entities.items()
        ]
    from connectors.sql import database_url, extract_table

    resolved = database_url(source_name, resolved, silos_dir, from_config=url is None)
    return [
        extract_table(warehouse, source_name, entity_name, entity, resolved, source.timezone)
        for entity_name, entity in source.entities.items()
    ]
