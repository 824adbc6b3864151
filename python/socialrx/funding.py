"""The service's funding: what it cost per funder and per period, and per client supported.

Funding is one row per grant or contract that paid for the service::

    funder, start, end, pence

``start`` and ``end`` are the first and last day the money pays for (both inclusive);
``pence`` is whole pence >= 0 (instead of it, ``pounds`` may give pounds as text, "£120,000",
read exactly). The seed service was match-funded by the CCG and the Department of Health: two
funders, a row per grant each year. A missing or bad value, or an end before its start, is a
``ValueError`` naming the table, column and row.

Apportioning a grant to periods. A grant that spans several periods is shared among them by
days: a period's share is pence x (the grant's days in the period) / (the grant's days). Shares
are seldom whole pence, so each period first gets the whole pence below its share, and the
pence left over (fewer than the periods) go one each to the periods with the largest
fractions, the earlier period first on a tie (the largest-remainder method). The parts are
whole pence and add up to the grant exactly. For example, £1,000.00 for 30 March to 1 April
2020 is 2 of 3 days in 2019/20 (66,666.67p) and 1 in 2020/21 (33,333.33p): 66,666p and 33,333p
with 1p left over, which goes to 2019/20 (the larger fraction): 66,667p and 33,333p.

Cost per client is the service cost / clients supported (connected: those with an index
date), in whole pence rounded half away from zero (``socialrx._measures.pence_per``); by
period, a period's funding / the clients whose support started in it. The net saving's
``service_cost_per_patient_pence`` is the same definition over the clients in its window.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._columns import NO_DATE, as_days, as_frame, decoded, exact_integers, pounds_as_pence, require_columns
from ._core import format_pounds
from ._measures import pence_per
from .periods import CUSTOM, OUTSIDE, PERIOD_GROUPINGS, Period, calendar_periods, label_days, parse_periods

__all__ = ["FUNDING_COLUMNS", "Funding", "apportion", "check_funding", "cost_per_client", "funding_by", "service_cost"]

FUNDING_COLUMNS: tuple[str, ...] = ("funder", "start", "end", "pence")
FundingBy = Literal["financial_year", "quarter", "month", "funder"]
_TABLE = "funding"


def check_funding(funding: Any, date_format: str | None = None) -> pd.DataFrame:
    """The funding table checked: ``funder`` (text), ``start`` and ``end`` (int days since
    1970-01-01), ``pence`` (int64), one row per grant in the order given."""
    frame = as_frame(funding, _TABLE).reset_index(drop=True)
    require_columns(frame, _TABLE, ["funder", "start", "end"])
    if frame.empty:
        raise ValueError(f"{_TABLE}: the table has no rows; give at least one grant, or no funding table")
    funder = decoded(frame["funder"], _TABLE, "funder").astype("string").str.strip()
    start, end = (as_days(frame[c], _TABLE, c, required=True, date_format=date_format) for c in ("start", "end"))
    pence, missing = _pence(frame)
    for bad, column, problem in ((funder.isna().to_numpy() | (funder == "").to_numpy(dtype=bool), "funder",
                                  "missing funder"),
                                 (missing, "pence", "missing amount"),
                                 (pence < 0, "pence", "a negative amount"),
                                 (end < start, "end", "the grant ends before it starts")):
        if bad.any():
            raise ValueError(f"{_TABLE}.{column} row {int(np.flatnonzero(bad)[0])}: {problem}")
    return pd.DataFrame({"funder": funder.to_numpy(dtype=object), "start": start.astype(np.int64),
                         "end": end.astype(np.int64), "pence": pence})


def _pence(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    if "pence" in frame and "pounds" in frame:
        raise ValueError(f"{_TABLE}: both pence and pounds are given; keep one")
    if "pence" in frame:
        return exact_integers(frame["pence"], _TABLE, "pence", "amount")
    if "pounds" in frame:
        return pounds_as_pence(frame["pounds"], _TABLE, "pounds")
    raise ValueError(f"{_TABLE}: missing column pence (or pounds)")


def apportion(pence: int, days: Sequence[int]) -> list[int]:
    """``pence`` shared in proportion to ``days`` in whole pence by the largest remainder (the
    earlier part first on a tie); the parts add up to ``pence`` exactly."""
    total = sum(days)
    if total <= 0:
        raise ValueError("days: at least one day is needed to share money by days")
    floors, remainders = zip(*(divmod(int(pence) * int(d), total) for d in days))
    parts = list(floors)
    for i in sorted(range(len(days)), key=lambda i: (-remainders[i], i))[: int(pence) - sum(floors)]:
        parts[i] += 1
    return parts


def _overlaps(start: int, end: int, periods: Sequence[Period]) -> list[int]:
    """The days from ``start`` to ``end`` in each period, then those in none."""
    inside = [max(0, min(end, p.end) - max(start, p.start) + 1) for p in periods]
    return [*inside, end - start + 1 - sum(inside)]


def _periods(grants: pd.DataFrame, by: str | None, periods: Sequence[Any] | None,
             days: Sequence[int] = ()) -> list[Period]:
    """The service ``periods`` given, or the periods of ``by`` spanning the grants and ``days``."""
    if periods is not None:
        return parse_periods(periods)
    if by not in PERIOD_GROUPINGS:
        raise ValueError(f"by: must be one of {', '.join(PERIOD_GROUPINGS)} or 'funder', got {by!r}")
    first = min([*grants["start"], *days])
    last = max([*grants["end"], *days])
    return calendar_periods(by, int(first), int(last))


def _by_period(grants: pd.DataFrame, periods: list[Period], name: str) -> pd.DataFrame:
    """Each grant apportioned to the periods, then added up per period and funder (the part of
    a grant in no period under ``OUTSIDE``, so that nothing is dropped)."""
    labels = [p.label for p in periods] + [OUTSIDE]
    rows = []
    for funder, start, end, pence in zip(grants["funder"], grants["start"].tolist(), grants["end"].tolist(),
                                         grants["pence"].tolist()):
        days = _overlaps(start, end, periods)
        rows += [(i, funder, d, part) for i, (d, part) in enumerate(zip(days, apportion(pence, days))) if d]
    frame = pd.DataFrame(rows, columns=["slot", "funder", "days", "pence"])
    out = frame.groupby(["slot", "funder"], sort=True)[["days", "pence"]].sum().reset_index()
    out.insert(0, name, np.asarray(labels, dtype=object)[out.pop("slot").to_numpy(dtype=np.int64)])
    return out.astype({"days": np.int64, "pence": np.int64})


def _by_funder(grants: pd.DataFrame) -> pd.DataFrame:
    out = grants.groupby("funder", sort=True).agg(grants=("pence", "size"), start=("start", "min"),
                                                   end=("end", "max"), pence=("pence", "sum")).reset_index()
    for column in ("start", "end"):
        out[column] = out[column].to_numpy(dtype=np.int64).astype("datetime64[D]")
    return out.astype({"grants": np.int64, "pence": np.int64})


@dataclass(frozen=True)
class Funding:
    """The service's cost per period and funder, or per funder (see :func:`funding_by`).

    Attributes:
        table: by period: [period column], ``funder``, ``days`` (the grants' days in the
            period), ``pence``; by funder: ``funder``, ``grants``, ``start`` (first day),
            ``end`` (last day), ``pence``. Pence are exact and add up to ``total_pence``.
        by: the grouping (``"funder"``, a period grouping or ``"period"`` for service periods).
        total_pence: every grant together.
    """

    table: pd.DataFrame
    by: str
    total_pence: int

    def per_period(self) -> dict[str, int]:
        """Each period's pence, all funders together (empty when grouped by funder)."""
        if self.by == "funder":
            return {}
        return {str(k): int(v) for k, v in self.table.groupby(self.by, sort=False)["pence"].sum().items()}

    def _lines(self) -> list[tuple[str, str]]:
        """The summary's lines, label and value, which the text and the HTML both show."""
        label = "funder" if self.by == "funder" else self.by
        keys = (self.table[label] if self.by == "funder" else self.table[label] + ", " + self.table["funder"])
        rows = [(str(k), format_pounds(int(p))) for k, p in zip(keys, self.table["pence"])]
        return [*rows, ("total", format_pounds(self.total_pence))]

    def summary(self) -> str:
        """The service cost per row of the table, then the total, in pounds."""
        lines = self._lines()
        width = max(len(k) for k, _ in lines)
        return "\n".join([f"Service cost by {self.by.replace('_', ' ')}",
                          *(f"  {k:<{width}}  {v:>14}" for k, v in lines)])

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:right'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self._lines())
        return f"<table><caption>Service cost by {html.escape(self.by.replace('_', ' '))}</caption>{body}</table>"

    def __repr__(self) -> str:
        return f"Funding(by={self.by!r}, rows={len(self.table)}, total_pence={self.total_pence})"


