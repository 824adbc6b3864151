"""The headline figures of an evaluation, computed once, as a result object.

``headline(ev)`` returns a :class:`Headline`. Its ``figures`` are one JSON-ready document
following schema ``SCHEMA``: every effect figure sits in ``effects`` as one row per (window,
kind, figure, method), each naming the population it is over, so the naive before/after and
the matched difference-in-differences (with its interval) stand side by side. Without a
comparison pool every effect row is a before/after, not an effect estimate. The console text
(``summary()``) and the notebook view (``_repr_html_``) render that document and compute no
figure of their own.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from . import _core
from ._measures import Window, WindowSpec, parse_windows, whole_pence
from ._version import __version__
from .funding import service_cost
from .tariff import ILLUSTRATIVE_WARNING, is_illustrative

if TYPE_CHECKING:  # types only: the figures modules never import the Evaluation at run time
    from .did import DiDResult
    from .evaluation import Evaluation
    from .matching import Match

__all__ = ["Headline", "headline"]

SCHEMA = "socialrx.headline/1"
BEFORE_AFTER = "before/after (not an effect estimate)"
NAIVE = "naive before/after"
# Populations an effect figure is over.
INCLUDED = "included clients"
MATCHED = "matched clients"
EXTRAPOLATED = "included clients, the matched DiD per client applied to each"

HEADLINE_KINDS = ("ae_attendance", "emergency_admission", "ambulance_callout", "gp_surgery")
EFFECT_COLUMNS = ("window", "kind", "figure", "method", "population", "clients", "value", "ci_low", "ci_high")


# ----------------------------------------------------------------- the figures
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
    """A frame's rows as JSON-safe dicts."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _effect(window: str, kind: str, figure: str, method: str, population: str, clients: int, value: Any,
            low: Any = None, high: Any = None) -> dict[str, Any]:
    return {"window": window, "kind": kind, "figure": figure, "method": method, "population": population,
            "clients": int(clients), "value": _plain(value), "ci_low": _plain(low), "ci_high": _plain(high)}


def _window_totals(costs: pd.DataFrame) -> dict[str, int]:
    """Pence avoided per window, summed over the priced kinds."""
    return {str(window): int(rows["avoided_pence"].sum()) for window, rows in costs.groupby("window", sort=False)}


def _naive_effects(specs: list[WindowSpec], use: pd.DataFrame, costs: pd.DataFrame | None,
                   savings: dict[str, pd.Series]) -> list[dict[str, Any]]:
    """Before/after over the included clients: % change per kind, cost avoided, net saving."""
    rows = [_effect(r["window"], r["kind"], "pct_change", "before_after", INCLUDED, r["clients"], r["pct_change"])
            for _, r in use.iterrows()]
    if costs is None:
        return rows
    totals = _window_totals(costs)
    for spec in specs:
        window = spec.label
        clients = costs.loc[costs["window"] == window, "clients"].max()
        rows.append(_effect(window, "all_priced_kinds", "cost_avoided_pence", "before_after", INCLUDED,
                            0 if pd.isna(clients) else clients, totals.get(window, 0)))
        if window in savings:
            saving = savings[window]
            rows.append(_effect(window, "all_priced_kinds", "net_saving_pence", "before_after", INCLUDED,
                                saving["patients"], saving["net_pence"]))
            rows.append(_effect(window, "all_priced_kinds", "net_saving_per_patient_pence", "before_after",
                                INCLUDED, saving["patients"], saving["net_per_patient_pence"]))
    return rows


def _matched_effects(did: pd.DataFrame, savings: dict[str, pd.Series]) -> list[dict[str, Any]]:
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
        if window not in savings:
            continue
        saving = savings[window]
        patients = int(saving["patients"])
        nets, per_patient = zip(*[_extrapolated(a, int(saving["service_cost_pence"]), patients) for a in avoided])
        rows.append(_effect(window, "all_priced_kinds", "net_saving_per_patient_pence", "did", MATCHED, clients,
                            *per_patient))
        rows.append(_effect(window, "all_priced_kinds", "net_saving_pence", "did_extrapolated", EXTRAPOLATED,
                            patients, *nets))
    return rows


def _extrapolated(avoided_per_client: Any, service_cost_pence: int, patients: int) -> tuple[int | None, int | None]:
    """The net saving and net saving per patient when each patient avoids ``avoided_per_client``
    (whole pence); None for a bound the bootstrap did not give (no replicates)."""
    pence = whole_pence(avoided_per_client)
    if pence is None:
        return None, None
    saving = _core.net_saving(pence * patients, service_cost_pence, patients)
    return saving.net, saving.net_per_patient


