"""The headline figures of an evaluation as one JSON-ready document, and as text.

The document follows schema ``SCHEMA``: every effect figure sits in ``effects`` as one row per
(window, kind, figure, method), each naming the population it is over, so the naive
before/after and the matched difference-in-differences (with its interval) stand side by side.
Without a comparison pool every effect row is a before/after, not an effect estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._measures import WindowSpec, parse_windows, whole_pence
from ._version import __version__
from .evaluation import Evaluation, Window
from .tariff import ILLUSTRATIVE_WARNING, is_illustrative

SCHEMA = "socialrx.headline/1"
BEFORE_AFTER = "before/after (not an effect estimate)"
# Populations an effect figure is over.
INCLUDED = "included clients"
MATCHED = "matched clients"
EXTRAPOLATED = "included clients, the matched DiD per client applied to each"

HEADLINE_KINDS = ("ae_attendance", "emergency_admission", "ambulance_callout", "gp_surgery")


def _plain(value: Any) -> Any:
    """JSON-safe scalars: numpy numbers to Python, NaN and <NA> to None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _effect(window: str, kind: str, figure: str, method: str, population: str, clients: int, value: Any,
            low: Any = None, high: Any = None) -> dict[str, Any]:
    return {"window": window, "kind": kind, "figure": figure, "method": method, "population": population,
            "clients": int(clients), "value": _plain(value), "ci_low": _plain(low), "ci_high": _plain(high)}


def _naive_effects(ev: Evaluation, specs: list[WindowSpec], service_cost_pence: int | None) -> list[dict[str, Any]]:
    """Before/after over the included clients: % change per kind, cost avoided, net saving."""
    rows = []
    for _, r in ev.utilisation(windows=[s.argument for s in specs]).iterrows():
        rows.append(_effect(r["window"], r["kind"], "pct_change", "before_after", INCLUDED, r["clients"],
                            r["pct_change"]))
    if ev.tariff is None:
        return rows
    for spec in specs:
        costs = ev.cost_avoidance(windows=spec.argument)
        clients = int(costs["clients"].max()) if len(costs) else 0
        rows.append(_effect(spec.label, "all_priced_kinds", "cost_avoided_pence", "before_after", INCLUDED,
                            clients, int(costs["avoided_pence"].sum())))
        if service_cost_pence is not None:
            saving = ev.net_saving(service_cost_pence, window=spec.argument)
            rows.append(_effect(spec.label, "all_priced_kinds", "net_saving_pence", "before_after", INCLUDED,
                                saving["patients"], saving["net_pence"]))
            rows.append(_effect(spec.label, "all_priced_kinds", "net_saving_per_patient_pence", "before_after",
                                INCLUDED, saving["patients"], saving["net_per_patient_pence"]))
    return rows


def _matched_effects(ev: Evaluation, specs: list[WindowSpec], did: pd.DataFrame,
                     service_cost_pence: int | None) -> list[dict[str, Any]]:
    """Over the matched clients: their own before/after beside the DiD with its interval; money
    signed so that avoided > 0 is a saving; the net saving per patient from the money DiD's
    bootstrap, less the service cost per included client."""
    rows = []
    for _, r in did.iterrows():
        window, clients = r["window"], int(r["clients"])
        if r["kind"] != "all_kinds_pence":
            rows.append(_effect(window, r["kind"], "pct_change", "before_after", MATCHED, clients,
                                r["naive_change_pct"]))
            rows.append(_effect(window, r["kind"], "pct_change", "did", MATCHED, clients, r["did_pct"],
                                r["ci_low_pct"], r["ci_high_pct"]))
            continue
        avoided = [-r["did_pence_per_client"], -r["ci_high_pence"], -r["ci_low_pence"]]  # per matched client
        rows.append(_effect(window, "all_priced_kinds", "cost_avoided_pence", "did", MATCHED, clients,
                            *[whole_pence(a * clients) for a in avoided]))
        if service_cost_pence is None:
            continue
        argument = next(spec.argument for spec in specs if spec.label == window)
        patients = int(ev.net_saving(service_cost_pence, window=argument)["patients"])
        nets = [_core.net_saving(whole_pence(a) * patients, int(service_cost_pence), patients) for a in avoided]
        rows.append(_effect(window, "all_priced_kinds", "net_saving_per_patient_pence", "did", MATCHED, clients,
                            *[n.net_per_patient for n in nets]))
        rows.append(_effect(window, "all_priced_kinds", "net_saving_pence", "did_extrapolated", EXTRAPOLATED,
                            patients, *[n.net for n in nets]))
    return rows


