"""Which trained matching model a run scores with: versions kept in ``meta.match_model``.

A model is reused while it fits: same recipe (comparisons, blocking, training), and a
number of records within ``retrain_when_records_change_by`` of what it was trained on,
because the prior (how likely two random records match) falls as the bank grows.
Otherwise, or when asked, a new version is trained, and every pair is scored again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from transforms.resolve.match import MODEL_RECIPE, train_model


@dataclass(frozen=True)
class Model:
    version: int
    model_json: str
    """Splink's model JSON."""
    trained: bool
    """Trained by this run, rather than reused."""


def model_in_force(
    conn: Connection, frame: pd.DataFrame, *, retrain: bool, change_to_retrain: float, now: dt.datetime
) -> Model | None:
    """The latest model of this recipe if it still fits the records (their ``splink_frame``), else a newly
    trained one; None for < 2 records."""
    if len(frame) < 2:
        return None
    latest = conn.execute(
        sa.text(
            "SELECT model_version, records, settings_json FROM meta.match_model WHERE recipe = :recipe"
            " ORDER BY model_version DESC LIMIT 1"
        ),
        {"recipe": MODEL_RECIPE},
    ).first()
    if latest is not None and not retrain and abs(len(frame) - latest[1]) <= change_to_retrain * latest[1]:
        return Model(int(latest[0]), latest[2], trained=False)
    model_json = train_model(frame)
    version = conn.execute(sa.text("SELECT COALESCE(MAX(model_version), 0) + 1 FROM meta.match_model")).scalar_one()
    conn.execute(
        sa.text(
            "INSERT INTO meta.match_model (model_version, trained_at, records, settings_json, recipe)"
            " VALUES (:version, :at, :records, :model, :recipe)"
        ),
        {"version": version, "at": now, "records": len(frame), "model": model_json, "recipe": MODEL_RECIPE},
    )
    return Model(int(version), model_json, trained=True)
