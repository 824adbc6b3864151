"""Synthetic social prescribing services with a known true effect.

Clients are referred because their recent use of urgent care was high, so their use falls
after they connect even when the service does nothing (regression to the mean). ``true_effect``
is the share of every kind of event that connected clients do not have in the 12 months after
their index date. A comparison pool of non-referred patients, some of whom had a crisis of
their own, lets a matched comparison recover the true effect where a before/after cannot.

>>> s = synthetic(n_clients=500, n_comparison=2000, seed=3, true_effect=0.2)
>>> s.truth["true_effect"]
0.2
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import _core
from ._columns import NO_DATE, as_day
from .funding import apportion
from .operations import DELIVERED_BY, PANDEMIC_KINDS
from .partitioned import split
from .periods import calendar_periods
from .population import AGE_BANDS, esp2013, imd_quintiles
from .support import BENEFIT_AWARD, FUNDED_BY
from .surveys import SURVEY_COLUMNS

__all__ = ["PartitionedParquet", "SyntheticService", "synthetic", "synthetic_parquet"]

_NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class SyntheticService:
    """The tables of a synthetic service and the model they were drawn from.

    Attributes:
        clients: one row per referral (``index_date`` is NaT for those who never connected).
        comparison: non-referred patients, the pool for a matched comparison.
        events: health-service use of clients and comparison patients, in no particular order;
            ``person_id`` is a ``client_id`` or a ``patient_id``.
        assessments: long format ratings of connected clients (dudley7, swemwbs, ons4).
        interventions: support given to connected clients, with costs in pence.
        feedback: ratings of the service by some connected clients after discharge.
        data_start, data_end: the period the events cover (both inclusive).
        truth: the true effect and the utilisation model's parameters.
        funding: the grants that paid for the service (``funder, start, end, pence``): match
            funding by the CCG and the Department of Health, as the seed service had.
        population: with ``access_gap``, the registered population the clients were drawn from
            (see ``socialrx.population``), and ``truth["equity"]`` its true rate ratio.
        surveys: the GP practice survey (seed 000's shares: all good or excellent, 8 in 9 saying
            the link officers added value to MDT meetings); the feedback's ``most_valuable``
            (99% quality time and listening, seed 003) and ``comments`` are client feedback.
        meetings: complex-case reviews (weekly in the first pandemic wave, then monthly) and
            monthly MDT meetings per locality. Clients carry their ``link_worker`` (two per
            locality) and, referred in the first pandemic year, ``self``, ``agency`` and
            ``helpline`` sources; interventions carry ``delivered_by`` and ``link_worker``
            (where the other worker of the pair made the contact), with the pandemic kinds
            (volunteers' food and medication deliveries, food bank referrals, befriending
            calls weekly or twice a week, helpline calls) for clients connected then.
    """

    clients: pd.DataFrame
    comparison: pd.DataFrame
    events: pd.DataFrame
    assessments: pd.DataFrame
    interventions: pd.DataFrame
    feedback: pd.DataFrame
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    truth: dict[str, Any]
    population: pd.DataFrame | None = None
    funding: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    meetings: pd.DataFrame | None = None

    def _repr_html_(self) -> str:
        connected = int(self.clients["index_date"].notna().sum())
        rows = [
            ("clients", f"{len(self.clients):,} ({connected:,} connected)"),
            ("comparison patients", f"{len(self.comparison):,}"),
            ("events", f"{len(self.events):,}"),
            ("assessments", f"{len(self.assessments):,}"),
            ("interventions", f"{len(self.interventions):,}"),
            ("feedback", f"{len(self.feedback):,}"),
            ("data", f"{self.data_start:%Y-%m-%d} to {self.data_end:%Y-%m-%d}"),
            ("true effect", f"{self.truth['true_effect']:.0%} fewer events in the "
                            f"{self.truth['effect_days']} days after index"),
        ]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
                       f"<td style='text-align:right'>{html.escape(value)}</td></tr>"
                       for name, value in rows)
        return f"<table><caption>Synthetic service</caption>{body}</table>"


def _dates(days: np.ndarray) -> np.ndarray:
    """int32 days since 1970-01-01 (``NO_DATE``: missing) as datetime64[ns] with NaT."""
    nanoseconds = days.astype(np.int64) * _NS_PER_DAY
    nanoseconds[days == NO_DATE] = np.iinfo(np.int64).min  # NaT
    return nanoseconds.view("datetime64[ns]")


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8 if len(categories) < 128 else np.int32),
                                     categories=pd.Index(categories))


def _reason_strings(bits: np.ndarray, reasons: list[str]) -> np.ndarray:
    """Each client's reason bit set as 'isolation;depression_anxiety' (in label order)."""
    unique, inverse = np.unique(bits, return_inverse=True)
    joined = np.array([";".join(r for i, r in enumerate(reasons) if int(u) >> i & 1)
                       for u in unique], dtype=object)
    return joined[inverse]