def _matched(ev: Evaluation, specs: list[WindowSpec], *, match: Match | Literal[False] | None,
             did: DiDResult | None, bootstrap: int, seed: int) -> tuple[Match | None, DiDResult | None]:
    """The matched sets and their DiD for ``specs``: the caller's, or else a 1:1 match within
    0.2 SD and its bootstrap made here when the evaluation has a pool and events; none where
    ``match`` is False."""
    if did is not None and not match:
        raise ValueError("did: pass the match it was run on as well (match=), whose settings the figures record")
    if match is False:
        return None, None
    if match is not None and match.evaluation is not ev:
        raise ValueError("match: it was made from another evaluation")
    if match is None:
        if ev.comparison is None or not ev.has_events:
            return None, None
        match = ev.match(k=1, caliper=0.2, seed=seed)
    if did is None:
        did = match.did(windows=[s.argument for s in specs], bootstrap=bootstrap, seed=seed, progress=False)
    missing = [s.label for s in specs if s.label not in set(did.estimates["window"])]
    if missing:
        raise ValueError(f"did: it has no estimates for the window(s) {missing}; run it with the same windows")
    return match, did


def _estimates_for(did: DiDResult | None, specs: list[WindowSpec]) -> pd.DataFrame | None:
    """The DiD's estimates over these windows alone (a given DiD may hold more)."""
    if did is None:
        return None
    return did.estimates[did.estimates["window"].isin([s.label for s in specs])]


