"""From raw patients, diagnoses and events to scores, reasons and a case list in one call."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._columns import as_frame, require_columns
from .comorbidity import charlson, elixhauser, hfrs
from .models import ModelSource, RiskModel, load_model

# Columns a model can name as comorbidity features; each is computed only when it is named.
COMORBIDITY_COLUMNS = {
    "charlson_score": lambda dx, threads: charlson(dx, weights="quan2011", threads=threads),
    "elixhauser_score": lambda dx, threads: elixhauser(dx, weights="van_walraven", threads=threads),
    "hfrs_score": lambda dx, threads: hfrs(dx, threads=threads),
}


def _named_columns(model: RiskModel) -> set[str]:
    return {feature.get("column") for feature in model.to_json()["features"]} - {None}


def add_comorbidity_scores(patients: pd.DataFrame, diagnoses: Any, model: RiskModel, *,
                           threads: int = 0) -> pd.DataFrame:
    """The patients with the comorbidity score columns the model names (``charlson_score``,
    ``elixhauser_score``, ``hfrs_score``) computed from ``diagnoses``; a patient without
    diagnoses scores 0. Columns the patients already have are kept as they are."""
    wanted = [c for c in COMORBIDITY_COLUMNS if c in _named_columns(model) and c not in patients]
    if not wanted:
        return patients
    if diagnoses is None:
        raise ValueError(f"diagnoses: the model needs {', '.join(wanted)}, computed from a diagnoses table")
    out = patients.copy()
    for column in wanted:
        scores = COMORBIDITY_COLUMNS[column](diagnoses, threads).set_index("patient_id")["score"]
        out[column] = out["patient_id"].map(scores).fillna(0).to_numpy(dtype=np.float64)
    return out


def score_patients(patients: Any, model: ModelSource | RiskModel, *, diagnoses: Any = None, events: Any = None,
                   as_of: Any = None, top: int = 3, threads: int = 0) -> pd.DataFrame:
    """Score every patient and give the ``top`` features behind each score.

    ``patients`` has ``patient_id`` and the columns the model names; comorbidity scores the
    model names are computed from ``diagnoses`` (``patient_id``, ``code``) and event counts
    from ``events`` (``person_id``, ``date``, ``kind``) in the look-back before ``as_of``.
    Returns the patients' columns with ``score``, ``feature_1``, ``contribution_1``, ...
    """
    model = model if isinstance(model, RiskModel) else load_model(model)
    frame = as_frame(patients, "patients").reset_index(drop=True)
    require_columns(frame, "patients", ["patient_id"])
    frame = add_comorbidity_scores(frame, diagnoses, model, threads=threads)
    explained = model.explain(frame, events, top=top, as_of=as_of, threads=threads)
    return pd.concat([frame, explained], axis=1)
