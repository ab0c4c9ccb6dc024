"""Errors raised by the warehouse layer."""

from __future__ import annotations

from c360.errors import C360Error


class WarehouseError(C360Error):
    """The warehouse cannot be reached or refused an operation."""
