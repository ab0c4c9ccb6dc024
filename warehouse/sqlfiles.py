"""Reading SQL kept in ``.sql`` files beside the code that runs it."""

from __future__ import annotations

import re
from importlib import resources

_STATEMENT_END = re.compile(r";[ \t]*(?:--[^\n]*)?$", re.MULTILINE)


def split_statements(script: str) -> list[str]:
    """Split a script into statements at semicolons that end a line.

    Our SQL files end every statement with ``;`` at the end of a line and never put one
    at the end of a line inside a string, so no SQL parser is needed.
    """
    statements = []
    for chunk in _STATEMENT_END.split(script):
        code = "\n".join(line for line in chunk.splitlines() if not line.strip().startswith("--")).strip()
        if code:
            statements.append(code)
    return statements


def load_statements(package: str, name: str) -> list[str]:
    """The statements of ``name`` in ``package`` (for example ``transforms.resolve``)."""
    return split_statements(resources.files(package).joinpath(name).read_text(encoding="utf-8"))
