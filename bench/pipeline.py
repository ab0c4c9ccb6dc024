"""Benchmark: the whole pipeline over the sample silos, at chosen sizes, per stage.

    python bench/pipeline.py                       # DuckDB at 1,000 and 10,000 customers
    python bench/pipeline.py --customers 50000 --postgres postgresql://postgres@127.0.0.1:5432/postgres

Runs on the sample bank (``c360 silos generate``). Prints seconds and rows per stage,
and the process's peak resident memory. With
``--postgres`` each size also runs on a scratch database created on that server and
dropped afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

from support import scratch_database, serving_sample_bank

from c360.config import load_config
from c360.pipeline import run_stage
from c360.stages import PER_SOURCE_STAGES, STAGES
from expectations.validate import load_suite
from silos.generate import generate_silos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, action="append", help="sample size (repeatable)")
    parser.add_argument("--postgres", metavar="URL", help="also run on Postgres: URL of a database to connect through")
    args = parser.parse_args()
    sizes = args.customers or [1_000, 10_000]
    print(f"c360 pipeline benchmark, {dt.date.today()}, Python {sys.version.split()[0]}")
    started = time.perf_counter()
    load_suite("party")
    print(f"one-off Great Expectations start-up, not in the stage times: {time.perf_counter() - started:.1f} s")
    header = ("warehouse", "customers", "stage", "source", "rows in", "rows out", "seconds", "rows/s")
    print("{:<10} {:>9} {:<12} {:<17} {:>9} {:>9} {:>8} {:>9}".format(*header))
    for customers in sizes:
        with tempfile.TemporaryDirectory(prefix="c360-bench-") as scratch:
            silos = Path(scratch) / "silos"
            generate_silos(silos, customers, seed=7)
            backends = [("duckdb", f"duckdb:///{Path(scratch) / 'warehouse.duckdb'}")]
            for name, url in backends:
                _run(name, url, silos, customers)
            if args.postgres:
                with scratch_database(args.postgres) as url:
                    _run("postgres", url, silos, customers)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the benchmark process: {peak_mib:,.0f} MiB")
    return 0


def _run(backend: str, url: str, silos: Path, customers: int) -> None:
    total = 0.0
    with serving_sample_bank(url, silos) as settings:
        sources = list(load_config(settings.config_dir).sources.sources)
        for stage in STAGES:
            for source in sources if stage in PER_SOURCE_STAGES else [None]:
                started = time.perf_counter()
                result = run_stage(settings, stage, source)
                seconds = time.perf_counter() - started
                total += seconds
                rate = result.rows_in / seconds if seconds else 0
                print(
                    f"{backend:<10} {customers:>9,} {stage:<12} {source or '-':<17} "
                    f"{result.rows_in:>9,} {result.rows_out:>9,} {seconds:>8.2f} {rate:>9,.0f}",
                    flush=True,
                )
    print(f"{backend:<10} {customers:>9,} {'total':<12} {'':<17} {'':>9} {'':>9} {total:>8.2f}")


if __name__ == "__main__":
    sys.exit(main())
