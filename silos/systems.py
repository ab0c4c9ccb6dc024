"""What each department system records about one true customer.

Each method takes a :class:`~silos.world.TrueCustomer` and returns that system's rows,
with the drift real systems show (spelling, formats, stale values, missing fields) and,
through :class:`~silos.badrows.Injector`, the occasional bad row.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from silos import variants
from silos.badrows import BadRow, Injector
from silos.places import RELATIONSHIP_MANAGERS
from silos.world import AS_OF, TrueCustomer

GRADES = (
    "AAA",
    "AA+",
    "AA",
    "AA-",
    "A+",
    "A",
    "A-",
    "BBB+",
    "BBB",
    "BBB-",
    "BB+",
    "BB",
    "BB-",
    "B+",
    "B",
    "B-",
    "CCC+",
    "CCC",
    "CCC-",
)
"""The internal rating scale, best first."""

_SHANGHAI = dt.timezone(dt.timedelta(hours=8))
_PRODUCTS = {
    "large": ("project_loan", "syndicated_loan", "fixed_asset_loan", "working_capital_loan"),
    "multinational": ("syndicated_loan", "trade_finance", "working_capital_loan"),
    "medium": ("working_capital_loan", "trade_finance", "fixed_asset_loan"),
    "small": ("working_capital_loan", "trade_finance"),
    "micro": ("working_capital_loan",),
    "sole_proprietor": ("personal_business_loan",),
    "high_net_worth": ("personal_business_loan",),
}
_AMOUNTS = {
    "large": (50_000_000, 2_000_000_000),
    "multinational": (20_000_000, 1_000_000_000),
    "medium": (5_000_000, 100_000_000),
    "small": (1_000_000, 20_000_000),
    "micro": (200_000, 3_000_000),
    "sole_proprietor": (100_000, 1_000_000),
    "high_net_worth": (500_000, 5_000_000),
}
_NOTES = (
    "拜访客户，讨论流动资金贷款需求",
    "客户关注项目贷款期限与利率",
    "跟进贸易融资额度使用情况",
    "客户财务总监来电咨询银团贷款",
    "年度授信回顾会议",
    "客户反馈还款计划调整需求",
    "介绍新的供应链金融产品",
)


@dataclass
class Records:
    """One customer's rows in every system, and the ground truth for each."""

    borrower: list[tuple] = field(default_factory=list)
    credit_application: list[tuple] = field(default_factory=list)
    facility: list[tuple] = field(default_factory=list)
    core_customer: list[tuple] = field(default_factory=list)
    account: list[tuple] = field(default_factory=list)
    monthly_income: list[tuple] = field(default_factory=list)
    repayment: list[tuple] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    interactions: list[dict] = field(default_factory=list)
    ratings: list[list[str]] = field(default_factory=list)
    watchlist: list[list[str]] = field(default_factory=list)
    truth: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(system, entity, source_id, customer_key) for every record above that has an id."""
    bad_rows: list[BadRow] = field(default_factory=list)
    rating_faults: list[str | None] = field(default_factory=list)
    """For each rating row, the CSV-level fault (quoting, ragged, re-delivery) the writer applies."""


class Systems:
    """The bank's department systems, filled customer by customer in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.counters: dict[str, int] = {}
        self.injectors = {
            "facility": Injector(("negative_amount",)),
            "contacts": Injector(("unparseable_number",)),
            "interactions": Injector(("invalid_date", "exact_redelivery")),
            "ratings": Injector(
                (
                    "out_of_scale_rating",
                    "unparseable_number",
                    "invalid_date",
                    "broken_quoting",
                    "ragged_row",
                    "exact_redelivery",
                )
            ),
            "borrower_id": Injector(("invalid_checksum",)),
            "customer_id": Injector(("invalid_checksum",)),
        }

    def records_for(self, customer: TrueCustomer) -> Records:
        rng = random.Random(f"{self.seed}:{customer.index}:systems")
        records = Records()
        borrows = customer.lifecycle != "prospect" and (customer.segment != "high_net_worth" or rng.random() < 0.2)
        borrows = borrows and rng.random() < (0.9 if customer.lifecycle == "churned" else 0.8)
        banks = customer.lifecycle != "prospect" and (
            not borrows or rng.random() < (0.6 if customer.lifecycle == "churned" else 0.85)
        )
        in_crm = customer.lifecycle == "prospect" or rng.random() < (0.3 if customer.lifecycle == "churned" else 0.6)
        grade = self._grade(rng, customer)
        facilities: list[tuple] = []
        if borrows:
            facilities = self._loan_origination(rng, customer, records)
        if banks:
            self._core_banking(rng, customer, records, facilities)
        if in_crm:
            self._crm(rng, customer, records)
        if (
            borrows
            and customer.segment != "high_net_worth"
            and rng.random() < (0.5 if customer.lifecycle == "churned" else 0.95)
        ):
            self._risk(rng, customer, records, grade)
        return records

    def _next(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]

    # -- loan origination ---------------------------------------------------------

    def _loan_origination(self, rng: random.Random, customer: TrueCustomer, records: Records) -> list[tuple]:
        borrower_id = f"BR{self._next('borrower'):08d}"
        name = customer.name
        if customer.kind == "enterprise" and rng.random() < 0.1:
            name = variants.suffix_variant(name)
        uscc = customer.uscc
        if uscc and self.injectors["borrower_id"].pick():
            uscc = variants.broken_checksum(uscc)
            records.bad_rows.append(
                BadRow(
                    "loan_origination",
                    "borrower",
                    "loan_origination.sqlite",
                    borrower_id,
                    None,
                    "invalid_checksum",
                    f"uscc {uscc}",
                )
            )
        created = dt.datetime.combine(AS_OF - dt.timedelta(days=rng.randrange(200, 3000)), dt.time(9)) + dt.timedelta(
            seconds=rng.randrange(0, 9 * 3600)
        )
        updated = min(
            created + dt.timedelta(days=rng.randrange(0, 900), seconds=rng.randrange(0, 86400)), _local(AS_OF)
        )
        records.borrower.append(
            (
                borrower_id,
                name,
                uscc,
                customer.resident_id if customer.kind == "individual" else None,
                customer.kind,
                customer.person,
                customer.address,
                customer.landline if customer.kind == "enterprise" else customer.mobile,
                customer.trade.industry_code if customer.kind == "enterprise" or customer.uscc else None,
                float(customer.registered_capital) if customer.kind == "enterprise" else None,
                customer.employees or None,
                float(customer.annual_revenue) if customer.annual_revenue else None,
                created,
                updated,
            )
        )
        records.truth.append(("loan_origination", "borrower", borrower_id, customer.key))
        facilities = []
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
            facilities.append(self._facility(rng, customer, records, borrower_id, created.date()))
        if customer.lifecycle == "existing" and all(row[8] != "active" for row in facilities):
            facilities[-1] = (*facilities[-1][:8], "active", *facilities[-1][9:])
            records.facility[-1] = facilities[-1]
        return facilities

    def _facility(
        self, rng: random.Random, customer: TrueCustomer, records: Records, borrower_id: str, since: dt.date
    ) -> tuple:
        product = rng.choice(_PRODUCTS[customer.segment])
        amount = round(rng.uniform(*_AMOUNTS[customer.segment]), -3)
        currency = "USD" if customer.segment == "multinational" and rng.random() < 0.4 else "CNY"
        if customer.lifecycle == "churned":
            maturity = AS_OF - dt.timedelta(days=rng.randrange(400, 1500))
            start = maturity - dt.timedelta(days=rng.choice((365, 730, 1095)))
            status = "closed"
        else:
            start = max(since, AS_OF - dt.timedelta(days=rng.randrange(30, 1800)))
            maturity = start + dt.timedelta(days=rng.choice((365, 730, 1095, 1825, 3650)))
            status = "active" if maturity > AS_OF else "closed"
        application_id = f"AP{self._next('application'):09d}"
        facility_id = f"FA{self._next('facility'):09d}"
        applied = start - dt.timedelta(days=rng.randrange(10, 90))
        records.credit_application.append(
            (
                application_id,
                borrower_id,
                product,
                amount,
                currency,
                applied,
                "approved",
                applied + dt.timedelta(days=7),
                _local(applied, 7),
            )
        )
        if rng.random() < 0.15:
            rejected_id = f"AP{self._next('application'):09d}"
            records.credit_application.append(
                (
                    rejected_id,
                    borrower_id,
                    product,
                    amount * 2,
                    currency,
                    applied,
                    rng.choice(("rejected", "pending")),
                    None,
                    _local(applied, 9),
                )
            )
            records.truth.append(("loan_origination", "credit_application", rejected_id, customer.key))
        if self.injectors["facility"].pick():
            amount = -amount
            records.bad_rows.append(
                BadRow(
                    "loan_origination",
                    "facility",
                    "loan_origination.sqlite",
                    facility_id,
                    None,
                    "negative_amount",
                    f"amount {amount}",
                )
            )
        row = (
            facility_id,
            borrower_id,
            application_id,
            product,
            amount,
            currency,
            start,
            maturity,
            status,
            round(rng.uniform(0.028, 0.065), 4),
            rng.choice(("mortgage", "pledge", "guarantee", "credit")),
            _local(min(AS_OF, maturity if status == "closed" else AS_OF - dt.timedelta(days=rng.randrange(0, 60))), 2),
        )
        records.facility.append(row)
        records.truth.append(("loan_origination", "credit_application", application_id, customer.key))
        records.truth.append(("loan_origination", "facility", facility_id, customer.key))
        return row

    # -- core banking -------------------------------------------------------------

    def _core_banking(
        self, rng: random.Random, customer: TrueCustomer, records: Records, facilities: list[tuple]
    ) -> None:
        cust_no = f"{6_200_000_000 + self._next('core_customer')}"
        if customer.kind == "individual":
            name, cert_type, cert_no = customer.person, "居民身份证", customer.resident_id
        else:
            name, cert_type, cert_no = customer.name, "统一社会信用代码", customer.uscc
            if rng.random() < 0.2:
                name = variants.drop_city_prefix(customer, name)
            if rng.random() < 0.2:
                name = variants.full_width(name)
        assert cert_no is not None
        if self.injectors["customer_id"].pick():
            cert_no = variants.broken_checksum(cert_no)
            records.bad_rows.append(
                BadRow(
                    "core_banking",
                    "customer",
                    "core_banking.sqlite",
                    cust_no,
                    None,
                    "invalid_checksum",
                    f"cert_no {cert_no}",
                )
            )
        stale = rng.random() < 0.1
        phone = variants.phone_style(
            rng, customer.mobile if not stale else f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        )
        address = customer.address.removeprefix(customer.city.province) if rng.random() < 0.5 else customer.address
        if stale:
            address = f"{customer.city.city}{rng.choice(customer.city.districts)}旧址{rng.randrange(1, 99)}号"
        opened = AS_OF - dt.timedelta(days=rng.randrange(100, 4000))
        churned = customer.lifecycle == "churned"
        updated = _aware(
            AS_OF - dt.timedelta(days=rng.randrange(400, 1500) if (stale or churned) else rng.randrange(0, 300))
        )
        records.core_customer.append(
            (cust_no, name, cert_type, cert_no, phone, address, opened, "closed" if churned else "active", updated)
        )
        records.truth.append(("core_banking", "customer", cust_no, customer.key))
        products = ["current"] + (["time_deposit"] if rng.random() < 0.4 else [])
        products += ["loan"] * sum(1 for facility in facilities if facility[8] == "active")
        for product in products:
            self._account(rng, customer, records, cust_no, product, opened, churned)

    def _account(
        self,
        rng: random.Random,
        customer: TrueCustomer,
        records: Records,
        cust_no: str,
        product: str,
        opened: dt.date,
        churned: bool,
    ) -> None:
        account_no = f"6217{self._next('account'):012d}"
        # High-net-worth individuals keep private-banking deposits; everyone else deposits
        # in proportion to the credit their segment takes.
        private_banking = customer.segment == "high_net_worth" and product != "loan"
        scale = 40_000_000 if private_banking else _AMOUNTS[customer.segment][0]
        balance = round(rng.uniform(0.01, 0.5) * scale, 2) if not churned else 0.0
        closed_on = AS_OF - dt.timedelta(days=rng.randrange(400, 1200)) if churned else None
        records.account.append(
            (
                account_no,
                cust_no,
                product,
                "CNY",
                balance,
                opened,
                closed_on,
                "closed" if churned else "active",
                _aware(closed_on or AS_OF),
            )
        )
        records.truth.append(("core_banking", "account", account_no, customer.key))
        if churned:
            return
        for months_back in range(12):
            month = _month(AS_OF, months_back)
            interest = round(balance * rng.uniform(0.035, 0.055) / 12, 2) if product == "loan" else 0.0
            fee = (
                round(rng.uniform(50, 5000) * (10 if customer.segment in ("large", "multinational") else 1), 2)
                if product == "current"
                else 0.0
            )
            if interest or fee:
                records.monthly_income.append((account_no, month, interest, fee))
        if product == "loan":
            late = rng.random() < 0.08
            for months_back in range(6, 0, -1):
                due = _month_end(AS_OF, months_back)
                days_late = rng.choice((5, 15, 35, 95)) if late and months_back <= 2 else 0
                paid = due + dt.timedelta(days=days_late)
                amount_due = round(balance * 0.045 / 12, 2)
                is_paid = paid <= AS_OF
                records.repayment.append(
                    (
                        f"{account_no}-{due:%Y%m}",
                        account_no,
                        due,
                        paid if is_paid else None,
                        amount_due,
                        amount_due if is_paid else 0.0,
                        days_late if is_paid else (AS_OF - due).days,
                        _aware(min(paid, AS_OF)),
                    )
                )

    # -- CRM ----------------------------------------------------------------------

    def _crm(self, rng: random.Random, customer: TrueCustomer, records: Records) -> None:
        contact_id = f"CRM-{self._next('contact'):07d}"
        name = customer.name
        if customer.english_name and rng.random() < (0.6 if customer.segment == "multinational" else 0.25):
            name = customer.english_name
        else:
            if rng.random() < 0.08:
                name = variants.typo(rng, name, customer.brand)
            if rng.random() < 0.3:
                name = variants.suffix_variant(name)
            if rng.random() < 0.1:
                name = variants.full_width(name)
            if rng.random() < 0.1:
                name = variants.add_province_prefix(customer, name)
        credit_code = (
            customer.uscc
            if customer.uscc and rng.random() < (0.4 if customer.lifecycle == "prospect" else 0.6)
            else None
        )
        stage = {
            "prospect": rng.choice(("lead", "qualified")),
            "existing": "customer",
            "churned": rng.choice(("lost", "customer")),
        }[customer.lifecycle]
        expected = (
            f"{round(rng.uniform(*_AMOUNTS[customer.segment]), -4):.0f}" if stage in ("lead", "qualified") else None
        )
        if self.injectors["contacts"].pick():
            expected = f"约{rng.randrange(1, 900)}万"
            records.bad_rows.append(
                BadRow(
                    "crm",
                    "contacts",
                    "crm/contacts.jsonl",
                    contact_id,
                    None,
                    "unparseable_number",
                    f"expected_amount {expected}",
                )
            )
        created = _aware(AS_OF - dt.timedelta(days=rng.randrange(30, 2000)))
        relationship_manager = rng.choice(RELATIONSHIP_MANAGERS)
        records.contacts.append(
            {
                "id": contact_id,
                "company": name,
                "credit_code": credit_code,
                "contact_person": customer.person,
                "title": rng.choice(("财务总监", "总经理", "董事长", "财务经理", None)),
                "mobile": variants.phone_style(rng, customer.mobile),
                "email": customer.email if rng.random() < 0.7 else None,
                "city": customer.city.city,
                "relationship_manager": relationship_manager,
                "stage": stage,
                "expected_amount": expected,
                "created_at": created.isoformat(),
                "updated_at": max(created, _aware(AS_OF - dt.timedelta(days=rng.randrange(0, 400)))).isoformat(),
            }
        )
        records.truth.append(("crm", "contacts", contact_id, customer.key))
        recent = customer.lifecycle != "churned"
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
            interaction_id = f"INT-{self._next('interaction'):08d}"
            day = AS_OF - dt.timedelta(days=rng.randrange(1, 300) if recent else rng.randrange(400, 900))
            interaction = {
                "id": interaction_id,
                "contact_id": contact_id,
                "type": rng.choice(("visit", "call", "meeting", "email")),
                "date": day.isoformat(),
                "note": rng.choice(_NOTES),
                "relationship_manager": relationship_manager,
                "updated_at": _aware(day, 18).isoformat(),
            }
            kind = self.injectors["interactions"].pick()
            if kind == "invalid_date":
                interaction["date"] = f"{day.year}-02-30"
                records.bad_rows.append(
                    BadRow(
                        "crm",
                        "interactions",
                        "crm/interactions.jsonl",
                        interaction_id,
                        None,
                        kind,
                        f"date {interaction['date']}",
                    )
                )
            records.interactions.append(interaction)
            records.truth.append(("crm", "interactions", interaction_id, customer.key))
            if kind == "exact_redelivery":
                records.interactions.append(dict(interaction))
                records.bad_rows.append(
                    BadRow("crm", "interactions", "crm/interactions.jsonl", interaction_id, None, kind, "served twice")
                )

    # -- risk ---------------------------------------------------------------------

    def _grade(self, rng: random.Random, customer: TrueCustomer) -> int:
        centre = {
            "large": 4,
            "multinational": 3,
            "medium": 7,
            "small": 9,
            "micro": 11,
            "sole_proprietor": 12,
            "high_net_worth": 8,
        }[customer.segment]
        return max(0, min(len(GRADES) - 1, round(rng.gauss(centre, 2.5))))

    def _risk(self, rng: random.Random, customer: TrueCustomer, records: Records, grade: int) -> None:
        rating_id = f"R{self._next('rating'):08d}"
        name = variants.drop_city_prefix(customer, customer.name) if rng.random() < 0.15 else customer.name
        rated_on = AS_OF - dt.timedelta(
            days=rng.randrange(10, 360) if customer.lifecycle == "existing" else rng.randrange(400, 1200)
        )
        probability = 0.0003 * (1.45**grade)
        watch = grade >= 14 or rng.random() < 0.02
        row = [
            rating_id,
            name,
            customer.uscc if rng.random() < 0.85 else "",
            GRADES[grade],
            f"{probability:.4f}",
            rated_on.isoformat(),
            "是" if watch else "否",
            rng.choice(("风险管理部", "授信审批部")),
        ]
        kind = self.injectors["ratings"].pick()
        fault = None
        if kind == "out_of_scale_rating":
            row[3] = rng.choice(("AAAA", "D+", "BBB++"))
        elif kind == "unparseable_number":
            row[4] = rng.choice(("n/a", "0,35%", "--"))
        elif kind == "invalid_date":
            row[5] = f"{rated_on.year}-02-30"
        elif kind is not None:
            fault = kind
        if kind is not None:
            records.bad_rows.append(BadRow("risk", "ratings", "", rating_id, None, kind, ""))
        records.ratings.append(row)
        records.rating_faults.append(fault)
        records.truth.append(("risk", "ratings", rating_id, customer.key))
        if watch:
            records.watchlist.append(
                [
                    name,
                    row[2],
                    (rated_on + dt.timedelta(days=3)).isoformat(),
                    rng.choice(("逾期风险", "经营恶化", "担保链风险", "行业下行")),
                ]
            )


def _local(day: dt.date, hour: int = 10) -> dt.datetime:
    """A naive Asia/Shanghai wall-clock time, as loan origination stores it."""
    return dt.datetime.combine(day, dt.time(hour)) if not isinstance(day, dt.datetime) else day


def _aware(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=_SHANGHAI)


def _month(as_of: dt.date, months_back: int) -> str:
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - months_back, 12)
    return f"{year:04d}-{month + 1:02d}"


def _month_end(as_of: dt.date, months_back: int) -> dt.date:
    year, month = divmod(as_of.year * 12 + as_of.month - 1 - months_back + 1, 12)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)
