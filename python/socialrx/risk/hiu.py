"""High-intensity-user rules: who had at least N events of a kind within some window of D days.

Edges, exactly: a window of D days starting on day t holds days t .. t+D-1, both inclusive.
Events on days t and t+D-1 are in one window; events on days t and t+D are not. Several
events on one day all count. "More than N" means at least N + 1.

Presets (A&E attendances): ``"ae_5_in_365"`` at least 5 in 365 days; ``"nhse_month"``, NHS
England's "more than 5 in a month" = at least 6 in 30 days (a month is taken as 30 days so
that a window never depends on the month it starts in); ``"nhse_year"``, NHS England's "more
than 20 in a year" = at least 21 in 365 days. NHS England counts a person meeting either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import numpy as np
import pandas as pd

from .. import _core
from .._columns import NO_DATE, as_codes, as_days, as_frame, as_ids, require_columns

EVENT_KINDS: tuple[str, ...] = tuple(_core.EVENT_KINDS)
HIU_PRESETS: dict[str, tuple[str, int, int]] = {k: tuple(v) for k, v in _core.HIU_PRESETS.items()}
Rule = Union[str, Mapping[str, Any]]
_PERSON_ID_COLUMNS = ("person_id", "patient_id", "client_id")


def _parse_rule(rule: Rule) -> tuple[str, int, int]:
    """A preset name, or {"kind": ..., "at_least": N | "more_than": N, "window_days": D}."""
    if isinstance(rule, str):
        if rule not in HIU_PRESETS:
            raise ValueError(f"hiu.rule: unknown preset {rule!r} (known: {', '.join(HIU_PRESETS)})")
        return HIU_PRESETS[rule]
    if not isinstance(rule, Mapping):
        raise ValueError(f"hiu.rule: expected a preset name or a dict, got {type(rule).__name__}")
    unknown = set(rule) - {"kind", "at_least", "more_than", "window_days"}
    if unknown:
        raise ValueError(f"hiu.rule: unknown key(s) {', '.join(sorted(unknown))}")
    if ("at_least" in rule) == ("more_than" in rule):
        raise ValueError("hiu.rule: give exactly one of at_least and more_than")
    if "window_days" not in rule:
        raise ValueError("hiu.rule: window_days is required")
    at_least = int(rule["at_least"]) if "at_least" in rule else int(rule["more_than"]) + 1
    return str(rule.get("kind", "ae_attendance")), at_least, int(rule["window_days"])


def hiu(events: Any, rule: Rule = "ae_5_in_365", *, people: Any = None, threads: int = 0) -> pd.DataFrame:
    """Whether (and when first) each person met a high-intensity-user rule.

    ``events`` has ``person_id`` (or ``patient_id`` / ``client_id``), ``date`` and ``kind``;
    rows may be in any order. ``people`` lists the ids to report, in order (default: every
    id in the events, sorted); an event of anyone else is an error.

    Returns one row per person: ``person_id``, ``attendances`` (most events of the rule's kind
    in any one window), ``qualifies`` (bool) and ``first_qualifying_date`` (the day of the event
    that first completed a qualifying window; NaT if never). ``attrs`` holds the rule and the
    number of events of the kind and of other kinds.
    """
    frame = as_frame(events, "events")
    id_column = next((c for c in _PERSON_ID_COLUMNS if c in frame.columns), None)
    if id_column is None:
        raise ValueError("events: missing column person_id (or patient_id / client_id)")
    require_columns(frame, "events", [id_column, "date", "kind"])
    kind, at_least, window_days = _parse_rule(rule)
    person = as_ids(frame[id_column], "events", id_column)
    dates = as_days(frame["date"], "events", "date", required=True)
    kinds, _ = as_codes(frame["kind"], "events", "kind", EVENT_KINDS, dtype=np.uint8)
    ids = np.unique(person) if people is None else as_ids(pd.Series(np.asarray(people)), "people", "person_id")
    out = _core.high_intensity_users(ids, person, dates, kinds, kind, at_least, window_days, threads)
    first = out["first_qualifying_date"].astype("datetime64[D]")
    first[out["first_qualifying_date"] == NO_DATE] = np.datetime64("NaT")
    result = pd.DataFrame({
        "person_id": ids,
        "attendances": out["best_window"],
        "qualifies": out["qualifies"].astype(bool),
        "first_qualifying_date": first.astype("datetime64[ns]"),
    })
    result.attrs.update(rule={"kind": kind, "at_least": at_least, "window_days": window_days},
                        events_of_kind=out["events_of_kind"], events_of_other_kinds=out["events_of_other_kinds"])
    return result