def _meta(ev: Evaluation, specs: list[WindowSpec], *, match: Match | None, did: pd.DataFrame | None,
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
    if match is not None and did is not None:
        summary = match.summary()
        meta["matching"] = {"k": int(summary["k"]), "caliper_sd": summary["caliper_sd"],
                            "seed": int(match.options["seed"]), "replace": bool(match.options["replace"]),
                            "covariates": list(match.covariate_names), "notes": list(match.notes),
                            "eligible_clients": int(summary["eligible_clients"]),
                            "matched_clients": int(summary["matched_clients"]),
                            "bootstrap_replicates": int(did["replicates"].iloc[0]),
                            "level": float(did["level"].iloc[0])}
    if true_effect is not None:
        meta["true_effect"] = {"pct_change": -100.0 * true_effect,
                               "note": "the synthetic service's known effect on every kind of use"}
    return meta


def _groups(ev: Evaluation, windows: list[Window], by: str) -> dict[str, Any]:
    """Each group's before/after (and cost avoided) under the grouping ``by``."""
    use = ev.utilisation(windows=windows, by=by)
    section: dict[str, Any] = {"by": by, "utilisation": records(use)}
    if "period_rule" in use.attrs:  # a grouping by time names the date it goes by
        section["period_rule"] = use.attrs["period_rule"]
    if ev.tariff is not None:
        costs = ev.cost_avoidance(windows=windows, by=by)
        section["cost_avoidance"] = records(costs)
        section["cost_avoidance_total_pence"] = {
            str(group): _window_totals(rows) for group, rows in costs.groupby(by, sort=False)}
    return section


def headline(ev: Evaluation, *, windows: Sequence[Window] = (6, 12), by: str | None = None,
             service_cost_pence: int | None = None, bootstrap: int = 2000, seed: int = 1,
             true_effect: float | None = None, match: Match | Literal[False] | None = None,
             did: DiDResult | None = None) -> Headline:
    """Every headline figure the evaluation's tables allow, computed once (schema ``SCHEMA``).

    With a comparison pool the clients are matched (1:1, caliper 0.2 SD, ``seed``) and every
    effect figure carries the DiD with its ``bootstrap`` interval beside the naive one. A caller
    that has matched already passes ``match`` (an ``ev.match(...)``) and, optionally, ``did``
    (its ``match.did(...)`` over at least these ``windows``), and nothing is matched or
    bootstrapped again; ``match=False`` gives the before/after figures alone. The match and
    DiD used are kept on the result (``.match``, ``.did``) for a report to reuse. ``by`` adds
    each group's before/after (``figures["groups"]``) after the whole service's.
    ``true_effect`` (a synthetic service's) is carried for comparison. Without
    ``service_cost_pence``, the evaluation's funding table (if any) gives the service cost.
    """
    if service_cost_pence is None and ev.funding_table is not None:
        service_cost_pence = service_cost(None, ev.funding_table)
    specs = parse_windows(windows)
    arguments = [s.argument for s in specs]
    used_match, used_did = _matched(ev, specs, match=match, did=did, bootstrap=bootstrap, seed=seed)
    estimates = _estimates_for(used_did, specs)
    reach = ev.reach()
    figures: dict[str, Any] = {
        **_meta(ev, specs, match=used_match, did=estimates, service_cost_pence=service_cost_pence,
                true_effect=true_effect),
        "reach": {"referred": int(reach["referred"].sum()), "connected": int(reach["connected"].sum()),
                  "pct_connected": _plain(reach["pct_connected"].iloc[0])},
    }
    if ev.assessments is not None:
        figures["outcomes"] = records(ev.outcomes())
        figures["wellbeing"] = records(ev.wellbeing())
    if ev.interventions is not None:
        figures["support"] = records(ev.support())
        figures["outward_referrals"] = records(ev.outward_referrals(by="sector"))
    if ev.feedback is not None:
        figures["feedback"] = records(ev.feedback_summary())
    if not ev.has_events:
        return Headline(figures, match=used_match, did=used_did)
    use = ev.utilisation(windows=arguments)
    costs = None if ev.tariff is None else ev.cost_avoidance(windows=arguments)
    savings = {} if costs is None or service_cost_pence is None else {
        s.label: ev.net_saving(service_cost_pence, window=s.argument) for s in specs}
    figures["utilisation"] = records(use)
    figures["exclusions"] = records(ev.exclusions(windows=arguments))
    figures["effects"] = _naive_effects(specs, use, costs, savings) + (
        [] if estimates is None else _matched_effects(estimates, savings))
    if costs is not None:
        figures["tariff"]["unit_costs"] = records(ev.tariff_table())
        figures["cost_avoidance"] = records(costs)
        figures["cost_avoidance_total_pence"] = _window_totals(costs)
    if savings:
        figures["net_saving"] = {k: _plain(v) for k, v in savings[specs[-1].label].items()}
    if by is not None:
        figures["groups"] = _groups(ev, arguments, by)
    return Headline(figures, match=used_match, did=used_did)


def _iso(day: int | None) -> str | None:
    return None if day is None else str(np.datetime64(int(day), "D"))


# ----------------------------------------------------------------- the result object
class Headline:
    """The headline figures of one evaluation, computed once by :func:`headline`.

    ``figures`` is the JSON document (schema ``SCHEMA``); ``summary()`` is the console text and
    ``_repr_html_()`` the notebook view, both rendered from ``figures`` alone. ``match`` and
    ``did`` are the matched analysis the figures came from (None without one).
    """

    def __init__(self, figures: dict[str, Any], *, match: Match | None = None, did: DiDResult | None = None) -> None:
        self.figures = figures
        self.match = match
        self.did = did

    @property
    def effects(self) -> pd.DataFrame:
        """``figures["effects"]`` as a frame, one row per window, kind, figure and method."""
        return pd.DataFrame(self.figures.get("effects", []), columns=list(EFFECT_COLUMNS))

    def effect(self, window: str, kind: str, figure: str, method: str = "did") -> dict[str, Any] | None:
        """One effects row (e.g. ``("12m", "gp_surgery", "pct_change", "before_after")``), or None."""
        return _effect_row(self.figures.get("effects", []), window, kind, figure, (method,))

    def to_json(self) -> str:
        """The JSON document, indented, with a trailing newline."""
        return json.dumps(self.figures, indent=2) + "\n"

    def summary(self) -> str:
        """The few lines a commissioner reads first."""
        return _text(self.figures)

    def _repr_html_(self) -> str:
        return _html(self.figures)

    def __repr__(self) -> str:
        reach = self.figures["reach"]
        basis = "matched DiD beside before/after" if "matching" in self.figures else "before/after only"
        return (f"Headline({reach['referred']:,} referred, {reach['connected']:,} connected; windows "
                f"{', '.join(self.figures['windows'])}; {basis})")


# ----------------------------------------------------------------- cells
# The text and the HTML take every shown value from these functions, so they cannot disagree.
Format = Callable[[Any], str]


def _pounds(pence: Any) -> str:
    return "n/a" if pence is None else _core.format_pounds(int(pence))


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.0f}%"


