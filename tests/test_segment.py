"""Segments on hand-made customers, on DuckDB and Postgres: each dimension at its boundaries,
the reasons, the history and migrations across a rules change, and the rules' versions."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from c360.errors import ConfigError
from c360.segment_rules import SegmentRules, load_segment_rules
from c360.settings import PROJECT_ROOT, Settings
from c360.stages import segment
from transforms.segment import SegmentError, segment_customers
from warehouse import Warehouse, connect

AS_OF = dt.date(2026, 6, 30)
SOURCE = "los"
NOW = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
_ids = itertools.count(1)


class Bank:
    """Writes golden customers and their staged facts straight into a warehouse."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        with self.warehouse.transaction() as conn:
            columns = ", ".join(row)
            conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)

    def _lineage(self, entity: str) -> dict[str, Any]:
        return {
            "source_system": SOURCE,
            "source_entity": entity,
            "source_id": f"{entity}-{next(_ids)}",
            "batch_id": "b1",
            "extracted_at": NOW,
        }

    def customer(
        self,
        customer_id: str,
        name: str = "华信科技有限公司",
        *,
        uscc: str | None = None,
        resident_id: str | None = None,
        legal_form: str | None = "有限公司",
        industry_code: str | None = None,
        employees: int | None = None,
        annual_revenue: float | None = None,
        phone: str | None = None,
    ) -> str:
        party = self._lineage("borrowers")
        self._insert(
            "staging.party",
            {
                **party,
                "name": name,
                "name_original": name,
                "uscc": uscc,
                "uscc_valid": uscc is not None,
                "resident_id": resident_id,
                "resident_id_valid": resident_id is not None,
                "legal_form": legal_form,
                "industry_code": industry_code,
                "employees": employees,
                "annual_revenue": annual_revenue,
                "phone": phone,
            },
        )
        self._insert(
            "core.customer_xref",
            {
                "source_system": SOURCE,
                "source_entity": "borrowers",
                "source_id": party["source_id"],
                "customer_id": customer_id,
                "match_rule": "single",
                "resolved_at": NOW,
            },
        )
        self._insert(
            "core.customer",
            {
                "customer_id": customer_id,
                "name": name,
                "uscc": uscc,
                "phone": phone,
                "industry_code": industry_code,
                "record_count": 1,
                "source_systems": SOURCE,
                "survivor_source_system": SOURCE,
                "survivor_source_entity": "borrowers",
                "survivor_source_id": party["source_id"],
                "resolved_at": NOW,
            },
        )
        return party["source_id"]

    def facility(self, party_id: str, amount: float, *, product: str = "working_capital_loan", **fields: Any) -> None:
        row = {"status": "active", "currency": "CNY", "start_date": dt.date(2025, 1, 1), **fields}
        self._insert("staging.facility", {**self._lineage("facilities"), "party_id": party_id, "amount": amount,
                                          "product": product, **row})  # fmt: skip

    def account(self, party_id: str, balance: float, *, product: str = "current", **fields: Any) -> str:
        lineage = self._lineage("accounts")
        row = {"status": "active", "currency": "CNY", "opened_on": dt.date(2024, 1, 1), **fields}
        self._insert(
            "staging.account", {**lineage, "party_id": party_id, "balance": balance, "product": product, **row}
        )
        return lineage["source_id"]

    def revenue(self, account_id: str, income: float, period: dt.date = dt.date(2026, 6, 1)) -> None:
        self._insert("staging.revenue", {**self._lineage("income"), "account_id": account_id, "period": period,
                                         "interest_income": income, "fee_income": 0})  # fmt: skip

    def interaction(self, party_id: str, day: dt.date) -> None:
        self._insert("staging.interaction", {**self._lineage("interactions"), "party_id": party_id,
                                             "interaction_date": day})  # fmt: skip

    def rating(self, name: str, rating: str | None, day: dt.date, *, uscc: str | None = None, pd: float | None = None):
        self._insert("staging.rating", {**self._lineage("ratings"), "party_name": name, "uscc": uscc, "rating": rating,
                                        "probability_of_default": pd, "rating_date": day})  # fmt: skip


@pytest.fixture
def bank(warehouse: Warehouse) -> Bank:
    return Bank(warehouse)


def rules(**changes: Any) -> SegmentRules:
    """The shipped rules with some keys replaced (dotted paths), as a bank would edit them."""
    document = load_segment_rules(PROJECT_ROOT / "config").model_dump()
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = document
        for key in parents:
            target = target[key]
        target[leaf] = value
    return SegmentRules.model_validate(document)


