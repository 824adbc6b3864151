"""Workforce and operations: link workers' caseloads and contacts, who delivered the support,
how often befriending calls came, and the service's meetings.

The columns these read:

* clients ``link_worker``: the worker a client is allocated to;
* interventions ``link_worker`` (optional): the worker who made the contact, where it was not
  the client's own (empty: the client's own); ``delivered_by``: ``staff``, ``volunteer`` or
  ``partner``;
* a meetings table, one row per meeting: ``date``, ``kind`` (``mdt``: a GP practice's
  multi-disciplinary team meeting; ``complex_case_review``: the weekly virtual meetings on
  complex cases of seed 004), ``organisations`` (how many took part) and ``clients`` (how many
  were discussed), both whole numbers >= 0 or empty (not recorded).

Definitions:

* a case is a connected client; it is open from the index date to the discharge date (both
  inclusive), or to the last day of the figure's last period where there is none. Its caseload
  counts in every period it is open on any day of; clients who never connected are no one's
  case (counted, ``not_connected``);
* contacts are ``contact_phone`` and ``contact_visit`` interventions, as in
  ``socialrx.support``;
* calls per week of one client = calls / weeks, where weeks = (last call - first call) / 7 + 1:
  weekly calls over ten weeks are 1 a week, two calls on one day 2.

Periods are ``by="month" | "quarter" | "financial_year"`` or service periods ``periods=[(label,
start, end), ...]`` (see ``socialrx.periods``); each figure goes by the date of what it
counts: the days a case is open, an intervention's date, a meeting's date. A worker, a kind or
who delivered left empty is ``"not recorded"``: counted, never dropped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ._columns import (
    NO_DATE,
    as_codes,
    as_days,
    as_frame,
    as_ids,
    client_columns,
    decoded,
    exact_integers,
    require_columns,
    shown,
)
from ._measures import per_client, readable
from .periods import Period, grouping_name, label_days, periods_for
from .support import INTERVENTION_KINDS

__all__ = ["CONTACT_KINDS", "DELIVERED_BY", "MEETING_KINDS", "PANDEMIC_KINDS", "CallFrequency", "Delivery",
           "Meetings", "Workforce", "call_frequency", "delivery", "meetings", "workforce"]

DELIVERED_BY: tuple[str, ...] = ("staff", "volunteer", "partner")
MEETING_KINDS: tuple[str, ...] = ("mdt", "complex_case_review")
PANDEMIC_KINDS: tuple[str, ...] = ("food_delivery", "medication_delivery", "food_bank_referral", "befriending_call",
                                   "helpline_call")
CONTACT_KINDS: tuple[str, ...] = ("contact_phone", "contact_visit")
MEETING_COLUMNS: tuple[str, ...] = ("date", "kind", "organisations", "clients")
NOT_RECORDED = "not recorded"
_DAYS_A_WEEK = 7


@dataclass(frozen=True)
class _Figure:
    """A figure's table with the lines that say what it shows: ``summary()`` and the HTML both
    render those lines."""

    table: pd.DataFrame
    title: ClassVar[str] = ""

    def _lines(self) -> list[str]:
        raise NotImplementedError

    def summary(self) -> str:
        return "\n".join([self.title, *(f"  - {line}" for line in self._lines())])

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self._lines())
        return f"<h4>{html.escape(self.title)}</h4><ul>{items}</ul>{self.table.to_html(index=False)}"

    def __repr__(self) -> str:
        return self.summary()


def _labels(values: pd.Series, table: str, column: str) -> pd.Series:
    """Text labels stripped, empty ones ``"not recorded"``."""
    text = decoded(values, table, column).astype("string").str.strip()
    return text.mask(text == "").fillna(NOT_RECORDED)


def _recorded_first(labels: Sequence[str]) -> list[str]:
    """Labels sorted, ``"not recorded"`` last."""
    return sorted(set(labels) - {NOT_RECORDED}) + [NOT_RECORDED] * (NOT_RECORDED in labels)


def _spans(days: np.ndarray, by: str | None, periods: Sequence[Any] | None) -> list[Period]:
    spans = periods_for(days, by=by, periods=periods)
    if not spans:
        raise ValueError("by: there are no dates to cut into periods")
    return spans


# ------------------------------------------------------------------------------- workforce
@dataclass(frozen=True, repr=False)
class Workforce(_Figure):
    """Caseload and contacts per link worker per period (see :func:`workforce`).

    ``table``: period (named after ``by``, or ``period``), ``link_worker``, ``open_cases``,
    ``new_cases`` (index date in the period), ``closed_cases`` (discharged in it), ``contacts``,
    ``contacts_per_case`` (contacts / open cases; NaN without one). ``excluded``: connected
    clients never, contacts outside every service period.
    """

    period: str = "month"
    excluded: Mapping[str, int] = field(default_factory=dict)
    title: ClassVar[str] = "Link workers' caseloads and contacts"

    def _lines(self) -> list[str]:
        per = self.table.groupby("link_worker", sort=False)
        workers = [w for w in per.groups if w != NOT_RECORDED]
        lines = [f"{len(workers)} link workers; open cases per worker per {readable(self.period)}: mean "
                 f"{self.table.loc[self.table['link_worker'] != NOT_RECORDED, 'open_cases'].mean():.1f}"]
        lines += [f"{worker}: mean {rows['open_cases'].mean():.1f} open cases and {rows['contacts'].mean():.1f} "
                  f"contacts per {readable(self.period)}, most open cases {rows['open_cases'].max()} "
                  f"({rows[self.period].iloc[int(np.argmax(rows['open_cases']))]})" for worker, rows in per]
        lines += [f"{readable(reason)}: {count:,}" for reason, count in self.excluded.items() if count]
        return lines


def _contacts(interventions: Any, client_ids: np.ndarray, worker: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """The contacts' dates and workers: the intervention's own ``link_worker`` where given,
    else the client's."""
    frame = as_frame(interventions, "interventions").reset_index(drop=True)
    require_columns(frame, "interventions", ["client_id", "date", "kind"])
    kind, _ = as_codes(frame["kind"], "interventions", "kind", list(INTERVENTION_KINDS))
    contact = np.isin(kind, [INTERVENTION_KINDS.index(k) for k in CONTACT_KINDS])
    ids = as_ids(frame["client_id"], "interventions", "client_id")[contact]
    position = pd.Index(client_ids).get_indexer(ids)
    if (position < 0).any():
        row = int(np.flatnonzero(contact)[np.flatnonzero(position < 0)[0]])
        raise ValueError(f"interventions.client_id row {row}: client {int(ids[position < 0][0])} is in no clients row")
    own = worker.to_numpy(dtype=object)[position]
    if "link_worker" in frame:
        given = _labels(frame["link_worker"], "interventions", "link_worker").to_numpy(dtype=object)[contact]
        own = np.where(given != NOT_RECORDED, given, own)
    days = as_days(frame["date"], "interventions", "date", required=True)[contact]
    return days, pd.Series(own, dtype="string")


