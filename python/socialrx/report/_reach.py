"""Reach: the funnel from referral to measured outcome, referrals by year and source."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import _plots
from ._html import (
    SUPPRESSION_NOTE,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    percent_text,
    share_of,
)
from ._published import (
    Builder,
    connected_display,
    published_count,
)


def reach_section(b: Builder) -> Section:
    section = Section("reach", "Reach")
    labels, values = zip(*_funnel_stages(b))
    section.parts.append(html_figure(_plots.funnel(labels, values, "From referral to measured outcome"),
                                     "reach_funnel", "The reach funnel: each stage counts the people it holds."))
    funnel = pd.DataFrame({"people": [count_text(v) for v in values],
                           "% of referred": [percent_text(share_of(v, values[0])) for v in values]},
                          index=list(labels))
    section.parts.append(html_table(funnel, "Reach funnel", note=SUPPRESSION_NOTE))
    years = b.published_connected("financial_year")
    section.parts.append(heading("Referrals by financial year of referral"))
    section.parts.append(html_table(connected_display(years),
                                    "Referrals and connections by NHS financial year (April to March)"))
    inner = years.drop(index="all referrals")
    section.parts.append(html_figure(
        _plots.grouped_bars(list(inner.index),
                            {"referred": list(inner["referred"]), "connected": list(inner["connected"])},
                            "Referrals and connections by financial year", "people"),
        "reach_by_year", "Referrals and connections by NHS financial year of referral."))
    if "referral_source" in b.ev.clients.columns:
        section.parts.append(html_table(connected_display(b.published_connected("referral_source")),
                                        "Referrals by source"))
    return section


def _funnel_stages(b: Builder) -> list[tuple[str, Any]]:
    """Each stage from referral to measured outcome, with the published count of people in it."""
    referred, connected = b.published_reach_total()
    stages: list[tuple[str, Any]] = [("Referred", referred), ("Connected", connected)]
    if b.has_events:
        for spec in b.specs:
            stages.append((f"In the {spec.text} windows", b.published_in_window(spec)))
    if b.has_domains():
        paired = b.ev.outcomes().attrs.get("excluded", {}).get("paired")
        if paired is not None:
            paired_shown = published_count(int(paired), (b.key("outcome pairing"), "paired"))
            stages.append(("Outcomes rated before and after", paired_shown))
    if b.ev.feedback is not None:
        stages.append(("Returned a feedback form", published_count(len(b.ev.feedback), b.key("feedback forms"))))
    return stages
