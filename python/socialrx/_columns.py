"""Turn DataFrame (or Arrow) columns into the arrays the compiled engines take.

Dates become int32 days since 1970-01-01 (missing: ``NO_DATE``), ids int64, categories small
integer codes. Every problem is a ``ValueError`` naming the table, the column and the first
offending row, as the engines' own errors do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core

NO_DATE: int = _core.NO_DATE
_EPOCH = np.datetime64("1970-01-01", "D")


def as_frame(table: Any, name: str) -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame, an Arrow table or anything with ``to_pandas``."""
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):
        return table.to_pandas()
    raise ValueError(f"{name}: expected a pandas DataFrame or an Arrow table, got {type(table).__name__}")


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: missing column(s) {', '.join(missing)} (has: {', '.join(map(str, frame.columns))})")


def _first_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def as_ids(values: pd.Series, table: str, column: str) -> np.ndarray:
    """Whole-number ids as int64; missing or fractional ids are errors."""
    if values.dtype.kind in "iu":  # numpy integers: nothing can be missing
        return np.ascontiguousarray(values.to_numpy(), dtype=np.int64)
    if values.isna().any():
        raise ValueError(f"{table}.{column} row {_first_row(values.isna().to_numpy())}: missing id")
    array = values.to_numpy()
    if array.dtype.kind in "iu":
        return np.ascontiguousarray(array, dtype=np.int64)
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric) | (numeric != np.round(numeric))
    if bad.any():
        row = _first_row(bad)
        raise ValueError(f"{table}.{column} row {row}: id {values.iloc[row]!r} is not a whole number")
    return numeric.astype(np.int64)


def normalised_labels(values: pd.Series) -> pd.Series:
    """Labels stripped and lower-cased (missing stays missing). A categorical keeps its codes and
    has its categories normalised once (those that become equal merged), so a million rows
    with a handful of labels cost a handful of string operations, not a million."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype("string").str.strip().str.lower()
    categories = values.cat.categories.astype("string").str.strip().str.lower()
    merged, labels = pd.factorize(categories)
    codes = values.array.codes
    recoded = np.where(codes >= 0, merged[codes], -1)
    return pd.Series(pd.Categorical.from_codes(recoded, categories=labels), index=values.index)


_TICKS_PER_DAY = {"ns": 86_400_000_000_000, "us": 86_400_000_000, "ms": 86_400_000, "s": 86_400}


def as_ticks(values: pd.Series) -> tuple[np.ndarray, int] | None:
    """A datetime64 column without time zone in ns, us, ms or s as (int64 ticks since 1970, ticks a
    day), without a copy; None for any other column."""
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        return None
    stamps = values.to_numpy()
    unit = np.datetime_data(stamps.dtype)[0]
    if unit not in _TICKS_PER_DAY:
        return None
    return np.ascontiguousarray(stamps).view(np.int64), _TICKS_PER_DAY[unit]


def as_days(values: pd.Series, table: str, column: str, *, required: bool) -> np.ndarray:
    """Dates as int32 days since 1970-01-01; accepts datetimes, dates and ISO strings."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values, errors="coerce", format="mixed")
        unreadable = parsed.isna().to_numpy() & values.notna().to_numpy()
        if unreadable.any():
            row = _first_row(unreadable)
            raise ValueError(f"{table}.{column} row {row}: {values.iloc[row]!r} is not a date (YYYY-MM-DD)")
        values = parsed
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    ticks = as_ticks(values)
    if ticks is None:
        ticks = values.to_numpy().astype("datetime64[s]").view(np.int64), _TICKS_PER_DAY["s"]
    days, first_missing = _core.days_from_ticks(*ticks)
    if required and first_missing >= 0:
        raise ValueError(f"{table}.{column} row {first_missing}: missing date")
    return days


