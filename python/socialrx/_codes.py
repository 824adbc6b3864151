"""Codes as NHS data carries them, normalised one way, with a count of the values changed.

* ODS codes (GP practices, ``P81001``): stripped and upper-cased.
* Sex: NHS Data Dictionary codes 1 male, 2 female, 9 not specified (indeterminate), 0 or X not
  known, and those words (``m``/``f``, ``unknown`` too), to the words.
* SNOMED CT concept ids: digit strings or integers, exactly, as int64 (6 to 18 digits).

Each normaliser works on the distinct values of a column, not on every row, and returns a
categorical column with how many rows it changed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._columns import decoded, exact_integers, shown

# Where a referral came from: a GP, a practice's MDT, mental health services, the person
# themselves, another agency, or the helpline set up in the pandemic (seed 004).
REFERRAL_SOURCES: tuple[str, ...] = ("gp", "mdt", "mental_health", "self", "agency", "helpline", "other")
SEXES: tuple[str, ...] = ("male", "female", "not specified", "not known")
_SEX_SPELLINGS = {
    "male": ("1", "m", "male"),
    "female": ("2", "f", "female"),
    "not specified": ("9", "not specified", "indeterminate"),
    "not known": ("0", "x", "not known", "unknown", "u"),  # X: not known in the stated gender codes
}
_SEX = {spelling: sex for sex, spellings in _SEX_SPELLINGS.items() for spelling in spellings}
_SNOMED_DIGITS = (6, 18)


def _recoded(values: pd.Series, table: str, column: str, normalise: Callable[[str], str | None],
             expected: str) -> tuple[pd.Series, int]:
    """``values`` with each distinct label put through ``normalise`` (labels that become equal
    merged; missing stays missing), as a categorical, with the number of rows changed. A label
    ``normalise`` cannot read (None) is an error naming its first row and what was ``expected``."""
    categorical = isinstance(values.dtype, pd.CategoricalDtype)
    if categorical:
        codes, labels = values.array.codes, values.cat.categories
    else:
        codes, labels = pd.factorize(decoded(values, table, column))
    given = [str(label) for label in labels]
    normalised = [normalise(label) for label in given]  # one per distinct label, not per row
    if None in normalised:
        row = int(np.flatnonzero(codes == normalised.index(None))[0])
        raise ValueError(f"{table}.{column} row {row}: {shown(values.iloc[row])} is not {expected}")
    relabelled = np.array([new != old for new, old in zip(normalised, given)], bool)
    if categorical and not relabelled.any():
        return values, 0  # already normal: the column as it is
    # Text labels sorted, so that no figure's order of groups depends on the order of the rows.
    merged, categories = pd.factorize(pd.Series(normalised, dtype="string"), sort=not categorical)
    changed = int(np.bincount(codes[codes >= 0], minlength=len(given))[relabelled].sum()) if len(given) else 0
    recoded = np.where(codes >= 0, merged[codes], -1)
    return pd.Series(pd.Categorical.from_codes(recoded, categories=categories), index=values.index,
                     name=values.name), changed


def practice_codes(values: pd.Series, table: str, column: str = "practice") -> tuple[pd.Series, int]:
    """ODS practice codes stripped and upper-cased ("p81001 " is P81001), with the rows changed."""
    return _recoded(values, table, column, lambda code: code.strip().upper(), "an ODS code")


def sexes(values: pd.Series, table: str, column: str = "sex") -> tuple[pd.Series, int]:
    """Sex as one of ``SEXES`` from NHS Data Dictionary codes or words, with the rows changed;
    anything else is an error naming the row."""
    return _recoded(values, table, column, lambda label: _SEX.get(label.strip().lower()),
                    "a sex (NHS Data Dictionary 1 male, 2 female, 9 not specified, 0 not known, or those words)")


def snomed_ids(values: pd.Series, table: str, column: str) -> np.ndarray:
    """SNOMED CT concept ids (digit strings or integers) as int64, exactly; missing ids, and ids
    not of 6 to 18 digits, are errors naming the row."""
    ids, missing = exact_integers(values, table, column, "SNOMED CT id")
    low, high = (10 ** (digits - 1) for digits in _SNOMED_DIGITS)
    bad = missing | (ids < low) | (ids >= high * 10)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{table}.{column} row {row}: {shown(values.iloc[row])} is not a SNOMED CT id "
                         f"({_SNOMED_DIGITS[0]} to {_SNOMED_DIGITS[1]} digits)")
    return ids
