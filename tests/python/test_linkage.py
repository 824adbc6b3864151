"""NHS number check digits and keyed pseudonyms, against hand-worked and published examples."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from socialrx import _core, linkage

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


def numbers_with_check_digits(count: int, rng: np.random.Generator) -> list[str]:
    """Random ten-digit strings: about 1 in 11 has a valid check digit."""
    return [f"{n:010d}" for n in rng.integers(0, 10**10, count)]


@pytest.mark.parametrize("key_bytes", [16, 32, 64, 65, 200])  # 65 and 200: keys hashed first (RFC 2104)
def test_pseudonyms_match_pythons_hmac_on_random_keys_and_numbers(key_bytes):
    rng = np.random.default_rng(key_bytes)
    key = rng.bytes(key_bytes)
    numbers = numbers_with_check_digits(3_000, rng)
    numbers += [numbers[i] for i in rng.integers(0, len(numbers), 3_000)]  # people seen again
    by_python = [expected_pseudonym(n, key) if valid else 0 for n, valid in zip(numbers, by_the_rule(numbers))]
    for values in (numbers, pa.array(numbers, pa.large_string()), np.array([int(n) for n in numbers])):
        pseudonyms, valid = linkage.pseudonymise_valid(values, key=key)
        assert valid.tolist() == by_the_rule(numbers)
        assert pseudonyms.tolist() == by_python
    assert sum(by_the_rule(numbers)) > 300  # about 1 in 11


def by_the_rule(numbers: list[str]) -> list[bool]:
    """The Modulus 11 rule written out, digit by digit."""
    def holds(number: str) -> bool:
        check = 11 - sum(int(d) * w for d, w in zip(number, range(10, 1, -1))) % 11
        return (0 if check == 11 else check) == int(number[9])
    return [holds(n) for n in numbers]


def test_arrow_slices_chunks_and_dictionaries_read_in_place():
    values = ["9434765919", None, "401 023 2137", "9434765918", "4010232137", None, "0100000010"] * 3
    expected = [v is not None and bool(linkage.valid_nhs_number([v])[0]) for v in values]
    pseudonyms = [expected_pseudonym(v.replace(" ", ""), KEY) if ok else 0 for v, ok in zip(values, expected)]
    assert sum(expected) == 12  # 943.., 401 023 2137, 401.. and 010.. in each of the three repeats
    text = pa.array(values)
    layouts = {
        "slice": pa.chunked_array([text.slice(0, 5), text.slice(5, 9), text.slice(14)]),
        "large_string": pa.array(values, pa.large_string()),
        "dictionaries": pa.chunked_array([text.slice(0, 8).dictionary_encode(), text.slice(8).dictionary_encode()]),
        "categorical": pd.Series(values, dtype="category"),
    }
    for name, layout in layouts.items():
        got, valid = linkage.pseudonymise_valid(layout, key=KEY)
        assert valid.tolist() == expected, name
        assert got.tolist() == pseudonyms, name
    numbers = pa.array([9434765919, None, 4010232137, 9434765918] * 3)
    assert linkage.valid_nhs_number(numbers.slice(1, 6)).tolist() == [False, True, False, True, False, True]


def test_which_spaces_are_ignored():
    # Tabs, line breaks, form feeds, spaces and hyphens are dropped; a vertical tab, a non-breaking
    # space, a full stop or full-width digits are not, so those numbers are not valid.
    values = ["\t9434765919\r\n", "943\f476-5919", "\v9434765919", "\u00a09434765919", "9434765919.",
              "９４３４７６５９１９"]
    assert linkage.valid_nhs_number(values).tolist() == [True, True, False, False, False, False]


def test_no_valid_number_at_all_gives_zeros():
    pseudonyms, valid = linkage.pseudonymise_valid(["9434765918", None, ""], key=KEY)
    assert pseudonyms.tolist() == [0, 0, 0]
    assert valid.tolist() == [False, False, False]
    empty, none_valid = linkage.pseudonymise_valid(pa.array([], pa.string()), key=KEY)
    assert len(empty) == len(none_valid) == 0


def test_a_bytearray_key_is_read_in_place_and_let_go():
    key = bytearray(KEY)
    assert linkage.pseudonymise(VALID, key=key).tolist() == linkage.pseudonymise(VALID, key=KEY).tolist()
    assert linkage.pseudonymise(VALID, key=memoryview(key)).tolist() == [expected_pseudonym(v, KEY) for v in VALID]
    key[:] = bytes(len(key))  # the caller can wipe its key: no view of it is held any longer
    key.extend(b"more")


def test_same_pseudonyms_for_any_thread_count():
    rng = np.random.default_rng(3)
    numbers = pa.array(numbers_with_check_digits(2_000, rng)).take(pa.array(rng.integers(0, 2_000, 300_000)))
    chunks = [linkage._chunk(numbers)]
    one = _core.nhs_numbers(chunks, KEY, threads=1)
    for threads in (2, 3):
        again = _core.nhs_numbers(chunks, KEY, threads=threads)
        assert np.array_equal(again[0], one[0]) and np.array_equal(again[1], one[1])
