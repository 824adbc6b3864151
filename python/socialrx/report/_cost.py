"""Cost avoidance: by kind and by practice, naive beside the matched DiD."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _plots
from .._measures import WindowSpec, kind_label, pence_per
from ._comparison import Interval, pence_avoided
from ._html import (
    DASH,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    money_text,
    notice,
    paragraph,
    with_interval,
)
from ._published import Builder, did_publishable, effect_interval, published_count, published_series
from ._utilisation import SUBTOTAL

ALL_PRACTICES = "all practices"


def cost_section(b: Builder) -> Section:
    section = Section("cost", "Cost avoidance")
    if not b.has_cost:
        section.parts.append(notice("Cost avoidance needs events and a tariff (Evaluation(tariff=...))."))
        return section
    section.parts.append(paragraph(
        "Naive cost avoidance = (events before − events after) × unit cost, per kind, in exact pence, over the "
        "clients in the window; negative where use rose. The matched DiD prices only the fall beyond what the "
        "matched comparison group shows, per matched client, with its interval."))
    section.parts.extend(_kind_table(b, spec) for spec in b.specs)
    section.parts.append(_kind_figure(b))
    if b.by_practice:
        section.parts.extend(practice_parts(b))
    section.parts.append(paragraph(f"Unit costs: {b.tariff.name}, prices of {b.tariff.price_year}; sources in "
                                   "Methods and caveats."))
    return section


def _matched_per_kind(b: Builder, spec: WindowSpec) -> dict[str, Interval] | None:
    """Per priced kind (and group of kinds) whose counts may be published, the DiD pence avoided
    per matched client with its interval; None without a matched comparison."""
    did, avoided = b.comparison.rows(spec), b.comparison.avoided(spec)
    if did is None or avoided is None:
        return None
    groups = b.matched_groups(spec)
    shown = [kind for kind, ok in zip(did.index, did_publishable(did, b.key("did", spec.label))) if ok]
    shown += [] if groups is None else list(groups.index)
    return {kind: pence_avoided(avoided.loc[kind]) for kind in shown
            if not missing(avoided.loc[kind, "pence_avoided_per_client"])}


def _kind_table(b: Builder, spec: WindowSpec) -> str:
    """One window's cost avoided per kind: unit cost, naive total and per client, matched DiD."""
    costs = b.costs()
    rows = costs[costs["window"] == spec.label].set_index("kind")
    published, clients = b.published_utilisation(spec)
    matched = _matched_per_kind(b, spec)
    n = int(rows["clients"].iloc[0]) if len(rows) else 0
    table = {}
    for kind in rows.index:
        hidden = missing(published.loc[kind, "pre"]) or missing(published.loc[kind, "post"]) or missing(clients)
        avoided = rows.loc[kind, "avoided_pence"]
        record = {"unit cost": money_text(rows.loc[kind, "unit_cost_pence"]),
                  "naive avoided": DASH if hidden else money_text(avoided),
                  "naive per client": DASH if hidden or missing(avoided) else money_text(pence_per(avoided, n))}
        if matched is not None:
            record["matched DiD per client"] = with_interval(*matched[kind], money_text) if kind in matched else DASH
        table[kind_label(kind)] = record
    table.update(_subtotal_rows(b, spec, n, matched))
    gross = int(rows["avoided_pence"].sum())
    total = {"unit cost": "", "naive avoided": money_text(gross), "naive per client": money_text(pence_per(gross, n))}
    if matched is not None:
        per_client = b.comparison.avoided_per_client(spec)
        total["matched DiD per client"] = with_interval(*per_client, money_text) if per_client else DASH
    table["all priced kinds"] = total
    note = ("Per-kind money is hidden where the event counts behind it are suppressed; totals are over every "
            "priced kind.")
    avoided_total = b.effect(spec, "all_priced_kinds", "cost_avoided_pence")
    if avoided_total is not None:
        over = count_text(published_count(avoided_total["clients"], b.key("matched", spec.label, "clients")))
        avoided = with_interval(*effect_interval(avoided_total), money_text)
        note += f" Matched DiD over the {over} matched clients: {avoided}."
    return html_table(pd.DataFrame(table).T, f"{spec.text}: cost avoidance by kind ({count_text(clients)} clients)",
                      note=note)


