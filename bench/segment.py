"""Benchmark the segment stage: N golden customers with their facts, on DuckDB and Postgres.

The customers and facts are synthetic and built inside DuckDB (then copied to Postgres),
with every dimension exercised: enterprises of every size line, sole proprietors and
individuals, active and closed facilities (some in USD), deposit and loan accounts, twelve
months of revenue and three of repayments per loan account, interactions and ratings.
The segment run itself is timed in a child process, whose peak resident memory is its own.

    .venv/bin/python bench/segment.py --customers 1000000 [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from support import peak_kib, scratch_database

from warehouse import connect

AS_OF = dt.date(2026, 6, 30)
TABLES = (
    "core.customer", "core.customer_xref", "staging.party", "staging.facility", "staging.account",
    "staging.revenue", "staging.repayment", "staging.interaction", "staging.rating",
)  # fmt: skip

_LINEAGE = (
    "'b1' AS batch_id, NULL::VARCHAR AS source_file, NULL::BIGINT AS source_line,"
    " TIMESTAMPTZ '2026-06-30 00:00:00+00' AS extracted_at"
)
_FACTS = f"""
CREATE TABLE ids AS
SELECT i, 'C' || LPAD(CAST(i AS VARCHAR), 9, '0') AS customer_id, 'P' || CAST(i AS VARCHAR) AS party_id,
    CASE WHEN i % 8 = 0 THEN 'person' WHEN i % 25 = 1 THEN 'shop' ELSE 'company' END AS kind
FROM range(:customers) AS t(i);

CREATE TABLE "core.customer" AS
SELECT customer_id, '企业' || CAST(i AS VARCHAR) || '有限公司' AS name,
    CASE WHEN kind = 'company' THEN '91' || LPAD(CAST(i AS VARCHAR), 16, '0') END AS uscc,
    '+8613' || LPAD(CAST(i AS VARCHAR), 9, '0') AS phone, NULL::VARCHAR AS address,
    (['C3911', 'F5123', 'F5211', 'I6510', 'E4710', 'K7010', 'L7211', 'G5430', 'A0111', 'M7320'])[i % 10 + 1]
        AS industry_code,
    1 AS record_count, 'loan_origination' AS source_systems, 'loan_origination' AS survivor_source_system,
    'borrowers' AS survivor_source_entity, party_id AS survivor_source_id,
    TIMESTAMPTZ '2026-06-30 00:00:00+00' AS resolved_at
FROM ids;

CREATE TABLE "core.customer_xref" AS
SELECT 'loan_origination' AS source_system, 'borrowers' AS source_entity, party_id AS source_id, customer_id,
    'single' AS match_rule, NULL::DOUBLE AS match_weight, TIMESTAMPTZ '2026-06-30 00:00:00+00' AS resolved_at
FROM ids;

CREATE TABLE "staging.party" AS
SELECT 'loan_origination' AS source_system, 'borrowers' AS source_entity, party_id AS source_id, {_LINEAGE},
    c.name, c.name AS name_original,
    CASE WHEN kind = 'shop' THEN '92' || LPAD(CAST(i AS VARCHAR), 16, '0') ELSE c.uscc END AS uscc,
    kind <> 'person' AS uscc_valid,
    CASE WHEN kind <> 'company' THEN '1101011990' || LPAD(CAST(i AS VARCHAR), 8, '0') END AS resident_id,
    kind <> 'company' AS resident_id_valid,
    c.phone, c.industry_code,
    CASE WHEN kind = 'company' THEN '有限公司' END AS legal_form,
    CASE WHEN kind = 'company' THEN (i * 37) % 3000 END AS employees,
    CASE WHEN kind = 'company' THEN CAST(((i * 7919) % 1000) * 1000000 AS DECIMAL(18, 2)) END AS annual_revenue,
    CASE WHEN i % 7 = 0 THEN '王芳' END AS relationship_manager
FROM ids JOIN "core.customer" AS c USING (customer_id);

CREATE TABLE "staging.facility" AS
SELECT 'loan_origination' AS source_system, 'facilities' AS source_entity, 'F' || CAST(i AS VARCHAR) AS source_id,
    {_LINEAGE}, party_id,
    (['working_capital_loan', 'project_loan', 'trade_finance', 'syndicated_loan', 'fixed_asset_loan'])[i % 5 + 1]
        AS product,
    CAST((i % 997) * 100000 AS DECIMAL(18, 2)) AS amount, CASE WHEN i % 50 = 0 THEN 'USD' ELSE 'CNY' END AS currency,
    DATE '2024-01-01' AS start_date,
    CASE WHEN i % 10 < 6 THEN DATE '2028-01-01' ELSE DATE '2025-01-01' END AS maturity_date,
    CASE WHEN i % 10 < 6 THEN 'active' ELSE 'closed' END AS status
FROM ids WHERE i % 10 < 7;

CREATE TABLE "staging.account" AS
SELECT 'core_banking' AS source_system, 'accounts' AS source_entity, 'A' || CAST(i AS VARCHAR) || kind AS source_id,
    {_LINEAGE}, 'P' || CAST(i AS VARCHAR) AS party_id, kind AS product,
    CAST((i % 1000) * CASE WHEN i % 8 = 0 THEN 9000 ELSE 1000 END AS DECIMAL(18, 2)) AS balance, 'CNY' AS currency,
    DATE '2023-01-01' AS opened_on, NULL::DATE AS closed_on, 'active' AS status
FROM (
    SELECT i, 'current' AS kind FROM ids WHERE i % 10 < 9
    UNION ALL SELECT i, 'loan' FROM ids WHERE i % 10 < 9 AND i % 2 = 0
) AS held;

