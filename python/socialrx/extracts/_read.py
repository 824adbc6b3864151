"""Reading an extract's rows: the table, its people, its dates and its codes, all as Arrow or
numpy columns (no per-row Python), every dropped row marked in the extract's ledger."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from .. import linkage
from .._columns import FIRST_DAY, LAST_DAY, NO_DATE, as_days
from .._tables import file_format
from ._ledger import Ledger

Source = Union[pd.DataFrame, pa.Table, str, "os.PathLike[str]"]
# A user's code map: code -> target (None excludes the code), or a JSON file like the shipped ones.
CodeMapSource = Union[Mapping[str, Optional[str]], str, "os.PathLike[str]", None]

_SECONDS_PER_DAY = 86_400
_FIRST_DAY, _LAST_DAY = (int(day.astype(np.int64)) for day in (FIRST_DAY, LAST_DAY))  # the rule's range, as days


def read_table(source: Source, extract: str, columns: Mapping[str, str] | None, coded: Sequence[str] = (),
               *, shared_columns: bool = False) -> pa.Table:
    """The extract as an Arrow table with the user's column names renamed (``columns`` maps the
    extract's name to socialrx's; a name the table lacks is an error unless the map is shared by
    several tables). A path's format follows its name by the package's one rule
    (:func:`socialrx._tables.file_format`: .csv or .csv.gz is CSV, .parquet or .pq Parquet,
    anything else refused). The ``coded`` columns of a Parquet file are read as dictionaries,
    as Parquet stores them: their few codes are then looked up without hashing millions of
    strings."""
    if isinstance(source, (str, os.PathLike)):
        theirs = {ours: name for name, ours in (columns or {}).items()}
        table = _read_path(Path(source), [theirs.get(name, name) for name in coded])
    elif isinstance(source, pa.Table):
        table = source
    elif isinstance(source, pd.DataFrame):
        table = _from_pandas(source)
    else:
        raise TypeError(f"{extract}: expected a DataFrame, an Arrow table or a CSV or Parquet path, got "
                        f"{type(source).__name__}")
    return _renamed(table, extract, columns or {}, shared_columns)


def _read_path(path: Path, coded: Sequence[str]) -> pa.Table:
    """A CSV or Parquet file (by its name) as an Arrow table; Arrow reads a gzipped CSV file
    through its name too. ``coded`` names the Parquet columns to read as dictionaries."""
    if file_format(path) == "csv":
        return pa_csv.read_csv(path)
    return pq.read_table(path, read_dictionary=list(coded))


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    arrays = {}
    for name, values in frame.items():
        if values.dtype == object:  # mixed numbers and text (codes such as 21 and "2A"): all text
            values = values.astype("string")
        arrays[str(name)] = pa.array(values, from_pandas=True)
    return pa.table(arrays)


def _renamed(table: pa.Table, extract: str, columns: Mapping[str, str], shared: bool) -> pa.Table:
    missing = [name for name in columns if name not in table.column_names]
    if missing and not shared:
        raise ValueError(f"{extract}: columns= names {', '.join(map(repr, missing))}, not in the extract "
                         f"(has: {', '.join(table.column_names)})")
    return table.rename_columns([columns.get(name, name) for name in table.column_names])


def require(table: pa.Table, extract: str, names: Sequence[str]) -> None:
    missing = [name for name in names if name not in table.column_names]
    if missing:
        raise ValueError(f"{extract}: missing column(s) {', '.join(missing)} (has: {', '.join(table.column_names)}; "
                         "rename yours with columns={'your name': 'socialrx name'})")


# ------------------------------------------------------------------------- people
def person_ids(table: pa.Table, ledger: Ledger, key: bytes | None, column: str = "person_id") -> np.ndarray:
    """Each row's person as int64. With a key the column holds NHS numbers: missing and invalid
    ones are dropped, the rest replaced by their pseudonyms (the numbers go no further). Without
    a key the column must hold int64 ids already; missing ones are dropped."""
    values = table[column]
    if key is None:
        if not pa.types.is_integer(values.type):
            raise ValueError(f"{ledger.extract}.{column}: person ids must be whole numbers (int64), got "
                             f"{values.type}; for NHS numbers pass pseudonymise_key=")
        if values.null_count:
            ledger.drop(values.is_null().to_numpy(zero_copy_only=False), f"missing {column}")
        return int64s(values, 0)
    ledger.drop(values.is_null().to_numpy(zero_copy_only=False), "missing NHS number")
    ids, valid = linkage.pseudonymise_valid(values, key=key)
    ledger.drop(~valid, "invalid NHS number")
    return ids


def int64s(values: pa.Array | pa.ChunkedArray, fill: int) -> np.ndarray:
    """Whole numbers as an int64 array, ``fill`` where missing (no copy when none is)."""
    values = values.cast(pa.int64())
    return np.asarray((pc.fill_null(values, fill) if values.null_count else values).to_numpy(zero_copy_only=False))


# ------------------------------------------------------------------------- dates
def days(table: pa.Table, extract: str, column: str, date_format: str | None) -> np.ndarray:
    """A date column as int32 days since 1970-01-01, ``NO_DATE`` where missing, by the package's
    one date rule (:func:`socialrx._columns.as_days`): dates and datetimes as they are, text ISO
    8601 unless ``date_format`` names its format, numbers only with ``date_format="%Y%m%d"`` or
    ``"excel"``, 1900-2100; anything else a ValueError naming extract, column and row.

    Text is parsed by Arrow first (one vectorised pass); only a column Arrow cannot read whole
    (blanks, a mix of formats, an error to report) goes to the rule's own reading.
    """
    values = table[column]
    if pa.types.is_dictionary(values.type):  # a categorical of dates: read its values
        values = values.cast(values.type.value_type)
    if pa.types.is_date32(values.type) and (day_numbers := _date32_days(values)) is not None:
        return day_numbers
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        parsed = _parsed_by_arrow(values, date_format)
        series = values.to_pandas() if parsed is None else pd.Series(parsed.to_numpy())
    elif pa.types.is_date(values.type):
        series = values.to_pandas(date_as_object=False)
    else:
        series = values.to_pandas()
    return as_days(series, extract, column, required=False, date_format=date_format)


def _date32_days(values: pa.ChunkedArray) -> np.ndarray | None:
    """Arrow dates (date32) are days since 1970-01-01 already: taken as they are when every one
    is in the rule's range; None otherwise, for the rule's own reading to name the row."""
    day_numbers = values.cast(pa.int32())
    low, high = (bound.as_py() for bound in pc.min_max(day_numbers).values())
    if low is not None and (low < _FIRST_DAY or high > _LAST_DAY):
        return None
    filled = pc.fill_null(day_numbers, NO_DATE) if day_numbers.null_count else day_numbers
    return np.asarray(filled.to_numpy(zero_copy_only=False), np.int32)


def _parsed_by_arrow(text: pa.ChunkedArray, date_format: str | None) -> pa.ChunkedArray | None:
    """Text dates as timestamps when Arrow reads every one of them by ``date_format`` (or as ISO
    without one); None otherwise."""
    if date_format is not None:
        parsed = pc.strptime(text, format=date_format, unit="s", error_is_null=True)
        return parsed if parsed.null_count == text.null_count else None
    try:
        return text.cast(pa.timestamp("s"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def as_datetimes(day_numbers: np.ndarray) -> np.ndarray:
    """int32 days as datetime64[s] (pandas' coarsest unit), midnight of each day."""
    return np.multiply(day_numbers, _SECONDS_PER_DAY, dtype=np.int64).view("datetime64[s]")  # one pass


# ------------------------------------------------------------------------- code maps
@dataclass(frozen=True)
class CodeMap:
    """Codes of one column mapped to targets (an event kind, an outcome, ...) or excluded with a
    reason; ``source`` says where the codes come from."""

    column: str
    title: str
    source: str
    targets: dict[str, str]  # normalised code -> target
    excluded: dict[str, str]  # normalised code -> reason

    def overridden(self, user: CodeMapSource) -> CodeMap:
        """This map with the user's entries replacing the shipped ones for the same code."""
        if user is None:
            return self
        entries = _entries_of(_load_json(Path(user))) if isinstance(user, (str, os.PathLike)) else {
            code: ({"to": target} if target is not None else {"excluded": "excluded by code_map"})
            for code, target in user.items()}
        targets, excluded = dict(self.targets), dict(self.excluded)
        for code, entry in entries.items():
            targets.pop(normalised_code(code), None)
            excluded.pop(normalised_code(code), None)
            _file_entry(code, entry, targets, excluded)
        return CodeMap(self.column, self.title, f"{self.source}; with the user's code_map", targets, excluded)

    def excluding(self, codes: Sequence[str], reason: str) -> CodeMap:
        """This map with ``codes`` excluded for ``reason`` (a reader's keyword choice)."""
        keys = {normalised_code(code) for code in codes}
        targets = {code: target for code, target in self.targets.items() if code not in keys}
        return CodeMap(self.column, self.title, self.source, targets, {**self.excluded, **dict.fromkeys(keys, reason)})

    def retargeted(self, codes: Sequence[str], target: str) -> CodeMap:
        """This map with ``codes`` mapped to ``target`` (a reader's keyword choice)."""
        keys = {normalised_code(code) for code in codes}
        excluded = {code: reason for code, reason in self.excluded.items() if code not in keys}
        return CodeMap(self.column, self.title, self.source, {**self.targets, **dict.fromkeys(keys, target)}, excluded)

    def table(self) -> pd.DataFrame:
        """The map as a table: code, maps_to (empty where excluded), excluded_as."""
        codes = sorted({*self.targets, *self.excluded})
        return pd.DataFrame({"code": codes, "maps_to": [self.targets.get(c) for c in codes],
                             "excluded_as": [self.excluded.get(c) for c in codes]})


def normalised_code(code: Any) -> str:
    """Codes compare as text without case, padding zeros, hyphens or repeated spaces:
    21, "21", " 021" match; "Face-to-Face" matches "face to face"; 1.0 (a whole number that
    went through a float) matches 1."""
    if isinstance(code, float) and code.is_integer():
        code = int(code)
    text = re.sub(r"[\s_-]+", " ", str(code)).strip().casefold()
    return (text.lstrip("0") or "0") if text.isdigit() else text


def _file_entry(code: str, entry: Mapping[str, Any], targets: dict[str, str], excluded: dict[str, str]) -> None:
    key = normalised_code(code)
    if entry.get("to") is not None:
        targets[key] = str(entry["to"])
    else:
        excluded[key] = str(entry.get("excluded") or "excluded by code_map")


def _entries_of(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    codes = document.get("codes")
    if not isinstance(codes, dict):
        raise ValueError("code_map: a JSON code map needs a 'codes' object of code -> {to | excluded}")
    return codes


def _load_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"code_map {path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise ValueError(f"code_map {path}: expected a JSON object")
    return document


def shipped_map(name: str) -> CodeMap:
    """A code map shipped with the package (``extracts/maps/<name>.json``): a new one each call,
    whose dicts the caller may change."""
    read = _shipped_map_read(name)
    return replace(read, targets=dict(read.targets), excluded=dict(read.excluded))


@functools.cache
def _shipped_map_read(name: str) -> CodeMap:
    """A shipped map's file read once per process (only :func:`shipped_map` hands it out, copied)."""
    document = json.loads((resources.files(__package__) / "maps" / f"{name}.json").read_text(encoding="utf-8"))
    targets: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for code, entry in _entries_of(document).items():
        _file_entry(code, entry, targets, excluded)
    return CodeMap(document["column"], document["title"], document["source"], targets, excluded)


def dictionary_encoded(values: pa.ChunkedArray) -> pa.DictionaryArray:
    """A column as distinct values and each row's index among them. A dictionary column (as
    Parquet stores codes, read with ``read_dictionary``) is used as it is: no hashing."""
    if pa.types.is_dictionary(values.type):
        return values.unify_dictionaries().combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    return pc.dictionary_encode(values.combine_chunks())


_MISSING, _UNKNOWN = 0, 1  # the first two reasons a code can give to drop its rows


@dataclass(frozen=True)
class _Lookup:
    """A coded column looked up once per distinct code (a column of millions of rows holds a
    handful of codes), then every row's answer in one gather. ``positions`` is each row's
    distinct code; the last entry of the per-code arrays stands for a missing code."""

    dictionary: list[Any]
    positions: np.ndarray
    target_names: list[str]
    target_of_code: np.ndarray  # index into target_names, -1: none
    reasons: list[str]  # missing, unknown, then the map's exclusions
    reason_of_code: np.ndarray  # index into reasons, -1: mapped

    @staticmethod
    def of(values: pa.ChunkedArray, code_map: CodeMap) -> _Lookup:
        encoded = dictionary_encoded(values)
        dictionary = encoded.dictionary.to_pylist()
        positions = np.asarray(pc.fill_null(encoded.indices, len(dictionary)).to_numpy(zero_copy_only=False))
        distinct = [normalised_code(code) for code in dictionary]
        names = sorted(set(code_map.targets.values()))
        reasons = [f"missing {code_map.column}", f"unknown {code_map.column}", *sorted(set(code_map.excluded.values()))]
        target = [names.index(code_map.targets[c]) if c in code_map.targets else -1 for c in distinct]
        reason = [reasons.index(code_map.excluded[c]) if c in code_map.excluded
                  else -1 if c in code_map.targets else _UNKNOWN for c in distinct]
        # int16 codes: the per-row arrays gathered from them are a quarter of int64's memory traffic
        return _Lookup(dictionary, positions, names, np.array([*target, -1], np.int16), reasons,
                       np.array([*reason, _MISSING], np.int16))

    def text_order(self) -> np.ndarray:
        """The positions of the codes in the order of their text, a missing code last: comparing
        two rows' codes by it does not depend on the order the rows came in."""
        return np.array(sorted(range(len(self.dictionary)), key=lambda i: str(self.dictionary[i]))
                        + [len(self.dictionary)], np.int32)

    def note_unknown(self, ledger: Ledger, column: str, rows: np.ndarray) -> None:
        """Count the unknown codes among ``rows`` by code (skipped when no code is unknown)."""
        unknown_code = self.reason_of_code == _UNKNOWN
        if unknown_code.any():
            unknown = np.flatnonzero(rows & unknown_code[self.positions])
            ledger.note_unknown(column, self.dictionary, self.positions[unknown])


def map_codes(table: pa.Table, ledger: Ledger, code_map: CodeMap, rows: np.ndarray | None = None
              ) -> tuple[np.ndarray, list[str]]:
    """Each row's target as an index into the returned list of targets (-1 where there is none).

    Among ``rows`` (default: all) still undecided in the ledger, rows with a missing, excluded
    or unknown code are dropped, each by its reason, and unknown codes are counted by code.
    """
    lookup = _Lookup.of(table[code_map.column], code_map)
    reason = lookup.reason_of_code[lookup.positions]
    dropped = ledger.decide_each(reason if rows is None else np.where(rows, reason, -1),
                                 [("dropped", r) for r in lookup.reasons])
    lookup.note_unknown(ledger, code_map.column, dropped)
    return lookup.target_of_code[lookup.positions], lookup.target_names


def code_labels(table: pa.Table, ledger: Ledger, code_map: CodeMap, rows: np.ndarray) -> pd.Categorical:
    """A descriptive column (kept beside the events, never dropping a row) as its targets;
    missing and unknown codes become missing, and unknown codes among ``rows`` are counted."""
    lookup = _Lookup.of(table[code_map.column], code_map)
    lookup.note_unknown(ledger, code_map.column, rows)
    target = lookup.target_of_code[lookup.positions]
    return pd.Categorical.from_codes(target[rows], categories=pd.Index(lookup.target_names))


# ------------------------------------------------------------------------- the steps every reader takes
def open_extract(source: Source, extract: str, columns: Mapping[str, str] | None, required: Sequence[str],
                 coded: Sequence[str] = (), *, shared_columns: bool = False) -> tuple[pa.Table, Ledger]:
    table = read_table(source, extract, columns, coded, shared_columns=shared_columns)
    require(table, extract, required)
    return table, Ledger(extract, table.num_rows)


def person_days(table: pa.Table, ledger: Ledger, key: bytes | None, date_column: str,
                date_format: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Each row's person and day; rows without a linkable person or a date are dropped."""
    person = person_ids(table, ledger, key)
    day_numbers = days(table, ledger.extract, date_column, date_format)
    ledger.drop(day_numbers == NO_DATE, f"missing {date_column}")
    return person, day_numbers


def chosen_maps(extract: str, shipped: Mapping[str, CodeMap], user: Any) -> dict[str, CodeMap]:
    """The shipped maps with the user's ``code_map`` over them. A reader with one coded column
    takes that column's map ({code: target}, or a JSON file); one with several takes
    {column: {code: target}}."""
    if user is None:
        return dict(shipped)
    nested = isinstance(user, Mapping) and bool(user) and set(user) <= set(shipped) and all(
        isinstance(v, Mapping) for v in user.values())
    if nested:
        return {column: m.overridden(user.get(column)) for column, m in shipped.items()}
    if len(shipped) != 1:
        raise ValueError(f"{extract}: code_map must name its column: {{column: {{code: target}}}} with column one of "
                         f"{', '.join(shipped)}")
    return {column: m.overridden(user) for column, m in shipped.items()}


def normalised_categories(values: pa.ChunkedArray, rows: np.ndarray) -> pd.Categorical:
    """A code column kept as it is, but normalised (see :func:`normalised_code`) once per
    distinct code, as a categorical over ``rows`` (a mask or positions); codes that normalise
    alike become one."""
    encoded = dictionary_encoded(values)
    merged, categories = pd.factorize(pd.Index([normalised_code(c) for c in encoded.dictionary.to_pylist()]))
    positions = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))[rows]
    return pd.Categorical.from_codes(np.append(merged, -1)[positions], categories=categories)  # -1: missing
