"""Methods and caveats: the data, the rules, censoring, the tariff, the comparison, disclosure control."""

from __future__ import annotations

import pandas as pd

from .._measures import kind_label, readable
from ..tariff import ILLUSTRATIVE_WARNING, is_illustrative
from ._html import (
    DASH,
    Section,
    count_text,
    day_text,
    heading,
    html_table,
    money_text,
    notice,
    paragraph,
)
from ._matching import matching_parts
from ._published import Builder, published_series

WINDOW_RULE = (
    "A window of W months is round(W × 365.25 / 12) days ({spans}). Before = the D days up to the index date "
    "(index − D ≤ date < index); after = the D days following it (index < date ≤ index + D). Events on the "
    "index day itself (usually the first contact) fall in neither and are counted apart. A client counts in "
    "a window only if the data cover both sides of it (data start ≤ index − D and index + D ≤ data end); "
    "clients who never connected have no index date and are not in the utilisation figures. % change = "
    "(after − before) / before, undefined where before is 0.")
DISCLOSURE_RULE = (
    "Every published count of people or events is disclosure-controlled over the whole report: counts of 1 to 4 "
    "are suppressed (shown as *), and further cells are suppressed, chosen over every table at once, so that no "
    "suppressed count can be worked out, or narrowed to 1 to 4, from the row and column totals, from the same "
    "count in another table, or from the difference between two published counts (such as clients connected "
    "and clients in a window). Counts of practices are not counts of people and are shown. Percentages, rates "
    "and money derived from counts are shown only where the counts behind them are published. Figures that "
    "are not counts (means, money, rates) are not part of the check: review the report before publishing it "
    "beyond the commissioner.")
CAVEATS = (
    "<ul>"
    "<li>The naive before/after figures include regression to the mean: people are referred at a peak of need "
    "and use, which tends to fall anyway. Controlled studies of high-user case management mostly find small "
    "or no effects; read the matched DiD beside the naive figure.</li>"
    "<li>Matching balances only what is measured; people referred may differ in ways the data do not show.</li>"
    "<li>Cost avoidance prices activity at unit costs; it is not cash released.</li>"
    "<li>Outcome ratings are made with the link worker and are not blinded.</li>"
    "</ul>")
EXCLUSION_NOTES = {
    "clients": ("Clients in each window",
                "starts before data / ends after data: the window is not covered by the data (censored)."),
    "events": ("Events in each window",
               "Every event is accounted for: in a window, outside the windows, on the index day, of excluded "
               "or unconnected clients, of comparison patients, or outside the data range."),
}


def methods_section(b: Builder, periods_note: str) -> Section:
    section = Section("methods", "Methods and caveats")
    section.parts += _data_parts(b, periods_note)
    section.parts += [heading("Selection rule and windows"),
                      paragraph(WINDOW_RULE.format(spans=", ".join(f"{s.text} = {s.days} days" for s in b.specs)))]
    if b.has_events:
        section.parts += [heading("Censoring and exclusions"), *(_exclusion_table(b, t) for t in EXCLUSION_NOTES)]
    section.parts += _pairing_parts(b)
    if b.has_cost:
        section.parts += [heading("Tariff"), tariff_table_html(b)]
        if is_illustrative(b.tariff):
            section.parts.append(notice(ILLUSTRATIVE_WARNING))
    section.parts += [heading("Matched comparison"), *matching_parts(b.comparison, b.specs, b.key("matching"))]
    section.parts += [heading("Disclosure control"), paragraph(DISCLOSURE_RULE), heading("Caveats"), CAVEATS]
    return section


def _data_parts(b: Builder, periods_note: str) -> list[str]:
    ev = b.ev
    tables = {"clients": ev.clients, "events": ev.events, "assessments": ev.assessments,
              "interventions": ev.interventions, "feedback": ev.feedback, "comparison": ev.comparison}
    given = pd.DataFrame({"rows": [DASH if t is None else f"{len(t):,} rows" for t in tables.values()]},
                         index=list(tables))
    return [heading("Data"),
            paragraph(f"Event data cover {day_text(ev.data_start)} to {day_text(ev.data_end)} (both inclusive). "
                      f"{periods_note}"),
            html_table(given, "Tables given")]


def _exclusion_table(b: Builder, table: str) -> str:
    """Who (or which events) each window holds and leaves out, by reason."""
    excl = b.exclusions()
    block = excl[excl["table"] == table]
    columns = {spec.text: published_series(block[block["window"] == spec.label].set_index("reason")["count"],
                                           name=b.key("exclusions", table, spec.label))
               for spec in b.specs}
    frame = pd.DataFrame(columns).apply(lambda col: col.map(count_text))
    frame.index = [readable(i) for i in frame.index]
    title, note = EXCLUSION_NOTES[table]
    return html_table(frame, title, note=note)


def _pairing_parts(b: Builder) -> list[str]:
    """Who was rated at baseline and follow-up, and who was not, by reason."""
    if not b.has_domains():
        return []
    excluded = b.ev.outcomes().attrs.get("excluded", {})
    if not excluded:
        return []
    published = published_series(pd.Series({k: int(v) for k, v in excluded.items()}, dtype="int64"),
                                 name=b.key("outcome pairing"), total="clients")
    shown = pd.DataFrame({"clients": [count_text(v) for v in published]}, index=[readable(i) for i in published.index])
    return [html_table(shown, "Outcome ratings: who was paired",
                       note="Only clients rated at baseline and at a later follow-up are in the outcome figures.")]


def tariff_table_html(b: Builder) -> str:
    """The unit costs in use, with their sources, price year and uprating index."""
    tariff = b.tariff
    table = b.ev.tariff_table().set_index("kind")
    shown = pd.DataFrame({"unit cost": [money_text(v) for v in table["unit_cost_pence"]],
                          "source": list(table["source"]), "price year": list(table["price_year"])},
                         index=[kind_label(k) for k in table.index])
    uprating = tariff.uprating_source or "none given"
    return html_table(shown, f"Tariff: {tariff.name}, prices of {tariff.price_year}", text=["source"],
                      note=f"Uprating index: {uprating}.")