CREATE TABLE "staging.revenue" AS
SELECT a.source_system, 'income' AS source_entity, a.source_id || ':' || CAST(m AS VARCHAR) AS source_id, {_LINEAGE},
    a.source_id AS account_id, CAST(DATE '2025-07-01' + INTERVAL (m) MONTH AS DATE) AS period,
    CAST(a.balance * 0.004 AS DECIMAL(18, 2)) AS interest_income, CAST(10 AS DECIMAL(18, 2)) AS fee_income,
    'CNY' AS currency
FROM "staging.account" AS a, range(12) AS months(m)
WHERE a.product = 'loan';

CREATE TABLE "staging.repayment" AS
SELECT a.source_system, 'repayments' AS source_entity, a.source_id || '-' || CAST(m AS VARCHAR) AS source_id,
    {_LINEAGE}, a.source_id AS account_id, CAST(DATE '2026-04-15' + INTERVAL (m) MONTH AS DATE) AS due_date,
    NULL::DATE AS paid_date, CAST(100 AS DECIMAL(18, 2)) AS amount_due, CAST(100 AS DECIMAL(18, 2)) AS amount_paid,
    CAST((hash(a.source_id) + m) % 40 AS BIGINT) AS days_past_due
FROM "staging.account" AS a, range(3) AS months(m)
WHERE a.product = 'loan';

-- Interactions and ratings in the CRM's and the risk team's own systems, as they arrive.
CREATE TABLE "staging.interaction" AS
SELECT 'loan_origination' AS source_system, 'interactions' AS source_entity, 'I' || CAST(i AS VARCHAR) AS source_id,
    {_LINEAGE}, party_id, CAST(DATE '2026-06-30' - INTERVAL (i % 900) DAY AS DATE) AS interaction_date,
    'visit' AS interaction_type
FROM ids WHERE i % 3 = 0;

CREATE TABLE "staging.rating" AS
SELECT 'risk' AS source_system, 'ratings' AS source_entity, 'R' || CAST(i AS VARCHAR) AS source_id, {_LINEAGE},
    c.name AS party_name, c.uscc,
    CASE WHEN i % 12 = 0 THEN NULL
        ELSE (['AAA', 'AA+', 'AA', 'A-', 'BBB+', 'BBB', 'BB', 'B+', 'CCC'])[i % 9 + 1] END AS rating,
    ((i % 100) + 1) / 1000.0 AS probability_of_default,
    CAST(DATE '2026-06-01' - INTERVAL (i % 800) DAY AS DATE) AS rating_date, '否' AS watchlist
FROM ids JOIN "core.customer" AS c USING (customer_id) WHERE i % 4 = 0;
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, action="append", help="golden customers (repeatable)")
    parser.add_argument("--postgres", metavar="URL", help="also run on Postgres: URL of a database to connect through")
    parser.add_argument("--segment-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.segment_only:
        return _segment_only(args.segment_only)
    sizes = args.customers or [100_000, 1_000_000]
    print(f"c360 segment benchmark, {dt.date.today()}, Python {sys.version.split()[0]}, as of {AS_OF}")
    header = ("warehouse", "customers", "fact rows", "segment s", "peak RSS MiB")
    print("{:<10} {:>10} {:>12} {:>12} {:>13}".format(*header))
    for customers in sizes:
        with tempfile.TemporaryDirectory(prefix="c360-bench-") as scratch:
            facts = duckdb.connect()
            for statement in _FACTS.replace(":customers", str(customers)).split(";\n"):
                if statement.strip():
                    facts.execute(statement)
            fact_rows = sum(facts.sql(f'SELECT COUNT(*) FROM "{table}"').fetchall()[0][0] for table in TABLES)
            _measure("duckdb", f"duckdb:///{Path(scratch) / 'warehouse.duckdb'}", facts, customers, fact_rows)
            if args.postgres:
                with scratch_database(args.postgres) as url:
                    _measure("postgres", url, facts, customers, fact_rows)
            facts.close()
    return 0


def _measure(backend: str, url: str, facts: duckdb.DuckDBPyConnection, customers: int, fact_rows: int) -> None:
    _load(url, facts)
    child = subprocess.run(
        [sys.executable, __file__, "--segment-only", url], stdout=subprocess.PIPE, text=True, check=False
    )
    if child.returncode != 0:
        raise SystemExit(f"segment run on {backend} failed with exit code {child.returncode}")
    seconds_text, peak_text = child.stdout.split()[-2:]
    seconds, peak_mib = float(seconds_text), int(peak_text) / 1024
    print(f"{backend:<10} {customers:>10,} {fact_rows:>12,} {seconds:>12.1f} {peak_mib:>13,.0f}", flush=True)


def _load(url: str, facts: duckdb.DuckDBPyConnection) -> None:
    """Copy the synthetic tables into a fresh, migrated warehouse through its bulk path."""
    warehouse = connect(url)
    try:
        for table in TABLES:
            reader = facts.sql(f'SELECT * FROM "{table}"').to_arrow_reader(200_000)
            for batch in reader:
                with warehouse.transaction() as conn:
                    warehouse.bulk_insert(conn, table, pa.Table.from_batches([batch]))
        if url.startswith("postgres"):
            with warehouse.transaction() as conn:
                for table in TABLES:
                    conn.exec_driver_sql(f"ANALYZE {table}")
    finally:
        warehouse.dispose()


def _segment_only(url: str) -> int:
    from c360.segment_rules import load_segment_rules
    from c360.settings import PROJECT_ROOT
    from transforms.segment import segment_customers

    rules = load_segment_rules(PROJECT_ROOT / "config")
    warehouse = connect(url)
    try:
        started = time.perf_counter()
        segment_customers(warehouse, rules, AS_OF)
        print(f"{time.perf_counter() - started:.3f} {peak_kib()}")
    finally:
        warehouse.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
