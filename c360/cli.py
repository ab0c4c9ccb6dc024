"""The ``c360`` command line: demo, run, status, evaluate and review.

User errors (bad configuration, unreachable warehouse, unreadable file) end with one
line on stderr naming what is wrong, and exit code 2; only bugs show a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from pydantic import ValidationError

if TYPE_CHECKING:
    from rich.console import Console

from c360.errors import C360Error, ConfigError
from c360.settings import ResolveMode, Settings
from c360.stages import STAGES, StageResult

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``c360`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.command(args)
    except C360Error as exc:
        print(f"c360: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--warehouse", metavar="URL", help="warehouse URL (default: $C360_WAREHOUSE or the demo DuckDB file)"
    )
    common.add_argument(
        "--config-dir", type=Path, metavar="DIR", help="configuration folder (default: $C360_CONFIG_DIR or config/)"
    )
    common.add_argument(
        "--silos-dir", type=Path, metavar="DIR", help="where source files are dropped (default: $C360_SILOS_DIR)"
    )
    common.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="business date for segments (default: $C360_AS_OF or today)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log each stage")

    parser = argparse.ArgumentParser(prog="c360", description="Customer 360 for lenders.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", parents=[common], help="write sample silos and run every stage on the embedded warehouse"
    )
    demo.add_argument("--customers", type=int, default=500, help="true customers in the sample bank (default: 500)")
    demo.add_argument("--seed", type=int, default=7, help="sample bank seed (default: 7)")
    demo.set_defaults(command=_demo)

    run = commands.add_parser("run", parents=[common], help="run the pipeline, or chosen stages")
    run.add_argument("--stage", action="append", choices=STAGES, help="run only this stage (repeatable)")
    run.add_argument("--source", action="append", help="only this source for per-source stages (repeatable)")
    run.add_argument(
        "--resolve-mode",
        choices=get_args(ResolveMode),
        help="resolve: score only new and changed records (default), every record, or retrain the model first",
    )
    run.set_defaults(command=_run)

    status = commands.add_parser("status", parents=[common], help="last run of each stage and source")
    status.set_defaults(command=_status)

    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="resolution against a ground truth: precision, recall, F1, over/under-merges"
    )
    evaluate.add_argument(
        "--truth", type=Path, required=True, metavar="FILE", help="records CSV: source_system, source_id, customer_key"
    )
    evaluate.set_defaults(command=_evaluate)

    review = commands.add_parser("review", help="the match review queue, and stewards' decisions")
    review_commands = review.add_subparsers(required=True, metavar="REVIEW_COMMAND")
    queue = review_commands.add_parser("list", parents=[common], help="pairs waiting for a decision, with why")
    queue.add_argument("--limit", type=int, default=20, help="pairs to show (default: 20)")
    queue.set_defaults(command=_review_list)
    for decision, help_text in (
        ("must-link", "two records are one customer"),
        ("cannot-link", "two records are different customers"),
        ("split", "a record stands alone whatever matches it"),
    ):
        decide = review_commands.add_parser(decision, parents=[common], help=help_text)
        decide.add_argument("records", nargs=1 if decision == "split" else 2, metavar="RECORD",
                            help="source_system/source_entity/source_id")  # fmt: skip
        decide.add_argument("--by", default=os.environ.get("USER", "steward"), help="who decides (default: $USER)")
        decide.add_argument("--note", help="why, for the next steward and the auditor")
        decide.set_defaults(command=_review_decide, decision=decision.replace("-", "_"))

    silos = commands.add_parser("silos", help="a sample bank's department systems: generate, load, serve")
    silo_commands = silos.add_subparsers(required=True, metavar="SILOS_COMMAND")
    generate = silo_commands.add_parser("generate", help="write every department system to a folder")
    generate.add_argument("--customers", type=int, required=True, help="true customers to generate")
    generate.add_argument("--seed", type=int, default=7, help="the same seed gives byte-identical files (default: 7)")
    generate.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    generate.set_defaults(command=_silos_generate)
    load = silo_commands.add_parser("load", help="put the SQL silos into database servers")
    load.add_argument("--dir", type=Path, required=True, help="folder written by `silos generate`")
    load.add_argument(
        "--los-url", metavar="URL", help="loan origination database, e.g. mysql://root@127.0.0.1:3306/los"
    )
    load.add_argument(
        "--core-url", metavar="URL", help="core banking database, e.g. postgresql://postgres@127.0.0.1/core"
    )
    load.set_defaults(command=_silos_load)
    serve = silo_commands.add_parser("serve", help="serve the CRM as a paginated JSON API")
    serve.add_argument("--dir", type=Path, required=True, help="folder written by `silos generate`")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--token", help="bearer token clients must send (default: $C360_CRM_TOKEN)")
    serve.set_defaults(command=_silos_serve)
    return parser


def _settings(args: argparse.Namespace, **defaults: object) -> Settings:
    overrides = {
        "warehouse_url": args.warehouse,
        "config_dir": args.config_dir,
        "silos_dir": args.silos_dir,
        "as_of": args.as_of,
        "resolve_mode": getattr(args, "resolve_mode", None),
    }
    try:
        settings = Settings.from_env(**overrides)
        return settings.model_copy(update={key: value for key, value in defaults.items() if overrides.get(key) is None})
    except ValidationError as exc:
        from c360.config import describe_validation_error

        raise ConfigError(f"settings: {describe_validation_error(exc)}") from None


def _demo(args: argparse.Namespace) -> int:
    from c360.pipeline import run_pipeline
    from c360.settings import DEFAULT_SILOS_DIR, DEFAULT_WAREHOUSE
    from silos.generate import generate_silos
    from silos.serve import serving_crm
    from silos.world import AS_OF

    settings = _settings(args, warehouse_url=DEFAULT_WAREHOUSE, silos_dir=DEFAULT_SILOS_DIR, as_of=AS_OF)
    if args.customers < 1:
        raise ConfigError("--customers must be at least 1")
    generate_silos(settings.silos_dir, args.customers, seed=args.seed)
    started = time.monotonic()
    with serving_crm(settings.silos_dir) as (crm_url, crm_token):
        with_crm = settings.model_copy(update={"source_urls": {"crm": crm_url}, "source_tokens": {"crm": crm_token}})
        results = run_pipeline(with_crm)
    _print_results(results, settings, time.monotonic() - started)
    return 0


def _run(args: argparse.Namespace) -> int:
    from c360.pipeline import run_pipeline

    settings = _settings(args)
    started = time.monotonic()
    results = run_pipeline(settings, only=args.stage or STAGES, sources=args.source)
    _print_results(results, settings, time.monotonic() - started)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from c360.stages import open_warehouse
    from transforms.resolve.evaluate import evaluate, read_branches, read_truth

    if not args.truth.is_file():
        raise ConfigError(f"--truth: {args.truth} is not a file")
    truth = read_truth(args.truth)
    with open_warehouse(_settings(args)) as warehouse:
        resolved = warehouse.fetch_all("SELECT source_system, source_id, customer_id FROM core.customer_xref")
    groups = args.truth.parent / "groups.csv"
    result = evaluate(((row[0], row[1], row[2]) for row in resolved), truth, read_branches(groups))
    print(f"records compared      {result.records:,}")
    print(f"pairs: true {result.true_pairs:,}, predicted {result.predicted_pairs:,}, correct {result.correct_pairs:,}")
    print(f"pairwise precision    {result.precision:.4f}")
    print(f"pairwise recall       {result.recall:.4f}")
    print(f"pairwise F1           {result.f1:.4f}")
    print(f"over-merged customers {result.over_merged_clusters:,} (golden customers holding several real ones)")
    print(f"under-merged          {result.under_merged_customers:,} (real customers split over several golden ones)")
    if groups.is_file():
        print(f"branches in parent    {result.branches_in_parent:,} (golden customers holding a branch and its parent)")
    return 0


def _review_list(args: argparse.Namespace) -> int:
    from c360.stages import open_warehouse
    from transforms.resolve.stewardship import pending_reviews

    with open_warehouse(_settings(args)) as warehouse:
        reviews = pending_reviews(warehouse, args.limit)
    if not reviews:
        print("the review queue is empty")
    for review in reviews:
        print(f"{review.left}  ~  {review.right}   match probability {review.probability:.3f}")
        for field, part in review.explanation.items():
            weight = "" if part["weight"] is None else f"{part['weight']:+.1f}"
            print(f"    {field:<22} {weight:>6}  {part['left']!s:<30} | {part['right']!s}")
    return 0


def _review_decide(args: argparse.Namespace) -> int:
    from c360.stages import open_warehouse
    from transforms.resolve.stewardship import record_decision

    left, right = args.records[0], (args.records[1] if len(args.records) > 1 else None)
    with open_warehouse(_settings(args)) as warehouse:
        decision_id = record_decision(warehouse, args.decision, left, right, args.by, args.note)
    print(
        f"decision {decision_id} recorded: {args.decision} {' '.join(args.records)}; "
        "it applies from the next resolve run"
    )
    return 0


def _status(args: argparse.Namespace) -> int:
    from rich.table import Table

    from c360.status import last_runs

    settings = _settings(args)
    table = Table(title=f"Last run per stage and source — {_display(settings)}")
    for column in (
        "stage",
        "source",
        "status",
        "rows in",
        "rows out",
        "quarantined",
        "started (UTC)",
        "run",
        "message",
    ):
        table.add_column(column, justify="right" if column.startswith(("rows", "quar")) else "left")
    for run in last_runs(settings):
        table.add_row(
            run.stage,
            run.source or "-",
            run.status,
            _count(run.rows_in),
            _count(run.rows_out),
            _count(run.rows_quarantined),
            f"{run.started_at:%Y-%m-%d %H:%M:%S}",
            run.run_id,
            run.message or "",
        )
    _console().print(table)
    return 0


def _silos_generate(args: argparse.Namespace) -> int:
    from silos.generate import generate_silos

    if args.customers < 1:
        raise ConfigError("--customers must be at least 1")
    started = time.monotonic()
    summary = generate_silos(args.out, args.customers, args.seed)
    seconds = time.monotonic() - started
    for name, count in summary.counts.items():
        print(f"{name:<40} {count:>12,}")
    bad = ", ".join(f"{kind} {count}" for kind, count in summary.bad_rows.items() if count)
    print(f"{summary.customers:,} customers, seed {summary.seed}, in {seconds:.1f} s; bad rows: {bad}")
    return 0


def _silos_load(args: argparse.Namespace) -> int:
    from silos.load import load_silo

    targets = {"loan_origination": args.los_url, "core_banking": args.core_url}
    if not any(targets.values()):
        raise ConfigError("name at least one target: --los-url or --core-url")
    for silo, url in targets.items():
        if url:
            for table, count in load_silo(args.dir, silo, url).items():
                print(f"{silo}.{table:<28} {count:>12,} rows")
    return 0


def _silos_serve(args: argparse.Namespace) -> int:
    import os

    from silos.serve import CrmApi

    server = CrmApi((args.host, args.port), args.dir / "crm", args.token or os.environ.get("C360_CRM_TOKEN", ""))
    print(f"CRM API on http://{args.host}:{server.server_port}/api/v1/contacts (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def _print_results(results: list[StageResult], settings: Settings, seconds: float) -> None:
    from rich.table import Table

    from c360.status import segment_counts

    table = Table(title=f"c360 pipeline — {_display(settings)} — as of {settings.business_date}")
    for column in ("stage", "source", "rows in", "rows out", "quarantined", "detail"):
        table.add_column(column, justify="right" if column.startswith(("rows", "quar")) else "left")
    for result in results:
        table.add_row(
            result.stage,
            result.source or "-",
            _count(result.rows_in),
            _count(result.rows_out),
            _count(result.rows_quarantined),
            result.detail,
        )
    console = _console()
    console.print(table)
    segments = segment_counts(settings)
    lifecycle = dict(sorted(segments.pop("lifecycle").items()))
    breakdown = ", ".join(f"{stage} {count}" for stage, count in lifecycle.items())
    for column, counts in segments.items():
        console.print(f"  {column:<19} " + ", ".join(f"{segment} {count}" for segment, count in counts.items()))
    console.print(f"customers: {sum(lifecycle.values())} ({breakdown}) in mart.customer_360; {seconds:.1f} s")


def _console() -> Console:
    """A console wide enough for the tables, also when output goes to a file or CI log."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=140)


def _display(settings: Settings) -> str:
    from warehouse.base import mask_password

    return mask_password(settings.warehouse_url)


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


if __name__ == "__main__":
    sys.exit(main())
