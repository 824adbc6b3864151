"""Year by year: each reporting period's key figures side by side."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from ._html import DASH, SUPPRESSION_NOTE, Section, html_figure, html_table, paragraph
from ._published import Builder
from ._summary import key_figures

ALL_PERIODS = "all periods"


def periods_section(builders: dict[str, Builder]) -> Section:
    """``builders``: one per reporting period, and one for all periods together."""
    section = Section("periods", "Year by year")
    section.parts.append(paragraph("The key figures for each reporting period (NHS financial year of the index date; "
                                   "of the referral date for people who never connected), side by side."))
    columns = {label: dict(key_figures(builder)) for label, builder in builders.items()}
    order = list(dict.fromkeys(m for col in columns.values() for m in col))
    frame = pd.DataFrame({label: [col.get(m, DASH) for m in order] for label, col in columns.items()}, index=order)
    section.parts.append(html_table(frame, "Key figures by period", cls="sxr-key", note=SUPPRESSION_NOTE))
    periods = {label: b for label, b in builders.items() if label != ALL_PERIODS}
    section.parts.append(_reach_figure(periods))
    if all(b.has_cost for b in periods.values()):
        section.parts.append(_cost_figure(periods))
    return section


def _reach_figure(periods: dict[str, Builder]) -> str:
    reach = [b.published_reach_total() for b in periods.values()]
    return html_figure(
        _plots.grouped_bars(list(periods), {"referred": [r for r, _ in reach], "connected": [c for _, c in reach]},
                            "Referrals by period", "people"),
        "periods_reach", "Referred and connected in each reporting period.")


def _cost_figure(periods: dict[str, Builder]) -> str:
    gross = []
    for b in periods.values():
        costs = b.costs()
        gross.append(costs[costs["window"] == b.last.label]["avoided_pence"].sum() / 100)
    last = next(iter(periods.values())).last
    return html_figure(
        _plots.grouped_bars(list(periods), {"naive cost avoided (£)": gross},
                            f"Naive cost avoidance by period, {last.text}", "£"),
        "periods_cost", "Naive cost avoidance in each reporting period.")
