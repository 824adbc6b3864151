"""Workforce and operations: link workers' caseloads and contacts by financial year, support by
who delivered it (the pandemic kinds among it), befriending calls per week, and meetings.

Open cases, contacts, interventions and clients discussed are counts of people or of what was
done for them, under the report's disclosure control; meetings are not, and are printed."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from .._measures import readable
from ..operations import NOT_RECORDED, PANDEMIC_KINDS
from ._html import (
    DASH,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    notice,
    number_text,
    paragraph,
)
from ._published import TOTAL, Builder, published_count, published_table, tie_same, tie_sum

_BY = "financial_year"
_CASELOAD = ("A case is open from the index date to discharge (to the last year's end where there is none) and counts "
             "in every year it is open on any day of. Contacts are phone calls and visits, under the worker who made "
             "them. Workers and years are not added up: a case open in two years, or moved between workers, would "
             "count twice.")


def workforce_section(b: Builder) -> Section:
    section = Section("workforce", "Workforce and operations")
    ev = b.ev
    interventions = ev.interventions
    has_workers = "link_worker" in ev.clients
    has_delivery = interventions is not None and "delivered_by" in interventions
    if not (has_workers or has_delivery or ev.meetings_table is not None):
        section.parts.append(notice("No link workers (clients.link_worker), delivered_by on interventions or "
                                    "meetings table were given, so the workforce and operations are not reported."))
        return section
    if has_workers:
        section.parts += [heading("Link workers' caseloads"), *_caseload_parts(b)]
    if has_delivery:
        section.parts += [heading("Support by who delivered it"), _delivery_table(b), _befriending(b)]
    if ev.meetings_table is not None:
        section.parts += [heading("Meetings"), *_meeting_parts(b)]
    return section


def _caseload_parts(b: Builder) -> list[str]:
    table = b.cached("workforce", lambda: b.ev.workforce(by=_BY)).table
    published = {}
    for measure in ("open_cases", "contacts"):
        grid = table.pivot(index="link_worker", columns=_BY, values=measure)
        name = b.key("workforce", measure)
        published[measure] = published_table(grid, name=name, margins=False)
        if measure == "contacts":  # every contact is one the support section adds up
            tie_sum([(name, w, y) for w in grid.index for y in grid.columns], b.key("contacts"))
    workers = published["open_cases"].drop(index=NOT_RECORDED, errors="ignore")
    # A year's mean only where every worker's count is printed: a mean times the workers is the
    # year's total, which would give away a hidden count.
    means = ", ".join(f"{year} {number_text(column.mean(), 1) if not column.isna().any() else DASH}"
                      for year, column in workers.items())
    return [html_table(published["open_cases"].map(count_text), "Open cases per link worker"),
            paragraph(f"{len(workers)} link workers; open cases per worker, mean over the workers: {means}."),
            html_table(published["contacts"].map(count_text), "Contacts per link worker", note=_CASELOAD)]


def _delivery_table(b: Builder) -> str:
    table = b.cached("delivery", b.ev.delivery).table
    grid = table.pivot(index="kind", columns="delivered_by", values="interventions").fillna(0).astype("int64")
    published = published_table(grid, name=b.key("delivery"))
    for kind in grid.index:  # each kind's total is the support section's interventions of that kind
        tie_same((b.key("delivery"), kind, TOTAL), (b.key("spend", "interventions"), kind))
    shown = published.map(count_text)
    shown.index = [f"{readable(k)} (pandemic)" if k in PANDEMIC_KINDS else k for k in shown.index]
    return html_table(shown, "Interventions by kind and who delivered them",
                      note="Pandemic: the kinds added in the first pandemic year (deliveries, food bank referrals, "
                           "befriending and helpline calls).")


def _befriending(b: Builder) -> str:
    frequency = b.cached("befriending", b.ev.call_frequency).table
    clients = published_count(len(frequency), b.key("befriending", "clients"))
    tie_same(b.key("befriending", "clients"), (b.key("spend", "clients"), "befriending_call"))
    if not len(frequency) or missing(clients):
        return paragraph(f"Befriending calls: {count_text(clients)} clients.")
    rate = frequency["calls_per_week"]
    return paragraph(f"Befriending calls: {count_text(clients)} clients, median {number_text(rate.median(), 1)} and "
                     f"mean {number_text(rate.mean(), 1)} calls a week (weeks from each client's first call to "
                     "their last).")


def _meeting_parts(b: Builder) -> list[str]:
    result = b.cached("meetings", lambda: b.ev.meetings(by=_BY))
    table = result.table
    meetings = table.pivot(index=_BY, columns="kind", values="meetings")
    discussed = published_table(table.pivot(index=_BY, columns="kind", values="client_discussions"),
                                name=b.key("meetings", "clients discussed"), margins=False)
    shown = pd.DataFrame({f"{readable(kind)}: meetings": meetings[kind].map(count_text) for kind in meetings.columns})
    for kind in discussed.columns:
        shown[f"{readable(kind)}: clients discussed"] = discussed[kind].map(count_text)
    per_week = ", ".join(f"{readable(kind)} {number_text(rate, 1)}" for kind, rate in result.per_week.items() if rate)
    figure = html_figure(_plots.grouped_bars(list(meetings.index), {readable(k): list(meetings[k])
                                                                   for k in meetings.columns},
                                             "Meetings by financial year", "meetings"),
                         "meetings", "Meetings by financial year and kind.")
    return [html_table(shown, "Meetings by financial year",
                       note=f"Meetings a week from each kind's first to its last: {per_week or DASH}. A client "
                            "discussed at two meetings counts twice."), figure]
