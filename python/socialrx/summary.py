"""The headline figures of an evaluation as one JSON-ready document, and as text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from .evaluation import Evaluation, Window

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


def headline(ev: Evaluation, *, windows: Sequence[Window] = (6, 12), by: str | None = None,
             service_cost_pence: int | None = None) -> dict[str, Any]:
    """Every headline figure the evaluation's tables allow, as plain JSON values."""
    reach = ev.reach()
    figures: dict[str, Any] = {
        "reach": {"referred": int(reach["referred"].sum()), "connected": int(reach["connected"].sum())},
        "data": {"start": _iso(ev.data_start), "end": _iso(ev.data_end)},
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
    if ev.events is not None and ev.tariff is not None:
        costs = ev.cost_avoidance(windows=windows, by=by)
        figures["tariff"] = {"name": ev.tariff.name, "price_year": ev.tariff.price_year,
                             "unit_costs": records(ev.tariff_table())}
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
    for row in figures.get("utilisation", []):
        if row["kind"] in HEADLINE_KINDS and "practice" not in row:
            lines.append(f"  {row['kind']:<20} {row['window']:>4}: {row['pre']:>6} -> {row['post']:>6} "
                         f"({_percent(row['pct_change'])}, {row['clients']} clients)")
    for window, pence in figures.get("cost_avoidance_total_pence", {}).items():
        lines.append(f"Cost avoidance {window}: {_pounds(pence)}")
    if "net_saving" in figures:
        saving = figures["net_saving"]
        lines.append(f"Net saving ({saving['window']}): gross {_pounds(saving['gross_pence'])} - service "
                     f"{_pounds(saving['service_cost_pence'])} = {_pounds(saving['net_pence'])}; per patient "
                     f"{_pounds(saving['net_per_patient_pence'])} over {saving['patients']} patients")
    return "\n".join(lines)


def _negate(value: Any) -> Any:
    return None if value is None else -value
