"""The whole pipeline over the sample bank's silos, on DuckDB and on Postgres, checked against the ground truth."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from c360.pipeline import PipelineFailed, run_pipeline
from c360.settings import Settings
from c360.stages import open_warehouse
from silos.serve import serving_crm
from transforms.resolve.evaluate import evaluate, read_branches, read_truth


def _rows(settings: Settings, sql: str, params: dict | None = None) -> list[tuple]:
    with open_warehouse(settings) as warehouse:
        return [tuple(row) for row in warehouse.fetch_all(sql, params)]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _truth(silos_dir: Path) -> tuple[dict[tuple[str, str], str], dict[str, dict[str, str]]]:
    """(source_system, source_id) -> customer key, and customer key -> true customer."""
    records = {
        (row["source_system"], row["source_id"]): row["customer_key"]
        for row in _csv(silos_dir / "truth" / "records.csv")
    }
    customers = {row["customer_key"]: row for row in _csv(silos_dir / "truth" / "customers.csv")}
    return records, customers


def test_bad_rows_are_caught_by_the_named_check_and_no_good_row_is_quarantined(settings: Settings) -> None:
    run_pipeline(settings)
    manifest = _csv(settings.silos_dir / "manifest" / "bad_rows.csv")
    by_kind: dict[tuple[str, str], list[dict[str, str]]] = {}
    for bad in manifest:
        by_kind.setdefault((bad["entity"], bad["kind"]), []).append(bad)

    facility = _rows(settings, "SELECT source_id, expectation, column_name FROM quarantine.facility")
    assert {row[0] for row in facility} == {bad["source_id"] for bad in by_kind[("facility", "negative_amount")]}
    assert {row[1:] for row in facility} == {("expect_column_values_to_be_between", "amount")}

    interaction = _rows(
        settings, "SELECT source_id, expectation, column_name, failed_value FROM quarantine.interaction"
    )
    invalid_dates = {bad["source_id"] for bad in by_kind[("interactions", "invalid_date")]}
    assert {row[0] for row in interaction} == invalid_dates
    assert {(row[0], row[1], row[2]) for row in interaction} >= {
        (source_id, "expect_column_values_to_be_null", "interaction_date") for source_id in invalid_dates
    }
    assert all(row[3].endswith("-02-30") for row in interaction if row[1] == "expect_column_values_to_be_null")

    unparsed = _rows(settings, "SELECT entity, source_file, source_line, reason FROM quarantine.unparsed_row")
    repeats = [row for row in unparsed if row[0] == "interactions"]
    assert len(repeats) == len(by_kind[("interactions", "exact_redelivery")])
    assert all(row[3].startswith("exact re-delivery of line ") for row in repeats)
    rating_faults = {
        ("broken_quoting", "CSV parse error"),
        ("ragged_row", "expected 8 fields, found 9"),
        ("exact_redelivery", "exact re-delivery"),
    }
    for kind, reason in rating_faults:
        for bad in by_kind[("ratings", kind)]:
            assert any(
                row[0] == "ratings" and row[2] == int(bad["line"]) and row[3].startswith(reason) for row in unparsed
            ), bad
    rating = _rows(settings, "SELECT source_id, expectation, column_name FROM quarantine.rating")
    field_faults = {
        "out_of_scale_rating": ("expect_column_values_to_be_in_set", "rating"),
        "unparseable_number": ("expect_column_values_to_be_null", "probability_of_default"),
        "invalid_date": ("expect_column_values_to_be_null", "rating_date"),
    }
    for kind, (expectation, column) in field_faults.items():
        for bad in by_kind[("ratings", kind)]:
            assert (bad["source_id"], expectation, column) in rating, bad
    assert {row[0] for row in rating} == {
        bad["source_id"] for kind in field_faults for bad in by_kind[("ratings", kind)]
    }
    assert not _rows(settings, "SELECT * FROM quarantine.party")
    assert not _rows(settings, "SELECT * FROM quarantine.account")


def test_mistyped_identifiers_are_kept_flagged_and_never_a_match_key(settings: Settings) -> None:
    run_pipeline(settings)
    typos = [bad for bad in _csv(settings.silos_dir / "manifest" / "bad_rows.csv") if bad["kind"] == "invalid_checksum"]
    assert typos
    for bad in typos:
        [(uscc_valid, resident_id_valid, match_rule)] = _rows(
            settings,
            "SELECT p.uscc_valid, p.resident_id_valid, x.match_rule FROM staging.party p JOIN core.customer_xref x "
            "ON x.source_system = p.source_system AND x.source_id = p.source_id "
            "WHERE p.source_system = :system AND p.source_id = :source_id",
            {"system": bad["system"], "source_id": bad["source_id"]},
        )
        assert not uscc_valid and not resident_id_valid
        assert match_rule in ("single_record", "probabilistic"), "a mistyped identifier is never a match key"


def test_rows_in_equal_rows_out_plus_quarantined_for_every_batch(settings: Settings) -> None:
    run_pipeline(settings)
    batches = _rows(
        settings,
        "SELECT entity, rows_read, rows_landed, rows_unparsed, rows_standardized, rows_quarantined FROM meta.batch",
    )
    assert {batch[0] for batch in batches} == {
        "borrowers", "facilities", "customers", "accounts", "income", "repayments", "contacts", "interactions",
        "ratings", "watchlist",
    }  # fmt: skip
    for entity, read, landed, unparsed, standardized, quarantined in batches:
        assert read == landed + unparsed
        if entity != "watchlist":
            assert landed == standardized + quarantined
    silo_counts = json.loads((settings.silos_dir / "silos.json").read_text(encoding="utf-8"))["counts"]
    [(borrowers,)] = _rows(settings, "SELECT COUNT(*) FROM raw.loan_origination__borrowers")
    assert borrowers == silo_counts["loan_origination.borrower"]


def test_every_month_of_income_arrives_once_under_its_composite_key(settings: Settings) -> None:
    run_pipeline(settings)
    with sqlite3.connect(settings.silos_dir / "core_banking.sqlite") as core:
        expected = core.execute("SELECT COUNT(*), SUM(interest_income), SUM(fee_income) FROM monthly_income").fetchone()
    [(count, keys, interest, fees)] = _rows(
        settings,
        "SELECT COUNT(*), COUNT(DISTINCT source_id), SUM(interest_income), SUM(fee_income) FROM staging.revenue",
    )
    assert count == keys == expected[0]
    assert (float(interest), float(fees)) == pytest.approx((expected[1], expected[2]))
    assert not _rows(settings, "SELECT * FROM quarantine.revenue")


def test_probabilistic_matching_finds_what_credit_codes_alone_miss_without_false_merges(settings: Settings) -> None:
    run_pipeline(settings)
    truth = read_truth(settings.silos_dir / "truth" / "records.csv")
    resolved = _rows(settings, "SELECT source_system, source_id, customer_id FROM core.customer_xref")
    branches = read_branches(settings.silos_dir / "truth" / "groups.csv")
    result = evaluate(resolved, truth, branches)
    assert result.over_merged_clusters == 0 and result.precision == 1.0
    assert branches and result.branches_in_parent == 0, "no branch merges into its parent"
    assert result.recall >= 0.95, result
    rules = dict(_rows(settings, "SELECT match_rule, COUNT(*) FROM core.customer_xref GROUP BY match_rule"))
    assert rules["probabilistic"] > 0 and rules["exact_uscc"] > 0 and rules["exact_resident_id"] > 0
    [(weights,)] = _rows(
        settings, "SELECT COUNT(*) FROM core.customer_xref WHERE match_rule = 'probabilistic' AND match_weight IS NULL"
    )
    assert weights == 0, "every probabilistic link keeps its match weight"
    english_and_chinese = _rows(
        settings,
        "SELECT COUNT(*) FROM core.customer_xref e"
        " JOIN staging.party pe USING (source_system, source_entity, source_id)"
        " JOIN core.customer_xref c ON c.customer_id = e.customer_id"
        " JOIN staging.party pc ON pc.source_system = c.source_system AND pc.source_entity = c.source_entity"
        " AND pc.source_id = c.source_id"
        " WHERE pe.name_core SIMILAR TO '[A-Za-z ]+' AND pc.name_core NOT SIMILAR TO '[A-Za-z ]+'"
        " AND pe.name_lead = pc.name_lead",
    )[0][0]
    assert english_and_chinese > 0, "an English name and its Chinese one (same trade-name lead) are one customer"


def test_every_golden_customer_holds_records_of_one_true_customer_only(settings: Settings) -> None:
    run_pipeline(settings)
    truth, _ = _truth(settings.silos_dir)
    members: dict[str, set[str]] = {}
    for system, source_id, customer_id in _rows(
        settings, "SELECT source_system, source_id, customer_id FROM core.customer_xref"
    ):
        members.setdefault(customer_id, set()).add(truth[(system, source_id)])
    assert members and all(len(keys) == 1 for keys in members.values())
    merged = _rows(settings, "SELECT COUNT(*) FROM core.customer WHERE record_count > 1")[0][0]
    assert merged > 50, "records sharing a valid credit code across systems must merge"


def test_golden_record_comes_from_the_highest_priority_source(settings: Settings) -> None:
    run_pipeline(settings)
    rows = _rows(
        settings,
        "SELECT c.name, p.name, c.source_systems, c.survivor_source_system FROM core.customer c "
        "JOIN staging.party p ON p.source_system = c.survivor_source_system AND p.source_id = c.survivor_source_id",
    )
    assert rows and all(golden == source for golden, source, _, _ in rows)
    assert all(survivor == "loan_origination" for _, _, systems, survivor in rows if "loan_origination" in systems)


def test_lifecycle_matches_the_truth_with_a_reason(settings: Settings) -> None:
    run_pipeline(settings)
    truth, customers = _truth(settings.silos_dir)
    rows = _rows(
        settings,
        "SELECT x.source_system, x.source_id, m.customer_id, m.lifecycle, m.lifecycle_reason FROM core.customer_xref x "
        "JOIN mart.customer_360 m ON m.customer_id = x.customer_id",
    )
    checked = 0
    for system, source_id, customer_id, lifecycle, reason in rows:
        expected = customers[truth[(system, source_id)]]["lifecycle"]
        assert reason.startswith(f"{lifecycle}: ")
        if system in ("loan_origination", "core_banking") or expected == "prospect":
            assert lifecycle == expected, (system, source_id, customer_id, reason)
            checked += 1
    assert checked > 200
    stages = {lifecycle for _, _, _, lifecycle, _ in rows}
    assert stages == {"prospect", "existing", "churned"}


def test_mart_carries_no_raw_id_number_or_phone(settings: Settings) -> None:
    run_pipeline(settings)
    phones = _rows(settings, "SELECT phone_masked FROM mart.customer_360 WHERE phone_masked IS NOT NULL")
    assert phones
    assert all("****" in phone and not phone[3:-4].strip("*") for (phone,) in phones)
    secrets = {
        value
        for row in _rows(settings, "SELECT resident_id, phone FROM staging.party")
        for value in row
        if value is not None
    }
    assert len(secrets) > 100
    mart_rows = _rows(settings, "SELECT * FROM mart.customer_360")
    leaked = {value for row in mart_rows for value in row for secret in secrets if secret in str(value)}
    assert leaked == set()


def test_every_customer_has_every_segment_with_its_reason(settings: Settings) -> None:
    run_pipeline(settings)
    dimensions = ("risk_grade", "contribution_tier", "needs_tier", "lifecycle", "customer_size", "relationship_model")
    rows = _rows(settings, "SELECT " + ", ".join(f"{d}, {d}_reason" for d in dimensions) + " FROM mart.customer_360")
    assert len(rows) > 250
    for row in rows:
        for segment, reason in zip(row[::2], row[1::2], strict=True):
            assert reason.startswith(f"{segment}: "), (segment, reason)
    truth, customers = _truth(settings.silos_dir)
    sizes = _rows(
        settings,
        "SELECT x.source_system, x.source_id, m.customer_size FROM core.customer_xref x "
        "JOIN mart.customer_360 m ON m.customer_id = x.customer_id WHERE x.source_system = 'loan_origination'",
    )
    sole_proprietors = [
        size
        for system, source_id, size in sizes
        if customers[truth[(system, source_id)]]["segment"] == "sole_proprietor"
    ]
    assert sole_proprietors and set(sole_proprietors) == {"sole_proprietor"}
    [(overdue, managed, rated)] = _rows(
        settings,
        "SELECT COUNT(worst_days_past_due), COUNT(relationship_manager), COUNT(latest_rating) FROM mart.customer_360",
    )
    assert overdue > 0 and managed > 0 and rated > 0, "repayments, the CRM's managers and ratings reach the mart"
    history = _rows(settings, "SELECT dimension, COUNT(*) FROM mart.customer_segment_history GROUP BY dimension")
    assert dict(history) == {dimension: len(rows) for dimension in (*dimensions, "industry", "customer_type")}


def test_a_rerun_changes_nothing(settings: Settings) -> None:
    run_pipeline(settings)
    snapshot_sql = {
        "xref": "SELECT source_system, source_id, customer_id FROM core.customer_xref ORDER BY 1, 2",
        "mart": "SELECT customer_id, lifecycle, risk_grade, contribution_tier_reason FROM mart.customer_360 ORDER BY 1",
        "history": "SELECT COUNT(*) FROM mart.customer_segment_history",
        "migration": "SELECT COUNT(*) FROM mart.segment_migration",
        "raw": "SELECT COUNT(*) FROM raw.loan_origination__facilities",
        "quarantine": "SELECT COUNT(*) FROM quarantine.facility",
        "ids": "SELECT COUNT(*) FROM core.customer_id_registry",
    }
    before = {name: _rows(settings, sql) for name, sql in snapshot_sql.items()}
    redelivered_before = _rows(settings, "SELECT SUM(rows_redelivered) FROM meta.batch")[0][0]
    results = run_pipeline(settings)
    after = {name: _rows(settings, sql) for name, sql in snapshot_sql.items()}
    assert after == before
    extracts = [result for result in results if result.stage == "extract"]
    assert all(result.rows_out == 0 for result in extracts), "nothing lands twice"
    [(redelivered_after,)] = _rows(settings, "SELECT SUM(rows_redelivered) FROM meta.batch")
    assert redelivered_after - redelivered_before == sum(result.rows_in for result in extracts), "re-reads are counted"


def test_changes_arrive_incrementally_and_ids_stay_stable_through_a_merge(settings: Settings) -> None:
    run_pipeline(settings)
    truth = read_truth(settings.silos_dir / "truth" / "records.csv")
    pairs = _rows(
        settings,
        "SELECT c.source_id, c.name, b.uscc, b.source_id FROM staging.party c "
        "JOIN staging.party b ON b.source_system = 'loan_origination' AND b.uscc_valid "
        "WHERE c.source_system = 'crm' AND c.uscc IS NULL ORDER BY c.source_id, b.source_id",
    )
    same_customer = [row for row in pairs if truth[("crm", row[0])] == truth[("loan_origination", row[3])]]
    assert same_customer, "the sample must hold a CRM contact, without a credit code, of a borrower"
    contact_id, contact_name, uscc, borrower_id = same_customer[0]
    # The relationship manager files the contact under a name matching cannot connect: a customer of its own.
    _add_contact_version(
        settings,
        {"id": contact_id, "company": f"Contact {contact_id}", "mobile": None, "email": None,
         "updated_at": "2026-07-01T09:00:00+08:00"},
    )  # fmt: skip
    _run_with_crm_served(settings)
    before = dict(_rows(settings, "SELECT source_system || ':' || source_id, customer_id FROM core.customer_xref"))
    assert before[f"crm:{contact_id}"] != before[f"loan_origination:{borrower_id}"]
    # Then the contact's name and credit code are filled in, and the borrower's phone changes.
    _add_contact_version(
        settings,
        {"id": contact_id, "company": contact_name, "credit_code": uscc, "updated_at": "2026-07-02T09:00:00+08:00"},
    )
    with sqlite3.connect(settings.silos_dir / "loan_origination.sqlite") as los:
        los.execute(
            "UPDATE borrower SET phone = '010-88886666', updated_at = '2026-07-02 09:00:00' WHERE borrower_id = ?",
            (borrower_id,),
        )
    results = _run_with_crm_served(settings)
    landed = {(result.source, result.stage): result.rows_out for result in results}
    assert landed[("loan_origination", "extract")] == 1
    assert landed[("crm", "extract")] == 1
    after = dict(_rows(settings, "SELECT source_system || ':' || source_id, customer_id FROM core.customer_xref"))
    borrower_customer = before[f"loan_origination:{borrower_id}"]
    assert after[f"crm:{contact_id}"] == after[f"loan_origination:{borrower_id}"] == borrower_customer
    assert {key: after[key] for key in before if key != f"crm:{contact_id}"} == {
        key: value for key, value in before.items() if key != f"crm:{contact_id}"
    }
    [(status, merged_into)] = _rows(
        settings,
        "SELECT status, merged_into FROM core.customer_id_registry WHERE customer_id = :id",
        {"id": before[f"crm:{contact_id}"]},
    )
    assert (status, merged_into) == ("merged", borrower_customer)
    [(phone,)] = _rows(settings, "SELECT phone FROM core.customer WHERE customer_id = :id", {"id": borrower_customer})
    assert phone == "+861088886666"


def _add_contact_version(settings: Settings, version: dict[str, str | None]) -> None:
    """The CRM records a new version of a contact: the next extract picks it up."""
    with (settings.silos_dir / "crm" / "contacts.jsonl").open("a", encoding="utf-8") as contacts:
        contacts.write(json.dumps(version, ensure_ascii=False) + "\n")


def _run_with_crm_served(settings: Settings) -> list:
    with serving_crm(settings.silos_dir) as (url, token):
        return run_pipeline(settings.model_copy(update={"source_urls": {"crm": url}, "source_tokens": {"crm": token}}))


def test_a_broken_source_fails_alone_and_is_recorded(settings: Settings) -> None:
    (settings.silos_dir / "core_banking.sqlite").unlink()
    with pytest.raises(PipelineFailed, match=r"extract core_banking: core_banking: database file .* not found"):
        run_pipeline(settings)
    runs = dict(_rows(settings, "SELECT source, status FROM meta.pipeline_run WHERE stage = 'extract'"))
    assert runs == {"loan_origination": "succeeded", "core_banking": "failed", "crm": "succeeded", "risk": "succeeded"}
    assert not _rows(settings, "SELECT * FROM meta.pipeline_run WHERE stage IN ('standardize', 'resolve')")
