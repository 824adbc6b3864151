"""Equity of access: who is offered, referred, connected and supported, against who is registered.

``equity(ev, by="imd_quintile", population=registered)`` sets a pathway stage's people (by
default the referred) against a registered population table (see :mod:`socialrx.population`)
and gives per group:

* the crude rate per 1,000 registered, with Byar's interval for its count;
* the directly age-sex standardised rate (European Standard Population 2013 weights, each sex
  standardised to the same standard, over the age bands and sexes anyone is registered in; a
  group with no one registered in one of them has a rate of 0 there) with Dobson's interval
  (Byar's limits for the count); as in the Office for Health Improvement and Disparities'
  indicators, a standardised rate of fewer than 10 people is not given;
* the rate ratio to a reference group (the least deprived for IMD; otherwise the group with
  the most people registered), with the interval of the log ratio of two standardised rates;
* across IMD deciles, the slope and relative indices of inequality (a regression of the
  deciles' standardised rates on the midpoint of their cumulative share of the population,
  weighted by the inverse of their variance, its interval widened by any extra-Poisson
  dispersion); the RII from the same regression on the log scale;
* the share converting between stages (offered to referred, referred to connected, connected
  to supported to the end, and offered to declined) with Wilson intervals, and a chi-squared
  test for trend over ordered groups (Cochran-Armitage), for difference over the others.

References: Public Health England, *Technical Guide: Confidence Intervals* (2018): Byar's
method (appendix 1), Wilson's (appendix 3), Dobson's (appendix 4); Eurostat, *Revision of the
European Standard Population* (2013); Mackenbach and Kunst (1997) for the SII and RII.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._columns import require_columns
from .outcomes import domain_outcomes
from .population import (
    GROUPINGS,
    ORDERED_GROUPINGS,
    PATHWAY_STAGES,
    age_bands,
    client_ages,
    esp2013,
    imd_quintiles,
    pathway_stages,
    registered_population,
)

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .matching import Match

__all__ = ["TRANSITIONS", "EquityResult", "byar_limits", "chi2_sf", "dobson_interval", "equity", "equity_effects",
           "inequality_indices", "rates", "wilson_interval"]

TRANSITIONS = (("offered", "referred"), ("referred", "connected"), ("connected", "supported"),
               ("offered", "declined"))
MIN_STANDARDISED = 10  # fewer people than this: no standardised rate (as the OHID indicators)
_LEVELS = ("group", "age_band", "sex")


# ----------------------------------------------------------------------------- intervals
def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level: must be in (0, 1), got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def byar_limits(observed: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the exact Poisson limits of counts ``observed`` (PHE technical
    guide, appendix 1): the lower limit is 0 for a count of 0."""
    o = np.asarray(observed, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(o > 0, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, 0.0)
    high = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return low, high


def wilson_interval(successes: Any, trials: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of proportions (PHE technical guide, appendix 3); NaN for 0 trials."""
    x, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / n
        centre = 2 * x + z**2
        spread = z * np.sqrt(z**2 + 4 * x * (1 - p))
        denominator = 2 * (n + z**2)
        return (centre - spread) / denominator, (centre + spread) / denominator


def dobson_interval(rate: Any, variance: Any, observed: Any, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Dobson's interval of a weighted sum of Poisson counts (PHE technical guide, appendix 4):
    rate + sqrt(variance / O) x (O_limit - O), with Byar's limits of the count O."""
    o = np.asarray(observed, dtype=float)
    low, high = byar_limits(o, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(np.asarray(variance, dtype=float) / o)
    return np.asarray(rate) + scale * (low - o), np.asarray(rate) + scale * (high - o)


def chi2_sf(statistic: float, df: int) -> float:
    """P(chi-squared with ``df`` degrees of freedom > ``statistic``), by the closed forms for a
    whole number of degrees of freedom."""
    x = max(float(statistic), 0.0)
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for j in range(1, df // 2):
            term *= (x / 2) / j
            total += term
        return math.exp(-x / 2) * total
    root = math.sqrt(x)
    total, term = math.erfc(root / math.sqrt(2)), root * math.sqrt(2 / math.pi) * math.exp(-x / 2)
    for j in range(1, (df + 1) // 2):
        total += term
        term *= x / (2 * j + 1)
    return min(total, 1.0)


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True)
class EquityResult:
    """Rates of one pathway stage per group against the registered population.

    Attributes:
        by: the grouping; stage: the stage counted; per: rates per this many registered.
        table: per group ``registered``, ``people``, ``crude_rate`` with ``crude_low`` /
            ``crude_high``, ``standardised_rate`` with ``standardised_low`` /
            ``standardised_high`` and ``standardised_variance`` (NaN under 10 people),
            ``rate_ratio`` to the reference group with ``ratio_low`` / ``ratio_high``.
        inequality: ``measure`` (rate ratio, SII, RII), ``estimate``, ``low``, ``high``, ``note``.
        conversion: per group and transition ``from_stage``, ``to_stage``, ``people`` (at the
            first), ``converted`` (at both), ``share`` with ``share_low`` / ``share_high``.
        tests: per transition the ``test`` (trend or difference), ``chi2``, ``df``, ``p_value``.
        exclusions: ``reason``, ``people``: the stage's people left out of the rates, and why.
        reference: the group rate ratios are to; level: the intervals' coverage.
    """

    by: str
    stage: str
    per: int
    level: float
    reference: Any
    table: pd.DataFrame
    inequality: pd.DataFrame
    conversion: pd.DataFrame
    tests: pd.DataFrame
    exclusions: pd.DataFrame
    standard: str = field(default_factory=lambda: str(esp2013().attrs["source"]))

    def _parts(self) -> list[tuple[str, pd.DataFrame]]:
        title = f"People {self.stage} per {self.per:,} registered, by {self.by}"
        return [(title, self.table), ("Inequality", self.inequality),
                ("Conversion between stages", self.conversion), ("Tests across groups", self.tests),
                ("Left out of the rates", self.exclusions)]

    def summary(self) -> str:
        """The tables as text, with the standard and the interval coverage."""
        blocks = [f"{caption}\n{frame.to_string(index=False)}" for caption, frame in self._parts()]
        return "\n\n".join([*blocks, self._note()])

    def _note(self) -> str:
        return (f"Intervals {self.level:.0%}. Rates standardised to the European Standard Population 2013 "
                f"(Eurostat, 2013; see .standard). Rate ratios to {self.by} {self.reference}.")

    def _repr_html_(self) -> str:
        body = "".join(f"<h4>{html.escape(caption)}</h4>{frame.to_html(index=False, na_rep='')}"
                       for caption, frame in self._parts())
        return f"{body}<p>{html.escape(self._note())}</p>"

    def __repr__(self) -> str:
        return f"<EquityResult {self.stage} by {self.by}: {len(self.table)} groups>"

    def series(self) -> dict[str, tuple[Sequence[Any], Sequence[Any] | None, Sequence[Any] | None]]:
        """The crude and standardised rates with their intervals, for a figure."""
        t = self.table
        return {name: (t[f"{column}_rate"].tolist(), t[f"{column}_low"].tolist(), t[f"{column}_high"].tolist())
                for name, column in (("crude", "crude"), ("age-sex standardised", "standardised"))}

    def plot(self, ax: Any = None) -> Any:
        """Crude and standardised rates per group with their intervals (a matplotlib Axes)."""
        from . import _plots  # the figure is drawn only when asked for

        return _plots.forest([str(g) for g in self.table[self.by]], self.series(),
                             f"People {self.stage} by {self.by}", f"per {self.per:,} registered", ax=ax)


# ----------------------------------------------------------------------------- groups
def _client_frame(ev: Evaluation, population: pd.DataFrame | None = None) -> pd.DataFrame:
    """The clients' strata and groupings, as the population table names them."""
    clients = ev.clients
    frame = pd.DataFrame({"age_band": age_bands(client_ages(clients)),
                          "sex": clients["sex"].astype("string") if "sex" in clients else pd.NA},
                         index=clients.index)
    decile = next((c for c in ("imd_decile", "deprivation_decile") if c in clients), None)
    if decile is not None:
        frame["imd_decile"] = pd.to_numeric(clients[decile], errors="coerce").astype("Int64")
        frame["imd_quintile"] = pd.array(imd_quintiles(frame["imd_decile"].to_numpy(dtype=float)), dtype="Int64")
    if "imd_quintile" in clients:
        frame["imd_quintile"] = pd.to_numeric(clients["imd_quintile"], errors="coerce").astype("Int64")
    for column in ("practice", "ethnicity_group", "pcn"):
        if column in clients:
            frame[column] = clients[column].astype("string")
    if population is not None and "pcn" not in frame and "pcn" in population and "practice" in frame:
        pcns = population.drop_duplicates("practice").set_index("practice")["pcn"]
        frame["pcn"] = frame["practice"].map(pcns.astype("string"))
    return frame


def _strata_keys(frame: pd.DataFrame, by: str) -> list[pd.Series]:
    """Group, age band and sex, named so (``by`` may itself be age band or sex)."""
    return [frame[column].astype(object).rename(name) for column, name in zip((by, "age_band", "sex"), _LEVELS)]


def _strata(ev: Evaluation, population: pd.DataFrame, by: str, stage: str
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Counts of the stage's people and of the registered per group x age band x sex, the
    clients' groups and stages, and the people left out with why."""
    clients = _client_frame(ev, population)
    for table, frame in (("clients", clients), ("population", population)):
        if by not in frame:
            raise ValueError(f"by: {table} has no column {by!r} (groupings: {', '.join(GROUPINGS)})")
    stages = pathway_stages(ev.clients)
    counted = stages[stage].to_numpy(bool)
    registered = population["registered"].groupby(_strata_keys(population, by)).sum()
    registered = registered[registered > 0]
    key = pd.MultiIndex.from_arrays(_strata_keys(clients, by))
    reasons = np.select([clients[by].isna().to_numpy(bool), clients["age_band"].isna().to_numpy(bool),
                         ~key.isin(registered.index)],
                        [f"no {by}", "no age", "no one registered in their group, age band and sex"], "")
    exclusions = pd.DataFrame({"reason": reasons[counted & (reasons != "")]}).value_counts().rename("people")
    keep = reasons == ""
    people = pd.Series(counted[keep], dtype=float).groupby(_strata_keys(clients[keep].reset_index(drop=True),
                                                                         by)).sum()
    strata = pd.DataFrame({"registered": registered}).join(people.rename("people")).fillna({"people": 0.0})
    return strata, pd.concat([clients, stages], axis=1)[keep], exclusions.reset_index()


def _rates(strata: pd.DataFrame, weights: pd.Series, per: int, level: float) -> pd.DataFrame:
    """Crude and standardised rates per group from counts per group x age band x sex."""
    s = strata.reset_index()
    s.columns = ["group", "age_band", "sex", "registered", "people"]
    # Each sex stands for the same standard population, over the age bands anyone is registered in.
    s["weight"] = s["age_band"].map(weights).astype(float)
    standard = s.drop_duplicates(["age_band", "sex"])["weight"].sum()
    s["weighted_rate"] = s["weight"] * s["people"] / s["registered"] / standard
    s["weighted_variance"] = (s["weight"] / standard) ** 2 * s["people"] / s["registered"] ** 2
    g = s.groupby("group", sort=True)[["registered", "people", "weighted_rate", "weighted_variance"]].sum()
    table = pd.DataFrame({"registered": g["registered"], "people": g["people"].astype(np.int64)})
    low, high = byar_limits(g["people"], level)
    table["crude_rate"] = per * g["people"] / g["registered"]
    table["crude_low"], table["crude_high"] = per * low / g["registered"], per * high / g["registered"]
    rate, variance = per * g["weighted_rate"], per**2 * g["weighted_variance"]
    dlow, dhigh = dobson_interval(rate, variance, g["people"], level)
    enough = g["people"].to_numpy() >= MIN_STANDARDISED
    table["standardised_rate"] = np.where(enough, rate, np.nan)
    table["standardised_low"], table["standardised_high"] = np.where(enough, dlow, np.nan), np.where(enough, dhigh,
                                                                                                     np.nan)
    table["standardised_variance"] = np.where(enough, variance, np.nan)
    return table


def rates(counts: pd.DataFrame, *, per: int = 1000, level: float = 0.95) -> pd.DataFrame:
    """Crude and age-sex standardised rates per group (the columns of ``EquityResult.table``
    but the ratios) from counts per ``group`` x ``age_band`` x ``sex`` (columns ``registered``
    and ``people``)."""
    require_columns(counts, "counts", ["group", "age_band", "sex", "registered", "people"])
    empty = ~(pd.to_numeric(counts["registered"], errors="coerce") > 0).to_numpy(bool)
    if empty.any():
        raise ValueError(f"counts.registered row {int(np.flatnonzero(empty)[0])}: must be a number > 0")
    strata = counts.set_index(["group", "age_band", "sex"])[["registered", "people"]].astype(float)
    return _rates(strata, esp2013(), per, level)


def _ratios(table: pd.DataFrame, reference: Any, level: float) -> pd.DataFrame:
    """Each group's standardised rate over the reference group's, with the interval of the log
    ratio (the variances of the two log rates added)."""
    z = _z(level)
    ref_rate, ref_var = table.loc[reference, "standardised_rate"], table.loc[reference, "standardised_variance"]
    ratio = table["standardised_rate"] / ref_rate
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * np.sqrt(table["standardised_variance"] / table["standardised_rate"] ** 2 + ref_var / ref_rate**2)
    table["rate_ratio"] = ratio
    table["ratio_low"], table["ratio_high"] = ratio * np.exp(-spread), ratio * np.exp(spread)
    return table


def _reference(table: pd.DataFrame, by: str) -> Any:
    if by in ("imd_quintile", "imd_decile"):
        return table.index.max()  # the least deprived
    return table["registered"].idxmax()


# ----------------------------------------------------------------------------- inequality
def _weighted_fit(x: np.ndarray, y: np.ndarray, variance: np.ndarray) -> tuple[float, float, float, float]:
    """Intercept and slope of y on x weighted by 1 / variance, with their standard errors,
    widened by the residual dispersion where it is over 1 (extra-Poisson variation)."""
    w = 1 / variance
    design = np.column_stack([np.ones_like(x), x])
    covariance = np.linalg.inv(design.T @ (design * w[:, None]))
    coef = covariance @ design.T @ (w * y)
    residual = y - design @ coef
    dispersion = max(1.0, float(np.sum(w * residual**2)) / (len(x) - 2)) if len(x) > 2 else 1.0
    se = np.sqrt(np.diag(covariance) * dispersion)
    return float(coef[0]), float(coef[1]), float(se[0]), float(se[1])


def inequality_indices(deciles: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """SII and RII over IMD groups ordered from most deprived (a table with ``registered``,
    ``standardised_rate`` and its ``_variance``, indexed by group). Each group sits at the
    midpoint of its cumulative share of the registered (its ridit, 0 most deprived, 1 least);
    SII is the fitted rate at the most deprived end less that at the least (> 0: the most
    deprived are reached more); RII is their ratio from the fit of the log rate."""
    d = deciles.sort_index().dropna(subset=["standardised_rate", "standardised_variance"])
    d = d[d["standardised_rate"] > 0]
    z = _z(level)
    if len(d) < 3:
        nan = [np.nan] * 2
        return pd.DataFrame({"measure": ["slope index of inequality", "relative index of inequality"],
                             "estimate": nan, "low": nan, "high": nan, "note": "fewer than 3 groups with a rate"})
    share = d["registered"].to_numpy(float) / d["registered"].sum()
    ridit = np.cumsum(share) - share / 2
    rate, variance = d["standardised_rate"].to_numpy(float), d["standardised_variance"].to_numpy(float)
    _, slope, _, se = _weighted_fit(ridit, rate, variance)
    _, log_slope, _, log_se = _weighted_fit(ridit, np.log(rate), variance / rate**2)
    note = f"over {len(d)} groups"
    return pd.DataFrame({
        "measure": ["slope index of inequality", "relative index of inequality"],
        "estimate": [-slope, math.exp(-log_slope)],
        "low": [-slope - z * se, math.exp(-log_slope - z * log_se)],
        "high": [-slope + z * se, math.exp(-log_slope + z * log_se)],
        "note": [note, note]})


# ----------------------------------------------------------------------------- conversion
def _conversion(people: pd.DataFrame, by: str, level: float) -> pd.DataFrame:
    rows = []
    for source, target in TRANSITIONS:
        at = people[people[source]]
        counts = at.groupby(at[by].astype(object), sort=True)[target].agg(["size", "sum"])
        for group, (n, x) in counts.iterrows():
            rows.append((group, source, target, int(n), int(x)))
    frame = pd.DataFrame(rows, columns=[by, "from_stage", "to_stage", "people", "converted"])
    frame["share"] = frame["converted"] / frame["people"]
    frame["share_low"], frame["share_high"] = wilson_interval(frame["converted"], frame["people"], level)
    return frame


def _tests(conversion: pd.DataFrame, ordered: bool) -> pd.DataFrame:
    """Per transition: the chi-squared test for trend over ordered groups (Cochran-Armitage,
    scores 1, 2, ...), else for any difference between groups."""
    rows = []
    for (source, target), block in conversion.groupby(["from_stage", "to_stage"], sort=False):
        n, x = block["people"].to_numpy(float), block["converted"].to_numpy(float)
        p = x.sum() / n.sum() if n.sum() else np.nan
        if len(block) < 2 or not 0 < p < 1:
            rows.append((source, target, "none", np.nan, 0, np.nan))
            continue
        if ordered:
            score = np.arange(1.0, len(block) + 1)
            mean = np.sum(n * score) / n.sum()
            chi2 = np.sum(x * (score - mean)) ** 2 / (p * (1 - p) * np.sum(n * (score - mean) ** 2))
            rows.append((source, target, "trend", chi2, 1, chi2_sf(chi2, 1)))
        else:
            expected = np.column_stack([n * p, n * (1 - p)])
            chi2 = float(np.sum((np.column_stack([x, n - x]) - expected) ** 2 / expected))
            rows.append((source, target, "difference", chi2, len(block) - 1, chi2_sf(chi2, len(block) - 1)))
    return pd.DataFrame(rows, columns=["from_stage", "to_stage", "test", "chi2", "df", "p_value"])


# ----------------------------------------------------------------------------- entry points
def equity(ev: Evaluation, *, by: str = "imd_quintile", population: Any, stage: str = "referred", per: int = 1000,
           level: float = 0.95) -> EquityResult:
    """Rates of ``stage`` (one of ``PATHWAY_STAGES``) per ``per`` registered, by ``by`` (one of
    ``GROUPINGS``), against ``population`` (see ``socialrx.population.registered_population``);
    see the module docstring for the figures."""
    if stage not in PATHWAY_STAGES:
        raise ValueError(f"stage: must be one of {', '.join(PATHWAY_STAGES)}, got {stage!r}")
    if by not in GROUPINGS:
        raise ValueError(f"by: must be one of {', '.join(GROUPINGS)}, got {by!r}")
    registered = registered_population(population)
    strata, people, exclusions = _strata(ev, registered, by, stage)
    weights = esp2013()
    rates = _rates(strata, weights, per, level)
    reference = _reference(rates, by)
    rates = _ratios(rates, reference, level)
    inequality = _inequality(ev, registered, rates, by, stage, per, level)
    table = rates.rename_axis(by).reset_index()
    conversion = _conversion(people, by, level)
    return EquityResult(by=by, stage=stage, per=per, level=level, reference=reference, table=table,
                        inequality=inequality, conversion=conversion,
                        tests=_tests(conversion, by in ORDERED_GROUPINGS), exclusions=exclusions,
                        standard=str(weights.attrs["source"]))


def _inequality(ev: Evaluation, registered: pd.DataFrame, rates: pd.DataFrame, by: str, stage: str, per: int,
                level: float) -> pd.DataFrame:
    """The rate ratio of the most to the least deprived, and the SII and RII over deciles (over
    quintiles where the population has no deciles); empty when ``by`` is not IMD."""
    if by not in ("imd_quintile", "imd_decile"):
        return pd.DataFrame(columns=["measure", "estimate", "low", "high", "note"])
    most = rates.index.min()
    ratio = pd.DataFrame({"measure": ["rate ratio, most to least deprived"],
                          "estimate": [rates.loc[most, "rate_ratio"]], "low": [rates.loc[most, "ratio_low"]],
                          "high": [rates.loc[most, "ratio_high"]],
                          "note": [f"{by} {most} to {rates.index.max()}, standardised"]})
    scale = "imd_decile" if "imd_decile" in registered else by
    groups = rates if scale == by else _rates(_strata(ev, registered, scale, stage)[0], esp2013(), per, level)
    indices = inequality_indices(groups, level)
    indices["note"] = indices["note"] + f" ({scale})"
    return pd.concat([ratio, indices], ignore_index=True)


def equity_effects(ev: Evaluation, *, by: str = "imd_quintile", match: Match | None = None,
                   windows: Sequence[Any] = (12,), bootstrap: int = 500, seed: int = 1, level: float = 0.95,
                   framework: str = "dudley7") -> pd.DataFrame:
    """Do the groups benefit alike? Per group: each outcome domain's share managing before and
    after (the estimate: after, with its Wilson interval) over the group's clients rated both
    times, and the matched
    difference-in-differences per window and event kind (``match.did(clients=...)``, bootstrap
    intervals) over the group's matched clients.

    Columns: ``by`` group, ``figure`` (outcome / did), ``measure`` (domain, or window and kind),
    ``clients``, ``before``, ``after``, ``estimate``, ``low``, ``high``.
    """
    groups = _client_frame(ev)
    if by not in groups:
        raise ValueError(f"by: clients have no column {by!r}")
    labels = groups[by]
    ids = ev.client_columns["client_id"]
    rows: list[dict[str, Any]] = []
    for group in sorted(labels.dropna().unique()):
        members = ids[(labels == group).fillna(False).to_numpy(bool)]
        if ev.assessments is not None:
            rows += _outcome_rows(ev, members, framework, level, by, group)
        if match is not None:
            rows += _did_rows(match, members, windows, bootstrap, seed, level, by, group)
    return pd.DataFrame(rows, columns=[by, "figure", "measure", "clients", "before", "after", "estimate", "low",
                                       "high"])


def _outcome_rows(ev: Evaluation, members: np.ndarray, framework: str, level: float, by: str,
                  group: Any) -> list[dict[str, Any]]:
    assessments = ev.assessments[ev.assessments["client_id"].isin(members)]
    if assessments.empty:
        return []
    table = domain_outcomes(assessments, client_ids=members, framework=framework)
    low, high = wilson_interval(table["m_post"], table["clients"], level)
    with np.errstate(divide="ignore", invalid="ignore"):
        before, after = table["m_pre"] / table["clients"], table["m_post"] / table["clients"]
    return [{by: group, "figure": "outcome", "measure": f"{domain}: share managing", "clients": int(clients),
             "before": b, "after": a, "estimate": a, "low": lo, "high": hi}
            for domain, clients, b, a, lo, hi in zip(table["domain"], table["clients"], before, after, low, high)]


def _did_rows(match: Match, members: np.ndarray, windows: Sequence[Any], bootstrap: int, seed: int, level: float,
              by: str, group: Any) -> list[dict[str, Any]]:
    matched = match.matches()["client_id"].isin(members)
    if not matched.any():
        return []
    table = match.did(windows=windows, bootstrap=bootstrap, seed=seed, level=level, clients=members).table
    table = table[table["kind"] != "all_kinds_pence"]
    return [{by: group, "figure": "did", "measure": f"{row.window} {row.kind}: events avoided per client",
             "clients": int(row.matched_clients), "before": row.events_before_per_client,
             "after": row.events_after_per_client, "estimate": row.events_avoided_per_client,
             "low": row.events_avoided_ci_low, "high": row.events_avoided_ci_high}
            for row in table.itertuples()]
