"""Benchmark entity resolution on the sample bank: ours beside plain Splink, against the truth.

For each size the sample bank is generated, extracted and standardized into a DuckDB
warehouse; then, on the same standardized party records, two resolvers run in their own
processes (so each peak memory is its own):

- ``c360``: ``transforms.resolve`` (deterministic keys, Splink on the name's parts,
  guarded clustering, field-level survivorship and stable ids);
- ``splink``: plain Splink 5 configured as its own deduplication examples are (a name
  comparison, e-mail, exact phone, address, exact credit code and ID number; blocking on
  each; EM training, where a session Splink abandons for estimating an m of 0 is skipped
  as ours skips it), clustered at the same match probability, 0.9.

Both are scored with ``transforms.resolve.evaluate`` against ``truth/records.csv``.
Every DuckDB (the warehouse's, Splink's) is capped at ``--memory-limit`` (default 1GB) and spills to a
scratch folder beyond it, in both. ``comparisons`` counts the pairs each one's blocking rules
make (Splink's own count). For ours, ``incr s`` is a second run after 1 % of the records
changed their phone: it scores only those. It runs in a process of its own, as the next
scheduled task would, and ``peak MiB`` is the larger of the two runs' peaks. ``br>par``
counts golden customers holding a branch and its parent company (``truth/groups.csv``).

Standardizing the sample bank takes longer than resolving it (about half an hour at a
million customers); ``--workdir`` keeps it for the next run.

    .venv/bin/python bench/resolve.py --customers 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import c360_comparisons, count_comparisons, error_line, peak_kib, query_frame, serving_sample_bank

from c360.config import load_config
from c360.pipeline import run_stage
from c360.settings import Settings
from silos.generate import generate_silos
from transforms.resolve.evaluate import evaluate, read_branches, read_truth
from warehouse import connect
from warehouse.duckdb_warehouse import MEMORY_LIMIT

MATCH_PROBABILITY = 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, action="append", help="sample size (repeatable)")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory cap for both resolvers (default: 1GB)")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep each size's generated and standardized sample bank here and reuse it on later runs",
    )
    parser.add_argument("--only", nargs=3, metavar=("RESOLVER", "URL", "TRUTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        resolver, url, truth = args.only
        print(json.dumps(_resolve(resolver, url, Path(truth))))
        return 0
    print(f"c360 resolve benchmark, {dt.date.today()}, Python {sys.version.split()[0]}")
    print(f"DuckDB memory limit {args.memory_limit}")
    header = ("resolver", "customers", "records", "comparisons", "precision", "recall", "F1", "over", "under",
              "br>par", "seconds", "incr s", "peak MiB")  # fmt: skip
    print("{:<8} {:>9} {:>9} {:>12} {:>9} {:>7} {:>7} {:>5} {:>6} {:>6} {:>8} {:>7} {:>9}".format(*header))
    for customers in args.customers or [10_000]:
        with tempfile.TemporaryDirectory(prefix="c360-bench-") as folder:
            scratch = Path(folder)
            bank = _standardized_bank(args.workdir / f"bank-{customers}" if args.workdir else scratch, customers)
            silos = bank / "silos"
            for resolver in ("c360", "splink"):
                # Each resolver gets its own copy: ours writes to the warehouse and changes phones.
                warehouse = scratch / f"{resolver}.duckdb"
                shutil.copyfile(bank / _WAREHOUSE, warehouse)
                url = f"duckdb:///{warehouse}"
                runs = [resolver, f"{resolver}-incremental"] if resolver == "c360" else [resolver]
                measured = []
                for run in runs:
                    outcome = _child(run, url, silos, args.memory_limit)
                    if isinstance(outcome, str):
                        print(f"{resolver:<8} {customers:>9,} failed: {outcome[:200]}", flush=True)
                        break
                    measured.append(outcome)
                if len(measured) < len(runs):
                    continue
                row = {**measured[0], "peak_kib": max(outcome["peak_kib"] for outcome in measured)}
                if len(measured) > 1:
                    row["incremental_seconds"] = measured[1]["seconds"]
                comparisons = _comparisons(f"duckdb:///{bank / _WAREHOUSE}", resolver)
                incremental = "-" if row["incremental_seconds"] is None else f"{row['incremental_seconds']:.1f}"
                print(
                    f"{resolver:<8} {customers:>9,} {row['records']:>9,} {comparisons:>12,}"
                    f" {row['precision']:>9.4f} {row['recall']:>7.4f} {row['f1']:>7.4f} {row['over']:>5}"
                    f" {row['under']:>6} {row['branches']:>6} {row['seconds']:>8.1f} {incremental:>7}"
                    f" {row['peak_kib'] / 1024:>9,.0f}",
                    flush=True,
                )
    return 0


_WAREHOUSE = "warehouse.duckdb"
_STANDARDIZED = "standardized"
"""Marks a folder whose sample bank was generated and standardized to the end."""


def _standardized_bank(folder: Path, customers: int) -> Path:
    """``folder`` holding the sample bank (``silos/``) and its standardized warehouse, made unless it is there."""
    if (folder / _STANDARDIZED).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(folder / "silos", ignore_errors=True)
    (folder / _WAREHOUSE).unlink(missing_ok=True)
    generate_silos(folder / "silos", customers, seed=7)
    with serving_sample_bank(f"duckdb:///{folder / _WAREHOUSE}", folder / "silos") as settings:
        for stage in ("extract", "standardize"):
            for source in load_config(settings.config_dir).sources.sources:
                run_stage(settings, stage, source)
    (folder / _STANDARDIZED).touch()
    return folder


def _child(run: str, url: str, silos: Path, memory_limit: str) -> dict | str:
    """One run in a process of its own, as a scheduled task runs: its figures, or why it failed."""
    child = subprocess.run(
        [sys.executable, __file__, "--only", run, url, str(silos / "truth" / "records.csv")],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, MEMORY_LIMIT: memory_limit},
    )
    if child.returncode != 0:
        return error_line(child.stderr)
    return json.loads(child.stdout.strip().splitlines()[-1])


def _resolve(run: str, url: str, truth_path: Path) -> dict[str, float | None]:
    """One run and its score: ``c360`` (which then changes 1 % of the phones for the next),
    ``c360-incremental`` (seconds and peak only) or ``splink``.

    The peak is taken before the scoring: it is the resolver's, not the benchmark's.
    """
    warehouse = connect(url)
    try:
        started = time.perf_counter()
        if run.startswith("c360"):
            from transforms.resolve import resolve_customers

            resolve_customers(warehouse, load_config(Settings().config_dir).matching)
            seconds = time.perf_counter() - started
            if run == "c360-incremental":
                return {"seconds": seconds, "peak_kib": peak_kib()}
            assigned = [tuple(row) for row in warehouse.fetch_all(_ASSIGNED)]
            with warehouse.transaction() as conn:
                conn.exec_driver_sql(
                    "UPDATE staging.party SET phone = '+8610' || CAST(10000000 + hash(source_id) % 90000000 AS VARCHAR)"
                    " WHERE hash(source_id) % 100 = 0"  # one record in a hundred gets a new phone
                )
        else:
            assigned = _plain_splink(warehouse)
            seconds = time.perf_counter() - started
    finally:
        warehouse.dispose()
    peak = peak_kib()  # the resolver's: scoring against the truth takes gigabytes of its own at a million
    result = evaluate(assigned, read_truth(truth_path), read_branches(truth_path.parent / "groups.csv"))
    return {
        "records": result.records,
        "precision": result.precision,
        "recall": result.recall,
        "f1": result.f1,
        "over": result.over_merged_clusters,
        "under": result.under_merged_customers,
        "branches": result.branches_in_parent,
        "seconds": seconds,
        "incremental_seconds": None,
        "peak_kib": peak,
    }


_ASSIGNED = "SELECT source_system, source_id, customer_id FROM core.customer_xref"


def _comparisons(url: str, resolver: str) -> int:
    """How many pairs the resolver's blocking rules make, by Splink's exact count."""
    if resolver == "c360":
        return c360_comparisons(url)
    from splink import DuckDBAPI

    records = query_frame(url, _PLAIN_RECORDS)
    table = DuckDBAPI().register(records.drop(columns=["source_system", "source_id"]))
    return count_comparisons(table, _plain_blocking())


_PLAIN_RECORDS = """
SELECT source_system || '/' || source_entity || '/' || source_id AS unique_id, source_system, source_id, name,
    CASE WHEN uscc_valid THEN uscc END AS uscc, CASE WHEN resident_id_valid THEN resident_id END AS resident_id,
    phone, email, address
