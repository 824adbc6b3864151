"""Summary: the key figures a commissioner reads first, and why the naive figures mislead."""

from __future__ import annotations

import pandas as pd

from .._measures import percent_change
from ._comparison import did_pct_text
from ._html import (
    FEEDBACK_LABELS,
    Section,
    count_text,
    html_table,
    kind_label,
    money_text,
    notice,
    pence_or_na,
    percent_text,
    share_of,
    signed_percent,
    with_interval,
)
from ._published import Builder, published_count, published_series

KeyFigures = list[tuple[str, str]]
KEY_KINDS = ("ae_attendance", "emergency_admission")


def key_figures(b: Builder) -> KeyFigures:
    """(measure, value) rows: reach, support, feedback, outcomes, wellbeing, use and cost."""
    return [*_reach_figures(b), *_support_figures(b), *_feedback_figures(b), *_outcome_figures(b),
            *_wellbeing_figures(b), *_use_figures(b), *_cost_figures(b)]


def _reach_figures(b: Builder) -> KeyFigures:
    referred, connected = (published_count(n) for n in b.reach_total())
    return [("Referred", count_text(referred)),
            ("Connected with the service", f"{count_text(connected)} ({percent_text(share_of(connected, referred))})")]


def _support_figures(b: Builder) -> KeyFigures:
    if b.ev.interventions is None:
        return []
    sectors = published_series(b.ev.outward_referrals(by="sector").set_index("sector")["referrals"])
    voluntary = share_of(sectors.get("voluntary", pd.NA), sectors["total"])
    return [("Outward referrals (share to the voluntary sector)",
             f"{count_text(sectors['total'])} ({percent_text(voluntary)})")]


def _feedback_figures(b: Builder) -> KeyFigures:
    if b.ev.feedback is None:
        return []
    fb = b.published_feedback()
    return [(FEEDBACK_LABELS[measure],
             f"{percent_text(share_of(fb.loc[measure, 'yes'], fb.loc[measure, 'answered']))} of "
             f"{count_text(fb.loc[measure, 'answered'])} answering")
            for measure in ("four_or_five_stars", "reported_impact", "connected_to_services") if measure in fb.index]


def _outcome_figures(b: Builder) -> KeyFigures:
    if not b.has_domains():
        return []
    return [(f"{row['name']}: fewer not managing",
             f"{percent_text(row['pct_nm'])} ({count_text(row['nm_pre'])} → {count_text(row['nm_post'])} of "
             f"{count_text(row['clients'])})")
            for _, row in b.domain_summary().iterrows()]


def _wellbeing_figures(b: Builder) -> KeyFigures:
    if b.ev.assessments is None:
        return []
    wb = b.published_wellbeing()
    poor = wb[wb["measure"] == "share_poor_wellbeing"]
    if not len(poor):
        return []
    row = poor.iloc[0]
    return [("Poor wellbeing (SWEMWBS) before → after",
             f"{percent_text(row['share_before'])} → {percent_text(row['share_after'])} "
             f"(of {count_text(row['clients_pub'])})")]


def _use_figures(b: Builder) -> KeyFigures:
    if not b.has_events:
        return []
    published, _ = b.published_utilisation(b.last)
    did = b.comparison.rows(b.last)
    rows = []
    for kind in KEY_KINDS:
        if kind not in published.index:
            continue
        text = f"naive {signed_percent(percent_change(published.loc[kind, 'pre'], published.loc[kind, 'post']))}"
        if did is not None and kind in did.index:
            text += f"; matched DiD {did_pct_text(did.loc[kind])}"
        rows.append((f"{kind_label(kind)}, {b.last.text} after vs before", text))
    return rows


def _cost_figures(b: Builder) -> KeyFigures:
    if not b.has_cost:
        return []
    costs = b.costs()
    in_window = costs[costs["window"] == b.last.label]
    gross = in_window["avoided_pence"].sum()
    rows = [(f"Gross cost avoidance, {b.last.text} (naive)", money_text(gross))]
    per_client = b.comparison.avoided_per_client(b.last)
    if per_client is not None:
        clients = in_window["clients"].max()
        rows.append((f"Cost avoided per client, {b.last.text}",
                     f"naive {money_text(pence_or_na(gross / clients) if clients else pd.NA)}; matched DiD "
                     + with_interval(*per_client, money_text)))
    if b.service_cost is not None:
        saving = b.ev.net_saving(int(b.service_cost), window=b.windows[-1])
        text = f"naive {money_text(saving['net_per_patient_pence'])}"
        matched = b.did_net_saving()
        if matched is not None:
            text += f"; matched DiD {money_text(matched['net_per_patient'])}"
        text += f" (over {count_text(published_count(saving['patients']))} patients)"
        rows.append((f"Net saving per patient, {b.last.text}", text))
    return rows


def summary_section(b: Builder) -> Section:
    section = Section("summary", "Summary")
    key = pd.DataFrame(key_figures(b), columns=["measure", "value"]).set_index("measure")
    section.parts.append(html_table(key, "Key figures", cls="sxr-key"))
    section.parts.append(
        '<p class="sxr-callout">People are referred to a social prescribing or high-intensity-user service '
        "because their needs, and often their use of urgent care, were unusually high. Such use tends to fall "
        "afterwards with no help at all (regression to the mean), so a before/after fall is not by itself the "
        "service's effect. Where a comparison group was given, the matched difference-in-differences beside the "
        "naive figures estimates how much of the fall would have happened anyway.</p>")
    if not b.comparison.available:
        section.parts.append(notice(b.comparison.note or "The matched comparison is not available."))
    return section