def _subtotal_rows(b: Builder, spec: WindowSpec, n: int,
                   matched: dict[str, Interval] | None) -> dict[str, dict[str, str]]:
    """Each group of kinds' naive cost avoided (the sum of its priced kinds' pence), hidden
    where its event counts are, and its matched DiD where the DiD has the group."""
    groups = b.subtotals("cost_avoidance")
    avoided = groups[groups["window"] == spec.label].set_index("kind")["avoided_pence"]
    published = b.published_groups(spec)
    rows = {}
    for group, pence in avoided.items():
        hidden = missing(pence) or published.loc[group].isna().any()
        record = {"unit cost": "", "naive avoided": DASH if hidden else money_text(pence),
                  "naive per client": DASH if hidden else money_text(pence_per(pence, n))}
        if matched is not None:
            record["matched DiD per client"] = (with_interval(*matched[str(group)], money_text)
                                                if group in matched else DASH)
        rows[kind_label(group) + SUBTOTAL] = record
    return rows


def _pounds(pence: Any) -> float:
    """Whole pence as pounds for a figure's axis; NaN where missing."""
    return np.nan if missing(pence) else float(pence) / 100


def _kind_figure(b: Builder) -> str:
    """Cost avoided per client by kind over the last window, naive and matched DiD."""
    spec = b.last
    costs = b.costs()
    rows = costs[costs["window"] == spec.label].set_index("kind")
    published, _ = b.published_utilisation(spec)
    n = int(rows["clients"].iloc[0]) if len(rows) else 0
    kinds = [k for k in rows.index if not missing(rows.loc[k, "avoided_pence"])]
    naive = [np.nan if missing(published.loc[k, "pre"]) or missing(published.loc[k, "post"])
             else _pounds(pence_per(rows.loc[k, "avoided_pence"], n)) for k in kinds]
    series: dict[str, Any] = {"naive before/after": (naive, None, None)}
    matched = _matched_per_kind(b, spec)
    if matched is not None:
        values = [matched.get(k, (pd.NA,) * 3) for k in kinds]
        series["matched DiD"] = tuple([_pounds(v[i]) for v in values] for i in range(3))
    return html_figure(
        _plots.estimates([kind_label(k) for k in kinds], series,
                         f"Cost avoided per client by kind, {spec.text}", "cost avoided per client (£)",
                         money=True),
        "cost_by_kind", "Cost avoided per client by kind: the naive figure and, where available, the matched DiD "
                        "with its interval.")


def practice_parts(b: Builder) -> list[str]:
    """Cost avoidance by practice: the table and the figure (the practices' league, their
    counts with fewer events and the top practice are in the Practice league section)."""
    spec = b.last
    costs = b.costs("practice")
    rows = costs[costs["window"] == spec.label]
    per_practice = rows.groupby("practice", sort=True, observed=True).agg(
        clients=("clients", "first"), avoided=("avoided_pence", "sum"))
    reach = published_practice_reach(b)
    clients = published_practice_clients(b, per_practice["clients"])
    did = practice_did(b, list(per_practice.index))
    parts = [heading(f"By practice ({spec.text})"), _practice_table(b, per_practice, reach, clients, did)]
    shown = per_practice[[not missing(clients[p]) and per_practice.loc[p, "clients"] > 0 for p in per_practice.index]]
    if len(shown):
        parts.append(_practice_figure(spec, shown, did))
    return parts


def published_practice_reach(b: Builder) -> pd.DataFrame:
    """The referrals by practice exactly as published in "Who was referred" (one suppression
    pattern for the same counts, so one table cannot undo the other's suppression)."""
    return b.published_connected("practice").rename(index={"all referrals": ALL_PRACTICES})


def published_practice_clients(b: Builder, in_window: pd.Series) -> pd.Series:
    """Each practice's clients in the last window, published, with their total (all practices),
    tied to the practice's connected clients."""
    spec = b.last
    clients = published_series(in_window.astype("int64"), name=b.key("clients", spec.label, "practice"),
                               total=ALL_PRACTICES, total_key=b.key("clients", spec.label, "included"))
    b.tie_in_window_by_practice(spec, in_window)
    return clients