FROM staging.party
"""


def _plain_blocking() -> list[object]:
    from splink import block_on

    return [block_on("name"), block_on("phone"), block_on("email"), block_on("uscc"), block_on("resident_id")]


def _plain_splink(warehouse: object) -> list[tuple[str, str, str]]:
    """Splink as its deduplication examples configure it, on the standardized party records."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from transforms.resolve.match import splink_backend

    with warehouse.transaction() as conn:  # type: ignore[attr-defined]
        records = warehouse.fetch_frame(conn, _PLAIN_RECORDS)  # type: ignore[attr-defined]
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("name"),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.LevenshteinAtThresholds("address", [2, 5]),
            cl.ExactMatch("uscc"),
            cl.ExactMatch("resident_id"),
        ],
        blocking_rules_to_generate_predictions=_plain_blocking(),
    )
    logging.getLogger("splink").setLevel(logging.ERROR)  # training narrates every step
    with splink_backend() as backend:
        linker = Linker(backend.register(records.drop(columns=["source_system", "source_id"])), settings)
        linker.training.estimate_probability_two_random_records_match([block_on("uscc")], recall=0.7)
        linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000)
        for rule in (block_on("name"), block_on("phone"), block_on("uscc")):
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except ValueError as error:  # Splink 5 abandons a session that estimates an m of 0
                if "below the minimum allowed value" not in str(error):
                    raise
        predictions = linker.inference.predict(threshold_match_probability=MATCH_PROBABILITY)
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=MATCH_PROBABILITY
        ).as_pandas_dataframe()
    cluster_of = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True))
    return [
        (system, source_id, str(cluster_of.get(unique_id, unique_id)))
        for unique_id, system, source_id in zip(
            records["unique_id"], records["source_system"], records["source_id"], strict=True
        )
    ]


if __name__ == "__main__":
    sys.exit(main())