def _share(value: Any) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _negate(value: Any) -> Any:
    return None if value is None else -value


def _effect_row(effects: list[dict[str, Any]], window: str, kind: str, figure: str,
                methods: Sequence[str] = ("did",)) -> dict[str, Any] | None:
    return next((e for e in effects if e["window"] == window and e["kind"] == kind and e["figure"] == figure
                 and e["method"] in methods), None)


def _interval(row: dict[str, Any], fmt: Format, level: float) -> str:
    text = fmt(row["value"])
    if row["ci_low"] is not None and row["ci_high"] is not None:
        text += f" ({level:.0%} CI {fmt(row['ci_low'])} to {fmt(row['ci_high'])})"
    return text


def _level(figures: dict[str, Any]) -> float:
    """The coverage of the matched DiD's intervals (a given DiD may have its own)."""
    return float(figures.get("matching", {}).get("level", 0.95))


class _Matched(NamedTuple):
    """A matched DiD as shown: its value with interval, and how many it is over."""

    interval: str
    population: str

    @staticmethod
    def of(row: dict[str, Any] | None, fmt: Format, level: float) -> _Matched | None:
        return None if row is None else _Matched(_interval(row, fmt, level),
                                                 f"{row['clients']:,} {row['population']}")


class _Use(NamedTuple):
    """One kind's use in one window: before, after, the naive change and the matched DiD."""

    kind: str
    window: str
    pre: str
    post: str
    change: str
    clients: str
    did: _Matched | None


class _Cost(NamedTuple):
    window: str
    naive: str
    did: _Matched | None


class _Group(NamedTuple):
    name: str  # "P81001"
    label: str  # "practice P81001"
    use: list[_Use]
    costs: list[_Cost]


def _use_cells(rows: list[dict[str, Any]], effects: list[dict[str, Any]], level: float) -> list[_Use]:
    return [_Use(r["kind"], r["window"], f"{r['pre']:,}", f"{r['post']:,}", _percent(r["pct_change"]),
                 f"{r['clients']:,}", _Matched.of(_effect_row(effects, r["window"], r["kind"], "pct_change"),
                                                  _percent, level))
            for r in rows if r["kind"] in HEADLINE_KINDS]


def _cost_cells(totals: dict[str, int], effects: list[dict[str, Any]], level: float) -> list[_Cost]:
    return [_Cost(window, _pounds(pence), _Matched.of(
                _effect_row(effects, window, "all_priced_kinds", "cost_avoided_pence"), _pounds, level))
            for window, pence in totals.items()]


def _group_cells(figures: dict[str, Any]) -> tuple[str, list[_Group]]:
    """The grouping's column and each group's cells, in the engine's group order."""
    groups = figures.get("groups")
    if groups is None:
        return "", []
    by = groups["by"]
    names = dict.fromkeys(str(r[by]) for r in groups["utilisation"])
    totals = groups.get("cost_avoidance_total_pence", {})
    return by, [_Group(name, f"{by} {name}",
                       _use_cells([r for r in groups["utilisation"] if str(r[by]) == name], [], _level(figures)),
                       _cost_cells(totals.get(name, {}), [], _level(figures))) for name in names]


def _reach_cells(figures: dict[str, Any]) -> tuple[str, str, str]:
    reach = figures["reach"]
    return f"{reach['referred']:,}", f"{reach['connected']:,}", _share(reach["pct_connected"])


