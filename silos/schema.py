"""Table layouts of the two SQL silos, defined once for SQLite, MariaDB and Postgres.

Loan origination keeps naive local timestamps (Asia/Shanghai), as many such systems do;
core banking keeps time-zone-aware ones. Column names are the systems' own.
"""

from __future__ import annotations

import sqlalchemy as sa

LOAN_ORIGINATION = sa.MetaData()
CORE_BANKING = sa.MetaData()

BORROWER = sa.Table(
    "borrower",
    LOAN_ORIGINATION,
    sa.Column("borrower_id", sa.String(16), primary_key=True),
    sa.Column("borrower_name", sa.String(200), nullable=False),
    sa.Column("uscc", sa.String(18)),
    sa.Column("id_number", sa.String(18)),
    sa.Column("customer_type", sa.String(16), nullable=False),
    sa.Column("legal_rep", sa.String(50)),
    sa.Column("reg_address", sa.String(200)),
    sa.Column("phone", sa.String(30)),
    sa.Column("industry_code", sa.String(5)),
    sa.Column("registered_capital", sa.Numeric(18, 2)),
    sa.Column("employees", sa.Integer),
    sa.Column("annual_revenue", sa.Numeric(18, 2)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

CREDIT_APPLICATION = sa.Table(
    "credit_application",
    LOAN_ORIGINATION,
    sa.Column("application_id", sa.String(16), primary_key=True),
    sa.Column("borrower_id", sa.String(16), nullable=False),
    sa.Column("product", sa.String(30), nullable=False),
    sa.Column("requested_amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("applied_on", sa.Date, nullable=False),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("decided_on", sa.Date),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

FACILITY = sa.Table(
    "facility",
    LOAN_ORIGINATION,
    sa.Column("facility_id", sa.String(16), primary_key=True),
    sa.Column("borrower_id", sa.String(16), nullable=False),
    sa.Column("application_id", sa.String(16)),
    sa.Column("product", sa.String(30), nullable=False),
    sa.Column("amount", sa.Numeric(18, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("maturity_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("interest_rate", sa.Numeric(6, 4), nullable=False),
    sa.Column("collateral_type", sa.String(20), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

CORE_CUSTOMER = sa.Table(
    "customer",
    CORE_BANKING,
    sa.Column("cust_no", sa.String(16), primary_key=True),
    sa.Column("cust_name", sa.String(200), nullable=False),
    sa.Column("cert_type", sa.String(20), nullable=False),
    sa.Column("cert_no", sa.String(18), nullable=False),
    sa.Column("phone", sa.String(30)),
    sa.Column("address", sa.String(200)),
    sa.Column("open_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

ACCOUNT = sa.Table(
    "account",
    CORE_BANKING,
    sa.Column("account_no", sa.String(20), primary_key=True),
    sa.Column("cust_no", sa.String(16), nullable=False),
    sa.Column("product", sa.String(20), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance", sa.Numeric(18, 2), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

MONTHLY_INCOME = sa.Table(
    "monthly_income",
    CORE_BANKING,
    sa.Column("account_no", sa.String(20), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("interest_income", sa.Numeric(18, 2), nullable=False),
    sa.Column("fee_income", sa.Numeric(18, 2), nullable=False),
)

REPAYMENT = sa.Table(
    "repayment",
    CORE_BANKING,
    sa.Column("repayment_id", sa.String(24), primary_key=True),
    sa.Column("account_no", sa.String(20), nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("paid_date", sa.Date),
    sa.Column("amount_due", sa.Numeric(18, 2), nullable=False),
    sa.Column("amount_paid", sa.Numeric(18, 2), nullable=False),
    sa.Column("days_past_due", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

DATABASES = {"loan_origination": LOAN_ORIGINATION, "core_banking": CORE_BANKING}
"""Each SQL silo's file name (``<name>.sqlite``) and its tables."""