def _practice_table(b: Builder, per_practice: pd.DataFrame, reach: pd.DataFrame, clients: pd.Series,
                    did: dict[str, tuple[Any, Interval]] | None) -> str:
    table = {}
    for practice in [*per_practice.index, ALL_PRACTICES]:
        whole = practice == ALL_PRACTICES
        n = int(per_practice["clients"].sum() if whole else per_practice.loc[practice, "clients"])
        avoided = int(per_practice["avoided"].sum() if whole else per_practice.loc[practice, "avoided"])
        hidden = missing(clients[practice])
        record = {"referred": count_text(reach["referred"].get(practice, pd.NA)),
                  "connected": count_text(reach["connected"].get(practice, pd.NA)),
                  "in window": count_text(clients[practice]),
                  "naive avoided": DASH if hidden else money_text(avoided),
                  "naive per client": DASH if hidden else money_text(pence_per(avoided, n))}
        if did is not None:
            matched, interval = _matched_of(b, did, practice)
            record["matched"] = DASH if matched is None else count_text(matched)
            record["matched DiD per client"] = DASH if interval is None else with_interval(*interval, money_text)
        table[practice] = record
    return html_table(pd.DataFrame(table).T, "Cost avoidance by practice",
                      note="Money is hidden for a practice whose clients are suppressed. The matched DiD per "
                           "practice rests on few matched sets: read its interval before its point estimate.")


def _matched_of(b: Builder, did: dict[str, tuple[Any, Interval]], practice: str) -> tuple[Any, Interval | None]:
    """A practice's published matched clients (None: it has none) and DiD per client (None
    where not shown); for all practices, the whole matched comparison's."""
    if practice == ALL_PRACTICES:
        money_row = b.comparison.rows(b.last, money=True)
        matched = pd.NA if money_row is None else published_count(int(money_row["clients"].iloc[0]),
                                                                  b.key("matched", b.last.label, "clients"))
        return matched, b.comparison.avoided_per_client(b.last)
    if practice not in did:
        return None, None
    matched, interval = did[practice]
    return matched, None if missing(matched) else interval


def _practice_figure(spec: WindowSpec, shown: pd.DataFrame, did: dict[str, tuple[Any, Interval]] | None) -> str:
    labels = list(shown.index)
    naive = [_pounds(pence_per(int(shown.loc[p, "avoided"]), int(shown.loc[p, "clients"]))) for p in labels]
    series: dict[str, Any] = {"naive before/after": (naive, None, None)}
    if did is not None:
        matched = [did[p][1] if p in did and not missing(did[p][0]) else (pd.NA,) * 3 for p in labels]
        series["matched DiD"] = tuple([_pounds(v[i]) for v in matched] for i in range(3))
    return html_figure(
        _plots.estimates(labels, series, f"Cost avoided per client by practice, {spec.text}",
                         "cost avoided per client (£)", money=True),
        "cost_by_practice", "Cost avoided per client by practice: naive, and matched DiD with its interval "
                            "(practices with suppressed counts left out).")


def practice_did(b: Builder, practices: list[str]) -> dict[str, tuple[Any, Interval]] | None:
    """Per practice with matched clients: the published count of them and the DiD cost avoided
    per matched client (point, low, high) over the last window, from ``Evaluation.practices``
    (``Match.did(clients=...)`` over each practice's own sets)."""
    if not b.comparison.available or b.comparison.rows(b.last, money=True) is None:
        return None
    table = b.practices().table
    if "matched_clients" not in table:
        return None
    rows = table.loc[[p for p in practices if p in table.index]]
    rows = rows[rows["matched_clients"].notna() & rows["matched_avoided_per_client_pence"].notna()]
    if rows.empty:
        return None
    matched = published_series(rows["matched_clients"].astype("int64"), name=b.key("matched", b.last.label, "practice"),
                               total=None)
    return {p: (matched[p], (row["matched_avoided_per_client_pence"], row["matched_ci_low_pence"],
                             row["matched_ci_high_pence"])) for p, row in rows.iterrows()}
