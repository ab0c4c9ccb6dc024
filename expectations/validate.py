"""Validating a batch with its Great Expectations suite and naming the rows that failed.

Great Expectations tells which values failed which expectation; quarantine needs which
*rows*. Every frame carries a ``_row_id`` column, and results are requested with
``unexpected_index_column_names`` so each failure points back at its row.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import great_expectations as gx
    import pandas as pd

ROW_ID = "_row_id"
REFERENCE_SUFFIX = "__known"
"""Beside a reference (``party_id``), whether the referenced record is known: ``party_id__known``."""
QUARANTINE_SEVERITY = "critical"
"""Failures of this severity send the row to quarantine; others are only reported."""


@dataclass(frozen=True)
class RowFailure:
    """One row failing one expectation."""

    row_id: int
    expectation: str
    column: str | None
    value: Any
    severity: str
    reason: str


@dataclass(frozen=True)
class ExpectationSummary:
    """How one expectation fared on one batch."""

    expectation: str
    column: str | None
    severity: str
    rows_evaluated: int
    rows_failed: int


@dataclass(frozen=True)
class ValidationOutcome:
    """Every row-level failure of one batch, per-expectation counts, and GX's own result."""

    failures: list[RowFailure]
    summary: list[ExpectationSummary]
    result: Any
    """The ExpectationSuiteValidationResult, for Data Docs."""

    def quarantined_row_ids(self) -> set[int]:
        """Rows with at least one failure severe enough to quarantine them."""
        return {failure.row_id for failure in self.failures if failure.severity == QUARANTINE_SEVERITY}


def validate_frame(
    frame: pd.DataFrame, suite_name: str, parameters: Mapping[str, Any] | None = None
) -> ValidationOutcome:
    """Validate ``frame`` (which must carry ``_row_id``) against the named suite.

    ``parameters`` fill the suite's ``{"$PARAMETER": name}`` values (today's date); an
    expectation whose parameter is not given does not apply. References are checked as
    ``<field>__known`` columns the caller computes (GX's value sets are far too slow for
    a hundred thousand keys); a batch without one (a source without parties) skips that check.
    """
    if ROW_ID not in frame.columns:
        raise ValueError(f"frame to validate needs a {ROW_ID} column")
    parameters = dict(parameters or {})
    references = frozenset(column for column in frame.columns if column.endswith(REFERENCE_SUFFIX))
    suite = load_suite(suite_name, frozenset(parameters), references)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
        expectation_parameters=parameters,
    )
    failures, summary = [], []
    for expectation_result in result.results:
        config = expectation_result.expectation_config
        column = config.kwargs.get("column")
        severity = config.severity.value if hasattr(config.severity, "value") else str(config.severity)
        raised = expectation_result.exception_info or {}
        if raised.get("raised_exception"):
            raise RuntimeError(
                f"expectation {config.type} on {column} could not run: {raised.get('exception_message')}"
            )
        failed_rows = expectation_result.result.get("unexpected_index_list") or []
        summary.append(ExpectationSummary(config.type, column, severity, len(frame), len(failed_rows)))
        for failed in failed_rows:
            failures.append(
                RowFailure(
                    row_id=int(failed[ROW_ID]),
                    expectation=config.type,
                    column=column,
                    value=failed.get(column),
                    severity=severity,
                    reason=config.description or config.type,
                )
            )
    return ValidationOutcome(failures, summary, result)


@cache
def load_suite(
    name: str, parameters: frozenset[str] = frozenset(), references: frozenset[str] = frozenset()
) -> gx.ExpectationSuite:
    """The suite kept as ``expectations/suites/<name>.json``, less what this batch cannot be checked for.

    Dropped: expectations whose parameters are not given, and reference checks (columns
    ending in ``__known``) the batch carries no column for.
    """
    _batch_definition()  # sets up GX (quietly) before its first use
    import great_expectations as gx

    document = json.loads(resources.files("expectations.suites").joinpath(f"{name}.json").read_text("utf-8"))
    document["expectations"] = [
        expectation
        for expectation in document["expectations"]
        if _parameters_of(expectation["kwargs"]) <= parameters and _applies(expectation["kwargs"], references)
    ]
    return gx.ExpectationSuite(**document)


def _applies(kwargs: Mapping[str, Any], references: frozenset[str]) -> bool:
    column = str(kwargs.get("column", ""))
    return not column.endswith(REFERENCE_SUFFIX) or column in references


def _parameters_of(kwargs: Mapping[str, Any]) -> set[str]:
    return {value["$PARAMETER"] for value in kwargs.values() if isinstance(value, dict) and "$PARAMETER" in value}


def _quiet_gx_loggers() -> None:
    """GX pins some of its loggers to INFO and logs every ephemeral context it creates;
    that is noise in a task log, so those loggers are raised to WARNING."""
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if (
            name.startswith("great_expectations")
            and isinstance(logger, logging.Logger)
            and logger.level < logging.WARNING
        ):
            logger.setLevel(logging.WARNING)


@cache
def _batch_definition() -> Any:
    """One in-memory GX context per process, with a pandas datasource for whole batches.

    DuckDB through SQLAlchemy gives empty GX results, so batches are validated as pandas
    frames whatever the warehouse.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _quiet_gx_loggers()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("c360_batches").add_dataframe_asset("batch")
    return asset.add_batch_definition_whole_dataframe("whole_batch")
