"""Great Expectations suites per canonical entity and row-level quarantine on top of them."""

from expectations.validate import RowFailure, ValidationOutcome, validate_frame

__all__ = ["RowFailure", "ValidationOutcome", "validate_frame"]
