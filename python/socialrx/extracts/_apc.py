"""SUS / HES admitted patient care: episodes in, one admission per hospital provider spell out."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .._columns import NO_DATE
from .._measures import EVENT_KINDS
from ._extract import Extract, events_frame, finished, kind_index
from ._ledger import Ledger
from ._read import (
    Source,
    as_datetimes,
    chosen_maps,
    days,
    dictionary_encoded,
    map_codes,
    open_extract,
    person_days,
    shipped_map,
)

_EXTRACT = "apc_spells"
_DIAGNOSIS = re.compile(r"diagnosis_(\d+)$")
_BED_DAYS = EVENT_KINDS.index("bed_days")


def _group_codes(*keys: np.ndarray) -> np.ndarray:
    """One code per distinct combination of ``keys`` (hashing, not sorting). Later keys with a
    narrow range (providers, days) are folded into the first key's codes by arithmetic, so a
    composite key costs one hash pass more than its first key, not one per key."""
    codes, distinct = pd.factorize(keys[0])
    size = len(distinct)
    for key in keys[1:]:
        low = int(key.min()) if len(key) else 0
        span = int(key.max()) - low + 1 if len(key) else 1
        if size * span >= 2**62:  # too wide to fold: take its distinct values first
            part, values = pd.factorize(key)
            key, low, span = part, 0, len(values)
        codes = codes * span + (key - low)
        size *= span
    return pd.factorize(codes)[0] if len(keys) > 1 else codes


def _key_column(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A key column as int64 keys and where it is missing: whole numbers as they are, anything
    else as codes of its distinct values."""
    values = table[column]
    missing = values.is_null().to_numpy(zero_copy_only=False)
    keys = values if pa.types.is_integer(values.type) else dictionary_encoded(values).indices
    return np.asarray(pc.fill_null(keys.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)), missing


def _spells(table: pa.Table, ledger: Ledger, person: np.ndarray, admitted: np.ndarray) -> np.ndarray:
    """Each linkable row's spell (-1 for rows already dropped): by ``spell_id``, or where there
    is none by person and admission date; by provider too when the extract names it, since a
    transfer starts a new provider spell and spell numbers are the provider's own."""
    keys = []
    if "spell_id" in table.column_names:
        spell_id, missing = _key_column(table, "spell_id")
        ledger.drop(missing, "missing spell_id")
        keys.append(spell_id)
    else:
        keys += [person, admitted]
    if "provider_code" in table.column_names:
        keys.append(_key_column(table, "provider_code")[0])  # a missing provider is one more provider
    linked = ledger.undecided()
    if linked.all():  # the usual extract: no copies of the keys
        spell = _group_codes(*keys)
    else:
        spell = np.full(len(person), -1, np.int64)
        spell[linked] = _group_codes(*(key[linked] for key in keys))
    if "spell_id" in table.column_names:
        _check_one_person(table, spell, person)
    return spell


def _check_one_person(table: pa.Table, spell: np.ndarray, person: np.ndarray) -> None:
    """A spell is one person's: a spell_id shared by two people is an error in the extract."""
    rows = np.flatnonzero(spell >= 0)
    size = int(spell.max()) + 1 if len(rows) else 0
    lowest = np.full(size, np.iinfo(np.int64).max)
    highest = np.full(size, np.iinfo(np.int64).min)
    np.minimum.at(lowest, spell[rows], person[rows])
    np.maximum.at(highest, spell[rows], person[rows])
    shared = rows[lowest[spell[rows]] != highest[spell[rows]]]
    if len(shared):
        row = int(shared[0])
        raise ValueError(f"{_EXTRACT}.spell_id row {row}: spell {table['spell_id'][row].as_py()!r} holds more than "
                         "one person")


def _first_episodes(table: pa.Table, spell: np.ndarray) -> np.ndarray:
    """The row that opens each spell: lowest ``episode_order`` (input order without one; the
    earlier row where two share an order)."""
    rows = np.flatnonzero(spell >= 0)
    spells = int(spell.max()) + 1 if len(rows) else 0
    order = (pc.fill_null(table["episode_order"].cast(pa.int64()), np.iinfo(np.int64).max).to_numpy()[rows]
             if "episode_order" in table.column_names else rows)
    lowest = np.full(spells, np.iinfo(np.int64).max)
    np.minimum.at(lowest, spell[rows], order)
    candidates = rows[order == lowest[spell[rows]]]
    earliest_row = np.full(spells, len(spell))
    np.minimum.at(earliest_row, spell[candidates], candidates)
    first = np.zeros(len(spell), bool)
    first[earliest_row] = True
    return first


