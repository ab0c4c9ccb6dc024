"""The canonical entities every source is mapped onto, and their fields.

``config/sources.yml`` maps source columns to these fields; standardization cleans values
by each field's kind; the warehouse's ``staging.<entity>`` tables hold them (a test
keeps the migrations and this registry in step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

INVALID_SUFFIX = "__invalid"
"""Beside a date or decimal field, the value as it came when it did not parse."""

FieldKind = Literal[
    "key",
    "text",
    "name",
    "code",
    "phone",
    "email",
    "date",
    "month",
    "decimal",
    "count",
    "fraction",
    "status",
    "currency",
    "industry",
]


@dataclass(frozen=True)
class CanonicalField:
    name: str
    kind: FieldKind
    description: str
    required: bool = False


@dataclass(frozen=True)
class CanonicalEntity:
    """A kind of record every source is mapped onto; ``source_id`` is its key within a source entity."""

    name: str
    description: str
    fields: tuple[CanonicalField, ...]
    statuses: tuple[str, ...] = ()
    """Allowed values of ``status``, when the entity has one."""

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields if field.required)

    def field(self, name: str) -> CanonicalField:
        return next(field for field in self.fields if field.name == name)


_SOURCE_ID = CanonicalField("source_id", "key", "the record's key in its source system", required=True)
_PARTY_ID = CanonicalField(
    "party_id", "code", "source_id of the party the record belongs to, in the same source", required=True
)

PARTY = CanonicalEntity(
    "party",
    "a company or person the bank deals with, as one source knows it",
    (
        _SOURCE_ID,
        CanonicalField("name", "name", "company or person name", required=True),
        CanonicalField("uscc", "code", "unified social credit code (统一社会信用代码)"),
        CanonicalField("resident_id", "code", "resident ID number (居民身份证号码) of an individual"),
        CanonicalField("certificate_type", "text", "kind of certificate_number: a credit code or a resident ID"),
        CanonicalField(
            "certificate_number", "code", "the certificate's number, sorted into uscc or resident_id by its type"
        ),
        CanonicalField(
            "id_document",
            "code",
            "an individual's identity document other than a resident ID: passport, Mainland travel permit"
            " for Hong Kong, Macao or Taiwan residents, a foreign national ID",
        ),
        CanonicalField(
            "date_of_birth", "date", "an individual's date of birth; taken from a valid resident ID when not given"
        ),
        CanonicalField("legal_representative", "text", "legal representative (法定代表人) of a company"),
        CanonicalField("phone", "phone", "phone number, E.164 (+8613800138000)"),
        CanonicalField("email", "email", "e-mail address"),
        CanonicalField("address", "text", "registered or contact address"),
        CanonicalField("industry_code", "industry", "GB/T 4754 industry code with its section letter (C3911)"),
        CanonicalField("employees", "count", "head count (从业人员), for the enterprise size class"),
        CanonicalField("annual_revenue", "decimal", "operating revenue (营业收入) of the last year, in yuan"),
        CanonicalField("total_assets", "decimal", "total assets (资产总额), in yuan"),
        CanonicalField("relationship_manager", "text", "the bank's relationship manager for the party"),
    ),
)

FACILITY = CanonicalEntity(
    "facility",
    "a credit facility or loan granted to a party",
    (
        _SOURCE_ID,
        _PARTY_ID,
        CanonicalField("product", "text", "product, for example project_loan or working_capital_loan"),
        CanonicalField("amount", "decimal", "granted amount, in currency"),
        CanonicalField("currency", "currency", "ISO 4217 currency code"),
        CanonicalField("start_date", "date", "first day of the facility"),
        CanonicalField("maturity_date", "date", "last day of the facility"),
        CanonicalField("status", "status", "active, closed or written_off", required=True),
    ),
    statuses=("active", "closed", "written_off"),
)

ACCOUNT = CanonicalEntity(
    "account",
    "a deposit, current or loan account a party holds",
    (
        _SOURCE_ID,
        _PARTY_ID,
        CanonicalField("product", "text", "account product"),
        CanonicalField("balance", "decimal", "balance, in currency"),
        CanonicalField("currency", "currency", "ISO 4217 currency code"),
        CanonicalField("opened_on", "date", "day the account was opened"),
        CanonicalField("closed_on", "date", "day the account was closed"),
        CanonicalField("status", "status", "active, dormant or closed", required=True),
    ),
    statuses=("active", "dormant", "closed"),
)

INTERACTION = CanonicalEntity(
    "interaction",
    "a contact between the bank and a party: visit, call, meeting, e-mail",
    (
        _SOURCE_ID,
        _PARTY_ID,
        CanonicalField("interaction_date", "date", "day of the contact", required=True),
        CanonicalField("interaction_type", "text", "visit, call, meeting or email"),
    ),
)

RATING_GRADES = (
    "AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-",
    "BB+", "BB", "BB-", "B+", "B", "B-", "CCC+", "CCC", "CCC-",
)  # fmt: skip
"""The internal rating scale, best first, with its modifiers."""

RATING = CanonicalEntity(
    "rating",
    "an internal credit rating of a party, as the risk department gives it",
    (
        _SOURCE_ID,
        CanonicalField("party_name", "name", "name of the rated company or person", required=True),
        CanonicalField("uscc", "code", "unified social credit code of the rated party"),
        CanonicalField("rating", "code", "internal rating, AAA to CCC- (see RATING_GRADES); empty for a PD alone"),
        CanonicalField("probability_of_default", "fraction", "one-year probability of default, 0 to 1"),
        CanonicalField("rating_date", "date", "day the rating was given"),
        CanonicalField("watchlist", "text", "whether the party is on the watchlist, as the source writes it"),
    ),
)

REVENUE = CanonicalEntity(
    "revenue",
    "interest and fee income the bank booked on one account in one month",
    (
        _SOURCE_ID,
        CanonicalField("account_id", "code", "source_id of the account, in the same source", required=True),
        CanonicalField("period", "month", "the month the income belongs to, as its first day", required=True),
        CanonicalField("interest_income", "decimal", "interest income, in currency"),
        CanonicalField("fee_income", "decimal", "fee and commission income, in currency"),
        CanonicalField("currency", "currency", "ISO 4217 currency code; the account's when not given"),
    ),
)

REPAYMENT = CanonicalEntity(
    "repayment",
    "one scheduled repayment of a loan account: due, paid, and how late",
    (
        _SOURCE_ID,
        CanonicalField("account_id", "code", "source_id of the loan account, in the same source", required=True),
        CanonicalField("due_date", "date", "day the instalment was due", required=True),
        CanonicalField("paid_date", "date", "day it was paid; empty while unpaid"),
        CanonicalField("amount_due", "decimal", "instalment due, in the account's currency"),
        CanonicalField("amount_paid", "decimal", "amount paid so far"),
        CanonicalField("days_past_due", "count", "days paid late, or overdue so far while unpaid"),
    ),
)

ENTITIES = {entity.name: entity for entity in (PARTY, FACILITY, ACCOUNT, INTERACTION, RATING, REVENUE, REPAYMENT)}