def workforce(clients: Any, interventions: Any = None, *, by: str | None = "month",
              periods: Sequence[Any] | None = None) -> Workforce:
    """Open cases, new and closed cases and contacts per link worker per period.

    ``clients`` need ``link_worker``; ``interventions`` (optional) give the contacts. With
    ``periods`` give ``by=None``. See the module docstring for the definitions.
    """
    frame = as_frame(clients, "clients").reset_index(drop=True)
    require_columns(frame, "clients", ["link_worker"])
    columns = client_columns(frame)
    worker = _labels(frame["link_worker"], "clients", "link_worker")
    index, discharge = columns["index_date"], columns["discharge_date"]
    connected = index != NO_DATE
    discharge = np.full(len(index), NO_DATE, np.int32) if not len(discharge) else discharge
    contact_days, contact_worker = (np.empty(0, np.int32), pd.Series([], dtype="string")) if interventions is None \
        else _contacts(interventions, columns["client_id"], worker)
    spans = _spans(np.concatenate([index[connected], discharge[discharge != NO_DATE], contact_days]), by, periods)
    names = _recorded_first([*worker[connected], *contact_worker])
    case_of = np.asarray(pd.Index(names).get_indexer(worker[connected]))
    opened, closed = index[connected], discharge[connected]
    closed = np.where(closed == NO_DATE, spans[-1].end, closed)
    contact_period = label_days(contact_days, spans).astype("string")
    contact_of = np.asarray(pd.Index(names).get_indexer(contact_worker))
    discharged = discharge[connected] != NO_DATE
    rows = []
    for span in spans:
        counts = [np.bincount(codes[mask], minlength=len(names)) for codes, mask in (
            (case_of, (opened <= span.end) & (closed >= span.start)),
            (case_of, (opened >= span.start) & (opened <= span.end)),
            (case_of, discharged & (closed >= span.start) & (closed <= span.end)),
            (contact_of, (contact_period == span.label).to_numpy(dtype=bool)))]
        rows += [(span.label, name, *(int(c[w]) for c in counts)) for w, name in enumerate(names)]
    period = grouping_name(by, periods) or "period"
    table = pd.DataFrame(rows, columns=[period, "link_worker", "open_cases", "new_cases", "closed_cases", "contacts"])
    table["contacts_per_case"] = per_client(table["contacts"], table["open_cases"])
    excluded = {"not_connected": int((~connected).sum()),
                "contacts_outside_periods": int(len(contact_days) - table["contacts"].sum())}
    return Workforce(table, period=period, excluded=excluded)


