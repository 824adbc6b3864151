"""Figures over time: a count per month with an honest change statistic, and two reporting
periods side by side.

:func:`trend` counts one measure per month (quarter, financial year) and compares the last
``last`` complete periods with the ``last`` before them as a rate ratio (recent / before, over
equal numbers of periods) with an exact interval by the conditional binomial method: given
``n = recent + before`` events, ``recent`` is binomial with ``p = RR / (1 + RR)``, so the
Clopper-Pearson interval of ``p`` gives the interval of ``RR = p / (1 - p)``. A change in a
count of a few hundred can be chance; the interval says how much.

:func:`compare_periods` computes the headline figures (``socialrx.summary.headline``) of each
of two periods' clients, as :meth:`Evaluation.for_period` takes them, and puts them side by
side with the change: every effect line says whether it is the naive before/after of the
included clients or the matched DiD (with its interval), which stands beside it whenever the
evaluation has a comparison pool.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._columns import NO_DATE, as_day
from ._measures import EVENT_KINDS, Window, kind_label, parse_windows, percent_change
from ._optional import require
from .periods import OUTSIDE, PERIOD_GROUPINGS, Period, ServicePeriods, calendar_periods, label_days
from .summary import headline

if TYPE_CHECKING:  # types only: the figures modules never import the Evaluation at run time
    from .evaluation import Evaluation

__all__ = ["TREND_MEASURES", "PeriodComparison", "RateRatio", "TrendResult", "compare_periods", "rate_ratio",
           "trend"]

# What each measure counts, and by which date.
_MEASURE_TEXT = {
    "referrals": ("Referrals", "clients by referral date"),
    "connected": ("Referrals that connected", "clients who connected, by referral date"),
    "clients": ("Clients starting support", "connected clients by index date"),
}
TREND_MEASURES: tuple[str, ...] = (*_MEASURE_TEXT, *EVENT_KINDS)
_UNITS = {"month": "months", "quarter": "quarters", "financial_year": "financial years"}


# ----------------------------------------------------------------- the rate ratio
@dataclass(frozen=True)
class RateRatio:
    """``recent`` events against ``before`` over equal times: ``ratio`` = recent / before with
    its exact ``level`` interval (``low``, ``high``; ``high`` is inf when ``before`` is 0)."""

    recent: int
    before: int
    ratio: float
    low: float
    high: float
    level: float


def rate_ratio(recent: int, before: int, *, level: float = 0.95) -> RateRatio:
    """The rate ratio of two Poisson counts over equal times, with the exact conditional
    binomial (Clopper-Pearson) interval; NaN throughout when both counts are 0."""
    if not 0 < level < 1:
        raise ValueError(f"level: must be between 0 and 1, got {level!r}")
    if recent < 0 or before < 0:
        raise ValueError("rate_ratio: counts must be >= 0")
    if recent + before == 0:
        return RateRatio(recent, before, math.nan, math.nan, math.nan, level)
    beta = require("scipy.stats", "the trend's exact interval is worked out").beta
    tail = (1 - level) / 2
    p_low = 0.0 if recent == 0 else float(beta.ppf(tail, recent, before + 1))
    p_high = 1.0 if before == 0 else float(beta.ppf(1 - tail, recent + 1, before))

    def odds(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p)

    return RateRatio(recent, before, math.inf if before == 0 else recent / before, odds(p_low), odds(p_high), level)


# ----------------------------------------------------------------- the trend
def _dates(ev: Evaluation, measure: str) -> tuple[np.ndarray, int | None, int]:
    """The dates ``measure`` counts, and the first and last days the data cover for it by
    default (no first day: from the start of the first period with a date, the service's)."""
    cc = ev.client_columns
    if measure in _MEASURE_TEXT:
        connected = cc["index_date"] != NO_DATE
        days = {"referrals": cc["referral_date"], "connected": cc["referral_date"][connected],
                "clients": cc["index_date"][connected]}[measure]
    elif measure in EVENT_KINDS:
        events = ev.event_columns
        if events is None:
            raise ValueError("events: this evaluation was given no events table")
        mine = np.isin(events["person_id"], cc["client_id"]) & (events["kind"] == EVENT_KINDS.index(measure))
        days = events["date"][mine]
    else:
        raise ValueError(f"measure: {measure!r} is not one of {', '.join(TREND_MEASURES)}")
    if not len(days):
        raise ValueError(f"measure: no {measure} to count")
    if measure in EVENT_KINDS and ev.data_start is not None and ev.data_end is not None:
        return np.asarray(days), ev.data_start, ev.data_end
    last = cc["referral_date"] if measure != "clients" else days
    return np.asarray(days), None, int(last.max())


def trend(ev: Evaluation, measure: str = "referrals", *, by: str = "month", last: int = 3,
          level: float = 0.95, end: Any = None) -> TrendResult:
    """A count per period of ``by`` and the last ``last`` complete periods against the
    ``last`` before them.

    ``measure``: ``"referrals"`` (clients by referral date), ``"connected"`` (of them, those
    who connected, by referral date: recent referrals may not have connected yet), ``"clients"``
    (connected clients by index date) or an event kind (the clients' events by event date,
    within the data range).

    The series runs over the days the data cover: for event kinds the evaluation's
    ``data_start`` to ``data_end``; for the others from the first date counted to the last
    referral date (``referrals``, ``connected``) or index date (``clients``); ``end`` sets
    the last day. A period is complete if the data cover all of it; an incomplete first or
    last period is shown but left out of the comparison. Dates outside the days covered are
    counted in ``table.attrs["outside"]``.

    Raises:
        ValueError: an unknown measure or ``by``, or fewer than ``2 x last`` complete periods.
    """
    if by not in PERIOD_GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(PERIOD_GROUPINGS)}")
    if isinstance(last, bool) or not isinstance(last, (int, np.integer)) or last < 1:
        raise ValueError(f"last: must be a whole number >= 1, got {last!r}")
    days, first_day, last_day = _dates(ev, measure)
    if end is not None:
        last_day = as_day(end, "end", ev.date_format)
    periods = calendar_periods(by, min(int(days.min()) if first_day is None else first_day, last_day), last_day)
    first_day = periods[0].start if first_day is None else first_day
    counts = label_days(days, [Period(p.label, max(p.start, first_day), min(p.end, last_day)) for p in periods],
                        ).value_counts(sort=False)
    complete = [first_day <= p.start and p.end <= last_day for p in periods]
    usable = np.flatnonzero(complete)  # contiguous: only the first and the last can be incomplete
    if len(usable) < 2 * last:
        raise ValueError(f"last: {last} {_UNITS[by]} against the {last} before needs {2 * last} complete "
                         f"{_UNITS[by]}; the data have {len(usable)}")
    table = pd.DataFrame({
        by: [p.label for p in periods],
        "start": [np.datetime64(p.start, "D") for p in periods],
        "end": [np.datetime64(p.end, "D") for p in periods],
        "count": [int(counts.get(p.label, 0)) for p in periods],
        "complete": complete,
        "compared": [""] * len(periods),
    })
    table.attrs["outside"] = int(counts.get(OUTSIDE, 0))
    table.loc[usable[-last:], "compared"] = "recent"
    table.loc[usable[-2 * last:-last], "compared"] = "before"
    ratio = rate_ratio(int(table.loc[table["compared"] == "recent", "count"].sum()),
                       int(table.loc[table["compared"] == "before", "count"].sum()), level=level)
    return TrendResult(measure=measure, by=by, last=last, table=table, ratio=ratio)