def mart(warehouse: Warehouse, *columns: str) -> dict[str, tuple]:
    rows = warehouse.fetch_all(f"SELECT customer_id, {', '.join(columns)} FROM mart.customer_360")
    return {row[0]: tuple(row[1:]) for row in rows}


def test_risk_grade_folds_modifiers_falls_back_to_the_pd_and_says_why(warehouse: Warehouse, bank: Bank) -> None:
    bank.customer("two", "两评级有限公司", uscc="91110000000000002X")
    bank.rating("两评级有限公司", "BBB+", dt.date(2026, 1, 10), uscc="91110000000000002X")
    bank.rating("两评级有限公司", "AA-", dt.date(2026, 3, 10), uscc="91110000000000002X")
    bank.customer("pd_at_bound", "界限有限公司", uscc="91110000000000003X")
    bank.rating("界限有限公司", None, dt.date(2026, 2, 1), uscc="91110000000000003X", pd=0.0015)
    bank.customer("pd_above", "超出有限公司", uscc="91110000000000004X")
    bank.rating("超出有限公司", None, dt.date(2026, 2, 1), uscc="91110000000000004X", pd=0.00151)
    bank.customer("stale", "过期有限公司", uscc="91110000000000005X")
    bank.rating("过期有限公司", "AAA", dt.date(2024, 6, 29), uscc="91110000000000005X")
    bank.customer("by_name", "无码有限公司")
    bank.rating("无码有限公司", "CCC-", dt.date(2026, 5, 1))
    bank.customer("none", "无评级有限公司")

    segment_customers(warehouse, rules(), AS_OF)
    grades = mart(warehouse, "risk_grade", "risk_grade_reason", "latest_rating")
    assert {customer: row[0] for customer, row in grades.items()} == {
        "two": "BBB", "pd_at_bound": "AA", "pd_above": "A", "stale": "unrated", "by_name": "CCC", "none": "unrated",
    }  # fmt: skip
    assert grades["two"][1].startswith("BBB: internal rating BBB+ of 2026-01-10 (los ratings-")
    assert grades["two"][1].endswith("most_conservative of 2 current rating(s)")
    assert grades["two"][2] == "BBB+"
    assert "PD 0.0015 of 2026-02-01 is within the master scale's AA bound of 0.0015" in grades["pd_at_bound"][1]
    assert grades["stale"][1] == "unrated: no internal rating or PD dated within 730 days up to 2026-06-30"

    segment_customers(warehouse, rules(version="latest-first", risk_grade__policy="latest"), AS_OF)
    assert mart(warehouse, "risk_grade")["two"] == ("AA",)


def test_contribution_tiers_by_share_of_revenue_and_by_quantile(warehouse: Warehouse, bank: Bank) -> None:
    for customer, income in (("fifty", 50), ("thirty", 30), ("twenty", 20)):
        bank.revenue(bank.account(bank.customer(customer), 1000), income)
    old = bank.account(bank.customer("last_year"), 1000)
    bank.revenue(old, 999, period=dt.date(2025, 6, 1))  # the month before the 12-month window
    bank.customer("no_account")

    segment_customers(warehouse, rules(), AS_OF)
    tiers = mart(warehouse, "contribution_tier", "contribution_tier_reason", "revenue_12m")
    # The customer ranked right after exactly half of revenue is no longer in the 50 % tier.
    assert {customer: row[0] for customer, row in tiers.items()} == {
        "fifty": "core", "thirty": "major", "twenty": "standard", "last_year": "none", "no_account": "none",
    }  # fmt: skip
    assert tiers["thirty"][1] == (
        "major: 12-month revenue 30.00 CNY; customers ranked above it earn 50.0% of all revenue, below 80.0%"
    )
    assert tiers["last_year"][1] == "none: no interest or fee income in the 12 months to 2026-06-30"

    quantiles = rules(
        version="quantile",
        contribution_tier__method="quantile",
        contribution_tier__tiers=[{"name": "top", "up_to": 0.5}, {"name": "rest", "up_to": 1}],
        relationship_model__strategic_when=[{"contribution_tier": ["top"]}],
    )
    segment_customers(warehouse, quantiles, AS_OF)
    assert {customer: row[0] for customer, row in mart(warehouse, "contribution_tier").items()} == {
        "fifty": "top", "thirty": "top", "twenty": "rest", "last_year": "none", "no_account": "none",
    }  # fmt: skip


