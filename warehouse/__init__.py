"""The warehouse behind one small interface: DuckDB embedded, Postgres in production.

Callers open a warehouse with :func:`connect` and use :class:`Warehouse`; they never ask
which backend they have. Dialect glue (bulk load, locking) lives in the backend modules.
"""

from warehouse.base import Warehouse, WarehouseError
from warehouse.connect import connect
from warehouse.identifiers import quote_identifier, table_name

__all__ = ["Warehouse", "WarehouseError", "connect", "quote_identifier", "table_name"]