def _clients(t: dict[str, np.ndarray], labels: dict[str, Any]) -> pd.DataFrame:
    referral = _dates(t["referral_date"])
    referral_year = (t["referral_date"].astype("datetime64[D]").astype("datetime64[Y]")
                     .astype(np.int64) + 1970)
    return pd.DataFrame({
        "client_id": t["client_id"],
        "referral_date": referral,
        "index_date": _dates(t["index_date"]),
        "discharge_date": _dates(t["discharge_date"]),
        "birth_year": t["birth_year"],
        "age": (referral_year - t["birth_year"]).astype(np.int32),
        "sex": _categorical(t["sex"], labels["sex"]),
        "practice": _categorical(t["practice"], labels["practice"]),
        "locality": _categorical(t["locality"], labels["locality"]),
        "referral_source": _categorical(t["referral_source"], labels["referral_source"]),
        "referral_reasons": _reason_strings(t["referral_reasons"], labels["referral_reason"]),
        "carer": t["carer"].view(bool),
        "status": _categorical(t["status"], labels["status"]),
        "deprivation_decile": t["deprivation_decile"],
    })


def _comparison(t: dict[str, np.ndarray], labels: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": t["patient_id"],
        "birth_year": t["birth_year"],
        "sex": _categorical(t["sex"], labels["sex"]),
        "practice": _categorical(t["practice"], labels["practice"]),
        "locality": _categorical(t["locality"], labels["locality"]),
        "deprivation_decile": t["deprivation_decile"],
    })


_NEED_GRADIENT = 1.5  # need in the most deprived IMD quintile over the least deprived
# Need by ESP2013 age band: none under 15, rising with age (social prescribing is mostly adult).
_NEED_BY_AGE = np.array([0, 0, 0, *np.linspace(0.5, 3.0, 16)])
_FEMALE_NEED = 1.3