def as_day(value: Any, name: str) -> int:
    """One date (string, date, datetime or Timestamp) as days since 1970-01-01."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from error
    if pd.isna(stamp):
        raise ValueError(f"{name}: a date is required")
    return int((np.datetime64(stamp.date(), "D") - _EPOCH).astype(np.int64))


def as_codes(values: pd.Series, table: str, column: str, categories: Sequence[str] | None = None,
             *, dtype: Any = np.int32) -> tuple[np.ndarray, list[str]]:
    """Category labels as integer codes.

    With ``categories`` given, any other label is an error naming its row; without, the
    categories are the sorted distinct labels. Missing labels are errors.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = pd.Index([str(c) for c in values.cat.categories])
        known = list(present) if categories is None else list(categories)
        # Recode the few categories, not the many rows; identical categories need no recoding.
        position = pd.Index(known).get_indexer(present)
        codes = values.array.codes
        identical = np.array_equal(position, np.arange(len(position)))
        if np.dtype(dtype) == np.uint8 and codes.dtype == np.int8 and identical:
            if len(codes) and codes.min() < 0:  # a vectorised scan; then the codes as they are
                _raise_bad_label(values, table, column, known, _first_row(codes < 0))
            return codes.view(np.uint8), known
        if np.dtype(dtype) == np.uint8 and codes.dtype in (np.int8, np.int16) and len(known) < 255:
            ours = np.where(position >= 0, position, _core.UNMAPPED).astype(np.uint8)
            recoded, first_bad = _core.recode(codes, ours)
            if first_bad >= 0:
                _raise_bad_label(values, table, column, known, first_bad)
            return recoded, known
        if not identical:
            codes = np.where(codes >= 0, position[codes], -1)
    else:
        if values.isna().any():
            raise ValueError(f"{table}.{column} row {_first_row(values.isna().to_numpy())}: missing value")
        labels = values.astype("string")
        known = sorted(pd.unique(labels.astype(str))) if categories is None else list(categories)
        codes = pd.Index(known).get_indexer(labels.astype(str))
    bad = codes < 0
    if bad.any():
        _raise_bad_label(values, table, column, known, _first_row(bad))
    return codes.astype(dtype, copy=False), known


def _raise_bad_label(values: pd.Series, table: str, column: str, categories: Sequence[str], row: int) -> None:
    if pd.isna(values.iloc[row]):
        raise ValueError(f"{table}.{column} row {row}: missing value")
    raise ValueError(f"{table}.{column} row {row}: unknown value {values.iloc[row]!r} "
                     f"(expected one of: {', '.join(categories)})")


def client_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The clients table's ids and dates, checked: dates in order and ids unique.

    Keys are those of the engines' clients view: client_id, referral_date, index_date and
    discharge_date (empty when the table has none).
    """
    require_columns(frame, "clients", ["client_id", "referral_date", "index_date"])
    columns = {
        "client_id": as_ids(frame["client_id"], "clients", "client_id"),
        "referral_date": as_days(frame["referral_date"], "clients", "referral_date", required=True),
        "index_date": as_days(frame["index_date"], "clients", "index_date", required=False),
        "discharge_date": (as_days(frame["discharge_date"], "clients", "discharge_date", required=False)
                           if "discharge_date" in frame else np.empty(0, np.int32)),
    }
    _core.validate_clients(**columns)
    return columns


def financial_year_labels(days: np.ndarray, *, missing: str = "not connected") -> pd.Series:
    """NHS financial years (April to March) as "2023/24"; ``missing`` where there is no date."""
    absent = days == NO_DATE
    dates = pd.to_datetime(np.where(absent, 0, days).astype("int64"), unit="D")
    start = dates.year - (dates.month < 4)
    labels = [f"{y}/{(y + 1) % 100:02d}" for y in start]
    return pd.Series(np.where(absent, missing, labels), dtype="string")


def whole_number(value: Any, name: str, low: int, high: int | None = None) -> int:
    """An option that must be a whole number in [low, high) (no upper bound without high)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low or (
            high is not None and value >= high):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name}: must be a whole number {bound}, got {value!r}")
    return int(value)
