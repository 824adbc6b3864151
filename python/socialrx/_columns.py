"""Turn DataFrame (or Arrow) columns into the arrays the compiled engines take.

Dates become int32 days since 1970-01-01 (missing: ``NO_DATE``), ids int64, categories small
integer codes. Every problem is a ``ValueError`` naming the table, the column and the first
offending row, as the engines' own errors do.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import _core

NO_DATE: int = _core.NO_DATE
_EPOCH = np.datetime64("1970-01-01", "D")


def as_frame(table: Any, name: str) -> pd.DataFrame:
    """A pandas DataFrame from a DataFrame, an Arrow table or anything with ``to_pandas``."""
    if isinstance(table, pd.DataFrame):
        frame = table
    elif hasattr(table, "to_pandas"):
        frame = table.to_pandas()
    else:
        raise ValueError(f"{name}: expected a pandas DataFrame or an Arrow table, got {type(table).__name__}")
    repeated = frame.columns[frame.columns.duplicated()]
    if len(repeated):  # frame[name] would be a table, not a column: no rule could read it
        raise ValueError(f"{name}.{repeated[0]}: the column name appears more than once")
    return frame


def require_columns(frame: pd.DataFrame, table: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{table}: missing column(s) {', '.join(missing)} (has: {', '.join(map(str, frame.columns))})")


def _first_row(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def shown(value: Any) -> str:
    """A value as an error message quotes it: as the user would write it, not numpy's repr."""
    if isinstance(value, pd.Timestamp):
        return repr(value.isoformat())
    return repr(value.item() if isinstance(value, np.generic) else value)


Where = Callable[[int], str]  # names the place of a row in an error: "events.date row 3"


def _place(table: str, column: str) -> Where:
    return lambda row: f"{table}.{column} row {row}"


def decoded(values: pd.Series, table: str, column: str) -> pd.Series:
    """Text as given, with any bytes decoded as UTF-8; bytes that do not decode are an error
    naming the row."""
    return _decoded(values, _place(table, column))


def _decoded(values: pd.Series, where: Where) -> pd.Series:
    # Only object columns can hold bytes, and a scan of the types in C finds them.
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in ("bytes", "mixed"):
        return values
    raw = values.to_numpy()
    is_bytes = np.fromiter((isinstance(v, (bytes, bytearray)) for v in raw), bool, len(raw))
    text = raw.copy()
    for row in map(int, np.flatnonzero(is_bytes)):  # bytes are rare: decoded one by one
        try:
            text[row] = raw[row].decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where(row)}: {raw[row]!r} is not UTF-8 text ({error.reason} at "
                             f"byte {error.start}); decode the column first, e.g. from cp1252") from None
    return pd.Series(text, index=values.index, name=values.name)


# ----------------------------------------------------------------------------- ids
_EXACT_IN_FLOAT = 2**53  # floats above this have already lost whole numbers on the way in


