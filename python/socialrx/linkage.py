"""Linking extracts by NHS number without keeping it: check digits and keyed pseudonyms.

An NHS number is ten digits whose last is a Modulus 11 check digit: the first nine digits are
weighted 10, 9, ..., 2 and summed; the check digit is 11 - (sum mod 11), where 11 stands for 0
and 10 means the number is invalid. Spaces, hyphens, tabs and line breaks ("943 476 5919") are
ignored.

A pseudonym is HMAC-SHA256 keyed with the user's secret over the ten digits as ASCII text; its
first eight bytes, read big-endian with the top bit cleared, make a positive int64. The same key
gives the same pseudonym in every extract, so extracts link; without the key the pseudonym
cannot be traced back by trying all NHS numbers. The key is used and forgotten: nothing here
stores it. The compiled core reads it in place and wipes the hash states it derives from it.

Numbers are read by the compiled core straight from the Arrow buffers (text, large text, int64,
or a dictionary's values), and each distinct number is hashed once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core

__all__ = ["MIN_KEY_BYTES", "pseudonymise", "pseudonymise_valid", "valid_nhs_number"]

MIN_KEY_BYTES = 16
_LARGEST_NUMBER = 9_999_999_999


def _as_arrow(values: Any) -> pa.ChunkedArray:
    if isinstance(values, pa.ChunkedArray):
        return values
    if isinstance(values, pa.Array):
        return pa.chunked_array([values])
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype == object:
        series = series.astype("string")  # mixed whole numbers and text: read all as text
    return pa.chunked_array([pa.array(series, from_pandas=True)])


def _chunk(array: pa.Array) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, int]:
    """One Arrow chunk of text or int64 as numpy views of its own buffers (no copies): offsets
    and bytes, or the numbers; its validity bitmap (None without nulls) and offset."""
    validity, values, *text = array.buffers()
    bits = np.frombuffer(validity, np.uint8) if validity is not None and array.null_count else None
    if not text:
        return np.frombuffer(values, np.int64)[array.offset:array.offset + len(array)], None, bits, array.offset
    offsets = np.frombuffer(values, np.int64 if pa.types.is_large_string(array.type) else np.int32)
    data = np.frombuffer(text[0], np.uint8) if text[0] is not None else np.empty(0, np.uint8)
    return offsets[array.offset:array.offset + len(array) + 1], data, bits, array.offset


def _read(values: Any, key: memoryview | None) -> tuple[np.ndarray | None, np.ndarray]:
    """Each value's pseudonym under ``key`` (None without one) and whether it is a valid NHS
    number (ten digits, check digit), by the compiled reader over the Arrow buffers in place;
    each distinct number is hashed once."""
    array = _as_arrow(values)
    kind = array.type
    if pa.types.is_dictionary(kind):
        return _read_dictionary(array, key)
    if pa.types.is_floating(kind):  # whole numbers with a missing value among them
        raw = pc.fill_null(array.cast(pa.float64()), -1.0).to_numpy()
        formed = (raw >= 0) & (raw <= _LARGEST_NUMBER) & (raw == np.floor(raw))
        array = pa.chunked_array([np.where(formed, raw, -1).astype(np.int64)])
    elif pa.types.is_integer(kind):
        array = array.cast(pa.int64())
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise TypeError(f"NHS numbers: expected text or whole numbers, got {kind}")
    pseudonyms, valid = _core.nhs_numbers([_chunk(chunk) for chunk in array.chunks if len(chunk)], key)
    return pseudonyms, valid


def _read_dictionary(array: pa.ChunkedArray, key: memoryview | None) -> tuple[np.ndarray | None, np.ndarray]:
    """A dictionary column read once per dictionary value (as text), then each row's answer
    gathered by its index (a missing index is not valid). Chunks with dictionaries as long as
    their rows (each chunk its own large dictionary) are read row by row as text instead."""
    text_type = pa.large_string() if pa.types.is_large_string(array.type.value_type) else pa.string()
    dictionaries = [chunk.dictionary.cast(text_type) for chunk in array.chunks]
    starts = np.cumsum([0, *map(len, dictionaries)])
    if starts[-1] >= len(array):
        return _read(array.cast(text_type), key)
    pseudonyms, valid = _read(pa.chunked_array(dictionaries, text_type), key)
    positions = np.concatenate([np.empty(0, np.int64), *[
        _positions(chunk.indices, start, missing=starts[-1]) for chunk, start in zip(array.chunks, starts)]])
    gathered = None if pseudonyms is None else np.append(pseudonyms, 0)[positions]
    return gathered, np.append(valid, False)[positions]


def _positions(indices: pa.Array, start: int, *, missing: int) -> np.ndarray:
    """A chunk's dictionary indices as positions among all chunks' values; ``missing`` where null."""
    positions = pc.fill_null(indices.cast(pa.int64()), -1).to_numpy()
    return np.where(positions < 0, missing, positions + start)


def valid_nhs_number(values: Any) -> np.ndarray:
    """Whether each value is a valid NHS number (ten digits, Modulus 11 check digit).

    ``values`` may be a Series, array, list or Arrow array of text ("9434765919",
    "943 476 5919") or whole numbers; missing values are not valid. Returns a bool array.
    """
    return _read(values, None)[1]


def _checked_key(key: Any) -> memoryview:
    """The key as a view of the caller's bytes: no copy of it is made."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"pseudonymise_key: expected bytes (e.g. secrets.token_bytes(32)), got {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"pseudonymise_key: use at least {MIN_KEY_BYTES} random bytes, got {len(key)}")
    return memoryview(key).cast("B")


def pseudonymise(values: Any, *, key: bytes) -> np.ndarray:
    """Valid NHS numbers as stable int64 pseudonyms: keyed HMAC-SHA256 (see the module).

    Any value that is not a valid NHS number is a ``ValueError`` naming its row: check with
    :func:`valid_nhs_number` and drop those first.
    """
    pseudonyms, valid = pseudonymise_valid(values, key=key)
    if not valid.all():
        raise ValueError(f"NHS numbers row {int(np.flatnonzero(~valid)[0])}: not a valid NHS number")
    return pseudonyms


def pseudonymise_valid(values: Any, *, key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Pseudonyms of the valid NHS numbers (0 where a value is not one) and which were valid:
    one pass for an extract that counts its invalid numbers rather than refusing them."""
    with _checked_key(key) as secret:
        pseudonyms, valid = _read(values, secret)
    assert pseudonyms is not None  # with a key there are always pseudonyms
    return pseudonyms, valid
