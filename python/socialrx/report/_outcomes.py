"""Outcomes by domain: not managing and managing before and after, transition tables, indicators."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from .._measures import readable
from ..outcomes import indicator_changes
from ._html import (
    SUPPRESSION_NOTE,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    notice,
    paragraph,
    percent_text,
    share_of,
)
from ._published import (
    Builder,
    published_rows,
)


def outcomes_section(b: Builder) -> Section:
    section = Section("outcomes", "Outcomes by domain")
    if not b.has_domains():
        section.parts.append(notice("No dudley7 assessments were given, so outcomes by domain are not reported."))
        return section
    section.parts.append(paragraph("Over clients rated in the domain at baseline and at follow-up (the latest review "
                                   "or final rating). A domain's rating is its worst indicator."))
    section.parts += _domain_parts(b)
    section.parts.append(heading("Transition tables"))
    section.parts.append(paragraph("Rows: the rating at baseline; columns: at follow-up. The totals are the before "
                                   "and after distributions."))
    section.parts += _transition_tables(b)
    section.parts += [heading("Indicators"), _indicator_table(b)]
    return section


def _domain_parts(b: Builder) -> list[str]:
    """Not managing and managing before and after per domain, as a table and a figure."""
    summary = b.domain_summary()
    shown = pd.DataFrame({
        "clients": [count_text(v) for v in summary["clients"]],
        "not managing: before": [count_text(v) for v in summary["nm_pre"]],
        "after": [count_text(v) for v in summary["nm_post"]],
        "% fewer": [percent_text(v) for v in summary["pct_nm"]],
        "managing: before": [count_text(v) for v in summary["m_pre"]],
        "after ": [count_text(v) for v in summary["m_post"]],
        "% more": [percent_text(v) for v in summary["pct_m"]],
        "greatest improvement": list(summary["greatest"]),
    }, index=list(summary["name"]))
    trans = b.transitions()
    steps = list(dict.fromkeys(trans.sort_values("before")["before_label"]))
    before = [[share_of(v, row["clients"]) for v in row["before"]] for _, row in summary.iterrows()]
    after = [[share_of(v, row["clients"]) for v in row["after"]] for _, row in summary.iterrows()]
    return [html_table(shown, "Not managing and managing, before and after", note=SUPPRESSION_NOTE,
                       text=["greatest improvement"]),
            html_figure(_plots.before_after_steps(list(summary["name"]), before, after, steps,
                                                  "Ratings by domain at baseline (B) and follow-up (A)"),
                        "outcomes_before_after",
                        "Share of clients not managing, getting support and managing, before and after.")]


def _transition_tables(b: Builder) -> list[str]:
    names = b.domain_summary()["name"]
    tables = []
    for domain, block in b.transitions().groupby("domain", sort=False):
        shown = b.published_transition(block).apply(lambda col: col.map(count_text))
        shown.index = ["total" if i == "total" else f"before: {i}" for i in shown.index]
        tables.append(html_table(shown, names[domain]))
    return ['<div class="sxr-grid">', *tables, "</div>"]


def _indicator_table(b: Builder) -> str:
    """Per indicator, clients improved, unchanged and worsened, over published counts."""
    changes = indicator_changes(b.assessments, client_ids=b.ev.client_columns["client_id"])
    counts = pd.DataFrame({"improved": changes["improved"], "unchanged": changes["paired"] - changes["improved"]
                           - changes["worsened"], "worsened": changes["worsened"]})
    counts.index = changes["item"]
    published = published_rows(counts, "clients", name=b.key("indicators"))
    best = set(b.domain_summary()["greatest"])
    shown = pd.DataFrame({
        "domain": list(changes["domain"].map(readable)),
        "clients": [count_text(v) for v in published["clients"]],
        "improved": [count_text(v) for v in published["improved"]],
        "unchanged": [count_text(v) for v in published["unchanged"]],
        "worsened": [count_text(v) for v in published["worsened"]],
        "net % improved": [percent_text(share_of(i, c) - share_of(w, c)) for i, w, c in
                           zip(published["improved"], published["worsened"], published["clients"])],
        "greatest in domain": ["yes" if t in best else "" for t in changes["text"]],
    }, index=list(changes["text"]))
    return html_table(shown, "Change in each indicator", text=["domain"],
                      note="net % improved = (improved − worsened) / clients rated on the indicator both "
                           "times; the greatest in each domain is marked.")