def _number(value: float) -> str:
    return "infinite" if math.isinf(value) else "n/a" if math.isnan(value) else f"{value:.2f}"


class TrendResult:
    """A count per period (``table``: [by], ``start``, ``end``, ``count``, ``complete``,
    ``compared`` = "recent" / "before" / "") and the rate ratio of the last ``last`` complete
    periods against the ``last`` before (``ratio``, a :class:`RateRatio`)."""

    def __init__(self, *, measure: str, by: str, last: int, table: pd.DataFrame, ratio: RateRatio) -> None:
        self.measure = measure
        self.by = by
        self.last = last
        self.table = table
        self.ratio = ratio

    @property
    def label(self) -> str:
        """The measure as a reader names it ("Referrals", "A&E attendances")."""
        return _MEASURE_TEXT[self.measure][0] if self.measure in _MEASURE_TEXT else kind_label(self.measure)

    def _compared(self, which: str) -> str:
        rows = self.table[self.table["compared"] == which][self.by]
        return f"{rows.iloc[0]} to {rows.iloc[-1]}"

    def _sentences(self) -> list[str]:
        """The statement, and what it compares; both renderings take these."""
        r = self.ratio
        unit = _UNITS[self.by]
        headline_text = (f"{self.label} in the last {self.last} {unit}: {r.recent:,} against {r.before:,} in the "
                         f"{self.last} before (rate ratio {_number(r.ratio)}, {r.level:.0%} CI {_number(r.low)} to "
                         f"{_number(r.high)})")
        detail = f"Compared: {self._compared('recent')} against {self._compared('before')}"
        left_out = self.table[~self.table["complete"]][self.by]
        if len(left_out):
            detail += f"; {', '.join(left_out)} left out (the data cover part of it)"
        return [headline_text, detail + "."]

    def summary(self) -> str:
        """The rate ratio statement, e.g. "Referrals in the last 3 months: 120 against 150 in the
        3 before (rate ratio 0.80, 95% CI 0.63 to 1.02)", and the periods it compares."""
        return "\n".join(self._sentences())

    def plot(self, ax: Any = None) -> Any:
        """Bars per period, the compared ones coloured; on ``ax`` or a new pyplot figure.
        Returns the matplotlib Axes."""
        from . import _plots  # the one upward import: the result hands its figures to the plotting module

        return _plots.series_on(list(self.table[self.by]), list(self.table["count"]), list(self.table["compared"]),
                                self._sentences()[0], self.label, ax=ax)

    def _repr_html_(self) -> str:
        text = "".join(f"<p>{html.escape(s)}</p>" for s in self._sentences())
        return text + self.table.to_html(index=False)

    def __repr__(self) -> str:
        return f"TrendResult({self._sentences()[0]})"


