"""Errors a user can act on.

Anything raised as a ``C360Error`` is shown to the user as one line naming the
file, URL or key at fault, without a traceback; everything else is a bug.
"""

from __future__ import annotations


class C360Error(Exception):
    """A problem with the user's input, configuration or environment."""


class ConfigError(C360Error):
    """A configuration file is missing or does not validate."""


class SourceError(C360Error):
    """A source system or file cannot be read."""


class InvariantError(C360Error):
    """Rows in a stage do not add up: rows in != rows out + rows quarantined."""


class BatchStopped(C360Error):
    """A batch failed validation so widely that it was stopped as a whole, not quarantined row by row."""
