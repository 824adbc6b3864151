"""Summary: the key figures a commissioner reads first, and why the naive figures mislead."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from .._measures import kind_label, pence_per, percent_change
from ..summary import BEFORE_AFTER, HEADLINE_KINDS, INCLUDED, MATCHED
from ._comparison import Interval
from ._html import (
    FEEDBACK_LABELS,
    Section,
    count_text,
    html_table,
    money_text,
    notice,
    percent_text,
    share_of,
    signed_percent,
    with_interval,
)
from ._published import TOTAL, Builder, did_publishable, effect_interval, published_series

KeyFigures = list[tuple[str, str]]


def key_figures(b: Builder) -> KeyFigures:
    """(measure, value) rows: reach, support, feedback, outcomes, wellbeing, use and cost."""
    return [*_reach_figures(b), *_support_figures(b), *_feedback_figures(b), *_outcome_figures(b),
            *_wellbeing_figures(b), *_use_figures(b), *_cost_figures(b)]


def _reach_figures(b: Builder) -> KeyFigures:
    referred, connected = b.published_reach_total()
    return [("Referred", count_text(referred)),
            ("Connected with the service", f"{count_text(connected)} ({percent_text(share_of(connected, referred))})")]


def _support_figures(b: Builder) -> KeyFigures:
    if b.ev.interventions is None:
        return []
    sectors = published_series(b.ev.outward_referrals(by="sector").set_index("sector")["referrals"],
                               name=b.key("outward", "sector"), total_key=b.key("outward", TOTAL))
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


def _naive(value: str, clients: Any, b: Builder) -> str:
    """A naive figure and the included clients it is over; labelled not an effect estimate
    where no matched DiD stands beside it."""
    text = f"naive {value} over {count_text(clients)} {INCLUDED}"
    return text if b.comparison.available else f"{text}, {BEFORE_AFTER}"


def _matched(interval: Interval, clients: Any, population: str, fmt: Callable[[Any], str], b: Builder) -> str:
    """``matched DiD x (95% CI a to b) over n <population>``."""
    return (f"matched DiD {with_interval(*interval, fmt, level=b.comparison.level)} over "
            f"{count_text(clients)} {population}")


def _effect_text(row: dict[str, Any], fmt: Callable[[Any], str], b: Builder) -> str:
    """A headline effects row as shown: its value, interval, clients and population."""
    return _matched(effect_interval(row), b.effect_clients(row), row["population"], fmt, b)


def _use_figures(b: Builder) -> KeyFigures:
    """Per headline kind: the naive % change beside the matched DiD, over the last window."""
    if not b.has_events:
        return []
    published, clients = b.published_utilisation(b.last)
    did = b.comparison.rows(b.last)
    shown = {} if did is None else dict(zip(did.index, did_publishable(did, b.key("did", b.last.label))))
    rows = []
    for kind in HEADLINE_KINDS:
        if kind not in published.index:
            continue
        text = _naive(signed_percent(percent_change(published.loc[kind, "pre"], published.loc[kind, "post"])),
                      clients, b)
        matched = b.effect(b.last, kind, "pct_change") if shown.get(kind) else None
        if matched is not None:
            text += f"; {_effect_text(matched, signed_percent, b)}"
        rows.append((f"{kind_label(kind)}, {b.last.text} after vs before", text))
    return rows


def _cost_figures(b: Builder) -> KeyFigures:
    """Gross cost avoidance and per client, and the net saving per patient, naive beside the
    matched DiD; the DiD's net saving extrapolated to every included client on its own line."""
    naive = b.effect(b.last, "all_priced_kinds", "cost_avoided_pence", "before_after")
    if not b.has_cost or naive is None:
        return []
    gross, clients = naive["value"], naive["clients"]
    gross_text = _naive(money_text(gross), b.effect_clients(naive), b)
    per_client_text = _naive(money_text(pence_per(gross, clients)), b.effect_clients(naive), b)
    total = b.effect(b.last, "all_priced_kinds", "cost_avoided_pence")
    if total is not None:
        gross_text += f"; {_effect_text(total, money_text, b)}"
    per_client = b.comparison.avoided_per_client(b.last)
    if total is not None and per_client is not None:
        per_client_text += f"; {_matched(per_client, b.effect_clients(total), MATCHED, money_text, b)}"
    return [(f"Gross cost avoidance, {b.last.text}", gross_text),
            (f"Cost avoided per client, {b.last.text}", per_client_text), *_net_figures(b)]


def _net_figures(b: Builder) -> KeyFigures:
    """The net saving per patient, naive beside the matched DiD, and the DiD extrapolated."""
    naive = b.effect(b.last, "all_priced_kinds", "net_saving_per_patient_pence", "before_after")
    if naive is None:
        return []
    text = _naive(money_text(naive["value"]), b.effect_clients(naive), b)
    per_patient = b.effect(b.last, "all_priced_kinds", "net_saving_per_patient_pence")
    if per_patient is not None:
        text += f"; {_effect_text(per_patient, money_text, b)}"
    rows = [(f"Net saving per patient, {b.last.text}", text)]
    extrapolated = b.effect(b.last, "all_priced_kinds", "net_saving_pence", "did_extrapolated")
    if extrapolated is not None:
        rows.append((f"Net saving, {b.last.text}, the matched DiD extrapolated to every included client",
                     _effect_text(extrapolated, money_text, b)))
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
