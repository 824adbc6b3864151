"""Linking extracts by NHS number without keeping it: check digits and keyed pseudonyms.

An NHS number is ten digits whose last is a Modulus 11 check digit: the first nine digits are
weighted 10, 9, ..., 2 and summed; the check digit is 11 - (sum mod 11), where 11 stands for 0
and 10 means the number is invalid. Spaces and hyphens ("943 476 5919") are ignored.

A pseudonym is HMAC-SHA256 keyed with the user's secret over the ten digits as ASCII text; its
first eight bytes, read big-endian with the top bit cleared, make a positive int64. The same key
gives the same pseudonym in every extract, so extracts link; without the key the pseudonym
cannot be traced back by trying all NHS numbers. The key is used and forgotten: nothing here
stores it.
"""

from __future__ import annotations

import hmac
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MIN_KEY_BYTES", "pseudonymise", "pseudonymise_valid", "valid_nhs_number"]

MIN_KEY_BYTES = 16
_LARGEST_NUMBER = 9_999_999_999
_POSITIVE_INT63 = (1 << 63) - 1


def _as_arrow(values: Any) -> pa.ChunkedArray:
    if isinstance(values, pa.ChunkedArray):
        return values
    if isinstance(values, pa.Array):
        return pa.chunked_array([values])
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype == object:
        series = series.astype("string")  # mixed whole numbers and text: read all as text
    return pa.chunked_array([pa.array(series, from_pandas=True)])


def _as_numbers(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """NHS numbers as int64 and whether each is ten digits at all (missing: not)."""
    array = _as_arrow(values)
    kind = array.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        text = pc.replace_substring_regex(array.cast(pa.string()), r"[\s-]", "")
        formed = pc.fill_null(pc.and_(pc.equal(pc.utf8_length(text), 10), pc.ascii_is_decimal(text)), False)
        numbers = pc.cast(pc.if_else(formed, text, "0"), pa.int64())
        return numbers.to_numpy(), formed.to_numpy()
    if pa.types.is_integer(kind):
        numbers = pc.fill_null(array.cast(pa.int64()), -1).to_numpy()
        formed = (numbers >= 0) & (numbers <= _LARGEST_NUMBER)
        return np.where(formed, numbers, 0), formed
    if pa.types.is_floating(kind):  # whole numbers with a missing value among them
        raw = pc.fill_null(array.cast(pa.float64()), -1.0).to_numpy()
        formed = (raw >= 0) & (raw <= _LARGEST_NUMBER) & (raw == np.floor(raw))
        return np.where(formed, raw, 0).astype(np.int64), formed
    raise TypeError(f"NHS numbers: expected text or whole numbers, got {kind}")


def _weighted_sums(digits: int, weights: range) -> np.ndarray:
    """The weighted digit sum of every number with ``digits`` digits, as a lookup table."""
    numbers = np.arange(10**digits)
    total = np.zeros(len(numbers), np.int32)
    for place, weight in zip(range(digits - 1, -1, -1), weights):
        total += (numbers // 10**place) % 10 * weight
    return total


# The first nine digits' weighted sum in two table look-ups (digits 1-5 weigh 10..6, digits 6-9
# weigh 5..2): two gathers instead of nine divisions per number.
_HEAD_SUMS = _weighted_sums(5, range(10, 5, -1))
_TAIL_SUMS = _weighted_sums(4, range(5, 1, -1))


def _check_digit_holds(numbers: np.ndarray) -> np.ndarray:
    head = numbers // 100_000
    tail = numbers - head * 100_000
    check = 11 - (_HEAD_SUMS[head] + _TAIL_SUMS[tail // 10]) % 11
    check[check == 11] = 0
    return (check != 10) & (check == tail % 10)


def valid_nhs_number(values: Any) -> np.ndarray:
    """Whether each value is a valid NHS number (ten digits, Modulus 11 check digit).

    ``values`` may be a Series, array, list or Arrow array of text ("9434765919",
    "943 476 5919") or whole numbers; missing values are not valid. Returns a bool array.
    """
    numbers, formed = _as_numbers(values)
    return formed & _check_digit_holds(numbers)


def _checked_key(key: Any) -> bytes:
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"pseudonymise_key: expected bytes (e.g. secrets.token_bytes(32)), got {type(key).__name__}")
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"pseudonymise_key: use at least {MIN_KEY_BYTES} random bytes, got {len(key)}")
    return bytes(key)


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
    secret = _checked_key(key)
    numbers, formed = _as_numbers(values)
    # Each distinct number is checked and hashed once: a patient has many rows, and the
    # digest is the costly part.
    codes, distinct = pd.factorize(np.where(formed, numbers, -1))
    valid_distinct = (distinct >= 0) & _check_digit_holds(np.maximum(distinct, 0))
    messages = np.char.zfill(distinct[valid_distinct].astype("U10"), 10).astype("S10").tolist()
    digests = b"".join([hmac.digest(secret, message, "sha256") for message in messages])
    first_eight = np.frombuffer(digests, dtype=">u8").reshape(-1, 4)[:, 0] if digests else np.empty(0, ">u8")
    pseudonyms = np.zeros(len(distinct), np.int64)
    pseudonyms[valid_distinct] = (first_eight & _POSITIVE_INT63).astype(np.int64)
    return pseudonyms[codes], valid_distinct[codes]
