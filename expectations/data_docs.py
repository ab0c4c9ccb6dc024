"""Data Docs: each validated batch as a Great Expectations page, in one folder per run.

The pages are rendered from the validation results with Great Expectations' own
renderers, so a data quality team reads the familiar report; an index page lists the
run's batches with their counts. ``c360 status`` and the task log name the index.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def run_folder(root: Path, run_id: str) -> Path:
    """The folder of one run's pages (run ids from Airflow hold ``:`` and ``+``)."""
    return root / _UNSAFE.sub("_", run_id)


def write_batch_page(folder: Path, source: str, batch_id: str, result: Any) -> Path:
    """Render one batch's ExpectationSuiteValidationResult to ``<folder>/<source>/<batch>.html``."""
    renderer, view = _renderer_and_view()
    page = folder / _UNSAFE.sub("_", source) / f"{_UNSAFE.sub('_', batch_id)}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(view.render(renderer.render(result)), "utf-8")
    return page


@functools.cache
def _renderer_and_view() -> tuple[Any, Any]:
    """One renderer and one page view per process: the view compiles its templates once, not per page."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    return ValidationResultsPageRenderer(), DefaultJinjaPageView()


def write_index(folder: Path, batches: list[tuple[str, str, int, int, int]]) -> Path:
    """``<folder>/index.html``: one line per batch (source, batch, rows in, staged, quarantined), linked."""
    rows = "\n".join(
        f'<tr><td>{html.escape(source)}</td><td><a href="{html.escape(_UNSAFE.sub("_", source))}/'
        f'{html.escape(_UNSAFE.sub("_", batch_id))}.html">{html.escape(batch_id)}</a></td>'
        f"<td>{rows_in}</td><td>{staged}</td><td>{quarantined}</td></tr>"
        for source, batch_id, rows_in, staged, quarantined in batches
    )
    index = folder / "index.html"
    folder.mkdir(parents=True, exist_ok=True)
    index.write_text(
        "<!doctype html><meta charset='utf-8'><title>c360 validation: "
        f"{html.escape(folder.name)}</title><h1>Validation results, run {html.escape(folder.name)}</h1>"
        "<table border='1' cellpadding='4'><tr><th>source</th><th>batch</th><th>rows in</th>"
        f"<th>standardized</th><th>quarantined</th></tr>\n{rows}\n</table>\n",
        "utf-8",
    )
    return index
