"""Readers of extracts whose rows are single contacts: ECDS attendances, GP appointments,
ambulance incidents and NHS 111 calls."""

from __future__ import annotations

from typing import Any, Literal, Optional

import numpy as np

from .._measures import EVENT_KINDS
from ._extract import Extract, events_frame, finished, kind_index
from ._read import (
    Source,
    chosen_maps,
    code_labels,
    map_codes,
    normalised_categories,
    open_extract,
    person_days,
    shipped_map,
)

VideoChoice = Optional[Literal["gp_telephone", "gp_surgery"]]
_UNPLANNED_FOLLOW_UPS = ("2", "3")
_VIDEO = ("Video Conference/Online",)


def ecds(attendances: Source, *, columns: dict[str, str] | None = None, date_format: str | None = None,
         pseudonymise_key: bytes | None = None, code_map: Any = None, unplanned_follow_ups: bool = True) -> Extract:
    """Emergency Care Data Set attendances as ``ae_attendance`` events.

    Columns ``person_id, arrival_date, attendance_category`` and optional ``department_type``.
    Attendance category (ECDS; ``maps/ecds_attendance_category.json``): 1 (unplanned first)
    is an attendance; 2 and 3 (unplanned follow-ups, here or at another department) are too
    unless ``unplanned_follow_ups=False``; 4 (planned follow-up) is counted in the account and
    left out, since a planned return is not a use of urgent care. ``department_type`` is kept
    beside the events as its code without padding zeros ("01" -> "1"), so type 1 emergency
    departments can be told from type 3 urgent treatment centres.
    """
    table, ledger = open_extract(attendances, "ecds", columns, ["person_id", "arrival_date", "attendance_category"],
                                 coded=["attendance_category", "department_type"])
    shipped = shipped_map("ecds_attendance_category")
    if not unplanned_follow_ups:
        shipped = shipped.excluding(_UNPLANNED_FOLLOW_UPS, "unplanned follow-up (unplanned_follow_ups=False)")
    maps = chosen_maps("ecds", {"attendance_category": shipped}, code_map)
    person, day_numbers = person_days(table, ledger, pseudonymise_key, "arrival_date", date_format)
    target, kinds = map_codes(table, ledger, maps["attendance_category"])
    rows = np.flatnonzero(ledger.map_each(target, kinds))  # then a gather per column, cheaper than a mask each
    beside = {}
    if "department_type" in table.column_names:
        beside["department_type"] = normalised_categories(table["department_type"], rows)
    events = events_frame(person.take(rows), day_numbers.take(rows),
                          kind_index(kinds, "ecds", "attendance_category").take(target.take(rows)), beside=beside)
    return finished(ledger, maps, events=events)


def gp_appointments(appointments: Source, *, columns: dict[str, str] | None = None, date_format: str | None = None,
                    pseudonymise_key: bytes | None = None, code_map: Any = None,
                    video: VideoChoice = "gp_telephone") -> Extract:
    """GP appointments (GPAD-shaped) as consultations: ``gp_surgery``, ``gp_telephone``,
    ``gp_home_visit``.

    Columns ``person_id, appointment_date, appointment_mode, appointment_status``. Only
    attended appointments are consultations: did-not-attend, cancelled and unknown statuses
    are counted in the account and left out. Mode Face-to-Face is ``gp_surgery``, Telephone
    ``gp_telephone``, Home Visit ``gp_home_visit``. Video/online consultations have no kind of
    their own: by default they count as ``gp_telephone`` (both are remote); ``video="gp_surgery"``
    counts them as surgery consultations and ``video=None`` leaves them out (counted).
    ``code_map={"appointment_mode": {...}, "appointment_status": {...}}`` adds local labels.
    """
    table, ledger = open_extract(appointments, "gp_appointments", columns,
                                 ["person_id", "appointment_date", "appointment_mode", "appointment_status"],
                                 coded=["appointment_mode", "appointment_status"])
    mode = shipped_map("gp_appointment_mode")
    mode = mode.excluding(_VIDEO, "video/online (video=None)") if video is None else mode.retargeted(_VIDEO, video)
    maps = chosen_maps("gp_appointments", {"appointment_mode": mode,
                                           "appointment_status": shipped_map("gp_appointment_status")}, code_map)
    person, day_numbers = person_days(table, ledger, pseudonymise_key, "appointment_date", date_format)
    map_codes(table, ledger, maps["appointment_status"])  # only attended appointments stay undecided
    target, kinds = map_codes(table, ledger, maps["appointment_mode"])
    rows = np.flatnonzero(ledger.map_each(target, kinds))
    events = events_frame(person.take(rows), day_numbers.take(rows),
                          kind_index(kinds, "gp_appointments", "appointment_mode").take(target.take(rows)))
    return finished(ledger, maps, events=events)


def _one_kind(source: Source, extract: str, date_column: str, kind: str, columns: dict[str, str] | None,
              date_format: str | None, pseudonymise_key: bytes | None, outcome_map: str | None = None,
              code_map: Any = None) -> Extract:
    """An extract whose every linkable, dated row is one event of ``kind``; with an
    ``outcome_map``, the extract's ``outcome`` column (where it has one) is kept beside the
    events through that map."""
    table, ledger = open_extract(source, extract, columns, ["person_id", date_column], coded=["outcome"])
    person, day_numbers = person_days(table, ledger, pseudonymise_key, date_column, date_format)
    mapped = ledger.map(ledger.undecided(), kind)
    beside = {}
    maps = {}
    if outcome_map is not None and "outcome" in table.column_names:
        maps = chosen_maps(extract, {"outcome": shipped_map(outcome_map)}, code_map)
        beside["outcome"] = code_labels(table, ledger, maps["outcome"], mapped)
    rows = np.flatnonzero(mapped)
    events = events_frame(person.take(rows), day_numbers.take(rows),
                          np.full(len(rows), EVENT_KINDS.index(kind), np.int8), beside=beside)
    return finished(ledger, maps, events=events)


def ambulance(incidents: Source, *, columns: dict[str, str] | None = None, date_format: str | None = None,
              pseudonymise_key: bytes | None = None, code_map: Any = None) -> Extract:
    """Ambulance incidents as ``ambulance_callout`` events.

    Columns ``person_id, incident_date`` and optional ``outcome``, kept beside the events as
    ``hear_and_treat``, ``see_and_treat`` or ``see_and_convey`` (Ambulance Quality Indicators;
    ``maps/ambulance_outcome.json``); an outcome the map does not know is left empty and its
    code counted in ``unknown_codes``. Every incident is a call-out, whatever its outcome.
    """
    return _one_kind(incidents, "ambulance", "incident_date", "ambulance_callout", columns, date_format,
                     pseudonymise_key, "ambulance_outcome", code_map)


def nhs111(calls: Source, *, columns: dict[str, str] | None = None, date_format: str | None = None,
           pseudonymise_key: bytes | None = None) -> Extract:
    """NHS 111 calls (``person_id, call_date``) as ``nhs111_call`` events."""
    return _one_kind(calls, "nhs111", "call_date", "nhs111_call", columns, date_format, pseudonymise_key)
