"""Who is reached: referral rates against the registered population by deprivation, the pathway
by group, and whether the most deprived benefit as much (rendered only with a population)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _plots
from ..equity import TRANSITIONS, EquityResult, wilson_interval
from ._html import (
    SUPPRESSION_NOTE,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    number_text,
    paragraph,
    percent_text,
    with_interval,
)
from ._published import Builder, published_series

_STAGES = ("offered", "referred", "connected", "supported", "declined")
_BY = "imd_quintile"
_ABOUT = ("People referred per 1,000 registered, by the IMD quintile of where they live (1 the most deprived "
          "fifth). Standardised rates are directly age-sex standardised to the European Standard Population "
          "2013 (Eurostat, 2013), with Dobson's 95% interval; a standardised rate of fewer than 10 people is "
          "not given. The rate ratio is each quintile's standardised rate over the least deprived's.")


def equity_section(b: Builder) -> Section:
    section = Section("equity", "Who is reached")
    result: EquityResult = b.cached("equity", lambda: b.ev.equity(by=_BY, population=b.population))
    stages = _published_stages(b, result)
    section.parts.append(paragraph(_ABOUT))
    rates = _rates_table(result, stages["referred"])
    section.parts.append(html_table(rates, "Referrals per 1,000 registered, by IMD quintile", note=SUPPRESSION_NOTE))
    section.parts.append(html_figure(_rates_figure(result, stages["referred"]), "equity_rates",
                                     "Age-sex standardised referrals per 1,000 registered by IMD quintile, "
                                     "with 95% intervals."))
    section.parts.append(html_table(_inequality_table(result, stages["referred"]), "Inequality in referral"))
    section.parts.append(heading("The pathway by IMD quintile"))
    section.parts.append(html_table(_pathway_table(stages), "People at each stage", note=SUPPRESSION_NOTE))
    shares = _shares(stages)
    section.parts.append(html_table(_shares_table(shares, result), "Share moving on between stages (95% Wilson "
                                    "interval)"))
    section.parts.append(html_figure(
        _plots.grouped_bars([str(g) for g in stages.index if g != "total"],
                            {label: [100 * v for v in values] for label, (values, _, _) in shares.items()},
                            "The pathway by IMD quintile", "share", percent=True),
        "equity_pathway", "The share moving on between stages, by IMD quintile (1 most deprived)."))
    section.parts += _effects_parts(b)
    if len(result.exclusions):
        left = ", ".join(f"{r.reason}: {count_text(r.people)}" for r in result.exclusions.itertuples())
        section.parts.append(paragraph(f"Referred people left out of the rates ({left})."))
    return section


def _published_stages(b: Builder, result: EquityResult) -> pd.DataFrame:
    """People at each stage per quintile with their totals, as published."""
    counts = result.conversion
    columns = {}
    for stage in _STAGES:
        source = next(s for s, t in TRANSITIONS if t == stage) if stage != "offered" else None
        rows = (counts[counts["to_stage"] == stage].set_index(_BY)["converted"] if source is not None
                else counts[counts["from_stage"] == "offered"].drop_duplicates(_BY).set_index(_BY)["people"])
        columns[stage] = published_series(rows.astype("int64"), name=b.key("equity", stage))
    return pd.DataFrame(columns)


def _rates_table(result: EquityResult, referred: pd.Series) -> pd.DataFrame:
    """Rates only where the quintile's referrals are published."""
    rows = {}
    for row in result.table.itertuples(index=False):
        group = getattr(row, _BY)
        shown = referred.get(group, pd.NA)
        hide = missing(shown)
        rows[str(group)] = {
            "registered": f"{row.registered:,.0f}", "referred": count_text(shown),
            "crude rate": "*" if hide else with_interval(row.crude_rate, row.crude_low, row.crude_high, number_text),
            "standardised rate": "*" if hide else with_interval(row.standardised_rate, row.standardised_low,
                                                                row.standardised_high, number_text),
            "rate ratio": "*" if hide else with_interval(row.rate_ratio, row.ratio_low, row.ratio_high, number_text)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _rates_figure(result: EquityResult, referred: pd.Series) -> bytes:
    t = result.table
    hidden = np.array([missing(referred.get(g, pd.NA)) for g in t[_BY]])
    def shown(values: Any) -> list[float]:
        return np.where(hidden, np.nan, np.asarray(values, float)).tolist()

    series: _plots.EstimateSeries = {name: (shown(rate), shown(low), shown(high))
                                     for name, (rate, low, high) in result.series().items()}
    return _plots.estimates([str(g) for g in t[_BY]], series, "Referrals per 1,000 registered",
                            "per 1,000 registered (IMD quintile 1 most deprived)")


def _inequality_table(result: EquityResult, referred: pd.Series) -> pd.DataFrame:
    """The rate ratio only where both quintiles' referrals are published; the SII and RII (fits
    over every decile, no count of which is printed) always."""
    ends = [result.table[_BY].min(), result.reference]
    hide_ratio = any(missing(referred.get(g, pd.NA)) for g in ends)
    rows = {str(r.measure): {"estimate": "*" if hide_ratio and str(r.measure).startswith("rate ratio") else
                             with_interval(r.estimate, r.low, r.high, number_text), "over": r.note}
            for r in result.inequality.itertuples(index=False)}
    return pd.DataFrame.from_dict(rows, orient="index")


def _pathway_table(stages: pd.DataFrame) -> pd.DataFrame:
    return stages.map(count_text).rename(index=str)


def _shares(stages: pd.DataFrame) -> dict[str, tuple[list[float], list[float], list[float]]]:
    """Per transition, each quintile's share with its Wilson interval over published counts."""
    inner = stages.drop(index="total")
    shares = {}
    for source, target in TRANSITIONS:
        n = pd.to_numeric(inner[source], errors="coerce").to_numpy(float)
        x = pd.to_numeric(inner[target], errors="coerce").to_numpy(float)
        low, high = wilson_interval(x, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares[f"{source} to {target}"] = ((x / n).tolist(), low.tolist(), high.tolist())
    return shares


def _shares_table(shares: dict[str, tuple[list[float], list[float], list[float]]],
                  result: EquityResult) -> pd.DataFrame:
    groups = [str(g) for g in result.table[_BY]]
    tests = result.tests.set_index(["from_stage", "to_stage"])
    rows: dict[str, dict[str, Any]] = {}
    for (source, target), (share, low, high) in zip(TRANSITIONS, shares.values()):
        label = f"{source} to {target}"
        rows[label] = {g: _share_text(s, lo, hi) for g, s, lo, hi in zip(groups, share, low, high)}
        # A test of counts some of which are hidden could help reveal them: given only over published ones.
        p = tests.loc[(source, target), "p_value"] if not np.isnan(share).any() else np.nan
        rows[label]["trend test p"] = "" if missing(p) else f"{p:.3f}"
    return pd.DataFrame.from_dict(rows, orient="index")


def _share_text(share: float, low: float, high: float) -> str:
    return "*" if missing(share) else with_interval(100 * share, 100 * low, 100 * high, percent_text)


def _effects_parts(b: Builder) -> list[str]:
    """Do the most deprived benefit as much? Outcomes and the matched DiD per quintile, each shown
    only where its count of clients is published."""
    c = b.comparison
    effects = b.cached("equity_effects", lambda: b.ev.equity_effects(
        by=_BY, match=c.match if c.available else None, windows=(b.last.argument,), bootstrap=c.replicates,
        seed=c.bootstrap_seed, level=c.level))
    parts = []
    for figure, caption, fmt in (
            ("outcome", "Share managing in each outcome domain, before and after (95% Wilson interval of after)",
             lambda v: percent_text(100 * v)),
            ("did", f"Events avoided per matched client in the {b.last.text} after, matched DiD (95% bootstrap "
                    "interval)", number_text)):
        rows = effects[effects["figure"] == figure]
        if len(rows):
            parts.append(html_table(_effects_table(b, rows, figure, fmt), caption, note=SUPPRESSION_NOTE))
    if parts:
        parts.insert(0, heading("Outcomes and effects by IMD quintile"))
    return parts


def _effects_table(b: Builder, rows: pd.DataFrame, figure: str, fmt: Any) -> pd.DataFrame:
    """Measures x quintiles: the figure with its interval and the published clients behind it."""
    table: dict[str, dict[str, str]] = {}
    for measure, block in rows.groupby("measure", sort=False):
        clients = published_series(block.set_index(_BY)["clients"].astype("int64"),
                                   name=b.key("equity", figure, str(measure)))
        label = str(measure).split(": ")[0]
        label = label.split(" ", 1)[-1] if figure == "did" else label  # the window is in the caption
        table[label] = {str(g): _effect_text(r, clients.get(g, pd.NA), figure, fmt)
                        for g, r in block.set_index(_BY).iterrows()}
    return pd.DataFrame.from_dict(table, orient="index")


def _effect_text(row: pd.Series, clients: Any, figure: str, fmt: Any) -> str:
    if missing(clients):
        return "*"
    value = with_interval(row["estimate"], row["low"], row["high"], fmt)
    if figure == "outcome":
        value = f"{fmt(row['before'])} → {value}"
    return f"{value}; {count_text(clients)} clients"

