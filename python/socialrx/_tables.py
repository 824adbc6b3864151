"""Tables from CSV and Parquet files, read with the types socialrx's checks take.

The format follows the file's name: ``.csv`` or ``.csv.gz`` is CSV (one header row, an empty
cell is missing), ``.parquet`` or ``.pq`` is Parquet; anything else is refused. The columns
socialrx knows are read with fixed types instead of guessed ones: ids as int64, labels as
categories and dates as text. ISO dates (YYYY-MM-DD) are then made dates as each block is
read; a date column holding anything else stays text, so that the library's own date rule
(and a ``date_format``) decides it and names the row it refuses. Files are read a block at a
time, and only the events columns socialrx uses are read at all.

Each block goes straight into the frame's own columns where it can: a Parquet column of numbers
or dates is copied into one array of the file's length (until a block has a missing value), and
label columns become category codes, so that the long events table is not held twice (once as
read, once as the frame) and a fresh process touches as little new memory as it can. Any other
column is kept as read and converted once at the end.

An error about a row names the row as the library counts them, from 0; :class:`TableFiles`
turns that into the line of a CSV file (the header is line 1, the first data row line 2).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

CSV_SUFFIXES = (".csv", ".csv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
ROW_CONVENTION = ("A CSV file's lines are counted from its header (line 1), so the first data row is line 2; "
                  "a Parquet file's rows are counted from 0.")
_LABEL = pa.dictionary(pa.int32(), pa.string())
_NOT_UTF8 = "{path}: not UTF-8 text (save it as CSV UTF-8)"
_BAD_COLUMN = re.compile(r"In CSV column #(\d+): CSV conversion error")
_ROW_IN_MESSAGE = re.compile(r"\b(?P<table>\w+)(?P<column>\.[^\s:]+)? row (?P<row>\d+)\b")


@dataclass(frozen=True)
class TableSchema:
    """What socialrx knows of a table's columns; any column not named is read as found."""

    ids: frozenset[str] = frozenset()
    dates: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    only: frozenset[str] | None = None  # the columns read (None: every column)


def _schema(*, ids: Iterable[str] = (), dates: Iterable[str] = (), labels: Iterable[str] = (),
            only: Iterable[str] | None = None) -> TableSchema:
    return TableSchema(frozenset(ids), frozenset(dates), frozenset(labels),
                       None if only is None else frozenset(only))


_PERSON_IDS = ("person_id", "patient_id", "client_id")
SCHEMAS = {
    "clients": _schema(ids=["client_id"], dates=["referral_date", "index_date", "discharge_date"],
                       labels=["practice", "locality", "referral_source", "sex", "status"]),
    # Events are the long table: only the columns the evaluation reads are read.
    "events": _schema(ids=_PERSON_IDS, dates=["date"], labels=["kind"],
                      only=[*_PERSON_IDS, "date", "kind", "count"]),
    "comparison": _schema(ids=["patient_id", "person_id"], labels=["practice", "locality", "sex"]),
    "assessments": _schema(ids=["client_id"], dates=["date"], labels=["timepoint", "instrument", "item"]),
    "interventions": _schema(ids=["client_id"], dates=["date"],
                             labels=["kind", "organisation", "sector", "funded_by", "category"]),
    "funding": _schema(dates=["start", "end"], labels=["funder"]),
    "feedback": _schema(ids=["client_id"], dates=["date"], labels=["impact"]),
    "patients": _schema(ids=["patient_id"], labels=["practice", "locality", "sex"]),
    "diagnoses": _schema(ids=["patient_id"], dates=["date"]),
}


