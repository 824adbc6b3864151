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
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._columns import NO_DATE, as_day

__all__ = ["SyntheticService", "synthetic"]

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


def synthetic(n_clients: int = 3000, n_comparison: int = 30000, seed: int = 1,
              true_effect: float = 0.0, *, data_start: Any = "2019-04-01",
              data_end: Any = "2025-03-31", threads: int = 0,
              connect_rate: float = 0.72) -> SyntheticService:
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
    return SyntheticService(
        clients=_clients(raw["clients"], labels),
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
        interventions=pd.DataFrame({
            "client_id": interventions["client_id"],
            "date": _dates(interventions["date"]),
            "kind": _categorical(interventions["kind"], labels["intervention_kind"]),
            "organisation": _categorical(interventions["organisation"], labels["organisation"]),
            "sector": _categorical(interventions["sector"], labels["sector"]),
            "cost_pence": interventions["cost_pence"],
        }),
        feedback=pd.DataFrame({
            "client_id": feedback["client_id"],
            "date": _dates(feedback["date"]),
            "stars": feedback["stars"].astype(np.int8),
            "impact": _categorical(feedback["impact"], labels["impact"]),
            "connected_to_services": feedback["connected_to_services"].view(bool),
        }),
        data_start=pd.Timestamp(np.datetime64(start, "D")),
        data_end=pd.Timestamp(np.datetime64(end, "D")),
        truth=dict(raw["truth"]),
    )
