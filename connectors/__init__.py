"""Connectors pull department systems into ``raw.*``, one batch per transaction.

Every kind (files and SQL databases; REST later) lands through :mod:`connectors.landing`, so
lineage columns, the batch ledger and the unparsed-row quarantine behave the same.
"""

from __future__ import annotations

from pathlib import Path

from c360.config import Source
from connectors.landing import ExtractResult
from warehouse import Warehouse

__all__ = ["ExtractResult", "extract_source"]


def extract_source(
    warehouse: Warehouse, source_name: str, source: Source, silos_dir: Path, url: str | None = None
) -> list[ExtractResult]:
    """Land every entity of one source; returns one result per entity.

    ``url`` is a SQL source's database URL when the environment or Airflow gives one.
    """
    if source.kind == "files":
        from connectors.files import extract_files

        return [
            extract_files(warehouse, source_name, entity_name, entity, silos_dir)
            for entity_name, entity in source.entities.items()
        ]
    from connectors.sql import extract_table, source_url

    resolved = source_url(source_name, source, url, silos_dir)
    return [
        extract_table(warehouse, source_name, entity_name, entity, resolved)
        for entity_name, entity in source.entities.items()
    ]
