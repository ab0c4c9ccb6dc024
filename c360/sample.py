"""A small, deterministic sample of two department exports, for the demo and the tests.

Loan origination exports its borrowers as UTF-8 CSV; the CRM exports contacts as GB18030
CSV with Chinese headers, as Chinese back-office tools do. Many companies appear in
both, spelled differently; some CRM contacts are prospects known nowhere else; and a few
rows are bad on purpose, returned as :class:`BadRow`, so the demo shows quarantine at work.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from stdnum.cn import uscc

SAMPLE_AS_OF = dt.date(2026, 6, 30)
"""The business date the sample describes; the demo computes segments as of this day."""
MIN_DEMO_CUSTOMERS = 10

BORROWER_HEADER = [
    "borrower_id",
    "company_name",
    "credit_code",
    "phone",
    "reg_address",
    "industry",
    "loan_status",
    "last_txn_date",
]
CONTACT_HEADER = ["联系人编号", "客户名称", "统一社会信用代码", "手机", "地址", "最近联系日期"]


@dataclass(frozen=True)
class BadRow:
    """A row made bad on purpose, and the check that must catch it."""

    file: str
    kind: str
    source_id: str
    caught_by: str
    """``unparsed`` (the connector) or the name of the expectation that fails."""


@dataclass(frozen=True)
class SampleSilos:
    """The files written and the bad rows they carry."""

    files: dict[str, Path]
    bad_rows: list[BadRow]


_CITIES = ["北京", "上海", "深圳", "杭州", "成都", "武汉", "南京", "西安", "苏州", "天津"]
_CORES = ["华信", "宏达", "中科", "远航", "鼎盛", "恒通", "瑞丰", "金桥", "新能", "海川", "博远", "长风"]
_TRADES = [("科技", "I"), ("机械制造", "C"), ("能源", "D"), ("建设工程", "E"), ("物流", "G"), ("贸易", "F")]
_SUFFIXES = ["有限公司", "股份有限公司"]
_REGION_CODES = ["110105", "310115", "440305", "330106", "510107", "420106", "320102", "610113", "320505", "120101"]


@dataclass(frozen=True)
class SampleCompany:
    number: int
    name: str
    credit_code: str
    phone: str
    address: str
    industry: str


def write_sample_silos(out_dir: Path, customers: int = 60, seed: int = 7) -> SampleSilos:
    """Write the sample exports under ``out_dir``; the same arguments give the same bytes."""
    if customers < MIN_DEMO_CUSTOMERS:
        raise ValueError(f"the sample needs at least {MIN_DEMO_CUSTOMERS} customers to carry its bad rows")
    rng = random.Random(seed)
    companies = [_company(rng, number) for number in range(1, customers + 1)]
    bad_rows: list[BadRow] = []
    borrowers_path = out_dir / "loan_origination" / "borrowers.csv"
    contacts_path = out_dir / "crm" / "contacts.csv"
    borrowers_path.parent.mkdir(parents=True, exist_ok=True)
    contacts_path.parent.mkdir(parents=True, exist_ok=True)
    with borrowers_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(BORROWER_HEADER)
        writer.writerows(_borrower_rows(rng, companies, bad_rows))
    with contacts_path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CONTACT_HEADER)
        writer.writerows(_contact_rows(rng, companies, bad_rows))
    return SampleSilos({"loan_origination": borrowers_path, "crm": contacts_path}, bad_rows)


def valid_credit_code(rng: random.Random) -> str:
    """A unified social credit code with a correct check character."""
    body = "91" + rng.choice(_REGION_CODES) + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _company(rng: random.Random, number: int) -> SampleCompany:
    city = rng.choice(_CITIES)
    trade, section = rng.choice(_TRADES)
    name = f"{city}{rng.choice(_CORES)}{trade}{rng.choice(_SUFFIXES)}"
    return SampleCompany(
        number=number,
        name=name,
        credit_code=valid_credit_code(rng),
        phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
        address=f"{city}市{rng.choice(['朝阳区', '浦东新区', '南山区', '西湖区', '高新区'])}{rng.randrange(1, 999)}号",
        industry=f"{section}{rng.randrange(10, 99)}",
    )


def _days_before(days: int) -> str:
    return (SAMPLE_AS_OF - dt.timedelta(days=days)).isoformat()


def _borrower_rows(rng: random.Random, companies: list[SampleCompany], bad_rows: list[BadRow]) -> list[list[str]]:
    """Seven in ten companies borrow; most loans are active, some closed long ago."""
    rows = []
    for company in companies:
        if company.number % 10 in (0, 3, 7):
            continue
        if company.number % 9 == 0:
            status, last = "closed", _days_before(rng.randrange(400, 900))
        elif company.number % 11 == 0:
            status, last = "closed", _days_before(rng.randrange(30, 200))
        else:
            status, last = "active", _days_before(rng.randrange(1, 60))
        rows.append(
            [
                f"LOS{company.number:06d}",
                company.name,
                company.credit_code,
                company.phone,
                company.address,
                company.industry,
                status,
                last,
            ]
        )
    file = "loan_origination/borrowers.csv"
    rows[1][6] = "pending"
    bad_rows.append(BadRow(file, "unknown_status", rows[1][0], "expect_column_values_to_be_in_set"))
    rows[2][7] = "2025-02-30"
    bad_rows.append(BadRow(file, "impossible_date", rows[2][0], "expect_column_values_to_match_strftime_format"))
    return rows


def _contact_rows(rng: random.Random, companies: list[SampleCompany], bad_rows: list[BadRow]) -> list[list[str]]:
    """Six in ten companies are CRM contacts, spelled the CRM's way; some are prospects only."""
    rows = []
    for company in companies:
        if company.number % 5 in (1, 4):
            continue
        name = company.name.replace("有限公司", "有限责任公司") if rng.random() < 0.3 else company.name
        name = name.replace("(", "（").replace(")", "）") + (" " if rng.random() < 0.2 else "")
        credit_code = company.credit_code if rng.random() < 0.9 else ""
        phone = f"+86 {company.phone[:3]}-{company.phone[3:7]}-{company.phone[7:]}"
        last = dt.date.fromisoformat(_days_before(rng.randrange(1, 500))).strftime("%Y/%m/%d")
        rows.append([f"CRM-{company.number:05d}", name, credit_code, phone, company.address, last])
    file = "crm/contacts.csv"
    rows[3][1] = ""
    bad_rows.append(BadRow(file, "missing_name", rows[3][0], "expect_column_values_to_not_be_null"))
    rows[5] = rows[5][:-1]
    bad_rows.append(BadRow(file, "ragged_row", rows[5][0], "unparsed"))
    rows.append(list(rows[7]))
    bad_rows.append(BadRow(file, "duplicate_key", rows[7][0], "expect_column_values_to_be_unique"))
    return rows