def test_needs_tier_and_customer_size_at_their_thresholds(warehouse: Warehouse, bank: Bank) -> None:
    bank.facility(bank.customer("at_exposure"), 50_000_000)
    bank.facility(bank.customer("below_exposure"), 49_999_999)
    bank.facility(bank.customer("bespoke"), 1_000_000, product="project_loan")
    many = bank.customer("three_products")
    bank.facility(many, 1_000_000)
    bank.account(many, 10, product="time_deposit")
    bank.account(many, 10, product="current")
    bank.customer("medium", uscc="91110000000000010X", industry_code="C3911", employees=300, annual_revenue=20_000_000)
    bank.customer("small", uscc="91110000000000011X", industry_code="C3911", employees=299, annual_revenue=20_000_000)
    bank.customer("large_by_revenue", uscc="91110000000000012X", industry_code="C3911", annual_revenue=400_000_000)
    bank.customer(
        "software", uscc="91110000000000013X", industry_code="I6510", employees=100, annual_revenue=10_000_000
    )
    bank.customer("unmeasured", uscc="91110000000000014X", industry_code="C3911")
    bank.customer("no_industry", uscc="91110000000000015X", employees=10)
    bank.facility(bank.customer("dollars", uscc="91110000000000016X"), 1_000, currency="USD")
    bank.customer("shop", "张记小吃店", uscc="92110000000000017X", legal_form=None)
    bank.account(bank.customer("wealthy", "王小明", resident_id="110101199003074477", legal_form=None), 6_000_000)
    bank.account(bank.customer("saver", "李小红", resident_id="110101199003075477", legal_form=None), 5_999_999.99)
    bank.customer("nameless", "某某", legal_form=None)

    segment_customers(warehouse, rules(), AS_OF)
    got = mart(warehouse, "needs_tier", "needs_tier_reason", "customer_type", "customer_size", "customer_size_reason")
    needs = {
        customer: row[0] for customer, row in got.items() if customer.endswith(("exposure", "bespoke", "products"))
    }
    assert needs == {
        "at_exposure": "premium",
        "below_exposure": "basic",
        "bespoke": "premium",
        "three_products": "premium",
    }
    assert got["at_exposure"][1] == "premium: exposure 50000000.00 CNY reaches 50000000"
    assert got["bespoke"][1] == "premium: holds a bespoke product (project_loan)"
    assert got["three_products"][1] == "premium: 3 products in force (current,time_deposit,working_capital_loan)"
    assert got["below_exposure"][1] == "basic: exposure 49999999.00 CNY, 1 product(s) in force, no bespoke product"
    assert {customer: row[2:4] for customer, row in got.items() if not customer.endswith(("exposure", "products"))} == {
        "bespoke": ("enterprise", "unknown"),
        "medium": ("enterprise", "medium"),
        "small": ("enterprise", "small"),
        "large_by_revenue": ("enterprise", "large"),
        "software": ("enterprise", "medium"),
        "unmeasured": ("enterprise", "unknown"),
        "no_industry": ("enterprise", "small"),
        "dollars": ("enterprise", "multinational"),
        "shop": ("individual", "sole_proprietor"),
        "wealthy": ("individual", "high_net_worth"),
        "saver": ("individual", "individual_other"),
        "nameless": ("unknown", "unknown"),
    }
    assert got["medium"][4].startswith("medium: 中小企业划型标准规定")
    assert got["medium"][4].endswith("line industry; employees 300, annual revenue 20000000.00, total assets unknown")
    assert got["wealthy"][:2] == ("premium", "premium: high-net-worth individual")
    # An individual's name is masked in the mart; a sole proprietor's shop name is not.
    names = {customer: row[0] for customer, row in mart(warehouse, "customer_name").items()}
    assert (names["wealthy"], names["saver"], names["shop"]) == ("王**", "李**", "张记小吃店")