def _matched(ev: Evaluation, specs: list[WindowSpec], bootstrap: int, seed: int) -> tuple[Any, pd.DataFrame]:
    m = ev.match(k=1, caliper=0.2, seed=seed)
    return m, m.did(windows=[s.argument for s in specs], bootstrap=bootstrap, seed=seed, progress=False).estimates


def _meta(ev: Evaluation, specs: list[WindowSpec], *, match: Any, bootstrap: int, seed: int,
          service_cost_pence: int | None, true_effect: float | None) -> dict[str, Any]:
    tariff = None if ev.tariff is None else {
        "name": ev.tariff.name, "price_year": ev.tariff.price_year,
        "illustrative": is_illustrative(ev.tariff)}
    meta: dict[str, Any] = {
        "schema": SCHEMA, "socialrx_version": __version__,
        "data": {"start": _iso(ev.data_start), "end": _iso(ev.data_end)},
        "windows": [s.label for s in specs], "tariff": tariff, "service_cost_pence": service_cost_pence,
        "basis": "matched difference-in-differences beside the naive before/after" if match is not None
        else BEFORE_AFTER,
    }
    if match is not None:
        summary = match.summary()
        meta["matching"] = {"k": int(summary["k"]), "caliper_sd": summary["caliper_sd"], "seed": seed,
                            "replace": bool(match.options["replace"]), "covariates": list(match.covariate_names),
                            "notes": list(match.notes), "eligible_clients": int(summary["eligible_clients"]),
                            "matched_clients": int(summary["matched_clients"]), "bootstrap_replicates": bootstrap,
                            "level": 0.95}
    if true_effect is not None:
        meta["true_effect"] = {"pct_change": -100.0 * true_effect,
                               "note": "the synthetic service's known effect on every kind of use"}
    return meta


def headline(ev: Evaluation, *, windows: Sequence[Window] = (6, 12), by: str | None = None,
             service_cost_pence: int | None = None, bootstrap: int = 2000, seed: int = 1,
             true_effect: float | None = None) -> dict[str, Any]:
    """Every headline figure the evaluation's tables allow, as plain JSON values (schema
    ``SCHEMA``). With a comparison pool the clients are matched (1:1, caliper 0.2 SD, ``seed``)
    and every effect figure carries the DiD with its ``bootstrap`` interval beside the naive
    one; ``true_effect`` (a synthetic service's) is carried for comparison."""
    specs = parse_windows(windows)
    match, did = (None, None)
    if ev.comparison is not None and ev.events is not None:
        match, did = _matched(ev, specs, bootstrap, seed)
    reach = ev.reach()
    figures: dict[str, Any] = {
        **_meta(ev, specs, match=match, bootstrap=bootstrap, seed=seed, service_cost_pence=service_cost_pence,
                true_effect=true_effect),
        "reach": {"referred": int(reach["referred"].sum()), "connected": int(reach["connected"].sum())},
    }
    if ev.assessments is not None:
        figures["outcomes"] = records(ev.outcomes())
        figures["wellbeing"] = records(ev.wellbeing())
    if ev.interventions is not None:
        figures["support"] = records(ev.support())
        figures["outward_referrals"] = records(ev.outward_referrals(by="sector"))
    if ev.feedback is not None:
        figures["feedback"] = records(ev.feedback_summary())
    if ev.events is not None:
        figures["utilisation"] = records(ev.utilisation(windows=windows, by=by))
        figures["exclusions"] = records(ev.exclusions(windows=windows))
        figures["effects"] = _naive_effects(ev, specs, service_cost_pence) + (
            [] if did is None else _matched_effects(ev, specs, did, service_cost_pence))
    if ev.events is not None and ev.tariff is not None:
        costs = ev.cost_avoidance(windows=windows, by=by)
        figures["tariff"]["unit_costs"] = records(ev.tariff_table())
        figures["cost_avoidance"] = records(costs)
        figures["cost_avoidance_total_pence"] = {
            window: int(group["avoided_pence"].sum()) for window, group in costs.groupby("window", sort=False)}
        if service_cost_pence is not None:
            figures["net_saving"] = {k: _plain(v) for k, v in
                                     ev.net_saving(service_cost_pence, window=windows[-1]).items()}
    return figures


def _iso(day: int | None) -> str | None:
    return None if day is None else str(np.datetime64(int(day), "D"))