def file_format(path: Path) -> str:
    """``"csv"`` or ``"parquet"``, from the file's name; any other name is a ValueError."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise ValueError(f"{path}: not a file socialrx reads; name a CSV ({', '.join(CSV_SUFFIXES)}) "
                     f"or Parquet ({', '.join(PARQUET_SUFFIXES)}) file")


def read_table(path: str | Path, table: str, *, date_format: str | None = None) -> pd.DataFrame:
    """The ``table`` (``"clients"``, ``"events"``, ...) held in a CSV or Parquet file.

    Without ``date_format``, date columns holding only ISO dates become datetimes as they are
    read; with one, every date column stays text for the library to read in that format.
    """
    path = Path(path)
    kind = file_format(path)
    if not path.is_file():
        raise ValueError(f"{table}: no file {str(path)!r}")
    schema = SCHEMAS.get(table, TableSchema())
    text_dates = date_format is not None
    if kind == "parquet":
        return _read_parquet(path, schema, text_dates)
    return _read_csv(path, schema, text_dates)


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """The frame, each Arrow column let go as it is converted; dates as datetime64, not objects."""
    return table.unify_dictionaries().to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)


class _NotIsoDates(Exception):
    """A date column holds text other than ISO dates, so it must stay text."""


def _with_iso_dates(batch: pa.RecordBatch, dates: frozenset[str]) -> pa.RecordBatch:
    """The batch with its text date columns as dates; _NotIsoDates if any is not YYYY-MM-DD."""
    for index, field in enumerate(batch.schema):
        if field.name in dates and _is_text(field.type):
            try:
                batch = batch.set_column(index, field.name, batch.column(index).cast(pa.date32()))
            except pa.ArrowInvalid:
                raise _NotIsoDates from None
    return batch


def _is_text(type: pa.DataType) -> bool:
    return pa.types.is_string(type) or pa.types.is_large_string(type)


def _valid_text(batch: pa.RecordBatch, path: Path) -> pa.RecordBatch:
    """The batch, once its text columns are known to be UTF-8: Parquet does not check them, and
    text that is not would fail later, far from the file."""
    for field, column in zip(batch.schema, batch.columns):
        if pa.types.is_dictionary(field.type):  # its text is the dictionary; the indices are the reader's own
            column = column.dictionary
        if _is_text(column.type):
            try:
                column.validate(full=True)
            except pa.ArrowInvalid:
                raise ValueError(f"{path}: column {field.name!r} holds text that is not UTF-8") from None
    return batch


class _Kept:
    """A column kept as the Arrow arrays read, converted to pandas once at the end."""

    def __init__(self, type: pa.DataType) -> None:
        self.type = type
        self.chunks: list[pa.Array] = []

    def add(self, array: pa.Array, start: int) -> None:
        self.chunks.append(array)

    def column(self, rows: int) -> Any:
        chunks, self.chunks = self.chunks, []  # let each column's arrays go once it is converted
        return pa.chunked_array(chunks, self.type).to_pandas(date_as_object=False)


class _Filled:
    """A column of numbers or dates, each block copied into the one array the frame keeps, of the
    type pandas gives the Arrow column. From a block with a missing value on, the column is kept
    as read instead, the blocks copied so far with it, for pandas to type it as it would."""

    def __init__(self, type: pa.DataType, dtype: np.dtype[Any], rows: int) -> None:
        self.values = np.empty(rows, dtype)
        self.type = type
        self.kept: _Kept | None = None

    def add(self, array: pa.Array, start: int) -> None:
        if self.kept is None and array.null_count:
            self.kept = _Kept(self.type)
            self.kept.add(pa.array(self.values[:start]).cast(self.type), 0)
        if self.kept is not None:
            self.kept.add(array, start)
        else:
            self.values[start:start + len(array)] = array.to_numpy(zero_copy_only=False)

    def column(self, rows: int) -> Any:
        return self.values[:rows] if self.kept is None else self.kept.column(rows)


class _Coded:
    """A dictionary (label) column as category codes: each block's dictionary is mapped onto the
    categories met so far, in the order met, as Arrow's unify_dictionaries orders them."""

    def __init__(self, type: pa.DictionaryType) -> None:
        self.type = type
        self.codes: dict[Any, int] = {}
        self.pieces: list[np.ndarray] = []

    def add(self, array: pa.DictionaryArray, start: int) -> None:
        dictionary = array.dictionary.to_pylist()
        # a missing label, or an index to a missing dictionary value, is code -1 (the last place)
        ours = np.array([-1 if v is None else self.codes.setdefault(v, len(self.codes)) for v in dictionary]
                        + [-1], np.int32)
        indices = array.indices.fill_null(len(dictionary)) if array.null_count else array.indices
        self.pieces.append(ours.take(indices.to_numpy()).astype(np.min_scalar_type(-len(self.codes) - 1)))

    def column(self, rows: int) -> Any:
        codes = np.concatenate(self.pieces) if self.pieces else np.empty(0, np.int8)
        self.pieces = []
        categories = pa.array(list(self.codes), self.type.value_type).to_pandas()
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories, self.type.ordered),
                                         validate=False)


