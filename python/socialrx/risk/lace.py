"""LACE index (van Walraven et al., CMAJ 2010) of the risk of death or unplanned readmission
within 30 days of discharge, 0-19 points:

=====================================  ==============================================
L  length of stay (days)               0 -> 0, 1 -> 1, 2 -> 2, 3 -> 3, 4-6 -> 4, 7-13 -> 5, 14+ -> 7
A  acute (emergent) admission          3 (elective 0)
C  Charlson comorbidity score          0 -> 0, 1 -> 1, 2 -> 2, 3 -> 3, 4+ -> 5
E  A&E visits in the previous 6 months one point each, at most 4
=====================================  ==============================================

Variants share the point table and say how the inputs are defined:

``"van_walraven"`` (default)
    The paper's own: Charlson score with the 1987 weights, ED visits in the 6 months before
    admission.
``"uk"``
    An adaptation to English data, not a separately published or validated model: acute =
    an emergency admission (HES/SUS admission method 2x); Charlson score with the Quan 2011
    weights on the Quan 2005 ICD-10 map (``socialrx.risk.comorbidity``); A&E = ECDS
    attendances in the 183 days before the admission day (6 months by the library's rule).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _core

LACE_VARIANTS: tuple[str, ...] = tuple(_core.LACE_VARIANTS)


def _whole_numbers(values: Any, data: pd.DataFrame | None, name: str, dtype: Any) -> tuple[np.ndarray, Any]:
    """A column of ``data`` (by name) or an array-like, as whole numbers; the pandas index if any."""
    if isinstance(values, str):
        if data is None or values not in data.columns:
            raise ValueError(f"admissions: missing column {values}")
        values = data[values]
    index = values.index if isinstance(values, pd.Series) else None
    array = np.asarray(values)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.dtype.kind == "b":
        return np.ascontiguousarray(array, dtype=dtype), index
    numeric = pd.to_numeric(pd.Series(array), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric) | (numeric != np.round(numeric))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        problem = "missing value" if np.isnan(numeric[row]) else f"{array[row]!r} is not a whole number"
        raise ValueError(f"admissions.{name} row {row}: {problem}")
    return np.ascontiguousarray(numeric, dtype=dtype), index


def lace(
    data: pd.DataFrame | None = None,
    /,
    *,
    length_of_stay_days: Any = "length_of_stay_days",
    acute: Any = "acute",
    charlson: Any = "charlson",
    ae_visits_6m: Any = "ae_visits_6m",
    variant: str = "van_walraven",
    threads: int = 0,
) -> pd.Series:
    """The LACE score of each admission, as an int8 Series named ``lace``.

    Each input is a column name of ``data`` (the defaults) or an array-like of values:
    ``lace(admissions)`` or ``lace(length_of_stay_days=[5], acute=[True], charlson=[5],
    ae_visits_6m=[2])`` (= 14). Missing, fractional or negative values, ``acute`` other than
    0/1, mismatched lengths and unknown variants are ``ValueError`` naming the column and row.
    """
    if data is not None and not isinstance(data, pd.DataFrame):
        raise ValueError(f"admissions: expected a pandas DataFrame, got {type(data).__name__}")
    stay, index = _whole_numbers(length_of_stay_days, data, "length_of_stay_days", np.int32)
    is_acute, _ = _whole_numbers(acute, data, "acute", np.int64)
    if ((is_acute != 0) & (is_acute != 1)).any():
        row = int(np.flatnonzero((is_acute != 0) & (is_acute != 1))[0])
        raise ValueError(f"admissions.acute row {row}: must be 0 or 1 (or a bool), got {is_acute[row]}")
    cci, _ = _whole_numbers(charlson, data, "charlson", np.int32)
    visits, _ = _whole_numbers(ae_visits_6m, data, "ae_visits_6m", np.int32)
    scores = _core.lace(stay, is_acute.astype(np.uint8), cci, visits, variant=variant, threads=threads)
    if data is not None:
        index = data.index
    return pd.Series(scores, index=index if index is not None and len(index) == len(scores) else None,
                     name="lace")