# ----------------------------------------------------------------- two periods side by side
BEFORE_AFTER = "before/after, included clients"
MATCHED_DID = "matched DiD"


def _rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """(section, measure, method, unit, value) of every headline figure of one period; the
    method is named on the effect lines only."""
    reach = figures["reach"]
    rows: list[tuple[str, str, str, str, Any]] = [
        ("reach", "referred", "", "people", reach["referred"]),
        ("reach", "connected", "", "people", reach["connected"]),
        ("reach", "pct_connected", "", "%", reach["pct_connected"])]
    rows += [("support", row["measure"], "", "", row["value"]) for row in figures.get("support", [])]
    rows += [("feedback", row["measure"], "", "%", row.get("pct")) for row in figures.get("feedback", [])]
    rows += [("outcomes", f"{row['domain']}: fewer not managing", "", "%", row["pct_reduction_not_managing"])
             for row in figures.get("outcomes", [])]
    for row in figures.get("wellbeing", []):
        unit = "%" if str(row["measure"]).startswith("share_") else "mean score"
        rows += [("wellbeing", f"{row['instrument']} {row['measure']} {when}", "", unit, row[when])
                 for when in ("before", "after")]
    for row in figures.get("utilisation", []):
        where = f"{row['window']} {row['kind']}"
        rows += [("utilisation", f"{where} before per client", BEFORE_AFTER, "per client", row["pre_per_client"]),
                 ("utilisation", f"{where} after per client", BEFORE_AFTER, "per client", row["post_per_client"]),
                 ("utilisation", f"{where} change", BEFORE_AFTER, "%", row["pct_change"])]
    rows += [("cost", f"{window} cost avoided", BEFORE_AFTER, "pence", pence)
             for window, pence in figures.get("cost_avoidance_total_pence", {}).items()]
    return rows + _matched_rows(figures.get("effects", []))


