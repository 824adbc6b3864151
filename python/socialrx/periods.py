"""Reporting periods: which period a date falls in, and which date each figure goes by.

Every figure cut by time takes ``by="financial_year" | "quarter" | "month"`` (NHS financial
years, April to March, labelled ``"2023/24"``; their quarters, ``"2023/24 Q1"`` = April to
June; calendar months, ``"2023-04"``), or service periods ``periods=[(label, start, end), ...]``
(first and last day inclusive, in any order, not overlapping), for service years that are
not financial years. Periods with no client between the first and the last are kept, with
zero counts, so that a series has no hidden gaps.

The period rule: each figure places a client in the period of one date, named in the
figure's ``attrs["period_rule"]``:

* reach (referred, connected): the **referral date**, since people who never connected have
  no other date;
* everything measured from the start of support (health-service use, cost avoidance,
  outcomes, wellbeing, support given, feedback): the **index date**; clients who never
  connected fall in ``"not connected"``.

A date outside every service period falls in ``"outside periods"``: counted, never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._columns import NO_DATE, as_day

ServicePeriods = Sequence[tuple[Any, Any, Any]]  # [(label, start, end), ...]
PeriodFigure = Callable[[np.ndarray, np.ndarray], pd.DataFrame]  # (table rows, client ids) -> figure
PERIOD_GROUPINGS: tuple[str, ...] = ("financial_year", "quarter", "month")
NOT_CONNECTED = "not connected"
OUTSIDE = "outside periods"
CUSTOM = "period"  # the column of a figure cut by service periods
DateColumn = Literal["referral_date", "index_date"]
RULES: dict[str, str] = {
    "referral_date": "by referral date: each client counts in the period they were referred",
    "index_date": ("by index date: each client counts in the period their support started "
                   f"(\"{NOT_CONNECTED}\" if it never did)"),
}
# The date each figure goes by (see the module docstring).
FIGURE_DATES: dict[str, DateColumn] = {
    "reach": "referral_date", "utilisation": "index_date", "cost_avoidance": "index_date",
    "outcomes": "index_date", "wellbeing": "index_date", "support": "index_date",
    "feedback_summary": "index_date",
}
_STEP_MONTHS = {"month": 1, "quarter": 3, "financial_year": 12}
_APRIL = 3  # months after January


@dataclass(frozen=True)
class Period:
    """One reporting period: ``start`` and ``end`` are days (since 1970-01-01), both inclusive."""

    label: str
    start: int
    end: int


def parse_periods(periods: Sequence[Any]) -> list[Period]:
    """Service periods ``[(label, start, end), ...]`` checked and in date order: each label
    once, start on or before end, no two overlapping."""
    parsed = []
    for row, given in enumerate(periods):
        if not isinstance(given, (tuple, list)) or len(given) != 3:
            raise ValueError(f"periods row {row}: {given!r} is not (label, start, end)")
        label, start, end = given
        period = Period(str(label), as_day(start, f"periods row {row} start"), as_day(end, f"periods row {row} end"))
        if period.end < period.start:
            raise ValueError(f"periods row {row}: {period.label!r} ends before it starts")
        parsed.append(period)
    if not parsed:
        raise ValueError("periods: at least one (label, start, end) is needed")
    labels = [p.label for p in parsed]
    if len(set(labels)) < len(labels) or {NOT_CONNECTED, OUTSIDE} & set(labels):
        raise ValueError(f"periods: labels must be distinct and not {NOT_CONNECTED!r} or {OUTSIDE!r}")
    parsed.sort(key=lambda p: p.start)
    for before, after in zip(parsed, parsed[1:]):
        if after.start <= before.end:
            raise ValueError(f"periods: {before.label!r} and {after.label!r} overlap")
    return parsed


def _months(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of each day."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _first_day(month: int) -> int:
    return int(np.datetime64(int(month), "M").astype("datetime64[D]").astype(np.int64))


def _label(by: str, month: int) -> str:
    if by == "month":
        return str(np.datetime64(int(month), "M"))
    year = 1970 + (month - _APRIL) // 12
    financial_year = f"{year}/{(year + 1) % 100:02d}"
    return financial_year if by == "financial_year" else f"{financial_year} Q{(month - _APRIL) % 12 // 3 + 1}"


def _bin_start(by: str, month: int) -> int:
    """The first month of the period of ``by`` that ``month`` is in."""
    step = _STEP_MONTHS[by]
    return (month - _APRIL) // step * step + _APRIL if step > 1 else month


def calendar_periods(by: str, first: int, last: int) -> list[Period]:
    """Every period of ``by`` from the one holding day ``first`` to the one holding ``last``."""
    if by not in _STEP_MONTHS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(PERIOD_GROUPINGS)}")
    step = _STEP_MONTHS[by]
    starts = range(_bin_start(by, int(_months(np.array([first]))[0])), int(_months(np.array([last]))[0]) + 1, step)
    return [Period(_label(by, m), _first_day(m), _first_day(m + step) - 1) for m in starts]


def period_span(label: str, periods: Sequence[Any] | None = None) -> Period | None:
    """The days of the reporting period ``label``: a service period of ``periods``, or else the
    financial year it names ("2019/20"); None for a label that is no span of days ("not
    connected", "outside periods")."""
    if periods is not None:
        return next((p for p in parse_periods(periods) if p.label == label), None)
    year = re.fullmatch(r"(\d{4})/\d{2}", label)
    if year is None:
        return None
    april = (int(year.group(1)) - 1970) * 12 + _APRIL
    return Period(label, _first_day(april), _first_day(april + 12) - 1)


def periods_for(days: np.ndarray, *, by: str | None = None, periods: Sequence[Any] | None = None) -> list[Period]:
    """The service periods given, or the calendar periods of ``by`` spanning ``days``."""
    if periods is not None:
        if by is not None:
            raise ValueError("by: give either by= or periods=, not both")
        return parse_periods(periods)
    if by is None:
        raise ValueError(f"by: one of {', '.join(PERIOD_GROUPINGS)}, or periods=, is needed")
    present = days[days != NO_DATE]
    return calendar_periods(by, int(present.min()), int(present.max())) if len(present) else []


def label_days(days: np.ndarray, periods: list[Period], *, missing: str = NOT_CONNECTED) -> pd.Series:
    """Each day's period label, as a categorical: the periods in date order, then
    ``missing`` (no date) and ``OUTSIDE`` (in no period) where any day is one."""
    days = np.asarray(days)
    starts = np.array([p.start for p in periods], dtype=np.int64)
    ends = np.array([p.end for p in periods], dtype=np.int64)
    slot = np.searchsorted(starts, days, side="right") - 1
    absent = days == NO_DATE  # the smallest int32: before every period, so slot is -1
    inside = (slot >= 0) & (days <= np.append(ends, 0)[slot])  # slot -1 reads the appended 0, masked
    outside = ~inside & ~absent
    categories = [p.label for p in periods]
    codes = np.where(inside, slot, -1)
    for name, mask in ((missing, absent), (OUTSIDE, outside)):
        if mask.any():
            codes[mask] = len(categories)
            categories.append(name)
    return pd.Series(pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(categories)))