def _pounds(pence: Any) -> str:
    return "n/a" if pence is None else _core.format_pounds(int(pence))


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.0f}%"


def format_headline(figures: dict[str, Any]) -> str:
    """The headline figures as the few lines a commissioner reads first."""
    reach = figures["reach"]
    share = 100.0 * reach["connected"] / reach["referred"] if reach["referred"] else float("nan")
    lines = [f"Reach: {reach['referred']:,} referred, {reach['connected']:,} connected ({share:.0f}%)"]
    for domain in figures.get("outcomes", []):
        lines.append(
            f"  {domain['name']:<16} not managing {_percent(_negate(domain['pct_reduction_not_managing']))}"
            f"  managing {_percent(domain['pct_increase_managing'])}  (n={domain['clients']})")
    for row in figures.get("wellbeing", []):
        if row["measure"].startswith("share_"):
            lines.append(f"  {row['instrument']} {row['measure'][6:]}: {row['before']:.0f}% -> {row['after']:.0f}% "
                         f"({_percent(_negate(row['pct_fewer']))}, n={row['clients']})")
    if "outward_referrals" in figures:
        sectors = figures["outward_referrals"]
        total = sum(r["referrals"] for r in sectors)
        shares = ", ".join(f"{r['pct']:.0f}% {r['sector']}" for r in sectors if r["pct"] is not None)
        lines.append(f"Support: {total:,} outward referrals ({shares})")
    for row in figures.get("feedback", []):
        if row["pct"] is not None:
            lines.append(f"  feedback {row['measure']}: {row['pct']:.0f}% of {row['answered']} answering")
    basis = "" if "matching" in figures else f" [{BEFORE_AFTER}]"
    effects = figures.get("effects", [])
    for row in figures.get("utilisation", []):
        if row["kind"] in HEADLINE_KINDS and "practice" not in row:
            lines.append(f"  {row['kind']:<20} {row['window']:>4}: {row['pre']:>6} -> {row['post']:>6} "
                         f"({_percent(row['pct_change'])}, {row['clients']} clients){basis}"
                         + _did_text(effects, row["window"], row["kind"], "pct_change", _percent))
    for window, pence in figures.get("cost_avoidance_total_pence", {}).items():
        lines.append(f"Cost avoidance {window}: {_pounds(pence)}{basis}"
                     + _did_text(effects, window, "all_priced_kinds", "cost_avoided_pence", _pounds))
    if "net_saving" in figures:
        saving = figures["net_saving"]
        lines.append(f"Net saving ({saving['window']}): gross {_pounds(saving['gross_pence'])} - service "
                     f"{_pounds(saving['service_cost_pence'])} = {_pounds(saving['net_pence'])}; per patient "
                     f"{_pounds(saving['net_per_patient_pence'])} over {saving['patients']} patients{basis}")
        for figure, label in (("net_saving_per_patient_pence", "per patient"), ("net_saving_pence", "in total")):
            row = _effect_row(effects, saving["window"], "all_priced_kinds", figure, ("did", "did_extrapolated"))
            if row is not None:
                lines.append(f"  matched DiD net saving {label}: {_interval(row, _pounds)} ({row['population']}, "
                             f"{row['clients']:,})")
    if (figures.get("tariff") or {}).get("illustrative"):
        lines.append(f"Warning: {ILLUSTRATIVE_WARNING}")
    if "true_effect" in figures:
        lines.append(f"True effect of the synthetic service: {_percent(figures['true_effect']['pct_change'])} "
                     "in every kind of use (the matched DiD should cover it; the naive figure need not)")
    return "\n".join(lines)


def _negate(value: Any) -> Any:
    return None if value is None else -value


def _effect_row(effects: list[dict[str, Any]], window: str, kind: str, figure: str,
                methods: Sequence[str] = ("did",)) -> dict[str, Any] | None:
    return next((e for e in effects if e["window"] == window and e["kind"] == kind and e["figure"] == figure
                 and e["method"] in methods), None)


def _interval(row: dict[str, Any], fmt: Any) -> str:
    text = fmt(row["value"])
    if row["ci_low"] is not None and row["ci_high"] is not None:
        text += f" (95% CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])})"
    return text


def _did_text(effects: list[dict[str, Any]], window: str, kind: str, figure: str, fmt: Any) -> str:
    """``; matched DiD x (CI) over n matched clients`` where the effects carry one."""
    row = _effect_row(effects, window, kind, figure)
    return "" if row is None else f"; matched DiD {_interval(row, fmt)} over {row['clients']:,} matched clients"