_Column = _Kept | _Filled | _Coded


def _sink(field: pa.Field, rows: int | None) -> _Column:
    """Where a column's blocks go, given the table's length (None: unknown)."""
    if pa.types.is_dictionary(field.type):
        return _Coded(field.type)
    dtype = pa.array([], field.type).to_pandas(date_as_object=False).dtype
    if rows is not None and isinstance(dtype, np.dtype) and dtype.kind in "biufM":
        return _Filled(field.type, dtype, rows)
    return _Kept(field.type)


def _assembled(batches: Iterator[pa.RecordBatch], schema: pa.Schema, dates: frozenset[str], path: Path,
               rows: int | None = None) -> pd.DataFrame:
    """The batches, ``rows`` rows in all where known, as one frame, text checked and ISO dates made
    dates batch by batch (``dates`` empty: none)."""
    sinks: dict[str, _Column] | None = None
    start = 0
    for batch in batches:
        batch = _with_iso_dates(_valid_text(batch, path), dates)
        if sinks is None:
            sinks = {field.name: _sink(field, rows) for field in batch.schema}
        for name, array in zip(batch.schema.names, batch.columns):
            sinks[name].add(array, start)
        start += batch.num_rows
    if sinks is None:
        sinks = {field.name: _Kept(field.type) for field in schema}
    return pd.DataFrame({name: sink.column(start) for name, sink in sinks.items()}, copy=False)


_BLOCK_ROWS = 1 << 20  # a Parquet row group's worth: few blocks, each small beside the table


def _read_parquet(path: Path, schema: TableSchema, text_dates: bool) -> pd.DataFrame:
    try:
        file = pq.ParquetFile(path)
        arrow = file.schema_arrow
        names = [name for name in arrow.names if schema.only is None or name in schema.only]
        labels = [name for name in names if name in schema.labels and _is_text(arrow.field(name).type)]
        if labels:  # label text (pandas writes its str columns as large_string) read straight into categories
            file = pq.ParquetFile(path, read_dictionary=labels)
        dates = frozenset() if text_dates else schema.dates
        try:
            return _assembled(file.iter_batches(batch_size=_BLOCK_ROWS, columns=names), file.schema_arrow, dates,
                              path, file.metadata.num_rows)
        except _NotIsoDates:
            return _assembled(file.iter_batches(batch_size=_BLOCK_ROWS, columns=names), file.schema_arrow,
                              frozenset(), path, file.metadata.num_rows)
    except (pa.ArrowException, OSError) as error:  # any file pyarrow cannot read, whatever its reason
        raise ValueError(f"{path}: not a readable Parquet file ({error})") from None


def _read_csv(path: Path, schema: TableSchema, text_dates: bool) -> pd.DataFrame:
    """The CSV file as a frame, typed by ``schema``. A column the reader cannot convert to the
    type it was given or guessed is read again as text, for the library's rules to name the
    row; a date column that is not all ISO dates likewise."""
    header = _csv_header(path)
    columns = [name for name in header if schema.only is None or name in schema.only]
    types = {name: pa.int64() for name in schema.ids} | {name: pa.string() for name in schema.dates} | {
        name: _LABEL for name in schema.labels}
    dates = frozenset() if text_dates else schema.dates
    while True:
        options = pa_csv.ConvertOptions(column_types=types, include_columns=columns, strings_can_be_null=True)
        try:
            reader = pa_csv.open_csv(path, convert_options=options)
            frame = _assembled(iter(reader), reader.schema, dates, path)
            _utf8(reader.schema, path)
            return frame
        except _NotIsoDates:
            dates = frozenset()
        except pa.ArrowInvalid as error:
            types = {**types, _unconvertible_column(error, path, header, types): pa.string()}


