"""Comorbidity indices from long-format diagnoses: Charlson, Elixhauser and the Hospital Frailty
Risk Score.

The diagnoses table has one row per recorded code: ``patient_id`` and ``code`` (ICD-10 in any
punctuation: ``"F00.1"``, ``"F001"`` and ``" f00.1 "`` are the same code; ``"G35X"`` is
``G35``). Codes are matched by prefix against the code lists in ``data/risk`` (Quan 2005 for
Charlson and Elixhauser, NHS SHMI, Gilbert 2018 for HFRS). Empty and NA codes are ignored and
codes that match nothing are kept out of every category; both are counted in the result's
``attrs``, never an error.

Each function returns one row per patient, in order of first appearance: the id column, one
bool column per category (flags as recorded, before any hierarchy) and ``score``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import _core
from .._columns import as_frame, require_columns

FRAILTY_BANDS: tuple[str, ...] = tuple(_core.FRAILTY_BANDS)

# Weight set -> the map it belongs to.
_CHARLSON_WEIGHTS = {"charlson1987": "quan2005", "quan2011": "quan2005", "shmi": "shmi"}
_CHARLSON_MAPS = {"quan2005": "charlson_quan2005", "shmi": "charlson_shmi"}
_ELIXHAUSER_WEIGHTS = ("van_walraven", "swiss")


def normalise_icd10(codes: Any) -> list[str]:
    """ICD-10 codes as matched: upper-case, letters and digits only, trailing X padding gone;
    ``""`` for a missing code."""
    return _core.normalise_icd10(["" if pd.isna(c) else str(c) for c in codes])


def comorbidity_map(name: str) -> dict[str, Any]:
    """A compiled-in map (``charlson_quan2005``, ``charlson_shmi``, ``elixhauser_quan2005``,
    ``hfrs``): category ids, names, codes, weight sets and hierarchy pairs."""
    return _core.comorbidity_map(name)


def charlson(diagnoses: Any, weights: str = "quan2011", hierarchy: bool = True, *,
             variant: str | None = None, patient_column: str = "patient_id",
             code_column: str = "code", threads: int = 0) -> pd.DataFrame:
    """Charlson comorbidity index per patient.

    ``weights``: ``"quan2011"`` (Quan 2011, AIDS/HIV 4 as published), ``"charlson1987"`` or
    ``"shmi"`` (NHS SHMI v1.35; negative sums become 0). ``variant`` picks the code map,
    ``"quan2005"`` or ``"shmi"``; by default the one the weights were published with.
    ``hierarchy``: a category's severe form stops its mild form being scored (severe over mild
    liver disease, diabetes with over without complications, metastatic over any cancer);
    both flags stay visible. ``score`` is an int.
    """
    if weights not in _CHARLSON_WEIGHTS:
        raise ValueError(f"charlson: unknown weights {weights!r} (have: {', '.join(_CHARLSON_WEIGHTS)})")
    variant = _CHARLSON_WEIGHTS[weights] if variant is None else variant
    if variant not in _CHARLSON_MAPS:
        raise ValueError(f"charlson: unknown variant {variant!r} (have: {', '.join(_CHARLSON_MAPS)})")
    return _run("charlson", _CHARLSON_MAPS[variant], weights, hierarchy, diagnoses,
                patient_column, code_column, threads)[0]


def elixhauser(diagnoses: Any, weights: str = "van_walraven", hierarchy: bool = True, *,
               patient_column: str = "patient_id", code_column: str = "code",
               threads: int = 0) -> pd.DataFrame:
    """Elixhauser comorbidity score per patient (Quan 2005 map, 31 categories).

    ``weights``: ``"van_walraven"`` (van Walraven 2009) or ``"swiss"`` (Sharma 2021). Scores
    can be negative and are not clamped. A code may flag two categories (I42.6: heart failure
    and alcohol abuse). ``hierarchy``: complicated over uncomplicated diabetes and
    hypertension, metastatic cancer over solid tumour. ``score`` is an int.
    """
    if weights not in _ELIXHAUSER_WEIGHTS:
        raise ValueError(f"elixhauser: unknown weights {weights!r} (have: {', '.join(_ELIXHAUSER_WEIGHTS)})")
    return _run("elixhauser", "elixhauser_quan2005", weights, hierarchy, diagnoses,
                patient_column, code_column, threads)[0]


def hfrs(diagnoses: Any, *, patient_column: str = "patient_id", code_column: str = "code",
         threads: int = 0) -> pd.DataFrame:
    """Hospital Frailty Risk Score per patient (Gilbert 2018): points of the distinct
    three-character categories present, as a float summed exactly in tenths, and ``band``
    (ordered categorical: low < 5, intermediate 5 to 15 inclusive, high > 15)."""
    frame, units, per_point = _run("hfrs", "hfrs", "points", False, diagnoses, patient_column,
                                   code_column, threads)
    frame["band"] = pd.Categorical.from_codes(_core.frailty_bands(units, per_point),
                                              categories=pd.Index(FRAILTY_BANDS), ordered=True)
    return frame


def _run(index: str, map_name: str, weights: str, hierarchy: bool, diagnoses: Any,
         patient_column: str, code_column: str, threads: int) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The result frame, with the exact scores in units of 1/units_per_point points."""
    frame = _as_diagnoses(diagnoses, patient_column, code_column)
    positions, patient_ids = _patient_positions(frame[patient_column], patient_column)
    strings, code_index = _code_strings(frame[code_column])
    validity, offsets, data = _buffers(strings)
    result = _core.comorbidity(map_name, weights, bool(hierarchy), positions, len(patient_ids),
                               offsets, data, validity, strings.offset, code_index, threads)
    out = pd.DataFrame(result["flags"], columns=result["categories"])
    out.insert(0, patient_column, patient_ids)
    units, per_point = result["score_units"], result["units_per_point"]
    out["score"] = units if per_point == 1 else units / per_point
    out.attrs = {
        "index": index,
        "map": map_name,
        "weights": weights,
        "hierarchy": bool(hierarchy),
        "codes_matched": result["codes_matched"],
        "codes_unmatched": result["codes_unmatched"],
        "codes_ignored": result["codes_ignored"],
    }
    return out, units, per_point


