"""Who was referred: age, sex, carers, reasons (and which go together), practices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _plots
from .._measures import readable
from ._html import (
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    notice,
    paragraph,
    percent_text,
    share_of,
)
from ._published import (
    Builder,
    connected_display,
    published_table,
)

CARER_LABELS = {"True": "carer", "False": "not a carer", "true": "carer", "false": "not a carer"}
Panel = tuple[str, list[str], list[Any]]


def referred_section(b: Builder) -> Section:
    section = Section("referred", "Who was referred")
    section.parts += _dimension_parts(b)
    if "referral_reasons" in b.ev.clients.columns:
        section.parts += _reason_parts(b)
    if b.by_practice:
        section.parts.append(heading("Referrals by practice"))
        section.parts.append(html_table(connected_display(b.published_connected("practice")),
                                        "Referrals by GP practice"))
    return section


def _dimensions(columns: pd.Index) -> list[tuple[str, str]]:
    """The groupings the clients table allows: (grouping, title)."""
    found = []
    if "age" in columns or "birth_year" in columns:
        found.append(("age_band", "Age at referral"))
    if "sex" in columns:
        found.append(("sex", "Sex"))
    if "carer" in columns:
        found.append(("carer", "Carer"))
    return found


def _dimension_parts(b: Builder) -> list[str]:
    """A table per grouping (age, sex, carer) and one figure of their shares side by side."""
    parts: list[str] = []
    panels: list[Panel] = []
    for by, title in _dimensions(b.ev.clients.columns):
        try:
            published = b.published_connected(by)
        except ValueError as error:
            parts.append(notice(f"{title}: {error}"))
            continue
        if by == "carer":
            published = published.rename(index=CARER_LABELS)
        parts.append(html_table(connected_display(published), title))
        inner = published.drop(index="all referrals")
        total = published.loc["all referrals", "referred"]
        panels.append((title, list(inner.index), [share_of(v, total) for v in inner["referred"]]))
    if panels:
        parts.append(html_figure(panels_png(panels), "who_referred",
                                 "Who was referred: the share of all referrals in each group."))
    return parts


def _reason_parts(b: Builder) -> list[str]:
    """Referral reasons: how often each is given, and which are given together."""
    published = b.published_connected("referral_reasons").drop(index="all referrals")
    total, _ = b.published_reach_total()
    order = published["referred"].astype("Float64").fillna(0).sort_values(ascending=False).index
    parts = [heading("Reasons for referral"),
             html_table(connected_display(published, reasons_total=total),
                        "Referral reasons (a client may have several)",
                        note="% of referrals: of all people referred; the shares add up to more than "
                             "100% because a referral can give several reasons."),
             html_figure(_plots.grouped_bars([readable(i) for i in order],
                                             {"% of referrals": [share_of(published.loc[i, "referred"], total)
                                                                 for i in order]},
                                             "Share of referrals giving each reason", "% of referrals", percent=True),
                         "reasons", "Share of referrals giving each reason.")]
    return parts + _pair_parts(b)


def _pair_parts(b: Builder) -> list[str]:
    both = b.ev.reason_co_occurrence()
    published = published_table(both, name=b.key("reason pairs"), margins=False)
    # The table is symmetric: a cell hidden on one side of the diagonal is hidden on both.
    hidden = published.isna().to_numpy()
    published = published.mask(hidden | hidden.T)
    parts = [html_figure(_plots.heatmap(list(both.index), published.to_numpy(dtype=object).tolist(),
                                        "Reasons given together (diagonal: the reason at all)"),
                         "reason_pairs", "Clients referred for both of two reasons.")]
    pair = top_pair(published)
    if pair is not None:
        a, c, count = pair
        parts.append(paragraph(
            f"The reasons most often given together are {readable(a)} and {readable(c)} ({count_text(count)} "
            f"clients; {percent_text(share_of(count, published.loc[a, a]))} of those referred for {readable(a)})."))
    return parts


def top_pair(published: pd.DataFrame) -> tuple[str, str, Any] | None:
    """The two reasons most often given together, and how often, among published cells."""
    best = None
    labels = list(published.index)
    for i, a in enumerate(labels):
        for c in labels[i + 1:]:
            value = published.loc[a, c]
            if not missing(value) and (best is None or value > best[2]):
                best = (a, c, value)
    return best


def panels_png(panels: list[Panel]) -> bytes:
    """Shares of referrals by group, one panel of horizontal bars per grouping."""
    figure = _plots._figure(7.4, 2.6)
    for i, (title, categories, shares) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), i + 1)
        values, hidden = _plots._values(shares)
        y = np.arange(len(categories))[::-1]
        axes.barh(y, values, color=_plots.BLUE)
        for yi, v, gone in zip(y, values, hidden):
            axes.text(v + 1, yi, "*" if gone else f"{v:.0f}%", va="center", fontsize=7)
        axes.set_yticks(y, [readable(c) for c in categories], fontsize=8)
        axes.set_xlim(0, 115)
        axes.set_xticks([])
        axes.set_title(title, fontsize=9, loc="left")
        _plots._tidy(axes)
        axes.spines["bottom"].set_visible(False)
    figure.tight_layout()
    return _plots._png(figure)