def exact_integers(values: pd.Series, table: str, column: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers as int64, exactly, with a mask of the missing ones.

    Integers and digit strings convert with no float round trip. Booleans, fractions, text
    that is not a whole number, values outside int64 and floats beyond 2**53 (which a float
    cannot hold exactly) are errors naming the row; ``what`` names a value in them ("id").
    """
    def fail(row: int, problem: str) -> ValueError:
        return ValueError(f"{table}.{column} row {row}: {what} {shown(values.iloc[row])} {problem}")

    kind = values.dtype.kind
    if kind == "b":
        raise fail(0, "is true/false, not a whole number")
    if isinstance(values.dtype, np.dtype) and kind in "iu":
        array = values.to_numpy()
        if kind == "u" and len(array) and array.max() > np.iinfo(np.int64).max:
            raise fail(_first_row(array > np.iinfo(np.int64).max), "is beyond the int64 range")
        return np.ascontiguousarray(array, dtype=np.int64), np.zeros(len(array), bool)
    missing = values.isna().to_numpy()
    if kind in "iu":  # a nullable pandas integer: its values are exact
        integers, _ = exact_integers(pd.Series(values.fillna(0).to_numpy()), table, column, what)
        return integers, missing
    if kind == "f":
        return _float_integers(values.to_numpy(dtype=float), missing, fail), missing
    return _text_integers(decoded(values, table, column), fail), missing


def _float_integers(numbers: np.ndarray, missing: np.ndarray, fail: Callable[[int, str], ValueError]) -> np.ndarray:
    filled = np.where(missing, 0.0, numbers)
    fractional = ~np.isfinite(filled) | (filled != np.floor(filled))
    if fractional.any():
        raise fail(_first_row(fractional), "is not a whole number")
    inexact = np.abs(filled) > _EXACT_IN_FLOAT
    if inexact.any():
        raise fail(_first_row(inexact), "is too large to be exact as a float; read the column as text or Int64")
    return filled.astype(np.int64)


def _text_integers(values: pd.Series, fail: Callable[[int, str], ValueError]) -> np.ndarray:
    """Digit strings (and Python ints in an object column) as int64 without floats."""
    text = values.astype("string").str.strip()
    whole = text.str.fullmatch(r"[+-]?\d+").fillna(True).to_numpy(dtype=bool)
    if not whole.all():
        raise fail(_first_row(~whole), "is not a whole number")
    digits = text.fillna("0")
    try:
        return np.ascontiguousarray(digits.astype("int64").to_numpy(), dtype=np.int64)
    except (OverflowError, ValueError):
        too_large = digits.map(lambda d: not -2**63 <= int(d) < 2**63).to_numpy(dtype=bool)  # error path only
        raise fail(_first_row(too_large), "is beyond the int64 range") from None


def as_ids(values: pd.Series, table: str, column: str) -> np.ndarray:
    """Whole-number ids as int64, exactly; missing, true/false, fractional and out-of-range
    ids are errors naming ``table.column`` and the row."""
    if values.dtype.kind == "i" and isinstance(values.dtype, np.dtype):  # the usual case, without a copy
        return np.ascontiguousarray(values.to_numpy(), dtype=np.int64)
    ids, missing = exact_integers(values, table, column, "id")
    if missing.any():
        raise ValueError(f"{table}.{column} row {_first_row(missing)}: missing id")
    return ids


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


# ----------------------------------------------------------------------------- dates
EXCEL = "excel"
YYYYMMDD = "%Y%m%d"
FIRST_DAY = np.datetime64("1900-01-01", "D")
LAST_DAY = np.datetime64("2100-12-31", "D")
_EXCEL_EPOCH = 25569      # Excel's serial for 1970-01-01 in the 1900 date system
_EXCEL_LEAP_BUG = 60      # Excel's fictitious 1900-02-29; serials below it are a day later
TICKS_PER_DAY = {"ns": 86_400_000_000_000, "us": 86_400_000_000, "ms": 86_400_000, "s": 86_400}
_NOT_A_TIME = np.iinfo(np.int64).min


def _day(date: np.datetime64) -> int:
    return int((date - _EPOCH).astype(np.int64))


def as_ticks(values: pd.Series) -> tuple[np.ndarray, int] | None:
    """A datetime64 column without time zone in ns, us, ms or s as (int64 ticks since 1970, ticks a
    day), without a copy; None for any other column."""
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        return None
    stamps = values.to_numpy()
    unit = np.datetime_data(stamps.dtype)[0]
    if unit not in TICKS_PER_DAY:
        return None
    return np.ascontiguousarray(stamps).view(np.int64), TICKS_PER_DAY[unit]


def check_tick_range(ticks: np.ndarray, per_day: int, table: str, column: str) -> None:
    """Datetimes (as ticks) outside 1900-01-01..2100-12-31 are an error naming the row, checked
    before any are made days so that nothing can wrap. Missing ticks (NaT) are let through."""
    _check_range(ticks, _day(FIRST_DAY) * per_day, (_day(LAST_DAY) + 1) * per_day - 1, _NOT_A_TIME,
                 lambda: pd.Series(ticks.view(f"datetime64[{_unit_of(per_day)}]")), _place(table, column))


def _check_range(numbers: np.ndarray, low: int, high: int, missing: int, values: Callable[[], pd.Series],
                 where: Where) -> None:
    """Numbers (ticks or days) outside [low, high], the ``missing`` marker aside, are an error
    showing the value ``values()`` has in that row. The happy path is a min and a max."""
    if not len(numbers) or (numbers.min() >= low and numbers.max() <= high):
        return
    outside = (numbers > high) | ((numbers < low) & (numbers != missing))
    if outside.any():
        row = _first_row(outside)
        raise ValueError(f"{where(row)}: {shown(values().iloc[row])} is outside the dates read, "
                         f"{FIRST_DAY}..{LAST_DAY}")


def _unit_of(per_day: int) -> str:
    return next(unit for unit, ticks in TICKS_PER_DAY.items() if ticks == per_day)


def as_days(values: pd.Series, table: str, column: str, *, required: bool,
            date_format: str | None = None) -> np.ndarray:
    """Dates as int32 days since 1970-01-01 (missing: ``NO_DATE``), by one rule everywhere.

    Datetimes and dates are taken as they are. Text is ISO 8601 (``2019-04-01``); any other text
    format needs ``date_format`` (a ``strftime`` format, e.g. ``"%d/%m/%Y"``), and text that does
    not match it is still read if it is ISO. Numbers are refused unless ``date_format`` names
    them: ``"%Y%m%d"`` (20190401) or ``"excel"`` (Excel serial days in the 1900 date system:
    serial 1 is 1900-01-01, serial 60 Excel's fictitious 1900-02-29 and refused, a fraction of a
    day is a time and dropped). Dates outside 1900-01-01..2100-12-31 are errors. Errors name
    ``table.column`` and the row.
    """
    days, first_missing = _days(values, _place(table, column), date_format)
    if required and first_missing >= 0:
        raise ValueError(f"{table}.{column} row {first_missing}: missing date")
    return days


def as_day(value: Any, name: str, date_format: str | None = None) -> int:
    """One date by the rule of :func:`as_days` (``data_start="2019-04-01"``), as days since
    1970-01-01; an error names the option."""
    days, first_missing = _days(pd.Series([value]), lambda _: name, date_format)
    if first_missing >= 0:
        raise ValueError(f"{name}: a date is required")
    return int(days[0])


def _days(values: pd.Series, where: Where, date_format: str | None) -> tuple[np.ndarray, int]:
    """Days by the rule of :func:`as_days`, with the first missing row (-1: none)."""
    kind = values.dtype.kind
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _datetime_days(values, where)
    dates = _python_dates(values) if kind == "O" else None
    if dates is not None:
        return _datetime_days(dates, where)
    if kind in "biuf" and values.isna().all():  # an empty column read as numbers
        days = np.full(len(values), NO_DATE, np.int32)
    elif kind in "biuf":
        days = _number_days(values, where, date_format)
    elif date_format == EXCEL:
        days = _number_days(pd.to_numeric(values, errors="coerce"), where, date_format)
    else:
        return _datetime_days(_parsed_text(values, where, date_format), where)
    missing = days == NO_DATE
    return days, _first_row(missing) if missing.any() else -1


def _python_dates(values: pd.Series) -> pd.Series | None:
    """A column of Python dates (as pandas reads a Parquet date column) as datetimes, converted by
    Arrow in one pass, twice as fast as parsing them; None for a column of anything else (text, or
    datetimes mixed in), which the general rules then read."""
    first = values.iat[0] if len(values) else None
    if not isinstance(first, datetime.date) or isinstance(first, datetime.datetime):
        return None
    try:
        dates = pa.array(values.to_numpy(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    if not pa.types.is_date32(dates.type):
        return None
    return pd.Series(dates.cast(pa.timestamp("s")).to_numpy(zero_copy_only=False), index=values.index)


def _datetime_days(values: pd.Series, where: Where) -> tuple[np.ndarray, int]:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    ticks = as_ticks(values)
    if ticks is None:
        ticks = values.to_numpy().astype("datetime64[s]").view(np.int64), TICKS_PER_DAY["s"]
    if ticks[1] <= TICKS_PER_DAY["ms"]:  # ticks this coarse can hold dates beyond int32 days
        _check_range(ticks[0], _day(FIRST_DAY) * ticks[1], (_day(LAST_DAY) + 1) * ticks[1] - 1, _NOT_A_TIME,
                     lambda: values, where)
    days, first_missing = _core.days_from_ticks(*ticks)
    _check_range(days, _day(FIRST_DAY), _day(LAST_DAY), NO_DATE, lambda: values, where)
    return days, int(first_missing)


def _parsed_text(values: pd.Series, where: Where, date_format: str | None) -> pd.Series:
    """Text dates as datetimes: with ``date_format`` when given, else (or where it does not match)
    ISO 8601. Blank text is missing; anything else unread is an error suggesting the option."""
    text = _decoded(values, where)
    try:
        parsed = pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce")
        unread = parsed.isna().to_numpy() & text.notna().to_numpy()
        if date_format is not None and unread.any():
            parsed[unread] = pd.to_datetime(text[unread], format="ISO8601", errors="coerce")
    except ValueError as error:  # e.g. mixed time zones
        raise ValueError(f"{where(0)}: {error}") from None
    unread = parsed.isna().to_numpy() & text.notna().to_numpy()
    if unread.any():
        unread &= (text.str.strip() != "").fillna(False).to_numpy(dtype=bool)
    if unread.any():
        row = _first_row(unread)
        raise ValueError(f"{where(row)}: {shown(values.iloc[row])} is not a date in "
                         f"{'the format ' + repr(date_format) + ' or ' if date_format else ''}ISO 8601 (YYYY-MM-DD)"
                         f"{'' if date_format else '; for another format pass date_format, e.g. %d/%m/%Y'}")
    return parsed


def _number_days(values: pd.Series, where: Where, date_format: str | None) -> np.ndarray:
    """Integer dates as days: YYYYMMDD or Excel serials, and only when ``date_format`` says which."""
    missing = values.isna().to_numpy()
    if date_format not in (YYYYMMDD, EXCEL) or values.dtype.kind == "b":
        row = _first_row(~missing)
        raise ValueError(f"{where(row)}: {shown(values.iloc[row])} is a number, not a date; name its format with "
                         f"date_format='{YYYYMMDD}' (20190401) or date_format='{EXCEL}' (Excel serial days)")
    numbers = np.where(missing, 0.0, values.to_numpy(dtype=float, na_value=np.nan))
    if date_format == EXCEL:
        with np.errstate(invalid="ignore"):  # a serial beyond int64 is caught as invalid below
            serial = np.floor(numbers).astype(np.int64)
        invalid = ~missing & ((serial == _EXCEL_LEAP_BUG) | (serial < 1) | ~np.isfinite(numbers))
        days = serial - _EXCEL_EPOCH + (serial < _EXCEL_LEAP_BUG)
    else:
        with np.errstate(invalid="ignore"):  # a number beyond int64 is caught as invalid below
            whole = np.where(np.isfinite(numbers) & (numbers == np.floor(numbers)), numbers, 0).astype(np.int64)
        year, month_day = np.divmod(whole, 10_000)
        month, day = np.divmod(month_day, 100)
        month_start = ((np.clip(year, 1, 9999) - 1970) * 12 + np.clip(month, 1, 12) - 1).astype("datetime64[M]")
        month_days = ((month_start + 1).astype("datetime64[D]") - month_start.astype("datetime64[D]")).astype(int)
        days = (month_start.astype("datetime64[D]") - _EPOCH).astype(np.int64) + day - 1
        invalid = ~missing & ((whole != numbers) | (year < 1) | (year > 9999) | (month < 1) | (month > 12)
                              | (day < 1) | (day > month_days))
    if invalid.any():
        row = _first_row(invalid)
        excel = f" (serial days from 1, 1900-01-01; {_EXCEL_LEAP_BUG} is Excel's fictitious 1900-02-29)"
        raise ValueError(f"{where(row)}: {shown(values.iloc[row])} is not a date in the format {date_format!r}"
                         f"{excel if date_format == EXCEL else ''}")
    days = np.where(missing, NO_DATE, days)
    _check_range(days, _day(FIRST_DAY), _day(LAST_DAY), NO_DATE, lambda: values, where)
    return days.astype(np.int32)


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
        labels = decoded(values, table, column).astype("string")
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


def whole_number(value: Any, name: str, low: int, high: int | None = None) -> int:
    """An option that must be a whole number in [low, high) (no upper bound without high)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low or (
            high is not None and value >= high):
        bound = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{name}: must be a whole number {bound}, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- money
_POUNDS = r"[+-]?£?[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?"
_PENCE_A_POUND = decimal.Decimal(100)


def pounds_as_pence(values: pd.Series, table: str, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Amounts in pounds ("£1,234.56", "1234.5", "1,234", 12.5) as exact whole pence (int64),
    with a mask of the missing ones.

    Text is read with ``decimal``, never as a float; a number is read from its shortest decimal
    form, which is the text it was read from. An amount that is not whole pence (1.234) or is
    not an amount is an error naming the row. Each distinct amount is read once.
    """
    missing = values.isna().to_numpy()
    if values.dtype.kind in "iu":  # whole pounds
        pounds, missing = exact_integers(values, table, column, "amount")
        return pounds * 100, missing
    text = _decoded(values, _place(table, column)).astype("string").str.strip()
    codes, amounts = pd.factorize(text)
    pence = np.empty(len(amounts), np.int64)
    for i, amount in enumerate(amounts):
        try:
            pence[i] = _amount_in_pence(amount)
        except ValueError as error:
            raise ValueError(f"{table}.{column} row {_first_row(codes == i)}: {error}") from None
    return np.where(missing, 0, pence[codes]), missing


def _amount_in_pence(amount: str) -> int:
    if not any(c.isdigit() for c in amount) or not re.fullmatch(_POUNDS, amount):
        raise ValueError(f"{amount!r} is not an amount in pounds (e.g. £1,234.56)")
    exact = decimal.Decimal(amount.replace("£", "").replace(",", "")) * _PENCE_A_POUND
    if exact != exact.to_integral_value():
        raise ValueError(f"{amount!r} is not a whole number of pence")
    pence = int(exact)
    if not -2**63 <= pence < 2**63:
        raise ValueError(f"{amount!r} is beyond the pence an int64 holds")
    return pence


def as_datetimes(values: pd.Series, table: str, column: str, date_format: str | None = None) -> pd.Series:
    """A date column read by the rule of :func:`as_days` as datetime64 days (NaT: missing), so
    that every later reading of it needs no format; datetimes are returned as they are."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    days = as_days(values, table, column, required=False, date_format=date_format)
    dates = np.where(days == NO_DATE, np.datetime64("NaT", "D"), days.astype("datetime64[D]"))
    return pd.Series(dates.astype("datetime64[s]"), index=values.index, name=values.name)
