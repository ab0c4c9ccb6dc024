"""A query's rows as Arrow batches of a fixed size.

Postgres and MariaDB/MySQL are read with connectorx, which streams the result straight
into Arrow (Postgres through binary COPY) without a Python object per value; any other
database SQLAlchemy reaches (SQLite in the demo) through a server-side cursor. Either
way the caller gets typed Arrow batches of exactly ``batch_rows`` rows, the last shorter.
The next batch is read while the caller lands the last one.

connectorx does not know every type (Postgres ``interval`` and ``money``, MariaDB
``geometry``) nor every value (a numeric NaN, a decimal of more than 28 digits): it then
raises ``ConnectorxCannotRead`` and the caller reads on through SQLAlchemy.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import sqlalchemy as sa

from c360.errors import SourceError

_SESSION_IN_UTC = {
    "postgresql": ({"options": "-c timezone=UTC"}, "SET TIME ZONE 'UTC'"),
    "mysql": ({"init_command": "SET time_zone = '+00:00'"}, "SET time_zone = '+00:00'"),
}
"""Per dialect: driver options and the statement that pin the source session to UTC."""


_MICROSECOND_TIMES = frozenset({"postgresql", "mysql"})
"""Dialects whose times are at most as fine as a microsecond."""


def exact_watermark(url: str) -> bool:
    """Whether a watermark spelled from this database's values selects exactly what lies past it.

    Postgres and MariaDB/MySQL keep times to the microsecond, as Python and the watermark do.
    Others may keep finer ones (SQL Server's 100 ns, Oracle's nanoseconds), which a watermark
    in microseconds rounds down, so the row at the boundary is read again.
    """
    return sa.engine.make_url(url).get_dialect().name in _MICROSECOND_TIMES


class ConnectorxCannotRead(SourceError):
    """connectorx cannot convert a type or a value of the result; SQLAlchemy's reader can."""


def read_batches(
    url: str,
    query: sa.Select,
    batch_rows: int,
    *,
    where: str,
    check: Callable[[list[str]], None],
    with_connectorx: bool = True,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``query`` at ``url``, ``batch_rows`` at a time, one batch read ahead.

    ``check`` sees the result's column names before any row is read. A source that cannot
    be reached or read raises SourceError starting with ``where``; a result connectorx cannot
    convert raises ConnectorxCannotRead, after the batches before the one it failed on.
    """
    return _read_ahead(_read(url, query, batch_rows, where=where, check=check, with_connectorx=with_connectorx))


def _read_ahead(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``batches``, each read in a worker thread while the caller works on the one before.

    Reading (connectorx decoding the source's rows) and landing (DuckDB spelling and
    hashing, the warehouse's COPY) then use both cores instead of taking turns; at most one
    batch more is held. The source is read, and closed, in that one thread only.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="c360-read") as reader:
        try:
            pending = reader.submit(next, batches, None)
            while (batch := pending.result()) is not None:
                pending = reader.submit(next, batches, None)
                yield batch
        finally:
            reader.submit(batches.close).result()


def _read(
    url: str,
    query: sa.Select,
    batch_rows: int,
    *,
    where: str,
    check: Callable[[list[str]], None],
    with_connectorx: bool,
) -> Iterator[pa.RecordBatch]:
    dialect = sa.engine.make_url(url).get_dialect().name
    driver_options, session_statement = _SESSION_IN_UTC.get(dialect, ({}, None))
    engine = sa.create_engine(url, connect_args=driver_options)
    if dialect == "postgresql":
        sa.event.listen(engine, "connect", _intervals_as_text)
    try:
        if session_statement is None or not with_connectorx:
            batches = _with_sqlalchemy(engine, query, batch_rows, where, check)
        else:
            batches = _with_connectorx(engine, query, batch_rows, session_statement, where, check)
        yield from _exactly(batches, batch_rows)
    finally:
        engine.dispose()


def _with_connectorx(
    engine: sa.Engine,
    query: sa.Select,
    batch_rows: int,
    session_statement: str,
    where: str,
    check: Callable[[list[str]], None],
) -> Iterator[pa.RecordBatch]:
    import connectorx

    # connectorx takes plain SQL; "named" keeps literal percent signs single.
    dialect = type(engine.dialect)(paramstyle="named")
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    url = engine.url.set(drivername=engine.dialect.name).render_as_string(hide_password=False)
    try:
        reader = connectorx.read_sql(
            url, sql, return_type="arrow_stream", batch_size=batch_rows, pre_execution_query=session_statement
        )
    except BaseException as exc:
        raise _connectorx_error(exc, where) from None
    with reader:
        check(reader.schema.names)
        try:
            yield from reader
        except BaseException as exc:
            raise _connectorx_error(exc, where) from None


def _connectorx_error(exc: BaseException, where: str) -> BaseException:
    """What a connectorx failure means: a type or value it cannot convert (it panics on
    values, and reports types as not implemented), a source that cannot be read, or neither."""
    if type(exc).__name__ == "PanicException" or "not implemented" in str(exc):
        return ConnectorxCannotRead(f"{where}: connectorx cannot convert the result: {_reason(exc)}")
    if isinstance(exc, RuntimeError):
        return SourceError(f"{where}: {_reason(exc)}")
    return exc


def _with_sqlalchemy(
    engine: sa.Engine, query: sa.Select, batch_rows: int, where: str, check: Callable[[list[str]], None]
) -> Iterator[pa.RecordBatch]:
    try:
        with engine.connect() as source:
            rows = source.execution_options(stream_results=True, yield_per=batch_rows).execute(query)
            columns = list(rows.keys())
            check(columns)
            for partition in rows.partitions(batch_rows):
                yield pa.RecordBatch.from_arrays(
                    [_column(values) for values in zip(*partition, strict=True)], names=columns
                )
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{where}: {_reason(exc)}") from None


_INTERVAL_OID = 1186


def _intervals_as_text(dbapi_connection: object, _record: object) -> None:
    """Postgres intervals as Postgres spells them ("1 mon 2 days"): psycopg2's timedelta would
    count a month as 30 days."""
    import psycopg2.extensions

    as_text = psycopg2.extensions.new_type((_INTERVAL_OID,), "C360_INTERVAL_TEXT", lambda value, _cursor: value)
    psycopg2.extensions.register_type(as_text, dbapi_connection)


def _column(values: tuple[object, ...]) -> pa.Array:
    """One column as an Arrow array of its own type; as text where a loosely typed source
    mixes types, or a numeric column holds NaN or more digits than DuckDB's 38."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    if array is None or pa.types.is_decimal256(array.type):
        return pa.array([_spelled(value) for value in values], pa.string())
    return array


def _spelled(value: object) -> str | None:
    """A value as text; a decimal as landing spells one (plain notation, no trailing zeros)."""
    if value is None:
        return None
    if isinstance(value, decimal.Decimal) and value.is_finite():
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _exactly(batches: Iterable[pa.RecordBatch], size: int) -> Iterator[pa.RecordBatch]:
    """Re-cut a stream of batches into batches of ``size`` rows (the last may be shorter)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= size:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, size).combine_chunks().to_batches()[0]
            rest = table.slice(size)
            pending, held = rest.combine_chunks().to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks().to_batches()[0]


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