def _as_diagnoses(diagnoses: Any, patient_column: str, code_column: str) -> pd.DataFrame:
    if isinstance(diagnoses, Mapping):
        lengths = {name: len(diagnoses[name]) for name in (patient_column, code_column) if name in diagnoses}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"diagnoses: column {code_column} has {lengths[code_column]} rows but "
                             f"{patient_column} has {lengths[patient_column]}")
        diagnoses = pd.DataFrame({name: diagnoses[name] for name in lengths})
    frame = as_frame(diagnoses, "diagnoses")
    require_columns(frame, "diagnoses", (patient_column, code_column))
    return frame


def _patient_positions(ids: pd.Series, column: str) -> tuple[np.ndarray, pd.Index]:
    positions, uniques = pd.factorize(ids, sort=False)
    if (positions < 0).any():
        raise ValueError(f"diagnoses.{column} row {int(np.flatnonzero(positions < 0)[0])}: missing id")
    return positions.astype(np.int32), pd.Index(uniques, name=column)


def _code_strings(codes: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Arrow large strings without per-row Python objects where pandas already holds Arrow data;
    for a categorical column, its categories and each row's category position (-1: missing)."""
    empty_index = np.empty(0, dtype=np.int32)
    if isinstance(codes.dtype, pd.CategoricalDtype):
        categories = _arrow_strings(pd.Series(codes.cat.categories.astype(str)))
        return categories, codes.cat.codes.to_numpy().astype(np.int32)
    strings = _arrow_strings(codes)
    if pa.types.is_dictionary(strings.type):
        return (_arrow_strings(pd.Series(strings.dictionary.to_pandas().astype(str))),
                strings.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32))
    return strings, empty_index


def _arrow_strings(values: pd.Series) -> pa.Array:
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed Python objects: their str()
        array = pa.array(values.astype("string"), from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        return array
    return array.cast(pa.large_string())


def _buffers(strings: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    validity, offsets, data = strings.buffers()
    n = len(strings)
    return (np.empty(0, np.uint8) if validity is None else np.frombuffer(validity, np.uint8),
            np.frombuffer(offsets, np.int64)[strings.offset:strings.offset + n + 1],
            np.empty(0, np.uint8) if data is None else np.frombuffer(data, np.uint8))