# ------------------------------------------------------------------------------- delivery
@dataclass(frozen=True, repr=False)
class Delivery(_Figure):
    """Interventions and clients by kind and by who delivered them (see :func:`delivery`).

    ``table``: [period], ``kind``, ``delivered_by``, ``interventions``, ``clients`` (distinct),
    for the kinds and deliverers with an intervention.
    """

    title: ClassVar[str] = "Support by who delivered it"

    def _lines(self) -> list[str]:
        by_who = self.table.groupby("delivered_by")["interventions"].sum()
        lines = [f"{readable(who)}: {int(by_who[who]):,} interventions"
                 for who in (*DELIVERED_BY, NOT_RECORDED) if who in by_who.index]
        pandemic = self.table[self.table["kind"].isin(PANDEMIC_KINDS)].groupby("kind", sort=False)
        lines += [f"{readable(kind)}: {int(rows['interventions'].sum()):,} interventions ({_by_whom(rows)})"
                  for kind, rows in pandemic]
        return lines


def _by_whom(rows: pd.DataFrame) -> str:
    return ", ".join(f"{readable(who)} {int(n):,}" for who, n in zip(rows["delivered_by"], rows["interventions"]))


def _interventions(interventions: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The interventions table and its kinds' codes in ``INTERVENTION_KINDS``."""
    frame = as_frame(interventions, "interventions").reset_index(drop=True)
    require_columns(frame, "interventions", ["client_id", "date", "kind"])
    kind, _ = as_codes(frame["kind"], "interventions", "kind", list(INTERVENTION_KINDS))
    return frame, kind


def delivery(interventions: Any, *, by: str | None = None, periods: Sequence[Any] | None = None) -> Delivery:
    """Interventions and distinct clients per kind and ``delivered_by`` (staff, volunteer,
    partner; empty: not recorded), over all time or per period of the intervention's date."""
    frame, kind = _interventions(interventions)
    require_columns(frame, "interventions", ["delivered_by"])
    who = _labels(frame["delivered_by"], "interventions", "delivered_by")
    unknown = ~who.isin([*DELIVERED_BY, NOT_RECORDED])
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValueError(f"interventions.delivered_by row {row}: unknown value {shown(frame['delivered_by'][row])} "
                         f"(expected one of: {', '.join(DELIVERED_BY)}, or empty)")
    rows = pd.DataFrame({"kind": pd.Categorical.from_codes(kind, pd.Index(INTERVENTION_KINDS)),
                         "delivered_by": pd.Categorical(who, categories=[*DELIVERED_BY, NOT_RECORDED]),
                         "client_id": as_ids(frame["client_id"], "interventions", "client_id")})
    if by is not None or periods is not None:
        days = as_days(frame["date"], "interventions", "date", required=True)
        rows.insert(0, grouping_name(by, periods) or "period", label_days(days, _spans(days, by, periods)))
    keys = list(rows.columns[:-1])
    table = rows.groupby(keys, observed=True)["client_id"].agg(interventions="size", clients="nunique").reset_index()
    return Delivery(table.astype({key: "string" for key in keys}))


# ------------------------------------------------------------------------------- call frequency
@dataclass(frozen=True, repr=False)
class CallFrequency(_Figure):
    """How often each client had calls of one kind (see :func:`call_frequency`).

    ``table``: ``client_id``, ``calls``, ``first``, ``last`` (days), ``weeks``, ``calls_per_week``.
    """

    kind: str = "befriending_call"
    title: ClassVar[str] = "Calls per client per week"

    def _lines(self) -> list[str]:
        rate = self.table["calls_per_week"]
        if not len(rate):
            return [f"no {readable(self.kind)}s"]
        return [f"{readable(self.kind)}s: {int(self.table['calls'].sum()):,} to {len(rate):,} clients",
                f"calls per client per week: median {rate.median():.1f}, mean {rate.mean():.1f}; "
                f"{int((rate >= 1).sum()):,} clients ({100 * (rate >= 1).mean():.0f}%) at least weekly"]


def call_frequency(interventions: Any, *, kind: str = "befriending_call") -> CallFrequency:
    """Per client, the calls of ``kind`` and calls per week, weeks = (last - first) / 7 + 1."""
    if kind not in INTERVENTION_KINDS:
        raise ValueError(f"kind: {kind!r} is not an intervention kind ({', '.join(INTERVENTION_KINDS)})")
    frame, kinds = _interventions(interventions)
    mine = kinds == INTERVENTION_KINDS.index(kind)
    calls = pd.DataFrame({"client_id": as_ids(frame["client_id"], "interventions", "client_id")[mine],
                          "day": as_days(frame["date"], "interventions", "date", required=True)[mine]})
    table = calls.groupby("client_id").agg(calls=("day", "size"), first=("day", "min"), last=("day", "max"))
    table["weeks"] = (table["last"] - table["first"]) / _DAYS_A_WEEK + 1
    table["calls_per_week"] = table["calls"] / table["weeks"]
    return CallFrequency(table.reset_index(), kind=kind)


# ------------------------------------------------------------------------------- meetings
@dataclass(frozen=True, repr=False)
class Meetings(_Figure):
    """Meetings per period and kind (see :func:`meetings`).

    ``table``: period, ``kind``, ``meetings``, ``organisations_mean`` (per meeting where
    recorded), ``client_discussions`` (clients discussed, added over meetings: a client
    discussed twice counts twice), ``not_recorded`` (meetings without organisations or
    clients). ``per_week``: each kind's meetings per week from its first meeting to its last.
    """

    period: str = "month"
    per_week: Mapping[str, float] = field(default_factory=dict)
    title: ClassVar[str] = "Meetings"

    def _lines(self) -> list[str]:
        totals = self.table.groupby("kind", sort=False)[["meetings", "client_discussions"]].sum()
        return [f"{readable(kind)}: {int(row.meetings):,} meetings ({self.per_week[str(kind)]:.1f} a week from the "
                f"first to the last), {int(row.client_discussions):,} client discussions"
                for kind, row in totals.iterrows() if row.meetings]


def _meeting_counts(values: pd.Series, column: str) -> np.ndarray:
    """Whole numbers >= 0; -1 where empty (not recorded)."""
    numbers, missing = exact_integers(values, "meetings", column, column)
    negative = ~missing & (numbers < 0)
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise ValueError(f"meetings.{column} row {row}: {shown(values[row])} is not a count (a whole number >= 0)")
    return np.where(missing, -1, numbers)


def meetings(meetings: Any, *, by: str | None = "month", periods: Sequence[Any] | None = None) -> Meetings:
    """Meetings, organisations per meeting and clients discussed, per period and kind (every
    period from the first meeting to the last, and both kinds, zeros kept)."""
    frame = as_frame(meetings, "meetings").reset_index(drop=True)
    require_columns(frame, "meetings", MEETING_COLUMNS)
    kind, _ = as_codes(frame["kind"].astype("string").str.strip().str.lower(), "meetings", "kind",
                       list(MEETING_KINDS))
    days = as_days(frame["date"], "meetings", "date", required=True)
    organisations, clients = (_meeting_counts(frame[c], c) for c in ("organisations", "clients"))
    spans = _spans(days, by, periods)
    label = label_days(days, spans)
    rows = pd.DataFrame({"period": label, "kind": pd.Categorical.from_codes(kind, pd.Index(MEETING_KINDS)),
                         "organisations": np.where(organisations >= 0, organisations, np.nan),
                         "clients": np.where(clients >= 0, clients, 0),
                         "not_recorded": (organisations < 0) | (clients < 0)})
    table = rows.groupby(["period", "kind"], observed=False).agg(
        meetings=("not_recorded", "size"), organisations_mean=("organisations", "mean"),
        client_discussions=("clients", "sum"), not_recorded=("not_recorded", "sum")).reset_index()
    period = grouping_name(by, periods) or "period"
    table = table.rename(columns={"period": period}).astype({period: "string", "kind": "string",
                                                             "client_discussions": "int64", "not_recorded": "int64"})
    per_week = {k: (int((kind == i).sum()) / ((days[kind == i].max() - days[kind == i].min()) / _DAYS_A_WEEK + 1)
                    if (kind == i).any() else 0.0) for i, k in enumerate(MEETING_KINDS)}
    return Meetings(table, period=period, per_week=per_week)