def test_lifecycle_industry_and_relationship_model_with_reasons(warehouse: Warehouse, bank: Bank) -> None:
    bank.customer("prospect", industry_code="I6513")
    churned = bank.customer("churned")
    bank.facility(churned, 1_000_000, status="closed", maturity_date=dt.date(2025, 6, 29))
    lapsed = bank.customer("recent_contact")
    bank.facility(lapsed, 1_000_000, status="closed", maturity_date=dt.date(2024, 1, 1))
    bank.interaction(lapsed, dt.date(2025, 6, 30))
    earner = bank.customer("strategic", industry_code="C3911")
    bank.revenue(bank.account(earner, 100), 1_000)

    segment_customers(warehouse, rules(), AS_OF)
    got = mart(warehouse, "lifecycle", "lifecycle_reason", "relationship_model", "relationship_model_reason")
    assert {customer: row[0] for customer, row in got.items()} == {
        "prospect": "prospect", "churned": "churned", "recent_contact": "existing", "strategic": "existing",
    }  # fmt: skip
    assert got["prospect"][1] == "prospect: no facility or account in any system; known from los"
    assert got["churned"][1] == (
        "churned: all 1 facility(ies) and account(s) closed;"
        " last activity 2025-06-29 is more than 365 days before 2026-06-30"
    )
    assert got["recent_contact"][1] == (
        "existing: nothing active, but last activity 2025-06-30 is within 365 days of 2026-06-30"
    )
    assert got["strategic"][2:] == (
        "strategic",
        "strategic: meets rule 1 (lifecycle existing; contribution_tier core or major)",
    )
    assert got["prospect"][2:] == ("transactional", "transactional: meets none of the 3 strategic rule(s)")

    industry = mart(warehouse, "industry_section", "industry_name_zh", "industry_name_en", "industry_note")
    assert industry["prospect"][:3] == (
        "I",
        "信息传输、软件和信息技术服务业",
        "Information transmission, software and IT services",
    )
    assert "innovative products" in industry["prospect"][3]
    assert industry["churned"] == ("unknown", None, None, None)


def _history(warehouse: Warehouse, dimension: str) -> list[tuple]:
    return [
        tuple(row)
        for row in warehouse.fetch_all(
            "SELECT customer_id, segment, rules_version, valid_from, valid_to FROM mart.customer_segment_history"
            " WHERE dimension = :dimension ORDER BY customer_id, valid_from, valid_to",
            {"dimension": dimension},
        )
    ]


def _migration(warehouse: Warehouse, dimension: str) -> set[tuple]:
    return {
        tuple(row)
        for row in warehouse.fetch_all(
            "SELECT from_as_of, to_as_of, from_rules_version, to_rules_version, from_segment, to_segment, customers"
            " FROM mart.segment_migration WHERE dimension = :dimension",
            {"dimension": dimension},
        )
    }


def test_a_rules_change_shows_as_history_and_migrations_not_rewrites(warehouse: Warehouse, bank: Bank) -> None:
    for customer, income in (("big", 60), ("second", 40)):
        bank.revenue(bank.account(bank.customer(customer), 100), income)
    first, later, latest = AS_OF, dt.date(2026, 7, 31), dt.date(2026, 8, 31)

    segment_customers(warehouse, rules(version="v1"), first)
    segment_customers(warehouse, rules(version="v1"), first)  # a re-run changes nothing
    assert _history(warehouse, "contribution_tier") == [
        ("big", "core", "v1", first, None),
        ("second", "major", "v1", first, None),
    ]
    assert warehouse.fetch_all("SELECT COUNT(*) FROM mart.segment_migration")[0][0] == 0
    assert warehouse.fetch_all("SELECT COUNT(*) FROM mart.customer_segment_history")[0][0] == 2 * 8

    wider_core = [{"name": "core", "up_to": 0.7}, {"name": "major", "up_to": 0.9}, {"name": "minor", "up_to": 1}]
    result = segment_customers(warehouse, rules(version="v2", contribution_tier__tiers=wider_core), later)
    assert result.moved == 1
    assert _history(warehouse, "contribution_tier") == [
        ("big", "core", "v1", first, None),
        ("second", "major", "v1", first, later),
        ("second", "core", "v2", later, None),
    ]
    assert _migration(warehouse, "contribution_tier") == {
        (first, later, "v1", "v2", "core", "core", 1),
        (first, later, "v1", "v2", "major", "core", 1),
    }
    assert mart(warehouse, "segment_rules_version", "as_of_date")["second"] == ("v2", later)

    with pytest.raises(
        SegmentError, match="last computed as of 2026-07-31; a run as of 2026-07-01 would rewrite history"
    ):
        segment_customers(warehouse, rules(version="v2", contribution_tier__tiers=wider_core), dt.date(2026, 7, 1))

    with warehouse.transaction() as conn:  # "second" merged away
        conn.execute(sa.text("DELETE FROM core.customer WHERE customer_id = 'second'"))
    segment_customers(warehouse, rules(version="v2", contribution_tier__tiers=wider_core), latest)
    assert (later, latest, "v2", "v2", "core", "(gone)", 1) in _migration(warehouse, "contribution_tier")
    assert all(row[4] is not None for row in _history(warehouse, "lifecycle") if row[0] == "second")


