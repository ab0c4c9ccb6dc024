"""Stewards' decisions are data, honoured by every later resolve run, on both warehouses."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from c360.errors import C360Error
from c360.pipeline import run_pipeline
from c360.settings import Settings
from c360.stages import open_warehouse, resolve
from transforms.resolve.evaluate import read_truth
from transforms.resolve.stewardship import pending_reviews, record_decision

RECORD = "source_system || '/' || source_entity || '/' || source_id"


def _customers(settings: Settings) -> dict[str, str]:
    with open_warehouse(settings) as warehouse:
        return dict(warehouse.fetch_all(f"SELECT {RECORD}, customer_id FROM core.customer_xref"))


def _decide(settings: Settings, decision: str, left: str, right: str | None = None) -> None:
    with open_warehouse(settings) as warehouse:
        record_decision(warehouse, decision, left, right, "test steward", "checked with the RM")


def test_cannot_link_and_split_keep_records_apart_across_reruns(settings: Settings) -> None:
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        linked = warehouse.fetch_all(
            f"SELECT {RECORD}, customer_id FROM core.customer_xref WHERE match_rule = 'probabilistic' "
            "ORDER BY customer_id, source_system, source_id"
        )
        cluster = linked[0][1]
        members = [
            row[0]
            for row in warehouse.fetch_all(
                f"SELECT {RECORD} FROM core.customer_xref WHERE customer_id = :id ORDER BY 1", {"id": cluster}
            )
        ]
    probabilistic = next(record for record, customer in linked if customer == cluster)
    partner = next(record for record in members if record != probabilistic)
    _decide(settings, "cannot_link", probabilistic, partner)
    for _ in range(2):
        resolve(settings)
        customers = _customers(settings)
        assert customers[probabilistic] != customers[partner]

    lone = members[-1]
    _decide(settings, "split", lone)
    resolve(settings)
    customers = _customers(settings)
    assert [record for record, customer in customers.items() if customer == customers[lone]] == [lone]
    with open_warehouse(settings) as warehouse:
        [(rule,)] = warehouse.fetch_all(f"SELECT match_rule FROM core.customer_xref WHERE {RECORD} = :r", {"r": lone})
    assert rule == "steward_split"


def test_must_link_joins_two_customers_and_the_retired_id_points_to_the_survivor(settings: Settings) -> None:
    run_pipeline(settings)
    truth = read_truth(settings.silos_dir / "truth" / "records.csv")
    customers = _customers(settings)
    by_real: dict[str, set[str]] = {}
    for record, customer in customers.items():
        system, _, source_id = record.split("/", 2)
        by_real.setdefault(truth[(system, source_id)], set()).add(customer)
    split_real = next(real for real, ids in sorted(by_real.items()) if len(ids) > 1)
    records = sorted(
        (record for record in customers if truth[(record.split("/")[0], record.split("/", 2)[2])] == split_real),
        key=lambda record: customers[record],
    )
    left, right = records[0], next(record for record in records if customers[record] != customers[records[0]])
    old_ids = {customers[left], customers[right]}
    _decide(settings, "must_link", left, right)
    for _ in range(2):
        resolve(settings)
        after = _customers(settings)
        assert after[left] == after[right] and after[left] in old_ids
    with open_warehouse(settings) as warehouse:
        [(status, merged_into)] = warehouse.fetch_all(
            "SELECT status, merged_into FROM core.customer_id_registry WHERE customer_id = :id",
            {"id": (old_ids - {after[left]}).pop()},
        )
    assert (status, merged_into) == ("merged", after[left])


def _with_probabilities(settings: Settings, folder: Path, **probabilities: float) -> Settings:
    """``settings`` reading a copy of its configuration with these ``probabilistic`` settings changed."""
    config_dir = folder / "config"
    if not config_dir.exists():
        shutil.copytree(settings.config_dir, config_dir)
    matching = yaml.safe_load((config_dir / "matching.yml").read_text("utf-8"))
    matching["probabilistic"].update(probabilities)
    (config_dir / "matching.yml").write_text(yaml.safe_dump(matching), "utf-8")
    return settings.model_copy(update={"config_dir": config_dir})


def test_uncertain_pairs_wait_in_the_queue_with_a_reason_per_field(settings: Settings, tmp_path: Path) -> None:
    # A band the small bank fills: its names are distinct enough for few pairs to fall short of a link.
    settings = _with_probabilities(settings, tmp_path, review_probability=0.01, match_probability=0.95)
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        reviews = pending_reviews(warehouse, limit=5)
        [(queued,)] = warehouse.fetch_all("SELECT COUNT(*) FROM core.review_queue")
        [(models,)] = warehouse.fetch_all("SELECT COUNT(*) FROM meta.match_model")
    assert models == 1
    assert queued > 0 and reviews
    first = reviews[0]
    assert 0.01 <= first.probability < 0.95
    assert "name_core" in first.explanation
    assert set(first.explanation["name_core"]) == {"left", "right", "weight"}

    _decide(settings, "cannot_link", first.left, first.right)
    resolve(settings)
    with open_warehouse(settings) as warehouse:
        remaining = {(review.left, review.right) for review in pending_reviews(warehouse, limit=10_000)}
        [(models,)] = warehouse.fetch_all("SELECT COUNT(*) FROM meta.match_model")
    assert (first.left, first.right) not in remaining, "a decided pair leaves the queue"
    assert models == 1, "the model in force is reused while the records it was trained on still fit"
    json.dumps(first.explanation)


def test_raising_the_match_probability_queues_former_links_with_their_reasons(
    settings: Settings, tmp_path: Path
) -> None:
    run_pipeline(settings)
    with open_warehouse(settings) as warehouse:
        [(linked,)] = warehouse.fetch_all("SELECT COUNT(*) FROM core.match_pair WHERE match_probability >= 0.9")
    assert linked > 0

    stricter = _with_probabilities(settings, tmp_path, match_probability=0.999999)
    resolve(stricter)

    with open_warehouse(stricter) as warehouse:
        [(queued,)] = warehouse.fetch_all("SELECT COUNT(*) FROM core.review_queue")
        reviews = pending_reviews(warehouse, limit=10_000)
    assert queued > 0 and len(reviews) == queued
    assert any(0.9 <= review.probability < 0.999999 for review in reviews), "a former link waits for a steward"
    assert all(set(review.explanation["name_core"]) == {"left", "right", "weight"} for review in reviews)


def test_a_decision_about_a_record_that_does_not_exist_is_refused(settings: Settings) -> None:
    run_pipeline(settings)
    with pytest.raises(C360Error, match=r"no staged record 'crm/contacts/NOPE'"):
        _decide(settings, "must_link", "crm/contacts/NOPE", "crm/contacts/ALSO_NOPE")
