"""Writing the sample bank's department systems to a folder, streaming, deterministically.

Layout of the folder (see docs/silos.md for every column):

    loan_origination.sqlite      borrower, credit_application, facility
    core_banking.sqlite          customer, account, monthly_income, repayment
    crm/contacts.jsonl           served by `c360 silos serve` as a paginated JSON API
    crm/interactions.jsonl
    risk/ratings_YYYYMMDD.csv    GB18030, Chinese headers
    risk/watchlist_YYYYMMDD.xlsx
    truth/records.csv            every source record and the customer it belongs to
    truth/customers.csv          every true customer
    truth/groups.csv             corporate groups: parent, branches, subsidiaries
    manifest/bad_rows.csv        every bad row injected on purpose, by kind
    silos.json                   parameters and row counts
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.schema import CreateTable

from silos import schema
from silos.badrows import BAD_ROW_EVERY, KINDS, BadRow
from silos.systems import Records, Systems
from silos.world import AS_OF, TrueCustomer, true_customer

FLUSH_ROWS = 20_000
"""Rows buffered per table before they are written; memory stays flat whatever the size."""

RATING_HEADER = ["评级编号", "客户名称", "统一社会信用代码", "内部评级", "违约概率", "评级日期", "观察名单", "评级部门"]
WATCHLIST_HEADER = ["客户名称", "统一社会信用代码", "列入日期", "原因"]
CUSTOMER_FIELDS = (
    "customer_key",
    "kind",
    "segment",
    "lifecycle",
    "name",
    "person",
    "english_name",
    "uscc",
    "resident_id",
    "city",
    "industry_code",
    "group_key",
    "group_relation",
)


@dataclass(frozen=True)
class GenerationSummary:
    """What was written: row counts per table or file, and the bad rows by kind."""

    customers: int
    seed: int
    counts: dict[str, int]
    bad_rows: dict[str, int]


def generate_silos(out_dir: Path, customers: int, seed: int) -> GenerationSummary:
    """Write every silo for ``customers`` true customers; the same seed gives the same bytes."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    out_dir.mkdir(parents=True, exist_ok=True)
    systems = Systems(seed)
    stamp = f"{AS_OF:%Y%m%d}"
    ratings_name = f"risk/ratings_{stamp}.csv"
    counts: dict[str, int] = {}
    bad_counts: dict[str, int] = dict.fromkeys(KINDS, 0)
    with ExitStack() as stack:
        los = stack.enter_context(_SqliteSilo(out_dir, "loan_origination", schema.LOAN_ORIGINATION))
        core = stack.enter_context(_SqliteSilo(out_dir, "core_banking", schema.CORE_BANKING))
        contacts = stack.enter_context(_text_file(out_dir / "crm" / "contacts.jsonl", "utf-8"))
        interactions = stack.enter_context(_text_file(out_dir / "crm" / "interactions.jsonl", "utf-8"))
        ratings = _RatingsFile(stack.enter_context(_text_file(out_dir / ratings_name, "gb18030")), ratings_name)
        truth = csv.writer(stack.enter_context(_text_file(out_dir / "truth" / "records.csv", "utf-8")))
        truth.writerow(["source_system", "entity", "source_id", "customer_key"])
        customer_file = csv.writer(stack.enter_context(_text_file(out_dir / "truth" / "customers.csv", "utf-8")))
        customer_file.writerow(CUSTOMER_FIELDS)
        groups = csv.writer(stack.enter_context(_text_file(out_dir / "truth" / "groups.csv", "utf-8")))
        groups.writerow(["group_key", "customer_key", "relation"])
        manifest = csv.writer(stack.enter_context(_text_file(out_dir / "manifest" / "bad_rows.csv", "utf-8")))
        manifest.writerow(BadRow.FIELDS)
        watchlist: list[list[str]] = []

        for index in range(customers):
            customer = true_customer(seed, index)
            records = systems.records_for(customer)
            los.add("borrower", records.borrower)
            los.add("credit_application", records.credit_application)
            los.add("facility", records.facility)
            core.add("customer", records.core_customer)
            core.add("account", records.account)
            core.add("monthly_income", records.monthly_income)
            core.add("repayment", records.repayment)
            for contact in records.contacts:
                contacts.write(json.dumps(contact, ensure_ascii=False) + "\n")
            for interaction in records.interactions:
                interactions.write(json.dumps(interaction, ensure_ascii=False) + "\n")
            counts["crm/contacts.jsonl"] = counts.get("crm/contacts.jsonl", 0) + len(records.contacts)
            counts["crm/interactions.jsonl"] = counts.get("crm/interactions.jsonl", 0) + len(records.interactions)
            lines = ratings.write(records)
            watchlist.extend(records.watchlist)
            truth.writerows(records.truth)
            customer_file.writerow(_customer_row(customer))
            if customer.group_key:
                groups.writerow([customer.group_key, customer.key, customer.group_relation])
            for bad in records.bad_rows:
                if bad.system == "risk":
                    bad = replace(bad, file=ratings_name, line=lines[bad.source_id])
                manifest.writerow(bad.as_row())
                bad_counts[bad.kind] += 1
        counts[ratings_name] = ratings.rows
        counts[f"risk/watchlist_{stamp}.xlsx"] = len(watchlist)
    counts.update(los.counts | core.counts)
    _write_watchlist(out_dir / f"risk/watchlist_{stamp}.xlsx", watchlist)
    summary = GenerationSummary(customers, seed, dict(sorted(counts.items())), bad_counts)
    (out_dir / "silos.json").write_text(
        json.dumps(
            {
                "customers": customers,
                "seed": seed,
                "as_of": AS_OF.isoformat(),
                "bad_row_every": BAD_ROW_EVERY,
                "counts": summary.counts,
                "bad_rows": bad_counts,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return summary


def _customer_row(customer: TrueCustomer) -> list[object]:
    return [
        customer.key, customer.kind, customer.segment, customer.lifecycle, customer.name, customer.person,
        customer.english_name or "",
        customer.uscc or "", customer.resident_id or "", customer.city.city, customer.trade.industry_code,
        customer.group_key or "", customer.group_relation or "",
    ]  # fmt: skip


@contextmanager
def _text_file(path: Path, encoding: str) -> Iterator[io.TextIOWrapper]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        yield handle


class _RatingsFile:
    """The risk team's CSV export, with its CSV-level faults and the line of every rating."""

    def __init__(self, handle: io.TextIOWrapper, name: str) -> None:
        self.handle = handle
        self.name = name
        self.writer = csv.writer(handle, lineterminator="\r\n")
        self.writer.writerow(RATING_HEADER)
        self.line = 1
        self.rows = 0

    def write(self, records: Records) -> dict[str, int]:
        """Write the customer's ratings; returns the line of each rating id (of the copy, if repeated)."""
        lines = {}
        for row, fault in zip(records.ratings, records.rating_faults, strict=True):
            self.line += 1
            self.rows += 1
            lines[row[0]] = self.line
            if fault == "broken_quoting":
                quoted_name = f'"{row[1][:2]}"{row[1][2:]}"'
                self.handle.write(",".join([row[0], quoted_name, *row[2:]]) + "\r\n")
                continue
            self.writer.writerow([*row, "备注"] if fault == "ragged_row" else row)
            if fault == "exact_redelivery":
                self.writer.writerow(row)
                self.line += 1
                self.rows += 1
                lines[row[0]] = self.line
        return lines


class _SqliteSilo:
    """A SQLite file with the silo's tables, filled through buffered executemany."""

    def __init__(self, out_dir: Path, name: str, metadata: sa.MetaData) -> None:
        path = out_dir / f"{name}.sqlite"
        path.unlink(missing_ok=True)
        self.name = name
        self.connection = sqlite3.connect(path)
        self.tables = metadata.tables
        dialect = sa.create_engine("sqlite://").dialect
        for table in metadata.sorted_tables:
            self.connection.execute(str(CreateTable(table).compile(dialect=dialect)))
        self.buffers: dict[str, list[tuple]] = {name: [] for name in self.tables}
        self.temporal = {
            name: [
                position
                for position, column in enumerate(table.columns)
                if isinstance(column.type, sa.Date | sa.DateTime)
            ]
            for name, table in self.tables.items()
        }
        self.counts: dict[str, int] = {}

    def __enter__(self) -> _SqliteSilo:
        return self

    def add(self, table: str, rows: list[tuple]) -> None:
        buffer = self.buffers[table]
        buffer.extend(rows)
        if len(buffer) >= FLUSH_ROWS:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self.buffers[table]
        if not rows:
            return
        positions = self.temporal[table]
        placeholders = ", ".join("?" * len(self.tables[table].columns))
        self.connection.executemany(
            f"INSERT INTO {table} VALUES ({placeholders})",
            [_iso_text(row, positions) for row in rows] if positions else rows,
        )
        key = f"{self.name}.{table}"
        self.counts[key] = self.counts.get(key, 0) + len(rows)
        self.buffers[table] = []

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            for table in self.tables:
                self._flush(table)
            self.connection.commit()
        self.connection.close()


def _iso_text(row: tuple, positions: list[int]) -> tuple:
    """Dates and times as ISO text, the way SQLite keeps them."""
    values = list(row)
    for position in positions:
        value = values[position]
        if value is not None:
            values[position] = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    return tuple(values)


def _write_watchlist(path: Path, rows: list[list[str]]) -> None:
    """The watchlist as the risk team's Excel file, with fixed timestamps so bytes repeat."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    fixed = dt.datetime.combine(AS_OF, dt.time(18))
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    sheet = workbook.create_sheet("观察名单")
    sheet.append(WATCHLIST_HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    _write_zip_with_fixed_times(buffer.getvalue(), path)


def _write_zip_with_fixed_times(data: bytes, path: Path) -> None:
    """Re-pack an .xlsx so that neither the zip entries nor the document properties carry today's time."""
    stamp = f"{AS_OF.isoformat()}T18:00:00Z"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(entry.filename, date_time=(AS_OF.year, AS_OF.month, AS_OF.day, 18, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