def funding_by(grants: pd.DataFrame, *, by: FundingBy = "financial_year",
               periods: Sequence[Any] | None = None) -> Funding:
    """The service cost per period and funder (grants apportioned by days; see the module
    docstring), or per funder with ``by="funder"``. ``by`` is ``"financial_year"``,
    ``"quarter"`` or ``"month"`` (see ``socialrx.periods``); ``periods=[(label, start, end),
    ...]`` gives service periods instead, and the part of a grant in none of them is
    ``"outside periods"``. ``grants`` is a table checked by :func:`check_funding`."""
    total = int(grants["pence"].sum())
    if by == "funder" and periods is None:
        return Funding(_by_funder(grants), "funder", total)
    name = CUSTOM if periods is not None else by
    table = _by_period(grants, _periods(grants, None if periods is not None else by, periods), name)
    return Funding(table, name, total)


def funding_in_period(grants: pd.DataFrame, period: str, span: Period | None,
                      periods: Sequence[Any] | None = None) -> pd.DataFrame | None:
    """The grants' parts in one period, a row per funder dated over the period's ``span``: the
    parts :func:`funding_by` gives that period (so the period's service cost is the same in
    both); None when no money falls in it, or the period is no span of days."""
    if span is None:
        return None
    by_period = funding_by(grants, periods=periods)
    rows = by_period.table[by_period.table[by_period.by] == period]
    if rows.empty:
        return None
    return pd.DataFrame({"funder": rows["funder"].to_numpy(dtype=object),
                         "start": np.datetime64(int(span.start), "D"), "end": np.datetime64(int(span.end), "D"),
                         "pence": rows["pence"].to_numpy(dtype=np.int64)})


