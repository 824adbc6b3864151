"""Case lists for multidisciplinary teams: the k highest-risk patients of each practice."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._columns import as_codes, as_frame, as_ids, require_columns


def case_list(scores: Any, by: str | None = "practice", k: int = 10, *, score: str = "score",
              id: str = "patient_id") -> pd.DataFrame:
    """The rows of ``scores`` with the ``k`` highest scores in each ``by`` group.

    Groups come in sorted label order, highest score first within a group; equal scores are
    ordered by the smaller ``id``, so the list is the same on every run. ``by=None`` takes the
    top ``k`` of everyone. Adds ``rank`` (1 = highest in its group). Missing scores, ids or
    groups are ``ValueError`` naming the row.
    """
    frame = as_frame(scores, "scores")
    require_columns(frame, "scores", [score, id] + ([by] if by is not None else []))
    if k < 1:
        raise ValueError(f"k: must be at least 1, got {k}")
    if by is None:
        groups, n_groups = np.zeros(len(frame), np.int32), 1
    else:
        groups, labels = as_codes(frame[by], "scores", by)
        n_groups = max(len(labels), 1)
    values = frame[score]
    if values.isna().any():
        raise ValueError(f"scores.{score} row {int(np.flatnonzero(values.isna().to_numpy())[0])}: missing score")
    rows = _core.top_k_per_group(groups, n_groups, np.ascontiguousarray(values.to_numpy(dtype=np.float64)),
                                 as_ids(frame[id], "scores", id), k)
    out = frame.iloc[rows].copy()
    chosen = groups[rows]
    starts = np.r_[0, np.flatnonzero(np.diff(chosen)) + 1] if len(rows) else np.empty(0, np.int64)
    out["rank"] = np.arange(len(rows)) - np.repeat(starts, np.diff(np.r_[starts, len(rows)])) + 1
    return out
