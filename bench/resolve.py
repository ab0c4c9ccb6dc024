"""Benchmark entity resolution on the sample bank: ours beside plain Splink, against the truth.

For each size the sample bank is generated, extracted and standardized into a DuckDB
warehouse; then, on the same standardized party records, two resolvers run in their own
processes (so each peak memory is its own):

- ``c360``: ``transforms.resolve`` (deterministic keys, Splink on the name's parts,
  guarded clustering, field-level survivorship and stable ids);
- ``splink``: plain Splink 5 configured as its own deduplication examples are (a name
  comparison, e-mail, exact phone, address, exact credit code and ID number; blocking on
  each; EM training), clustered at the same match probability, 0.9.

Both are scored with ``transforms.resolve.evaluate`` against ``truth/records.csv``.

    .venv/bin/python bench/resolve.py --customers 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import peak_kib, sample_bank_settings

from c360.config import load_config
from c360.pipeline import run_stage
from c360.settings import Settings
from silos.generate import generate_silos
from transforms.resolve.evaluate import evaluate, read_truth
from warehouse import connect

MATCH_PROBABILITY = 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, action="append", help="sample size (repeatable)")
    parser.add_argument("--only", nargs=3, metavar=("RESOLVER", "URL", "TRUTH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        resolver, url, truth = args.only
        print(json.dumps(_resolve(resolver, url, Path(truth))))
        return 0
    print(f"c360 resolve benchmark, {dt.date.today()}, Python {sys.version.split()[0]}")
    header = ("resolver", "customers", "records", "precision", "recall", "F1", "over", "under", "seconds", "peak MiB")
    print("{:<8} {:>9} {:>8} {:>9} {:>7} {:>7} {:>5} {:>6} {:>8} {:>9}".format(*header))
    for customers in args.customers or [10_000]:
        with tempfile.TemporaryDirectory(prefix="c360-bench-") as scratch:
            silos = Path(scratch) / "silos"
            generate_silos(silos, customers, seed=7)
            url = f"duckdb:///{Path(scratch) / 'warehouse.duckdb'}"
            _standardize(url, silos)
            for resolver in ("c360", "splink"):
                child = subprocess.run(
                    [sys.executable, __file__, "--only", resolver, url, str(silos / "truth" / "records.csv")],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if child.returncode != 0:
                    reason = (child.stderr.strip().splitlines() or ["no message"])[-1]
                    print(f"{resolver:<8} {customers:>9,} failed: {reason[:200]}", flush=True)
                    continue
                row = json.loads(child.stdout.strip().splitlines()[-1])
                print(
                    f"{resolver:<8} {customers:>9,} {row['records']:>8,} {row['precision']:>9.4f} {row['recall']:>7.4f}"
                    f" {row['f1']:>7.4f} {row['over']:>5} {row['under']:>6} {row['seconds']:>8.1f}"
                    f" {row['peak_kib'] / 1024:>9,.0f}",
                    flush=True,
                )
    return 0


def _standardize(url: str, silos: Path) -> None:
    with sample_bank_settings(url, silos) as settings:
        for stage in ("extract", "standardize"):
            for source in load_config(settings.config_dir).sources.sources:
                run_stage(settings, stage, source)


def _resolve(resolver: str, url: str, truth_path: Path) -> dict[str, float]:
    truth = read_truth(truth_path)
    warehouse = connect(url)
    try:
        started = time.perf_counter()
        if resolver == "c360":
            from transforms.resolve import resolve_customers

            resolve_customers(warehouse, load_config(Settings().config_dir).matching)
            assigned = [
                tuple(row)
                for row in warehouse.fetch_all("SELECT source_system, source_id, customer_id FROM core.customer_xref")
            ]
        else:
            assigned = _plain_splink(warehouse)
        seconds = time.perf_counter() - started
    finally:
        warehouse.dispose()
    result = evaluate(assigned, truth)
    return {
        "records": result.records,
        "precision": result.precision,
        "recall": result.recall,
        "f1": result.f1,
        "over": result.over_merged_clusters,
        "under": result.under_merged_customers,
        "seconds": seconds,
        "peak_kib": peak_kib(),
    }


def _plain_splink(warehouse: object) -> list[tuple[str, str, str]]:
    """Splink as its deduplication examples configure it, on the standardized party records."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    with warehouse.transaction() as conn:  # type: ignore[attr-defined]
        records = warehouse.fetch_frame(  # type: ignore[attr-defined]
            conn,
            "SELECT source_system || '/' || source_entity || '/' || source_id AS unique_id, source_system, source_id,"
            " name, CASE WHEN uscc_valid THEN uscc END AS uscc,"
            " CASE WHEN resident_id_valid THEN resident_id END AS resident_id, phone, email, address"
            " FROM staging.party",
        )
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
        blocking_rules_to_generate_predictions=[
            block_on("name"),
            block_on("phone"),
            block_on("email"),
            block_on("uscc"),
            block_on("resident_id"),
        ],
    )
    logging.getLogger("splink").setLevel(logging.ERROR)  # training narrates every step
    linker = Linker(DuckDBAPI().register(records.drop(columns=["source_system", "source_id"])), settings)
    linker.training.estimate_probability_two_random_records_match([block_on("uscc")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1_000_000)
    for rule in (block_on("name"), block_on("phone"), block_on("uscc")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
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