def _spell_dates(spell: np.ndarray, admitted: np.ndarray, discharged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each spell's admission (its earliest) and discharge (its latest; HES records it on the
    last episode only), ``NO_DATE`` for a spell still open at the end of the extract."""
    rows = spell >= 0
    size = int(spell.max()) + 1 if rows.any() else 0
    start = np.full(size, np.iinfo(np.int32).max, np.int32)
    end = np.full(size, NO_DATE, np.int32)
    np.minimum.at(start, spell[rows], admitted[rows])
    np.maximum.at(end, spell[rows], discharged[rows])
    return start, end


def _check_order(admitted: np.ndarray, discharged: np.ndarray, linked: np.ndarray) -> None:
    wrong = linked & (discharged != NO_DATE) & (discharged < admitted)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        admission, discharge = as_datetimes(np.array([admitted[row], discharged[row]])).astype("datetime64[D]")
        raise ValueError(f"{_EXTRACT}.discharge_date row {row}: discharged {discharge}, before admission {admission}")


def _diagnoses(table: pa.Table, person: np.ndarray, admitted: np.ndarray, linked: np.ndarray) -> pd.DataFrame:
    """Every linkable episode's coded diagnoses, long: person_id, date (the admission), code,
    position (1 = primary)."""
    columns = sorted((int(m.group(1)), name) for name in table.column_names if (m := _DIAGNOSIS.match(name)))
    parts = []
    for position, name in columns:
        code = pc.utf8_trim_whitespace(table[name].cast(pa.string()))
        present = linked & pc.fill_null(pc.not_equal(code, ""), False).to_numpy(zero_copy_only=False)
        parts.append(pd.DataFrame({"person_id": person[present], "date": as_datetimes(admitted[present]),
                                   "code": code.filter(pa.array(present)).to_pandas(),
                                   "position": np.full(int(present.sum()), position, np.int16)}))
    empty = pd.DataFrame({"person_id": np.empty(0, np.int64), "date": as_datetimes(np.empty(0, np.int32)),
                          "code": pd.Series(dtype=object), "position": np.empty(0, np.int16)})
    return pd.concat(parts, ignore_index=True) if parts else empty


def apc_spells(episodes: Source, *, columns: dict[str, str] | None = None, date_format: str | None = None,
               pseudonymise_key: bytes | None = None, code_map: Any = None) -> Extract:
    """SUS / HES admitted patient care episodes as admissions and bed days, one per spell.

    Columns ``person_id, admission_date, discharge_date, admission_method`` and optional
    ``spell_id``, ``episode_order``, ``provider_code``, ``diagnosis_1`` ... ``diagnosis_N``.

    A hospital provider spell (all its consultant episodes) is one admission: episodes share
    a ``spell_id`` or, without one, the person, the provider and the admission date. The spell's
    first episode (lowest ``episode_order``) carries its admission method (NHS Data Dictionary;
    ``maps/admission_method.json``): 11-13 ``elective_admission``; 21-25, 2A-2D and 28
    ``emergency_admission``; maternity (31, 32) and other (81-83) spells are counted in the
    account and left out, as are unknown methods (their codes in ``unknown_codes``). The later
    episodes are ``merged`` in the account. Each admission has one ``bed_days`` event on its
    admission day with ``count`` = discharge - admission in days (0 for a same-day spell); a
    spell with no discharge date yet has none. Transfers: a transfer between providers opens a
    new provider spell, an admission of the method it records (2B emergency; 81 left out).

    ``diagnoses`` holds every linkable episode's diagnosis columns, long (``person_id, date,
    code, position``), dated on the admission. A discharge before its admission is a
    ValueError naming the row.
    """
    table, ledger = open_extract(episodes, _EXTRACT, columns,
                                 ["person_id", "admission_date", "discharge_date", "admission_method"],
                                 coded=["admission_method", "provider_code"])
    maps = chosen_maps(_EXTRACT, {"admission_method": shipped_map("admission_method")}, code_map)
    person, admitted = person_days(table, ledger, pseudonymise_key, "admission_date", date_format)
    discharged = days(table, _EXTRACT, "discharge_date", date_format)
    linked = ledger.undecided()
    _check_order(admitted, discharged, linked)
    diagnoses = _diagnoses(table, person, admitted, linked)
    spell = _spells(table, ledger, person, admitted)
    first = _first_episodes(table, spell)
    ledger.merge((spell >= 0) & ~first, "later episode of its spell (one admission per spell)")
    target, kinds = map_codes(table, ledger, maps["admission_method"], rows=first)
    start, end = _spell_dates(spell, admitted, discharged)
    opened = first & (target >= 0)
    still_open = np.zeros(len(spell), bool)
    still_open[opened] = end[spell[opened]] == NO_DATE
    ledger.map_each(np.where(opened & still_open, target, -1), [f"{k} (no discharge yet: no bed days)" for k in kinds])
    ledger.map_each(np.where(opened, target, -1), kinds)
    events = _admissions_and_bed_days(person[opened], spell[opened], start, end,
                                      kind_index(kinds, _EXTRACT, "admission_method")[target[opened]])
    return finished(ledger, maps, events=events, diagnoses=diagnoses)


def _admissions_and_bed_days(person: np.ndarray, spell: np.ndarray, start: np.ndarray, end: np.ndarray,
                             kind: np.ndarray) -> pd.DataFrame:
    admitted, discharged = start[spell], end[spell]
    closed = discharged != NO_DATE
    return pd.concat([
        events_frame(person, admitted, kind),
        events_frame(person[closed], admitted[closed], np.full(int(closed.sum()), _BED_DAYS, np.int8),
                     (discharged[closed] - admitted[closed]).astype(np.int64)),
    ], ignore_index=True)
