"""Benchmark: generating the sample bank, streaming to disk, at chosen sizes.

    python bench/sample_bank.py                                  # 10,000 and 100,000 customers
    python bench/sample_bank.py --customers 1000000

Each size runs in a fresh process, so its peak resident memory is its own; the files go
to a scratch folder that is removed afterwards. Prints seconds, customers per second,
rows written and the size on disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_RUN = (
    "import sys; from pathlib import Path; from silos.generate import generate_silos; "
    "generate_silos(Path(sys.argv[1]), int(sys.argv[2]), 7)"
)
_ROW = "{:>10,} {:>9.1f} {:>12,.0f} {:>13,} {:>10,.0f} {:>13,.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, action="append", help="bank size (repeatable)")
    args = parser.parse_args()
    sizes = sorted(args.customers or [10_000, 100_000])
    print(f"sample bank generation benchmark, {dt.date.today()}, Python {sys.version.split()[0]}")
    print(
        "{:>10} {:>9} {:>12} {:>13} {:>10} {:>13}".format(
            "customers", "seconds", "customers/s", "rows written", "disk MiB", "peak RSS MiB"
        )
    )
    for customers in sizes:
        with tempfile.TemporaryDirectory(prefix="c360-silos-bench-") as scratch:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", _RUN, scratch, str(customers)], check=True)
            seconds = time.perf_counter() - started
            peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            rows = sum(json.loads((Path(scratch) / "silos.json").read_text(encoding="utf-8"))["counts"].values())
            disk_mib = sum(path.stat().st_size for path in Path(scratch).rglob("*") if path.is_file()) / 2**20
        print(_ROW.format(customers, seconds, customers / seconds, rows, disk_mib, peak_mib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