def cost_per_client(index_date: np.ndarray, *, service_cost_pence: int | None = None,
                    grants: pd.DataFrame | None = None, by: str | None = None,
                    periods: Sequence[Any] | None = None) -> pd.DataFrame:
    """Service cost / clients supported (connected), in whole pence, half away from zero.

    The cost is ``service_cost_pence`` or, without it, the ``grants``' total. With ``by`` (a
    period grouping) or ``periods``, one row per period: the grants apportioned to it (see
    :func:`funding_by`) over the clients whose index date is in it.

    Columns: [period], ``service_cost_pence``, ``clients``, ``cost_per_client_pence`` (Int64;
    <NA> where no client was supported).
    """
    connected = index_date[index_date != NO_DATE].astype(np.int64)
    if by is None and periods is None:
        cost = service_cost(service_cost_pence, grants)
        return _per_client(pd.DataFrame({"service_cost_pence": [cost], "clients": [len(connected)]}))
    if grants is None or service_cost_pence is not None:
        raise ValueError("service_cost_pence: a cost per period comes from a funding table, not one total")
    chosen = _periods(grants, None if periods is not None else by, periods, connected.tolist())
    name = CUSTOM if periods is not None else str(by)
    costs = _by_period(grants, chosen, name).groupby(name, sort=False)["pence"].sum()
    clients = label_days(connected, chosen, missing=OUTSIDE).value_counts(sort=False)
    labels = [label for label in [p.label for p in chosen] + [OUTSIDE] if label in costs or clients.get(label, 0)]
    frame = pd.DataFrame({name: labels, "service_cost_pence": [int(costs.get(k, 0)) for k in labels],
                          "clients": [int(clients.get(k, 0)) for k in labels]})
    return _per_client(frame)


def service_cost(service_cost_pence: int | float | None, grants: pd.DataFrame | None) -> int:
    """The service cost: ``service_cost_pence`` (whole pence) or, without it, the grants' total."""
    if service_cost_pence is not None:
        if isinstance(service_cost_pence, bool) or float(service_cost_pence) != int(service_cost_pence):
            raise ValueError(f"service_cost_pence: must be whole pence, got {service_cost_pence!r}")
        return int(service_cost_pence)
    if grants is None:
        raise ValueError("service_cost_pence: give the service's cost, or a funding table to the Evaluation")
    return int(grants["pence"].sum())


def _per_client(frame: pd.DataFrame) -> pd.DataFrame:
    frame["service_cost_pence"] = frame["service_cost_pence"].astype(np.int64)
    frame["clients"] = frame["clients"].astype(np.int64)
    frame["cost_per_client_pence"] = pd.array(
        [pence_per(int(c), int(n)) for c, n in zip(frame["service_cost_pence"], frame["clients"])], dtype="Int64")
    return frame