def _config_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(PROJECT_ROOT / "config", tmp_path / "config"))


def _edit_rules(config_dir: Path, edit: Any) -> None:
    path = config_dir / "segments.yml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def test_a_broken_rules_file_is_refused_and_the_last_good_rules_stay_in_force(
    warehouse_url: str, bank: Bank, tmp_path: Path
) -> None:
    bank.revenue(bank.account(bank.customer("only"), 100), 10)
    config_dir = _config_copy(tmp_path)
    settings = Settings(warehouse_url=warehouse_url, config_dir=config_dir, as_of=AS_OF)
    good_version = load_segment_rules(config_dir).version
    segment(settings)

    def typo(document: dict) -> None:
        document["version"] = "next"
        document["relationship_model"]["strategic_when"][0]["lifecycle"] = ["existng"]

    _edit_rules(config_dir, typo)
    with pytest.raises(ConfigError) as refused:
        segment(settings)
    message = str(refused.value)
    assert "relationship_model.strategic_when[1].lifecycle: unknown segment(s) ['existng']" in message
    assert message.endswith(f"segments were refreshed under the last good rules, version {good_version}")
    assert mart(bank.warehouse, "segment_rules_version")["only"] == (good_version,)

    def same_version_other_rules(document: dict) -> None:
        document["version"] = good_version
        document["relationship_model"]["strategic_when"][0]["lifecycle"] = ["existing", "prospect"]

    _edit_rules(config_dir, same_version_other_rules)
    with pytest.raises(ConfigError, match=f"version: '{good_version}' was already used with different rules"):
        segment(settings)


def test_a_broken_rules_file_with_no_good_rules_kept_stops_the_run(warehouse_url: str, tmp_path: Path) -> None:
    config_dir = _config_copy(tmp_path)
    _edit_rules(config_dir, lambda document: document["risk_grade"]["master_scale"].update(A=0.0001))
    with pytest.raises(ConfigError, match=r"risk_grade: Value error, master_scale PD bounds must rise"):
        segment(Settings(warehouse_url=warehouse_url, config_dir=config_dir, as_of=AS_OF))


def test_the_bi_role_reads_mart_and_nothing_else(postgres_url: str) -> None:
    unique = uuid.uuid4().hex[:10]
    bi_role, analyst = f"c360_bi_test_{unique}", f"c360_analyst_test_{unique}"
    warehouse = connect(postgres_url)
    try:
        Bank(warehouse).customer("only")
        segment(Settings(warehouse_url=postgres_url, as_of=AS_OF, bi_role=bi_role))
        with warehouse.transaction() as conn:
            conn.exec_driver_sql(f'CREATE ROLE "{analyst}" LOGIN IN ROLE "{bi_role}"')
        analyst_url = sa.make_url(postgres_url).set(username=analyst).render_as_string(hide_password=False)
        as_analyst = connect(analyst_url, migrate=False).engine
        try:
            with as_analyst.connect() as conn:
                for table in ("customer_360", "customer_segment_history", "segment_migration", "segment_strategy"):
                    conn.execute(sa.text(f"SELECT COUNT(*) FROM mart.{table}")).scalar_one()
                assert conn.execute(sa.text("SELECT customer_id FROM mart.customer_360")).scalars().all() == ["only"]
            for table in (
                "core.customer",
                "staging.party",
                "meta.pipeline_run",
                "meta.segment_rules",
                "quarantine.party",
            ):
                with as_analyst.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                    conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}"))
        finally:
            as_analyst.dispose()
    finally:
        with warehouse.transaction() as conn:
            for role in (analyst, bi_role):
                if _role_exists(conn, role):
                    conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    conn.exec_driver_sql(f'DROP ROLE "{role}"')
        warehouse.dispose()


def _role_exists(conn: sa.Connection, role: str) -> bool:
    return conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is not None


def test_the_data_dictionary_describes_every_mart_column(tmp_path: Path) -> None:
    warehouse = connect(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    try:
        columns = warehouse.fetch_all(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'mart'"
        )
    finally:
        warehouse.dispose()
    dictionary = (PROJECT_ROOT / "docs" / "marts.md").read_text(encoding="utf-8")
    sections = {section.split("`", 2)[1].removeprefix("mart."): section for section in dictionary.split("\n## ")[1:]}
    assert set(sections) == {table for table, _ in columns}
    undocumented = [f"{table}.{column}" for table, column in columns if f"| `{column}` |" not in sections[table]]
    assert undocumented == []