def _matched_rows(effects: list[dict[str, Any]]) -> list[tuple[str, str, str, str, Any]]:
    """The matched DiD of each window and kind, with its interval's bounds as lines of their own."""
    rows = []
    for effect in (e for e in effects if e["method"] == "did"):
        section = "cost" if effect["figure"].endswith("pence") else "utilisation"
        unit = "pence" if section == "cost" else "%"
        measure = f"{effect['window']} {effect['kind']} {effect['figure']}"
        rows += [(section, f"{measure}{part}", MATCHED_DID, unit, effect[key])
                 for part, key in (("", "value"), (", interval low", "ci_low"), (", interval high", "ci_high"))]
        rows.append((section, f"{measure}, matched clients", MATCHED_DID, "people", effect["clients"]))
    return rows


def compare_periods(ev: Evaluation, first: str, second: str, *, periods: ServicePeriods | None = None,
                    windows: Window | Sequence[Window] = (6, 12), match: bool | None = None,
                    bootstrap: int = 2000, seed: int = 1) -> PeriodComparison:
    """Every headline figure (``socialrx.summary.headline``) of the clients of ``first`` and of
    ``second`` side by side, with the change.

    The periods are financial years (``"2019/20"``) or labels of the service ``periods``; each
    period's clients are those :meth:`Evaluation.for_period` takes (by index date; by referral
    date for people who never connected). The naive before/after lines are labelled so
    (``method``); with a comparison pool (``match=None``, the default, or ``True``) each
    period's clients are matched (``seed``) and the matched DiD with its ``bootstrap`` interval
    stands beside them; ``match=False`` leaves it out.
    """
    if match and ev.comparison is None:
        raise ValueError("match: the evaluation has no comparison pool to match each period's clients from")
    arguments = [spec.argument for spec in parse_windows(windows)]
    figures = [headline(ev.for_period(label, periods=periods), windows=arguments,
                        match=None if match is not False else False, bootstrap=bootstrap, seed=seed).figures
               for label in (first, second)]
    keys = ["section", "measure", "method", "unit"]
    a, b = (pd.DataFrame(_rows(f), columns=[*keys, label]).set_index(keys)
            for f, label in zip(figures, (first, second)))
    order = pd.Index(list(dict.fromkeys([*a.index, *b.index])), tupleize_cols=True)  # first's order, then new
    table = pd.concat([a.reindex(order), b.reindex(order)], axis=1).reset_index(names=keys)
    values = [pd.to_numeric(table[label], errors="coerce").astype(float) for label in (first, second)]
    table["change"] = values[1] - values[0]
    table["pct_change"] = np.where(table["unit"] == "%", np.nan, percent_change(values[0], values[1]))
    table.attrs["period_rule"] = ("each period's clients by index date; by referral date for people who never "
                                  "connected")
    return PeriodComparison(first, second, table)


class PeriodComparison:
    """Two periods' headline figures side by side: ``table`` has ``section``, ``measure``,
    ``method`` (on effect lines: ``"before/after, included clients"`` or ``"matched DiD"``),
    ``unit``, one column per period, ``change`` (second - first; percentage points for a share)
    and ``pct_change`` (100 x change / first; NaN for a share, whose change is in points)."""

    def __init__(self, first: str, second: str, table: pd.DataFrame) -> None:
        self.first = first
        self.second = second
        self.table = table

    def _lines(self) -> list[tuple[str, str, str, str]]:
        """(measure, first, second, change) as shown, for the reach and use rows a reader
        looks at first; both renderings take these."""
        def shown(value: Any) -> str:
            return "n/a" if pd.isna(value) else f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"

        def named(row: pd.Series) -> str:
            return f"{row['section']}: {row['measure']}" + (f" [{row['method']}]" if row["method"] else "")

        return [(named(row), shown(row[self.first]), shown(row[self.second]), shown(row["change"]))
                for _, row in self.table.iterrows()]

    def summary(self) -> str:
        """Each figure of the first period against the second, with the change."""
        lines = [f"{self.first} against {self.second} ({self.table.attrs['period_rule']}):"]
        lines += [f"  {m}: {a} -> {b} ({c})" for m, a, b, c in self._lines()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ("measure", self.first, self.second, "change"))
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in line) + "</tr>"
                       for line in self._lines())
        return f"<table><caption>{html.escape(self.first)} against {html.escape(self.second)}</caption>" \
               f"<tr>{head}</tr>{body}</table>"

    def __repr__(self) -> str:
        return f"PeriodComparison({self.first} against {self.second}, {len(self.table)} figures)"