def _utf8(schema: pa.Schema, path: Path) -> None:
    """A ValueError if a column was read as bytes: text that is not UTF-8."""
    if any(pa.types.is_binary(field.type) for field in schema):
        raise ValueError(_NOT_UTF8.format(path=path))


def _csv_header(path: Path) -> list[str]:
    try:
        return list(pa_csv.open_csv(path, convert_options=pa_csv.ConvertOptions(
            column_types={}, strings_can_be_null=True)).schema.names)
    except pa.ArrowInvalid as error:
        raise ValueError(_csv_problem(error, path)) from None


def _unconvertible_column(error: pa.ArrowInvalid, path: Path, header: list[str],
                          types: dict[str, pa.DataType]) -> str:
    """The column named by a conversion error, to read again as text; any other error (a row
    of the wrong length, text that is not UTF-8, a column that is text already) as a ValueError."""
    found = _BAD_COLUMN.search(str(error))
    column = None if found is None else header[int(found.group(1))]
    if column is None or types.get(column) == pa.string() or "invalid UTF8" in str(error):
        raise ValueError(_csv_problem(error, path)) from None
    return column


def _csv_problem(error: pa.ArrowInvalid, path: Path) -> str:
    """A CSV file's structural problem in words, with the line it is on where one is at fault."""
    text = str(error)
    if "Empty CSV file" in text:
        return f"{path}: empty file (a CSV file needs a header row)"
    if "invalid UTF8" in text:
        return _NOT_UTF8.format(path=path)
    ragged = first_ragged_record(path)
    if ragged is not None:
        line, expected, found = ragged
        return f"{path} line {line}: {found} values where the header has {expected}"
    return f"{path}: not a readable CSV file ({text})"


def _open_text(path: Path) -> IO[str]:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record of a CSV file (the header first) with the line it starts on;
    blank lines are skipped, as the reader skips them."""
    with _open_text(path) as text:
        reader = csv.reader(text)
        end_of_last = 0
        for fields in reader:
            if fields:
                yield end_of_last + 1, fields
            end_of_last = reader.line_num


def csv_line(path: Path, row: int) -> int:
    """The line of a CSV file on which data row ``row`` (counted from 0) starts."""
    records = _records(path)
    next(records, None)  # the header
    for number, (line, _) in enumerate(records):
        if number == row:
            return line
    return row + 2  # past the end: where it would be in a file without blank lines


def first_ragged_record(path: Path) -> tuple[int, int, int] | None:
    """(line, values in the header, values on that line) of the first record whose length
    differs from the header's, or None."""
    records = _records(path)
    _, header = next(records, (0, []))
    return next(((line, len(header), len(fields)) for line, fields in records if len(fields) != len(header)), None)


class TableFiles:
    """The tables one command reads from files, so that an error about a row of one of them
    can name the file and the row's line in it."""

    def __init__(self) -> None:
        self._paths: dict[str, Path] = {}

    def read(self, path: str | None, table: str, *, date_format: str | None = None) -> pd.DataFrame | None:
        """``table`` from ``path`` (None without a path; see :func:`read_table`), remembered
        for :meth:`locate`."""
        if path is None:
            return None
        frame = read_table(path, table, date_format=date_format)
        self._paths[table] = Path(path)
        return frame

    def locate(self, message: str) -> str:
        """``message`` with its first ``<table>[.<column>] row N`` of a table read here
        rewritten to the file and its line (CSV) or row (Parquet)."""
        found = _ROW_IN_MESSAGE.search(message)
        if found is None or found.group("table") not in self._paths:
            return message
        path = self._paths[found.group("table")]
        row = int(found.group("row"))
        where = (f"{path} line {csv_line(path, row)}" if file_format(path) == "csv"
                 else f"{path} row {row} (counted from 0)")
        named = found.group("table") + (found.group("column") or "")
        return f"{message[:found.start()]}{named} in {where}{message[found.end():]}"
