"""How well resolution did against a ground truth: pairwise and cluster-level figures.

The truth is a CSV in the sample bank's format (``truth/records.csv``): one row per
source record with ``source_system``, ``source_id`` and the ``customer_key`` of the real
customer it belongs to. Records the truth does not know are left out. Where corporate
groups are known (``truth/groups.csv``: ``group_key`` is the parent, ``relation``
``branch`` marks a branch), branches merged into their parent are counted too.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Evaluation:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    over_merged_clusters: int
    """Golden customers holding records of more than one real customer."""
    under_merged_customers: int
    """Real customers whose records are spread over more than one golden customer."""
    branches_in_parent: int = 0
    """Golden customers holding records of a branch and of its parent company."""

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def read_truth(path: Path) -> dict[tuple[str, str], str]:
    """(source system, source id) -> real customer key."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["source_system"], row["source_id"]): row["customer_key"] for row in csv.DictReader(handle)}


def read_branches(path: Path) -> dict[str, str]:
    """Branch customer key -> its parent's, from a groups CSV; empty when there is none."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["customer_key"]: row["group_key"] for row in csv.DictReader(handle) if row["relation"] == "branch"}


def evaluate(
    resolved: Iterable[tuple[str, str, str]],
    truth: dict[tuple[str, str], str],
    branches: dict[str, str] | None = None,
) -> Evaluation:
    """Compare (source system, source id, customer id) assignments with the truth.

    Pairs are counted from cluster sizes, never listed, so a million records cost no more
    than a pass over them. ``branches`` (``read_branches``) adds the branch-into-parent count.
    """
    known = [
        (truth[(system, source_id)], customer)
        for system, source_id, customer in resolved
        if (system, source_id) in truth
    ]
    both = Counter(known)
    by_truth = Counter(real for real, _ in known)
    by_cluster = Counter(customer for _, customer in known)
    true_clusters_per_customer = Counter(customer for _, customer in both)
    golden_per_real = Counter(real for real, _ in both)
    reals_of: dict[str, set[str]] = {}
    for real, customer in both:
        reals_of.setdefault(customer, set()).add(real)
    branch_parent = branches or {}
    return Evaluation(
        records=len(known),
        true_pairs=_pairs(by_truth.values()),
        predicted_pairs=_pairs(by_cluster.values()),
        correct_pairs=_pairs(both.values()),
        over_merged_clusters=sum(1 for count in true_clusters_per_customer.values() if count > 1),
        under_merged_customers=sum(1 for count in golden_per_real.values() if count > 1),
        branches_in_parent=sum(
            1 for reals in reals_of.values() if any(branch_parent.get(real) in reals for real in reals)
        ),
    )


def _pairs(sizes: Iterable[int]) -> int:
    return sum(size * (size - 1) // 2 for size in sizes)
