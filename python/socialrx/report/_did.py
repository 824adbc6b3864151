"""Matched comparison: who was matched, the balance, and the difference-in-differences per kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import _plots
from .._measures import WindowSpec, kind_label, percent_change, readable
from ._comparison import did_pct_text
from ._html import (
    DASH,
    SUPPRESSION_NOTE,
    Section,
    count_text,
    html_figure,
    html_table,
    missing,
    notice,
    number_text,
    paragraph,
    signed_percent,
    with_interval,
)
from ._published import (
    Builder,
    Key,
    did_publishable,
    published_count,
    published_series,
)


def comparison_section(b: Builder) -> Section:
    section = Section("comparison", "Matched comparison")
    section.parts.append(paragraph(
        "Each eligible client is matched to patients who were not referred but had a similar propensity to be "
        "referred, followed over the same windows from a pseudo index date. The difference-in-differences (DiD) "
        "is the clients' change minus their matches' change: the part of the fall not explained by what happened "
        "to similar people anyway. Intervals are bootstrap percentile intervals over matched sets. How the "
        "clients were matched, on which covariates and which were left out: Methods and caveats."))
    if not b.comparison.available:
        section.parts.append(notice(b.comparison.note or "The matched comparison is not available."))
        return section
    match = b.comparison.match
    if match is not None:
        section.parts.extend(match_parts(b, match))
        section.parts.extend(balance_parts(match.balance()))
    for spec in b.specs:
        rows = b.comparison.rows(spec)
        if rows is not None:
            section.parts.append(_did_table(b, spec, rows))
    rows = b.comparison.rows(b.last)
    if rows is not None:
        section.parts.append(_did_figure(b, b.last, rows))
    return section


def _did_table(b: Builder, spec: WindowSpec, rows: pd.DataFrame) -> str:
    return html_table(
        did_display(rows, b.key("did", spec.label)),
        f"{spec.text}: the clients' change beside the matched comparison's",
        note=f"clients: matched clients whose data cover the window; change: after vs before. DiD per client: "
             f"events, clients' change minus comparison's change. DiD %: of the events the clients would have "
             f"had without the service (their own before plus the comparison's change). Intervals: "
             f"{b.comparison.level:.0%} bootstrap percentile, {b.comparison.replicates:,} replicates. "
             f"{SUPPRESSION_NOTE}")


def _did_figure(b: Builder, spec: WindowSpec, rows: pd.DataFrame) -> str:
    """The clients' own change, the comparison group's and the DiD, per kind, over the last window."""
    shown = did_publishable(rows, b.key("did", spec.label))
    series: _plots.EstimateSeries = {
        "clients' own change (naive)": (masked(rows["naive_change_pct"], shown), None, None),
        "comparison group's change": (masked(_comparison_change(rows), shown), None, None),
        "matched DiD": (masked(rows["did_pct"], shown), masked(rows["ci_low_pct"], shown),
                        masked(rows["ci_high_pct"], shown)),
    }
    return html_figure(
        _plots.estimates([kind_label(k) for k in rows.index], series,
                         f"Change in use, {b.last.text} after vs before",
                         "% change (DiD: % of the counterfactual, with interval)"),
        "did_pct", "The clients' own before/after change, the matched comparison group's change, and the "
                   "difference-in-differences with its interval.")


def _comparison_change(rows: pd.DataFrame) -> Any:
    """The matched comparison patients' own % change, after vs before, per kind."""
    return percent_change(rows["control_pre_per_client"], rows["control_post_per_client"])


def masked(values: Any, keep: Sequence[bool]) -> list[float]:
    """The values that may be published, NaN for the rest."""
    return [float(v) if k and not missing(v) else np.nan for v, k in zip(values, keep)]


def match_parts(b: Builder, match: Any) -> list[str]:
    """Who was matched, and why the others were not, by reason."""
    summary = match.summary()
    reasons = {"matched": int(summary["matched_clients"])}
    for key, value in summary.items():
        if str(key).startswith("unmatched_"):
            reasons[f"not matched: {readable(str(key)[len('unmatched_'):])}"] = int(value)
    published = published_series(pd.Series(reasons), name=b.key("matching"), total="all clients",
                                 total_key=(b.key("matching"), "clients"))
    frame = pd.DataFrame({"clients": [count_text(v) for v in published]}, index=list(published.index))
    pool = published_count(int(summary["comparison_pool"]), b.key("matching", "comparison pool"))
    used = published_count(int(summary["comparison_used"]), b.key("matching", "comparison used"))
    return [html_table(frame, "Who was matched",
                       note=f"Comparison pool: {count_text(pool)} patients not referred; {count_text(used)} used as "
                            "matches. Nobody is dropped silently: each client not matched is counted by reason.")]


def did_display(rows: pd.DataFrame, name: Key) -> pd.DataFrame:
    """A window's DiD rows as shown: counts published, rates only where their counts are."""
    shown = did_publishable(rows, name)
    clients = published_series(rows["clients"].astype("int64"), name=(name, "clients"), total=None)
    controls = published_series(rows["controls"].astype("int64"), name=(name, "controls"), total=None)
    table = {}
    for kind, ok, comparison_change in zip(list(rows.index), shown, _comparison_change(rows)):
        row = rows.loc[kind]
        table[kind_label(kind)] = {
            "clients": count_text(clients[kind]), "comparison": count_text(controls[kind]),
            "clients' change": signed_percent(row["naive_change_pct"]) if ok else DASH,
            "comparison's change": signed_percent(comparison_change) if ok else DASH,
            "DiD per client": (with_interval(row["did_per_client"], row["ci_low"], row["ci_high"], number_text)
                               if ok else DASH),
            "DiD %": did_pct_text(row) if ok else DASH,
        }
    return pd.DataFrame(table).T


def balance_parts(bal: pd.DataFrame) -> list[str]:
    """Standardised mean differences and means of each covariate, as a table and a figure."""
    if bal.empty:
        return []
    frame = bal.set_index("covariate")
    columns = {"smd_before": "SMD: all", "smd_after": "SMD: matched", "client_mean_after": "mean: clients",
               "comparison_mean_after": "mean: matches", "comparison_mean_before": "mean: all comparison"}
    shown = pd.DataFrame({label: [number_text(v, 2) if "mean" in name else number_text(v, 3) for v in frame[name]]
                          for name, label in columns.items() if name in frame.columns},
                         index=[readable(c) for c in frame.index])
    return [html_table(shown, "Balance of the matched groups",
                       note="SMD: standardised mean difference, clients vs comparison patients; |SMD| below 0.1 is "
                            "conventionally taken as balanced. Means are over the people matched (clients, matches) "
                            "and over the whole comparison pool."),
            html_figure(_plots.balance([readable(c) for c in frame.index], list(frame["smd_before"]),
                                       list(frame["smd_after"]), "Balance before and after matching"),
                        "balance", "Standardised mean differences: all comparison patients vs matched.")]
