"""SUS / HES admitted patient care: episodes in, one admission per hospital provider spell out."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import _core
from .._columns import NO_DATE
from .._measures import EVENT_KINDS
from ._extract import Extract, events_frame, finished, kind_index
from ._ledger import Ledger
from ._read import (
    _SECONDS_PER_DAY,
    _UNKNOWN,
    Source,
    _Lookup,
    as_datetimes,
    chosen_maps,
    days,
    dictionary_encoded,
    int64s,
    open_extract,
    person_days,
    shipped_map,
)

_EXTRACT = "apc_spells"
_DIAGNOSIS = re.compile(r"diagnosis_(\d+)$")
_BED_DAYS = EVENT_KINDS.index("bed_days")


def _key_column(table: pa.Table, column: str) -> tuple[np.ndarray, np.ndarray | None]:
    """A key column as int64 keys and where it is missing (None: nowhere): whole numbers as
    they are, anything else as codes of its distinct values."""
    values = table[column]
    keys = values if pa.types.is_integer(values.type) else dictionary_encoded(values).indices
    return int64s(keys, 0), values.is_null().to_numpy(zero_copy_only=False) if values.null_count else None


def _spell_key(table: pa.Table, ledger: Ledger, person: np.ndarray, admitted: np.ndarray
               ) -> tuple[list[np.ndarray], np.ndarray | None]:
    """The columns that make a spell's key, and the rows dropped for a missing ``spell_id``: by
    ``spell_id``, or where there is none by person and admission date; by provider too when
    the extract names it, since a transfer starts a new provider spell and spell numbers are
    the provider's own. A missing provider is one more provider."""
    missing = None
    if "spell_id" in table.column_names:
        spell_id, missing = _key_column(table, "spell_id")
        if missing is not None:
            missing = ledger.drop(missing, "missing spell_id")
        keys = [spell_id]
    else:
        keys = [person, admitted.astype(np.int64)]
    if "provider_code" in table.column_names:
        keys.append(_key_column(table, "provider_code")[0])
    return keys, missing


def _first_reversed(admitted: np.ndarray, discharged: np.ndarray, rows: np.ndarray) -> int:
    """The lowest of ``rows`` discharged before its admission (-1: none)."""
    wrong = np.flatnonzero(rows & (discharged != NO_DATE) & (discharged < admitted))
    return int(wrong[0]) if len(wrong) else -1


def _refuse_reversed(row: int, admitted: np.ndarray, discharged: np.ndarray) -> None:
    admission, discharge = as_datetimes(np.array([admitted[row], discharged[row]])).astype("datetime64[D]")
    raise ValueError(f"{_EXTRACT}.discharge_date row {row}: discharged {discharge}, before admission {admission}")


def _check(table: pa.Table, spells: dict[str, Any], admitted: np.ndarray, discharged: np.ndarray,
           unspelled: np.ndarray | None) -> None:
    """A discharge before its admission (on any row read, with a spell or not), then a
    spell_id shared by two people, are errors in the extract naming the lowest such row."""
    reversed_rows = [row for row in (spells["reversed_row"], -1 if unspelled is None else
                                     _first_reversed(admitted, discharged, unspelled)) if row >= 0]
    if reversed_rows:
        _refuse_reversed(min(reversed_rows), admitted, discharged)
    row = spells["shared_row"]
    if row >= 0:
        raise ValueError(f"{_EXTRACT}.spell_id row {row}: spell {table['spell_id'][row].as_py()!r} holds more than "
                         "one person")


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
    first episode (lowest ``episode_order``; of two with one order, the one whose method code
    comes first as text, so that the rows' order does not matter; without an order, the
    earliest row) carries its admission method (NHS Data Dictionary;
    ``maps/admission_method.json``): 11-13 ``elective_admission``; 21-25, 2A-2D and 28
    ``emergency_admission``; maternity (31, 32) and other (81-83) spells are counted in the
    account and left out, as are unknown methods (their codes in ``unknown_codes``). The later
    episodes are ``merged`` in the account. Each admission has one ``bed_days`` event on its
    admission day with ``count`` = discharge - admission in days (0 for a same-day spell); a
    spell with no discharge date yet has none. Transfers: a transfer between providers opens a
    new provider spell, an admission of the method it records (2B emergency; 81 left out).
    The admissions come in the order of each spell's first row in the extract, then the bed
    days in the same order; in any order of the rows the events are the same.

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
    keys, unspelled = _spell_key(table, ledger, person, admitted)
    methods = _Lookup.of(table["admission_method"], maps["admission_method"])
    by_text = methods.text_order()
    read = ledger.undecided()
    spells = _core.group_spells(
        person=person, key=keys, admitted=admitted, discharged=discharged, method=methods.positions,
        method_rank=np.argsort(by_text).astype(np.int32),
        order=int64s(table["episode_order"], np.iinfo(np.int64).max) if "episode_order" in table.column_names
        else None, read=None if read.all() else read.view(np.uint8))
    _check(table, spells, admitted, discharged, unspelled)
    _account(ledger, read, spells, methods, by_text)
    kinds = kind_index(methods.target_names, _EXTRACT, "admission_method")
    events = _core.spell_events(person=spells["person"], admitted=spells["admitted"], bed_days=spells["bed_days"],
                                method=spells["method"], bed_days_kind=_BED_DAYS,
                                kind_of_method=np.append(kinds, np.int8(-1))[methods.target_of_code])
    date = events["date"]
    date *= _SECONDS_PER_DAY  # in place: the engine gives days as int64 for this
    return finished(ledger, maps, diagnoses=_diagnoses(table, person, admitted, linked), events=events_frame(
        events["person_id"], date.view("datetime64[s]"), events["kind"], events["count"]))


def _account(ledger: Ledger, read: np.ndarray, spells: dict[str, Any], methods: _Lookup, by_text: np.ndarray
             ) -> None:
    """Every row read decided: a later episode of its spell merged, a first episode mapped to
    its admission's kind (apart when the spell has no discharge yet, so no bed days) or dropped
    by its method's reason; unknown methods counted by code, in the order of their text."""
    codes = len(methods.dictionary) + 1
    per_code = np.zeros((codes, 2), np.int64)
    per_code[:len(spells["by_method"])] = spells["by_method"]
    has_reason = methods.reason_of_code >= 0
    dropped = np.zeros(len(methods.reasons), np.int64)
    np.add.at(dropped, methods.reason_of_code[has_reason], per_code.sum(axis=1)[has_reason])
    targets = len(methods.target_names)
    mapped = np.zeros((targets + 1, 2), np.int64)  # the last row: codes with no target
    np.add.at(mapped, methods.target_of_code, per_code)
    kinds = methods.target_names
    ledger.decide_counted(read, [
        (("merged", "later episode of its spell (one admission per spell)"), spells["later_episodes"]),
        *((("dropped", reason), int(n)) for reason, n in zip(methods.reasons, dropped)),
        *((("mapped", f"{k} (no discharge yet: no bed days)"), int(n)) for k, n in zip(kinds, mapped[:targets, 1])),
        *((("mapped", k), int(n)) for k, n in zip(kinds, mapped[:targets, 0])),
    ])
    unknown = np.where(methods.reason_of_code == _UNKNOWN, per_code.sum(axis=1), 0)[by_text[:-1]]
    ledger.note_unknown_counts("admission_method", [methods.dictionary[i] for i in by_text[:-1]], unknown)
