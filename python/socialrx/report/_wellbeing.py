"""Wellbeing: poor wellbeing and low quality of life before and after, mean scores."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from ._html import (
    Section,
    count_text,
    html_figure,
    html_table,
    notice,
    number_text,
    percent_text,
    wrapped,
)
from ._published import (
    Builder,
)


def wellbeing_section(b: Builder) -> Section:
    section = Section("wellbeing", "Wellbeing")
    if b.ev.assessments is None:
        section.parts.append(notice("No assessments were given."))
        return section
    wb = b.published_wellbeing()
    if wb.empty:
        section.parts.append(notice("No SWEMWBS or ONS4 questionnaires were found in the assessments."))
        return section
    is_share = wb["measure"].str.startswith("share_")
    if is_share.any():
        section.parts += _share_parts(wb[is_share])
    if not is_share.all():
        section.parts.append(_means_table(wb[~is_share]))
    return section


def _measure_labels(rows: pd.DataFrame) -> list[str]:
    return [f"{i.upper()}: {label}" for i, label in zip(rows["instrument"], rows["label"])]


def _share_parts(shares: pd.DataFrame) -> list[str]:
    """The shares below each threshold before and after, as a table and a figure."""
    shown = pd.DataFrame({
        "clients": [count_text(v) for v in shares["clients_pub"]],
        "before": [f"{percent_text(s)} ({count_text(n)})" for s, n in zip(shares["share_before"], shares["n_before"])],
        "after": [f"{percent_text(s)} ({count_text(n)})" for s, n in zip(shares["share_after"], shares["n_after"])],
        "% fewer": [percent_text(v) for v in shares["pct_fewer"]],
    }, index=_measure_labels(shares))
    return [html_table(shown, "Poor wellbeing and low quality of life, before and after"),
            html_figure(_plots.grouped_bars([wrapped(label) for label in shares["label"]],
                                            {"before": list(shares["share_before"]),
                                             "after": list(shares["share_after"])},
                                            "Share of clients below each threshold", "% of clients", percent=True,
                                            height=3.6),
                        "wellbeing", "Poor wellbeing (SWEMWBS) and low quality of life (ONS4) before and after.")]


def _means_table(means: pd.DataFrame) -> str:
    shown = pd.DataFrame({
        "clients": [count_text(v) for v in means["clients_pub"]],
        "before": [number_text(v) for v in means["mean_before"]],
        "after": [number_text(v) for v in means["mean_after"]],
    }, index=_measure_labels(means))
    return html_table(shown, "Mean scores", note="SWEMWBS: metric score after the Rasch conversion (7-35). ONS4 items "
                                                 "are 0-10 and never summed; lower anxiety is better.")