def _outcome_cells(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Per domain: name, change in not managing, change in managing, clients."""
    return [(d["name"], _percent(_negate(d["pct_reduction_not_managing"])), _percent(d["pct_increase_managing"]),
             f"{d['clients']:,}") for d in figures.get("outcomes", [])]


def _wellbeing_cells(figures: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Per share measure: instrument and measure, before, after, change, clients."""
    return [(f"{r['instrument']} {r['measure'][len('share_'):]}", _share(r["before"]), _share(r["after"]),
             _percent(_negate(r["pct_fewer"])), f"{r['clients']:,}")
            for r in figures.get("wellbeing", []) if r["measure"].startswith("share_")]


def _support_cells(figures: dict[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    """The outward referrals in all, and each sector's share."""
    if "outward_referrals" not in figures:
        return None
    total = next(r["value"] for r in figures["support"] if r["measure"] == "outward_referrals")
    return f"{int(total):,}", [(r["sector"], _share(r["pct"])) for r in figures["outward_referrals"]
                               if r["pct"] is not None]


def _feedback_cells(figures: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["measure"], _share(r["pct"]), f"{r['answered']:,}") for r in figures.get("feedback", [])
            if r["pct"] is not None]


class _Net(NamedTuple):
    window: str
    gross: str
    service: str
    net: str
    per_patient: str
    patients: str
    did_per_patient: _Matched | None
    did_total: _Matched | None


def _net_cells(figures: dict[str, Any]) -> _Net | None:
    if "net_saving" not in figures:
        return None
    s, effects = figures["net_saving"], figures["effects"]

    def matched(figure: str, method: str) -> _Matched | None:
        row = _effect_row(effects, s["window"], "all_priced_kinds", figure, (method,))
        return _Matched.of(row, _pounds, _level(figures))

    return _Net(s["window"], _pounds(s["gross_pence"]), _pounds(s["service_cost_pence"]), _pounds(s["net_pence"]),
                _pounds(s["net_per_patient_pence"]), f"{s['patients']:,}",
                matched("net_saving_per_patient_pence", "did"), matched("net_saving_pence", "did_extrapolated"))


def _warning(figures: dict[str, Any]) -> str | None:
    return f"Warning: {ILLUSTRATIVE_WARNING}" if (figures.get("tariff") or {}).get("illustrative") else None


def _true_effect(figures: dict[str, Any]) -> str | None:
    if "true_effect" not in figures:
        return None
    return (f"True effect of the synthetic service: {_percent(figures['true_effect']['pct_change'])} in every kind "
            "of use (the matched DiD should cover it; the naive figure need not)")


# ----------------------------------------------------------------- text
def _use_line(use: _Use, basis: str, label: str = "") -> str:
    line = (f"{label}{use.kind:<20} {use.window:>4}: {use.pre:>6} -> {use.post:>6} ({use.change}, {use.clients} "
            f"clients){basis}")
    return line + ("" if use.did is None else f"; matched DiD {use.did.interval} over {use.did.population}")


def _cost_line(cost: _Cost, basis: str, label: str = "") -> str:
    title = f"{label}cost avoidance" if label else "Cost avoidance"
    line = f"{title} {cost.window}: {cost.naive}{basis}"
    return line + ("" if cost.did is None else f"; matched DiD {cost.did.interval} over {cost.did.population}")


def _text(figures: dict[str, Any]) -> str:
    referred, connected, share = _reach_cells(figures)
    lines = [f"Reach: {referred} referred, {connected} connected ({share})"]
    lines += [f"  {name:<16} not managing {fewer}  managing {more}  (n={n})"
              for name, fewer, more, n in _outcome_cells(figures)]
    lines += [f"  {measure}: {before} -> {after} ({change}, n={n})"
              for measure, before, after, change, n in _wellbeing_cells(figures)]
    support = _support_cells(figures)
    if support is not None:
        total, sectors = support
        lines.append(f"Support: {total} outward referrals ({', '.join(f'{s} {sector}' for sector, s in sectors)})")
    lines += [f"  feedback {measure}: {pct} of {n} answering" for measure, pct, n in _feedback_cells(figures)]
    # Every naive figure says so: beside the matched DiD it is the clients' own before/after.
    basis = f" [{NAIVE}]" if "matching" in figures else f" [{BEFORE_AFTER}]"
    effects = figures.get("effects", [])
    level = _level(figures)
    lines += [f"  {_use_line(use, basis)}" for use in _use_cells(figures.get("utilisation", []), effects, level)]
    lines += [_cost_line(cost, basis)
              for cost in _cost_cells(figures.get("cost_avoidance_total_pence", {}), effects, level)]
    net = _net_cells(figures)
    if net is not None:
        lines.append(f"Net saving ({net.window}): gross {net.gross} - service {net.service} = {net.net}; per patient "
                     f"{net.per_patient} over {net.patients} patients{basis}")
        lines += [f"  matched DiD net saving {label}: {did.interval} ({did.population})"
                  for label, did in (("per patient", net.did_per_patient), ("in total", net.did_total))
                  if did is not None]
    lines += _group_text(figures)
    lines += [line for line in (_warning(figures), _true_effect(figures)) if line is not None]
    return "\n".join(lines)


def _group_text(figures: dict[str, Any]) -> list[str]:
    """Under a heading per group, each line labelled with its group, so that any line read
    alone still says whose figure it is."""
    by, groups = _group_cells(figures)
    if not groups:
        return []
    lines = [f"By {by}: each group's included clients, {BEFORE_AFTER}"]
    for group in groups:
        lines.append(f"  {group.label}")
        lines += [f"    {_use_line(use, '', f'{group.label}: ')}" for use in group.use]
        lines += [f"    {_cost_line(cost, '', f'{group.label}: ')}" for cost in group.costs]
    return lines


# ----------------------------------------------------------------- HTML
def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><caption>{html.escape(caption)}</caption><tr>{head}</tr>{body}</table>"


def _did_columns(did: _Matched | None) -> list[str]:
    return ["", ""] if did is None else [did.interval, did.population]


def _use_rows(uses: list[_Use], matched: bool) -> list[list[str]]:
    return [[u.kind, u.window, u.pre, u.post, u.change, u.clients, *(_did_columns(u.did) if matched else [])]
            for u in uses]


def _use_table(uses: list[_Use], naive: str, matched: bool) -> str:
    header = ["kind", "window", "before", "after", naive, "included clients", *(["matched DiD", "over"] if matched
                                                                              else [])]
    return _table("Health-service use", header, _use_rows(uses, matched))


def _cost_table(costs: list[_Cost], naive: str, matched: bool) -> str:
    header = ["window", naive, *(["matched DiD", "over"] if matched else [])]
    rows = [[c.window, c.naive, *(_did_columns(c.did) if matched else [])] for c in costs]
    return _table("Cost avoidance", header, rows)


def _group_tables(figures: dict[str, Any]) -> list[str]:
    """One table of every group's use, and one of every group's cost avoided."""
    by, groups = _group_cells(figures)
    if not groups:
        return []
    tables = [_table(f"By {by}: health-service use", [by, "kind", "window", "before", "after", BEFORE_AFTER,
                                                      "included clients"],
                     [[g.name, *row] for g in groups for row in _use_rows(g.use, False)])]
    if any(g.costs for g in groups):
        tables.append(_table(f"By {by}: cost avoidance", [by, "window", BEFORE_AFTER],
                             [[g.name, c.window, c.naive] for g in groups for c in g.costs]))
    return tables


def _net_table(net: _Net, naive: str, matched: bool) -> str:
    rows = [["gross cost avoided", net.gross, "", ""], ["service cost", net.service, "", ""],
            ["net saving", net.net, *_did_columns(net.did_total)],
            ["net saving per patient", net.per_patient, *_did_columns(net.did_per_patient)]]
    header = ["", f"{naive}, {net.patients} patients", *(["matched DiD", "over"] if matched else [])]
    return _table(f"Net saving ({net.window})", header, [row if matched else row[:2] for row in rows])


def _html(figures: dict[str, Any]) -> str:
    matched = "matching" in figures
    naive = NAIVE if matched else BEFORE_AFTER
    effects = figures.get("effects", [])
    parts = [f"<p role='alert' style='border:1px solid #b00;background:#fee;padding:0.4em'>{html.escape(text)}</p>"
             for text in [_warning(figures)] if text is not None]
    parts.append(_table("Reach", ["referred", "connected", "connected %"], [_reach_cells(figures)]))
    if "outcomes" in figures:
        parts.append(_table("Outcomes", ["domain", "not managing", "managing", "clients"], _outcome_cells(figures)))
        parts.append(_table("Wellbeing", ["measure", "before", "after", "change", "clients"],
                            _wellbeing_cells(figures)))
    support = _support_cells(figures)
    if support is not None:
        parts.append(_table(f"Support: {support[0]} outward referrals", ["sector", "share"], support[1]))
    if "feedback" in figures:
        parts.append(_table("Feedback", ["measure", "yes", "answering"], _feedback_cells(figures)))
    if "utilisation" in figures:
        parts.append(_use_table(_use_cells(figures["utilisation"], effects, _level(figures)), naive, matched))
    if "cost_avoidance_total_pence" in figures:
        parts.append(_cost_table(_cost_cells(figures["cost_avoidance_total_pence"], effects, _level(figures)),
                                 naive, matched))
    net = _net_cells(figures)
    if net is not None:
        parts.append(_net_table(net, naive, matched))
    parts += _group_tables(figures)
    true_effect = _true_effect(figures)
    if true_effect is not None:
        parts.append(f"<p>{html.escape(true_effect)}</p>")
    return "".join(parts)
