"""Connectors pull department systems into ``raw.*``, one batch per transaction.

Every kind (files now; SQL and REST later) lands through :mod:`connectors.landing`, so
lineage columns, the batch ledger and the unparsed-row quarantine behave the same.
"""

from __future__ import annotations

from pathlib import Path

from c360.config import Source
from connectors.landing import ExtractResult
from warehouse import Warehouse

__all__ = ["ExtractResult", "extract_source"]


def extract_source(warehouse: Warehouse, source_name: str, source: Source, silos_dir: Path) -> list[ExtractResult]:
    """Land every entity of one source; returns one result per entity."""
    if source.kind == "files":
        from connectors.files import extract_files

        return [
            extract_files(warehouse, source_name, entity_name, entity, silos_dir)
            for entity_name, entity in source.entities.items()
        ]
    raise NotImplementedError(f"source kind {source.kind!r}")