def _registered(practices: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """Registered patients per practice x IMD decile x ESP2013 age band x sex: each practice
    has a list of 6,000-12,000 and a home decile its patients mostly live near; more deprived
    deciles are younger."""
    weights = esp2013().to_numpy(float)
    deciles, bands = np.arange(1, 11), np.arange(len(AGE_BANDS))
    home = rng.integers(1, 11, len(practices))
    size = rng.integers(6_000, 12_001, len(practices))
    near = np.exp(-np.abs(deciles[None, :] - home[:, None]))  # [practice, decile]
    near /= near.sum(axis=1, keepdims=True)
    younger = np.exp(-0.04 * (5.5 - deciles[:, None]) * (bands[None, :] - 9))  # [decile, band]
    ages = weights[None, :] * younger
    ages /= ages.sum(axis=1, keepdims=True)
    cells = size[:, None, None] * near[:, :, None] * ages[None, :, :] / 2  # each sex half
    p, d, a = (axis.ravel() for axis in np.meshgrid(np.arange(len(practices)), deciles - 1, bands, indexing="ij"))
    counts = np.round(cells.ravel()).astype(np.int64)
    frame = pd.DataFrame({"practice": np.array(practices, dtype=object)[p], "imd_decile": d + 1,
                          "imd_quintile": imd_quintiles(d + 1), "age_band": np.array(AGE_BANDS, dtype=object)[a]})
    return pd.concat([frame.assign(sex="female", registered=counts), frame.assign(sex="male", registered=counts)],
                     ignore_index=True)


def _drawn_from_population(clients: pd.DataFrame, access_gap: float, seed: int
                           ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """A registered population, and the clients given the practice, decile, age and sex of
    people drawn from it at a rate of need x access (see :func:`synthetic`)."""
    if not access_gap > 0:
        raise ValueError(f"synthetic.access_gap: must be > 0, got {access_gap!r}")
    rng = np.random.default_rng([int(seed), 15])
    practices = [str(p) for p in clients["practice"].cat.categories]
    population = _registered(practices, rng)
    steps = (5 - population["imd_quintile"].to_numpy()) / 4  # 1 in the most deprived quintile, 0 in the least
    band = pd.Categorical(population["age_band"], categories=list(AGE_BANDS)).codes
    rate = (_NEED_BY_AGE[band] * np.where(population["sex"] == "female", _FEMALE_NEED, 1.0)
            * _NEED_GRADIENT**steps * float(access_gap)**steps)
    weight = population["registered"].to_numpy(float) * rate
    drawn = population.iloc[rng.choice(len(population), size=len(clients), p=weight / weight.sum())]
    lower = np.array([int(b.rstrip("+").split("-")[0]) for b in drawn["age_band"]])
    age = lower + rng.integers(0, 5, len(drawn)) + np.where(lower == 90, rng.integers(0, 6, len(drawn)), 0)
    referral_year = clients["referral_date"].dt.year.to_numpy()
    locality = (clients.groupby("practice", observed=True)["locality"].first().astype(object))
    out = clients.assign(
        practice=pd.Categorical(drawn["practice"].to_numpy(), categories=clients["practice"].cat.categories),
        sex=pd.Categorical(drawn["sex"].to_numpy(), categories=clients["sex"].cat.categories),
        age=age.astype(np.int32), birth_year=(referral_year - age).astype(clients["birth_year"].dtype),
        deprivation_decile=drawn["imd_decile"].to_numpy().astype(clients["deprivation_decile"].dtype))
    out["locality"] = pd.Categorical(out["practice"].astype(object).map(locality).to_numpy(),
                                     categories=clients["locality"].cat.categories)
    truth = {"access_gap": float(access_gap), "need_gradient": _NEED_GRADIENT,
             "rate_ratio": _NEED_GRADIENT * float(access_gap)}
    return out, population, truth


def synthetic(n_clients: int = 3000, n_comparison: int = 30000, seed: int = 1,
              true_effect: float = 0.0, *, data_start: Any = "2019-04-01",
              data_end: Any = "2025-03-31", threads: int = 0,
              connect_rate: float = 0.72, access_gap: float | None = None) -> SyntheticService:
    """Generate a synthetic service.

    Args:
        n_clients: people referred (ids 1, 2, ...).
        n_comparison: non-referred patients (ids 10,000,000, 10,000,001, ...).
        seed: the same seed gives the same tables for any number of threads.
        true_effect: share of connected clients' events of every kind removed in the 12 months
            after their index date, in [0, 1).
        data_start, data_end: the period covered (dates or ISO strings, both inclusive).
        threads: threads to generate on; 0 uses all hardware threads.
        connect_rate: share of referrals who connect with the service.
        access_gap: with it, a registered population is made (``population``), with more need
            in more deprived areas (``need_gradient`` 1.5: the most deprived IMD quintile's
            need over the least's), and the clients are drawn from it at rates of need times
            access, the most deprived quintile's access ``access_gap`` times the least's: the
            true age-sex standardised rate ratio of the most to the least deprived quintile is
            ``need_gradient * access_gap`` (``truth["equity"]``). Clients' practice, IMD
            decile, age and sex are those drawn; their other columns and events are unchanged.

    Raises:
        ValueError: for a config that cannot be generated, naming the parameter.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ValueError(f"synthetic.seed: must be a whole number in [0, 2**64), got {seed!r}")
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 0:
        raise ValueError(f"synthetic.threads: must be a whole number >= 0, got {threads!r}")
    start, end = as_day(data_start, "data_start"), as_day(data_end, "data_end")
    raw = _core.generate_service(int(n_clients), int(n_comparison), int(seed), float(true_effect),
                                 start, end, int(threads), float(connect_rate))
    labels = raw["labels"]
    events, assessments = raw["events"], raw["assessments"]
    interventions, feedback = raw["interventions"], raw["feedback"]
    clients, population, equity_truth = _clients(raw["clients"], labels), None, None
    if access_gap is not None:
        clients, population, equity_truth = _drawn_from_population(clients, access_gap, seed)
    clients = _with_workers(clients, seed)
    return SyntheticService(
        population=population,
        clients=clients,
        comparison=_comparison(raw["comparison"], labels),
        events=pd.DataFrame({  # the largest table: no copy of the generated columns
            "person_id": events["person_id"],
            "date": _dates(events["date"]),
            "kind": _categorical(events["kind"], list(_core.EVENT_KINDS)),
        }, copy=False),
        assessments=pd.DataFrame({
            "client_id": assessments["client_id"],
            "date": _dates(assessments["date"]),
            "timepoint": _categorical(assessments["timepoint"], labels["timepoint"]),
            "instrument": _categorical(assessments["instrument"], labels["instrument"]),
            "item": _categorical(assessments["item"], labels["item"]),
            "value": assessments["value"],
        }),
        interventions=_with_operations(_with_money(pd.DataFrame({
            "client_id": interventions["client_id"],
            "date": _dates(interventions["date"]),
            "kind": _categorical(interventions["kind"], labels["intervention_kind"]),
            "organisation": _categorical(interventions["organisation"], labels["organisation"]),
            "sector": _categorical(interventions["sector"], labels["sector"]),
            "cost_pence": interventions["cost_pence"],
        }), clients, end, seed), clients, end, seed),
        funding=_funding(start, end, seed),
        surveys=_surveys(clients, start, end, seed),
        meetings=_meetings(clients, start, end, seed),
        feedback=_with_most_valuable(pd.DataFrame({
            "client_id": feedback["client_id"],
            "date": _dates(feedback["date"]),
            "stars": feedback["stars"].astype(np.int8),
            "impact": _categorical(feedback["impact"], labels["impact"]),
            "connected_to_services": feedback["connected_to_services"].view(bool),
        }), seed),
        data_start=pd.Timestamp(np.datetime64(start, "D")),
        data_end=pd.Timestamp(np.datetime64(end, "D")),
        truth={**raw["truth"], **({} if equity_truth is None else {"equity": equity_truth})},
    )


# Money, drawn in Python on top of the generated tables from a stream of its own (the seed's).
_MONEY_STREAM = 12
# Grants and vouchers secured from others for clients (seed 001: a charity's grants for carpets
# and a fridge freezer, food bank vouchers) rather than paid by the service.
_EXTERNAL_SHARE = 0.6
# What personal health budgets bought (seed 001: transport to peer support groups, tablets).
_PHB_CATEGORIES = {"transport": 0.45, "activity fees": 0.25, "tablet computer": 0.2, "other": 0.1}
# Benefit awards and their value a year: DWP weekly rates 2024 to 2025 x 52 weeks. Seed 001's
# client was awarded PIP at the enhanced daily living (£108.55) and mobility (£75.75) rates.
_AWARDS = {"Personal Independence Payment": 52 * (10_855 + 7_575),
           "Personal Independence Payment (standard daily living)": 52 * 7_265,
           "Attendance Allowance": 52 * 7_265}
_AWARD_SHARE = 0.06  # connected clients helped to a successful claim
# Each funder's grant a year (match funding: the CCG and the Department of Health pay alike).
_GRANT_PENCE = (3_600_000, 4_000_000)


def _with_money(interventions: pd.DataFrame, clients: pd.DataFrame, end: int, seed: int) -> pd.DataFrame:
    """The interventions with who paid (``funded_by``), what budgets bought (``category``) and,
    appended, benefit awards for some connected clients with their value a year."""
    rng = np.random.default_rng([seed, _MONEY_STREAM])
    kind = interventions["kind"].astype(str).to_numpy()
    secured = np.isin(kind, ["grant", "voucher"]) & (rng.random(len(kind)) < _EXTERNAL_SHARE)
    budget = kind == "personal_health_budget"
    category = np.full(len(kind), None, dtype=object)
    category[budget] = rng.choice(list(_PHB_CATEGORIES), size=int(budget.sum()), p=list(_PHB_CATEGORIES.values()))
    money = interventions.assign(
        kind=interventions["kind"].cat.add_categories([BENEFIT_AWARD]),
        funded_by=pd.Categorical(np.where(secured, "external", "service"), categories=list(FUNDED_BY)),
        category=category, annual_value_pence=pd.array([None] * len(kind), dtype="Int64"))
    return pd.concat([money, _awards(money, clients, end, rng)], ignore_index=True)


def _awards(interventions: pd.DataFrame, clients: pd.DataFrame, end: int, rng: np.random.Generator) -> pd.DataFrame:
    """A benefit award 6 weeks to 6 months after the index date (by the data's end) for a share
    of connected clients."""
    connected = clients[clients["index_date"].notna()]
    chosen = connected[rng.random(len(connected)) < _AWARD_SHARE]
    index = chosen["index_date"].to_numpy("datetime64[D]").astype(np.int64)
    days = np.minimum(index + rng.integers(42, 183, len(chosen)), np.maximum(index, end))
    benefit = rng.choice(list(_AWARDS), size=len(chosen))
    blank = {c: pd.Series([None] * len(chosen), dtype=interventions[c].dtype) for c in ("organisation", "sector")}
    return pd.DataFrame({
        "client_id": chosen["client_id"].to_numpy(),
        "date": days.astype("datetime64[D]").astype("datetime64[ns]"),
        "kind": pd.Series([BENEFIT_AWARD] * len(chosen), dtype=interventions["kind"].dtype),
        **blank,
        "cost_pence": np.zeros(len(chosen), np.int64),
        "funded_by": pd.Categorical(["service"] * len(chosen), categories=list(FUNDED_BY)),
        "category": benefit.astype(object),
        "annual_value_pence": pd.array([_AWARDS[b] for b in benefit], dtype="Int64"),
    })


def _funding(start: int, end: int, seed: int) -> pd.DataFrame:
    """Match funding, one grant per funder a year: the CCG's for each financial year, the
    Department of Health's the same sum for its own year from 1 October. The part of a grant
    outside the data range is left off, apportioned by days (``socialrx.funding``)."""
    rng = np.random.default_rng([seed, _MONEY_STREAM + 1])
    years = calendar_periods("financial_year", start - 183, end)
    rows = []
    for year in years:
        pence = int(rng.integers(_GRANT_PENCE[0] // 100, _GRANT_PENCE[1] // 100 + 1)) * 100  # whole pounds
        # 1 October is 183 days after 1 April, and 30 September 183 days after 31 March.
        rows += [("CCG", year.start, year.end, pence),
                 ("Department of Health", year.start + 183, year.end + 183, pence)]
    kept = []
    for funder, first, last, pence in rows:
        inside = (max(first, start), min(last, end))
        if inside[0] <= inside[1]:
            days = [inside[0] - first, inside[1] - inside[0] + 1, last - inside[1]]
            kept.append((funder, inside[0], inside[1], apportion(pence, days)[1]))
    frame = pd.DataFrame(kept, columns=["funder", "start", "end", "pence"])
    for column in ("start", "end"):
        frame[column] = frame[column].to_numpy(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return frame


# Workforce, operations and surveys, drawn in Python on top of the generated tables from
# streams of their own (the seed's), so the tables above do not change.
_OPERATIONS_STREAM = 20
_SURVEY_STREAM = 21
_WORKERS_PER_LOCALITY = 2  # seed 004: two link workers on the HIU team
_COVERING_SHARE = 0.1  # contacts made by the other link worker of the pair
# The first pandemic year (seed 004), from the first lockdown: referrals then came from the
# public themselves, other agencies and the new helpline as well.
_PANDEMIC = ("2020-03-23", "2021-03-31")
_PANDEMIC_SOURCES = {"self": 0.2, "agency": 0.15, "helpline": 0.1}
# Pandemic support for clients connected in that year: the share who had it, the most rows
# each (at least one), the days between and who delivered it. Befriending calls are weekly, or
# twice a week for a third of clients (every 3 days).
_PANDEMIC_SUPPORT = {"food_delivery": (0.35, 8, 7, "volunteer"), "medication_delivery": (0.25, 6, 14, "volunteer"),
                     "food_bank_referral": (0.15, 1, 0, "staff"), "befriending_call": (0.4, 12, 7, "volunteer")}
_TWICE_WEEKLY = 1 / 3
_PARTNER_KINDS = ("group", "spot_purchase")  # delivered by the organisations commissioned
# Seed 000's GP survey: all rated the service good or excellent, 8 in 9 said the link officers
# added value to MDT meetings, all agreed it reduced inappropriate consultations, most named
# isolation and loneliness as the key benefit. Seed 003: 99% named quality time and listening.
_RATINGS = {"good": 0.25, "very_good": 0.35, "excellent": 0.4}
_MDT_YES = (8, 9)
_KEY_BENEFITS = {"isolation": 0.6, "mental_wellbeing": 0.15, "practical_support": 0.1, "fewer_consultations": 0.1,
                 "other": 0.05}
_MOST_VALUABLE_SHARE = 0.99
_PRACTICE_COMMENTS = ("Our link officer has an excellent rapport with our patients.",
                      "Attends all our MDT meetings and follows up quickly.")
_CLIENT_COMMENTS = ("Thank you for listening to me.", "I feel less alone now.")
_COMMENT_SHARE = 0.3
# Weekly virtual complex-case meetings through the first wave, monthly after (seed 004); a
# GP-led MDT meeting each month in each locality (seed 003).
_WEEKLY_REVIEWS = ("2020-04-06", "2020-08-31")
_MEETING_SIZES = {"complex_case_review": ((5, 11), (2, 9)), "mdt": ((3, 7), (3, 11))}  # organisations, clients


def _days(column: pd.Series) -> np.ndarray:
    """A datetime column as int64 days (NaT: ``NO_DATE``)."""
    return np.where(column.isna(), NO_DATE, column.to_numpy("datetime64[D]").astype(np.int64))


def _or_none(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``mask``, None elsewhere (an object column with gaps)."""
    out = np.full(len(mask), None, dtype=object)
    out[mask] = values[mask]
    return out


def _with_workers(clients: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each connected client's link worker (two per locality) and, for referrals in the first
    pandemic year, self, agency and helpline referral sources."""
    rng = np.random.default_rng([seed, _OPERATIONS_STREAM])
    locality = clients["locality"].cat.codes.to_numpy()
    number = locality * _WORKERS_PER_LOCALITY + rng.integers(0, _WORKERS_PER_LOCALITY, len(clients)) + 1
    worker = np.array([f"LW{n:02d}" for n in number], dtype=object)
    worker[clients["index_date"].isna().to_numpy()] = None
    referred = _days(clients["referral_date"])
    first, last = (as_day(day, "pandemic") for day in _PANDEMIC)
    draw = rng.choice([*_PANDEMIC_SOURCES, "unchanged"], size=len(clients),
                      p=[*_PANDEMIC_SOURCES.values(), 1 - sum(_PANDEMIC_SOURCES.values())])
    relabel = (referred >= first) & (referred <= last) & (draw != "unchanged")
    source = clients["referral_source"].cat.add_categories([s for s in _PANDEMIC_SOURCES
                                                            if s not in clients["referral_source"].cat.categories])
    source[relabel] = draw[relabel]
    return clients.assign(link_worker=worker, referral_source=source)


def _series(first: np.ndarray, counts: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``counts[i]`` times for each i, dated first[i], first[i] + gaps[i], ...: (i, day)."""
    owner = np.repeat(np.arange(len(counts)), counts)
    step = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, first[owner] + step * gaps[owner]


def _pandemic_rows(clients: pd.DataFrame, end: int, rng: np.random.Generator) -> pd.DataFrame:
    """Deliveries, food bank referrals and befriending calls for clients connected in the first
    pandemic year, and a helpline call on the referral day of those referred by the helpline who
    connected (interventions are for connected clients only)."""
    index = _days(clients["index_date"])
    first, last = (as_day(day, "pandemic") for day in _PANDEMIC)
    eligible = (index >= first) & (index <= last)
    parts = []
    for kind, (share, most, gap, who) in _PANDEMIC_SUPPORT.items():
        chosen = np.flatnonzero(eligible & (rng.random(len(clients)) < share))
        gaps = np.where(rng.random(len(chosen)) < _TWICE_WEEKLY, 3, gap) if kind == "befriending_call" \
            else np.full(len(chosen), gap)
        owner, day = _series(index[chosen] + rng.integers(0, 7, len(chosen)), rng.integers(1, most + 1, len(chosen)),
                             gaps)
        parts.append((chosen[owner], day, kind, who))
    helpline = np.flatnonzero((clients["referral_source"] == "helpline").to_numpy() & (index != NO_DATE))
    parts.append((helpline, _days(clients["referral_date"])[helpline], "helpline_call", "staff"))
    rows = pd.DataFrame({"client_id": np.concatenate([clients["client_id"].to_numpy()[p[0]] for p in parts]),
                         "day": np.concatenate([p[1] for p in parts]),
                         "kind": np.concatenate([[p[2]] * len(p[0]) for p in parts]).astype(object),
                         "delivered_by": np.concatenate([[p[3]] * len(p[0]) for p in parts]).astype(object)})
    return rows[rows["day"] <= end]


def _with_operations(interventions: pd.DataFrame, clients: pd.DataFrame, end: int, seed: int) -> pd.DataFrame:
    """The interventions with who delivered them and, where the other link worker of the pair
    made a contact, that worker; the pandemic support appended."""
    rng = np.random.default_rng([seed, _OPERATIONS_STREAM + 1])
    kind = interventions["kind"].astype(str).to_numpy()
    own = clients.set_index("client_id")["link_worker"].reindex(interventions["client_id"]).to_numpy(dtype=object)
    covering = np.isin(kind, ["contact_phone", "contact_visit"]) & (rng.random(len(kind)) < _COVERING_SHARE)
    other = np.array([None if w is None else f"LW{int(w[2:]) + (1 if int(w[2:]) % 2 else -1):02d}" for w in own],
                     dtype=object)
    worked = interventions.assign(
        kind=interventions["kind"].cat.add_categories(list(PANDEMIC_KINDS)),
        delivered_by=pd.Categorical(np.where(np.isin(kind, _PARTNER_KINDS), "partner", "staff"),
                                    categories=list(DELIVERED_BY)),
        link_worker=_or_none(covering, other))
    added = _pandemic_rows(clients, end, rng)
    blank = {c: pd.Series([None] * len(added), dtype=worked[c].dtype) for c in ("organisation", "sector", "category")}
    return pd.concat([worked, pd.DataFrame({
        "client_id": added["client_id"].to_numpy(),
        "date": added["day"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]"),
        "kind": pd.Categorical(added["kind"], categories=worked["kind"].cat.categories), **blank,
        "cost_pence": np.zeros(len(added), np.int64),
        "funded_by": pd.Categorical(["service"] * len(added), categories=list(FUNDED_BY)),
        "annual_value_pence": pd.array([None] * len(added), dtype="Int64"),
        "delivered_by": pd.Categorical(added["delivered_by"], categories=list(DELIVERED_BY)),
        "link_worker": np.full(len(added), None, dtype=object)})], ignore_index=True)


def _with_most_valuable(feedback: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Feedback with the most valuable part of support (99% quality time and listening) and a
    comment on some forms."""
    rng = np.random.default_rng([seed, _SURVEY_STREAM])
    forms = len(feedback)
    listening = round(_MOST_VALUABLE_SHARE * forms)
    others = ["activities", "practical_help", "information", "other"]
    most = rng.permutation(np.concatenate([np.full(listening, "quality_time", dtype=object),
                                           rng.choice(others, size=forms - listening).astype(object)]))
    comments = _or_none(rng.random(forms) < _COMMENT_SHARE, rng.choice(_CLIENT_COMMENTS, size=forms))
    return feedback.assign(most_valuable=most, comments=comments)


def _surveys(clients: pd.DataFrame, start: int, end: int, seed: int) -> pd.DataFrame:
    """The GP practice survey at the end of the first year, answered by a multiple of nine
    practices (all of them, if fewer than nine), so that 8 in 9 saying yes is exact."""
    rng = np.random.default_rng([seed, _SURVEY_STREAM + 1])
    practices = sorted(clients["practice"].dropna().astype(str).unique())
    asked = len(practices) // _MDT_YES[1] * _MDT_YES[1] or len(practices)
    chosen = sorted(rng.choice(practices, size=asked, replace=False))
    yes = round(asked * _MDT_YES[0] / _MDT_YES[1])
    answers = {
        "overall_rating": rng.choice(list(_RATINGS), size=asked, p=list(_RATINGS.values())),
        "mdt_added_value": rng.permutation(["yes"] * yes + list(rng.choice(["no", "unsure"], size=asked - yes))),
        "reduced_inappropriate_consultations": rng.choice(["agree", "strongly_agree"], size=asked),
        "key_benefit": rng.choice(list(_KEY_BENEFITS), size=asked, p=list(_KEY_BENEFITS.values())),
        "comments": _or_none(rng.random(asked) < _COMMENT_SHARE, rng.choice(_PRACTICE_COMMENTS, size=asked)),
    }
    day = np.datetime64(min(start + 364, end), "D").astype("datetime64[ns]")
    return pd.DataFrame([(practice, "practice", "gp_practice", day, question, values[i])
                         for question, values in answers.items() for i, practice in enumerate(chosen)],
                        columns=list(SURVEY_COLUMNS))


def _meetings(clients: pd.DataFrame, start: int, end: int, seed: int) -> pd.DataFrame:
    """Complex-case reviews weekly through the first wave and monthly after; an MDT meeting in
    each locality each month; each with the organisations taking part and clients discussed."""
    rng = np.random.default_rng([seed, _SURVEY_STREAM + 2])
    weekly_from, weekly_to = (as_day(day, "meetings") for day in _WEEKLY_REVIEWS)
    months = [p.start for p in calendar_periods("month", start, end)]
    reviews = [*range(weekly_from, weekly_to + 1, 7), *(m for m in months if m > weekly_to)]
    localities = len(clients["locality"].cat.categories)
    mdts = [m + 6 * locality for m in months for locality in range(localities)]  # within the month
    rows = []
    for kind, days in (("complex_case_review", reviews), ("mdt", mdts)):
        kept = np.array([d for d in days if start <= d <= end], dtype=np.int64)
        (org_low, org_high), (client_low, client_high) = _MEETING_SIZES[kind]
        rows.append(pd.DataFrame({"date": kept.astype("datetime64[D]").astype("datetime64[ns]"), "kind": kind,
                                  "organisations": rng.integers(org_low, org_high, len(kept)),
                                  "clients": rng.integers(client_low, client_high, len(kept))}))
    return pd.concat(rows, ignore_index=True).sort_values("date", kind="stable", ignore_index=True)


_FIRST_COMPARISON_ID = 10_000_000  # synth::kFirstComparisonId: synthetic()'s comparison ids start here
# 900,000 people a year referred to social prescribing, the NHS Long Term Plan's aim for 2023/24,
# is 1.5% of England's 60M registered patients.
_NATIONAL_CLIENT_SHARE = 0.015


@dataclass(frozen=True)
class PartitionedParquet:
    """Where :func:`synthetic_parquet` wrote a population, and how many rows.

    Attributes:
        path: the root; ``path/<table>/partition=<p>/*.parquet`` for clients, comparison, events.
        partitions: how many partitions (``socialrx.partitioned.partition_of`` of the person id).
        rows: rows written per table.
        data_start, data_end: the period the events cover (both inclusive).
    """

    path: Path
    partitions: int
    rows: dict[str, int]
    data_start: pd.Timestamp
    data_end: pd.Timestamp

    def table(self, name: str) -> Path:
        """The directory of one table (``clients``, ``comparison`` or ``events``)."""
        return self.path / name


def _renumbered(ids: np.ndarray, first: int, clients: int) -> np.ndarray:
    """synthetic()'s ids (clients 1.., comparison 10,000,000..) as ``first``, ``first + 1``, ...:
    clients first, then the comparison patients."""
    comparison = ids >= _FIRST_COMPARISON_ID
    return np.where(comparison, ids - _FIRST_COMPARISON_ID + clients + 1, ids) + (first - 1)


# Rows per Parquet row group, as Parquet writers make them by default. The dataset writer split
# by partition flushes whatever it has queued once its queue fills, so with 64 partitions it wrote
# row groups of about 32,000 rows; each partition is therefore written as a file of its own.
_ROW_GROUP = 1 << 20


def _write_partitioned(frame: pd.DataFrame, id_column: str, directory: Path, partitions: int, chunk: int) -> None:
    """``frame`` as hive-partitioned Parquet under ``directory`` (``partition=<p>/chunk-<chunk>-0.parquet``),
    dates as date32, the rows of each partition in their order in ``frame``."""
    for p, piece in enumerate(split(frame, id_column, partitions)):
        if len(piece) == 0:
            continue
        table = pa.Table.from_pandas(piece, preserve_index=False)
        for i, column in enumerate(table.schema):
            if pa.types.is_timestamp(column.type):
                table = table.set_column(i, column.name, table.column(i).cast(pa.date32()))
        folder = directory / f"partition={p}"
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, folder / f"chunk-{chunk:05d}-0.parquet", row_group_size=_ROW_GROUP)


def synthetic_parquet(path: Any, *, n_patients: int, partitions: int = 64, seed: int = 1,
                      client_share: float = _NATIONAL_CLIENT_SHARE, true_effect: float = 0.0,
                      patients_per_chunk: int = 500_000, threads: int = 0) -> PartitionedParquet:
    """Write a synthetic population of ``n_patients`` as Parquet partitioned by person id.

    ``path/clients``, ``path/comparison`` and ``path/events`` are hive-partitioned directories
    (``partition=<p>``), a person's rows in partition ``socialrx.partitioned.partition_of(id,
    partitions)`` of every table. The people are made ``patients_per_chunk`` at a time by
    :func:`synthetic` (each chunk its own seed, drawn from ``seed`` and the chunk's number), so
    memory is bounded by one chunk whatever ``n_patients``; ids run 1..``n_patients``.

    Args:
        path: the directory to write into (created; files of the same names are replaced).
        n_patients: registered patients, clients and comparison together.
        partitions: how many partitions each table is split into.
        seed: the same seed and chunk size give the same files.
        client_share: the share of patients referred to the service.
        true_effect: as :func:`synthetic`.
        patients_per_chunk: patients generated at a time.
        threads: as :func:`synthetic`.
    """
    if not 0 < client_share < 1:
        raise ValueError(f"synthetic_parquet.client_share: must be in (0, 1), got {client_share!r}")
    if n_patients < 1 or patients_per_chunk < 1:
        raise ValueError("synthetic_parquet.n_patients, patients_per_chunk: must be at least 1")
    root = Path(path)
    rows = {"clients": 0, "comparison": 0, "events": 0}
    covered: tuple[pd.Timestamp, pd.Timestamp] | None = None
    for chunk, first in enumerate(range(1, n_patients + 1, patients_per_chunk)):
        size = min(patients_per_chunk, n_patients + 1 - first)
        clients = max(1, round(size * client_share))
        chunk_seed = int(np.random.SeedSequence([seed, chunk]).generate_state(1, np.uint64)[0])
        service = synthetic(n_clients=clients, n_comparison=size - clients, seed=chunk_seed,
                            true_effect=true_effect, threads=threads)
        for name, column in (("clients", "client_id"), ("comparison", "patient_id"), ("events", "person_id")):
            frame = getattr(service, name)
            frame[column] = _renumbered(frame[column].to_numpy(), first, clients)
            _write_partitioned(frame, column, root / name, partitions, chunk)
            rows[name] += len(frame)
        covered = (service.data_start, service.data_end)
        del service  # freed before the next chunk is made
    assert covered is not None  # n_patients >= 1: one chunk at least
    return PartitionedParquet(path=root, partitions=partitions, rows=rows, data_start=covered[0],
                              data_end=covered[1])
