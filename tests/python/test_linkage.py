"""NHS number check digits and keyed pseudonyms, against hand-worked and published examples."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from socialrx import linkage

KEY = b"a test key, 32 bytes long......."
OTHER_KEY = b"another test key, also 32 bytes."

# Hand-worked (weights 10..2 over the first nine digits; check = 11 - sum mod 11, 11 -> 0):
VALID = [
    "9434765919",  # published example: 90+36+24+28+42+30+20+27+2 = 299; 299 mod 11 = 2; 11-2 = 9
    "4010232137",  # 40+0+8+0+12+15+8+3+6 = 92; 92 mod 11 = 4; 11-4 = 7
    "0100000010",  # 9+2 = 11; 11 mod 11 = 0; 11-0 = 11, which stands for 0
]
INVALID = [
    "9434765918",  # the check digit should be 9
    "4010232136",  # should be 7
    "0000000060",  # 6x2 = 12; 12 mod 11 = 1; 11-1 = 10: no number with these nine digits is valid
    "943476591",  # nine digits
    "94347659190",  # eleven
    "94347659A9",  # not a digit
]


def expected_pseudonym(number: str, key: bytes) -> int:
    digest = hmac.new(key, number.encode("ascii"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & (2**63 - 1)


def test_valid_and_invalid_numbers_as_text():
    result = linkage.valid_nhs_number(VALID + INVALID)
    assert result.dtype == bool
    assert result.tolist() == [True] * len(VALID) + [False] * len(INVALID)


def test_spaces_hyphens_whole_numbers_and_missing():
    values = pd.Series(["943 476 5919", "943-476-5919", None, 9434765919, 4010232136])
    assert linkage.valid_nhs_number(values).tolist() == [True, True, False, True, False]
    assert linkage.valid_nhs_number(np.array([9434765919, 100000010, -9434765919])).tolist() == [True, True, False]
    assert linkage.valid_nhs_number(pa.array([9434765919, None])).tolist() == [True, False]
    # a whole-number column with a gap arrives as floats
    assert linkage.valid_nhs_number(pd.Series([9434765919, np.nan, 9434765919.5])).tolist() == [True, False, False]


def test_every_check_digit_agrees_with_the_rule_written_out():
    numbers = np.random.default_rng(7).integers(0, 10**10, 20_000)

    def by_hand(number: int) -> bool:
        digits = [int(d) for d in f"{number:010d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        return check != 10 and check == digits[9]

    assert linkage.valid_nhs_number(numbers).tolist() == [by_hand(int(n)) for n in numbers]


def test_pseudonyms_are_the_keyed_hmac_of_the_ten_digits():
    got = linkage.pseudonymise(["943 476 5919", "4010232137", "9434765919"], key=KEY)
    assert got.dtype == np.int64
    assert got.tolist() == [expected_pseudonym("9434765919", KEY), expected_pseudonym("4010232137", KEY),
                            expected_pseudonym("9434765919", KEY)]
    assert (got > 0).all()


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys():
    first = linkage.pseudonymise(VALID, key=KEY)
    again = linkage.pseudonymise(pd.Series([int(v) for v in VALID]), key=KEY)
    assert first.tolist() == again.tolist()
    other = linkage.pseudonymise(VALID, key=OTHER_KEY)
    assert not set(first.tolist()) & set(other.tolist())
    assert other.tolist() == [expected_pseudonym(v, OTHER_KEY) for v in VALID]


def test_an_invalid_number_is_refused_by_row_or_flagged():
    with pytest.raises(ValueError, match="row 1: not a valid NHS number"):
        linkage.pseudonymise(["9434765919", "9434765918"], key=KEY)
    pseudonyms, valid = linkage.pseudonymise_valid(["9434765918", "9434765919", None], key=KEY)
    assert valid.tolist() == [False, True, False]
    assert pseudonyms.tolist() == [0, expected_pseudonym("9434765919", KEY), 0]


@pytest.mark.parametrize(("key", "error"), [("a text key of enough length", TypeError), (b"short", ValueError)])
def test_keys_are_bytes_and_long_enough(key, error):
    with pytest.raises(error, match="pseudonymise_key"):
        linkage.pseudonymise(["9434765919"], key=key)