def period_labels(days: np.ndarray, *, by: str | None = None, periods: Sequence[Any] | None = None,
                  missing: str = NOT_CONNECTED) -> pd.Series:
    """Each day's period of ``by`` (or of the service ``periods``); see :func:`label_days`."""
    return label_days(days, periods_for(days, by=by, periods=periods), missing=missing)


def is_period_grouping(by: str | None, periods: Sequence[Any] | None) -> bool:
    """Whether ``by``/``periods`` cut a figure by time."""
    return periods is not None or by in PERIOD_GROUPINGS


def grouping_name(by: str | None, periods: Sequence[Any] | None) -> str | None:
    """The column a figure's groups are labelled in: ``by``, or ``"period"`` for service periods."""
    return CUSTOM if periods is not None else by


def cache_key(periods: ServicePeriods | None) -> tuple[Period, ...] | None:
    """Service periods as a key of a cache of figures (None: none given)."""
    return None if periods is None else tuple(parse_periods(periods))


def with_rule(frame: pd.DataFrame, figure: str, by: str | None, periods: ServicePeriods | None) -> pd.DataFrame:
    """``frame`` of ``figure`` (a key of ``FIGURE_DATES``) with its period rule in
    ``attrs["period_rule"]`` where it is cut by time."""
    if is_period_grouping(by, periods):
        frame.attrs["period_rule"] = RULES[FIGURE_DATES[figure]]
    return frame


def by_period(labels: pd.Series, client_ids: np.ndarray, owners: np.ndarray, compute: PeriodFigure, *,
              figure: str, name: str) -> pd.DataFrame:
    """A figure computed once per period: ``compute(rows, ids)`` is given the rows of a table
    whose ``owners`` are the period's clients and those clients' ids (``labels``: each
    client's period, a categorical). The rows come period by period under column ``name``;
    ``attrs`` are the first period's, with ``excluded`` per period and the period rule."""
    frames, excluded = [], {}
    for label in labels.cat.categories:
        ids = client_ids[(labels == label).to_numpy()]
        part = compute(np.isin(owners, ids), ids)
        excluded[str(label)] = part.attrs.get("excluded", {})
        frames.append(part.assign(**{name: str(label)})[[name, *part.columns]])
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {**frames[0].attrs, "excluded": excluded, "period_rule": RULES[FIGURE_DATES[figure]]}
    return out


def period_of_clients(index_date: np.ndarray, referral_date: np.ndarray,
                      periods: Sequence[Any] | None = None) -> pd.Series:
    """Each client's reporting period, as :meth:`Evaluation.for_period` takes it: the NHS
    financial year (or the service period) of the index date, or of the referral date for a
    client who never connected."""
    day = np.where(index_date != NO_DATE, index_date, referral_date).astype(np.int32)
    by = None if periods is not None else "financial_year"
    return period_labels(day, by=by, periods=periods).astype("string")
