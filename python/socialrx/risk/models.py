"""Linear, logistic and Poisson risk models: read from JSON (or fitted), scored over whole
populations in compiled code, with each patient's top contributing features.

Model JSON::

    {"name": "...", "kind": "logistic" | "linear" | "poisson",
     "outcome": "...", "description": "...",                  (optional)
     "intercept": -3.6,
     "features": [{"name": "...", "source": "...", ...}, ...],
     "coefficients": {"<feature name>": 0.42, ...}}           (exactly one per feature)

Feature sources, read from the patients frame (one row per patient):

- ``column`` ``{"column": "x"}``: the number as it is.
- ``comorbidity`` ``{"column": "charlson_score"}``: a comorbidity score or 0/1 flag (>= 0).
- ``deprivation`` ``{"column": "imd_decile", "deciles": [1, 2]}``: 1 when the decile (1-10,
  1 = most deprived) is listed; without ``deciles``, the decile itself.
- ``age_band`` ``{"column": "age", "band": [75, null]}``: 1 when low <= age < high.
- ``equals`` ``{"column": "sex", "value": "F"}``: 1 when the label equals the value.
- ``event_count`` ``{"kind": "ae_attendance", "lookback_days": 365}``: events of the kind with
  as_of - lookback_days <= date < as_of (the as-of day itself is not counted).

``column``, ``comorbidity`` and ``event_count`` also take ``"at_least": a`` (1 when the value is
>= a) or ``"transform": "log1p"``. A malformed model is a ``ValueError`` naming the key.

Scores: linear = eta = intercept + x.w; logistic = 1/(1 + exp(-eta)), computed so that exp
never sees a positive argument; Poisson = exp(eta), an error naming the row if eta > 709.78
(the double range). NaN or infinite features are errors naming the row and feature.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar, Union

import numpy as np
import pandas as pd

from .. import _core
from .._columns import as_codes, as_day, as_days, as_frame, as_ids, require_columns

ModelSource = Union[str, "os.PathLike[str]", dict[str, Any]]
EVENT_KINDS: tuple[str, ...] = tuple(_core.EVENT_KINDS)
_EMBEDDED = {"example": "models/example_logistic.json"}
_PATIENT_ID_COLUMNS = ("patient_id", "person_id", "client_id")


def _model_text(source: ModelSource) -> str:
    if isinstance(source, dict):
        return json.dumps(source)
    if isinstance(source, str) and source in _EMBEDDED:
        return _core.embedded_file(_EMBEDDED[source])
    if isinstance(source, str) and source.lstrip().startswith("{"):
        return source
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"model: no file {str(path)!r} (give a path, a dict, JSON text or 'example')")
    return path.read_text(encoding="utf-8")


def _numbers(values: pd.Series, column: str) -> np.ndarray:
    if values.dtype.kind == "b":
        return values.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(values.dtype):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna().to_numpy() & values.notna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"patients.{column} row {row}: {values.iloc[row]!r} is not a number")
        values = converted
    return np.ascontiguousarray(values.to_numpy(dtype=np.float64, na_value=np.nan))


_Model = TypeVar("_Model", bound="RiskModel")


class RiskModel:
    """A scoring model over named features. Use ``load_model`` or a subclass's ``from_json``."""

    kind: ClassVar[str | None] = None

    def __init__(self, core: _core.RiskModel) -> None:
        if self.kind is not None and core.kind != self.kind:
            raise ValueError(f"model.kind: {type(self).__name__} needs kind '{self.kind}', "
                             f"the model is '{core.kind}' (use load_model)")
        self._core = core

    @classmethod
    def from_json(cls: type[_Model], source: ModelSource) -> _Model:
        """From a JSON file path, a dict, JSON text, or ``"example"`` (the shipped
        illustrative model: made-up coefficients, not for selecting patients)."""
        return cls(_core.RiskModel.from_json(_model_text(source)))

    def to_json(self, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The model as a dict; also written to ``path`` when given."""
        text = self._core.to_json()
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return json.loads(text)

    name = property(lambda self: self._core.name)
    outcome = property(lambda self: self._core.outcome)
    description = property(lambda self: self._core.description)
    intercept = property(lambda self: self._core.intercept)
    feature_names = property(lambda self: list(self._core.feature_names))

    @property
    def coefficients(self) -> pd.Series:
        return pd.Series(self._core.coefficients, index=self.feature_names, name="coefficient")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, features={len(self.feature_names)})"

    # ------------------------------------------------------------------ features
    def features(self, patients: Any, events: Any = None, *, as_of: Any = None, threads: int = 0) -> pd.DataFrame:
        """The model's features for every patient (rows aligned with ``patients``).

        ``events`` (``person_id``/``patient_id``, ``date``, ``kind``) and ``as_of`` (a date, or
        the name of a date column of ``patients``) are needed for ``event_count`` features;
        ``patients`` then needs a ``patient_id`` (or ``person_id`` / ``client_id``) column.
        """
        frame = as_frame(patients, "patients")
        matrix = self._matrix(frame, events, as_of, threads)
        return pd.DataFrame(matrix, index=frame.index, columns=self.feature_names)

    def _matrix(self, frame: pd.DataFrame, events: Any, as_of: Any, threads: int) -> np.ndarray:
        numbers: dict[str, np.ndarray] = {}
        labels: dict[str, tuple[np.ndarray, list[str]]] = {}
        for column, how in self._core.columns:
            if column not in frame.columns:
                continue  # the engine names the missing column and the feature needing it
            if how == "labels":
                labels[column] = as_codes(frame[column], "patients", column)
            else:
                numbers[column] = _numbers(frame[column], column)
        empty_ids, empty_days = np.empty(0, np.int64), np.empty(0, np.int32)
        patient_id, as_of_days = empty_ids, empty_days
        person, dates, kinds = empty_ids, empty_days, np.empty(0, np.uint8)
        if self._core.needs_events:
            if events is None:
                raise ValueError(f"events: model '{self.name}' counts events; pass an events table")
            if as_of is None:
                raise ValueError(f"as_of: model '{self.name}' counts events before an as-of date; pass one")
            id_column = next((c for c in _PATIENT_ID_COLUMNS if c in frame.columns), None)
            if id_column is None:
                raise ValueError("patients: missing column patient_id (or person_id / client_id)")
            patient_id = as_ids(frame[id_column], "patients", id_column)
            if isinstance(as_of, str) and as_of in frame.columns:
                as_of_days = as_days(frame[as_of], "patients", as_of, required=True)
            else:
                as_of_days = np.full(len(frame), as_day(as_of, "as_of"), dtype=np.int32)
            ev = as_frame(events, "events")
            ev_id = next((c for c in ("person_id", "patient_id", "client_id") if c in ev.columns), None)
            if ev_id is None:
                raise ValueError("events: missing column person_id (or patient_id / client_id)")
            require_columns(ev, "events", [ev_id, "date", "kind"])
            person = as_ids(ev[ev_id], "events", ev_id)
            dates = as_days(ev["date"], "events", "date", required=True)
            kinds, _ = as_codes(ev["kind"], "events", "kind", EVENT_KINDS, dtype=np.uint8)
        return _core.risk_features(self._core, len(frame), numbers, labels, patient_id, as_of_days,
                                   person, dates, kinds, threads)

    def _as_matrix(self, data: Any, events: Any, as_of: Any, threads: int, *, allow_float32: bool) -> np.ndarray:
        """A 2-D array as it is (C-contiguous float64, or float32 where allowed: no copy);
        otherwise the features built from a patients frame."""
        if isinstance(data, np.ndarray):
            if data.ndim != 2:
                raise ValueError(f"features: expected a 2-D array (patients x features), got {data.ndim}-D")
            keep = data.dtype == np.float64 or (allow_float32 and data.dtype == np.float32)
            return np.ascontiguousarray(data if keep else data.astype(np.float64))
        return self._matrix(as_frame(data, "patients"), events, as_of, threads)

    # ------------------------------------------------------------------ scoring
    def score(self, data: Any, events: Any = None, *, as_of: Any = None, threads: int = 0) -> Any:
        """Scores: a patients DataFrame gives a Series named ``score`` aligned with it; a 2-D
        numpy array of features (columns in ``feature_names`` order) gives a 1-D array and is
        read without copying when C-contiguous float64 or float32 (float32 is accumulated in
        float64). The GIL is released while scoring.
        """
        matrix = self._as_matrix(data, events, as_of, threads, allow_float32=True)
        scores = _core.risk_score(self._core, matrix, threads)
        if isinstance(data, np.ndarray):
            return scores
        return pd.Series(scores, index=as_frame(data, "patients").index, name="score")

    def explain(self, data: Any, events: Any = None, *, top: int = 3, as_of: Any = None,
                threads: int = 0) -> pd.DataFrame:
        """Per patient the ``top`` features with the largest contributions w_j * x_j to the
        linear predictor, largest first (those pushing the risk up most; ties in feature
        order). Columns: ``score``, then ``feature_1``, ``contribution_1``, ... Contributions
        are signed and on the linear-predictor (log-odds for logistic) scale.
        """
        if top < 1:
            raise ValueError(f"top: must be at least 1, got {top}")
        matrix = self._as_matrix(data, events, as_of, threads, allow_float32=False)
        scores, feature, contribution = _core.risk_explain(self._core, matrix, top, threads)
        names = np.asarray(self.feature_names, dtype=object)
        index = None if isinstance(data, np.ndarray) else as_frame(data, "patients").index
        out = pd.DataFrame({"score": scores}, index=index)
        for rank in range(feature.shape[1]):
            out[f"feature_{rank + 1}"] = names[feature[:, rank]]
            out[f"contribution_{rank + 1}"] = contribution[:, rank]
        return out


class LinearModel(RiskModel):
    """score = intercept + x.w"""

    kind = "linear"


class PoissonModel(RiskModel):
    """score = exp(intercept + x.w), an expected count."""

    kind = "poisson"


class LogisticModel(RiskModel):
    """score = 1 / (1 + exp(-(intercept + x.w))), a probability."""

    kind = "logistic"
    fit_info: dict[str, Any] | None = None

    @classmethod
    def fit(cls, X: Any, y: Any, *, ridge: float = 0.0, feature_names: Sequence[str] | None = None,
            name: str = "fitted_logistic", outcome: str = "", max_iterations: int = 100,
            tolerance: float = 1e-12) -> LogisticModel:
        """Maximum-likelihood logistic regression by IRLS (Newton steps solved by Cholesky).

        ``X``: a DataFrame of numeric features (each becomes a ``column`` feature of that name)
        or a 2-D array (names from ``feature_names``, default ``x0, x1, ...``); ``y``: 0/1.
        ``ridge`` > 0 adds ridge/2 * sum(w^2) to the negative log-likelihood (intercept not
        penalised). Converged when every step |d_j| <= tolerance * (1 + |b_j|); otherwise
        (typically perfect separation) a ValueError suggesting ridge > 0. With ridge = 0 the
        coefficients are those of statsmodels' Logit. ``fit_info`` holds standard errors
        (intercept first), log-likelihood and iterations.
        """
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            matrix = np.column_stack([_numbers(X[c], str(c)) for c in X.columns]) if len(X.columns) else None
        else:
            matrix = np.asarray(X, dtype=np.float64)
            if matrix.ndim != 2:
                raise ValueError(f"X: expected a 2-D array, got {matrix.ndim}-D")
            names = list(feature_names) if feature_names is not None else [f"x{j}" for j in range(matrix.shape[1])]
        if matrix is None or matrix.shape[1] == 0:
            raise ValueError("X: at least one feature is needed")
        if len(names) != matrix.shape[1]:
            raise ValueError(f"feature_names: {len(names)} names for {matrix.shape[1]} columns")
        outcome_values = np.ascontiguousarray(np.asarray(y, dtype=np.float64).ravel())
        if len(outcome_values) != matrix.shape[0]:
            raise ValueError(f"y: has {len(outcome_values)} rows but X has {matrix.shape[0]}")
        # Rows in an order fixed by their values: the fit's sums, and so its last bits, do not
        # follow the order the caller's rows came in.
        order = np.lexsort((outcome_values, *matrix.T[::-1]))
        result = _core.fit_logistic(np.ascontiguousarray(matrix[order]), outcome_values[order], ridge=ridge,
                                    max_iterations=max_iterations, tolerance=tolerance)
        model = cls.from_json({
            "name": name, "kind": "logistic", "outcome": outcome,
            "description": f"fitted by IRLS on {matrix.shape[0]} rows, ridge {ridge}",
            "intercept": result["intercept"],
            "features": [{"name": n, "source": "column", "column": n} for n in names],
            "coefficients": dict(zip(names, result["coefficients"].tolist())),
        })
        model.fit_info = {k: result[k] for k in ("standard_errors", "log_likelihood", "iterations")}
        return model


_KINDS = {"linear": LinearModel, "logistic": LogisticModel, "poisson": PoissonModel}


def load_model(source: ModelSource) -> RiskModel:
    """A model of whichever kind the JSON says (LinearModel, LogisticModel or PoissonModel)."""
    core = _core.RiskModel.from_json(_model_text(source))
    return _KINDS[core.kind](core)
