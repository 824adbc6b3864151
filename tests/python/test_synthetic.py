"""The synthetic service: determinism, calibration to the Integrated Plus figures, and the
regression to the mean that a known true effect has to be told apart from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from socialrx import _core
from socialrx.synthetic import SyntheticService, synthetic

DOMAINS = {  # first indicator listed first; % reduction in not managing, % increase in managing
    "finance": (["enough_money", "manage_debts", "claiming_benefits"], 81, 48),
    "physical_health": (["long_term_conditions", "active"], 82, 29),
    "mental_health": (["optimistic", "coping"], 76, 58),
    "social_contact": (["face_to_face", "not_lonely"], 80, 35),
    "housing": (["keep_up_rent", "home_suitable"], 82, 24),
    "safety": (["people_to_contact", "safe_at_home"], 83, 24),
    "learning": (["happy_retirement", "learning_new"], 72, 10),
}


@pytest.fixture(scope="module")
def service() -> SyntheticService:
    return synthetic(n_clients=5000, n_comparison=5000, seed=11, threads=2)


def before_after(service: SyntheticService, instrument: str) -> pd.DataFrame:
    """Baseline and final values per (client, item) for clients rated at both."""
    a = service.assessments[service.assessments["instrument"] == instrument]
    wide = a.pivot_table(index=["client_id", "item"], columns="timepoint", values="value",
                         observed=True)
    return wide.dropna(subset=["baseline", "final"])


def ae_post_over_pre(service: SyntheticService) -> float:
    """A&E after / before index (12 months each side) over clients whose windows are covered."""
    c = service.clients.dropna(subset=["index_date"])
    year = pd.Timedelta(days=365)
    covered = (c["index_date"] - year >= service.data_start) & (c["index_date"] + year <= service.data_end)
    c = c[covered]
    e = service.events[service.events["kind"] == "ae_attendance"].merge(
        c[["client_id", "index_date"]], left_on="person_id", right_on="client_id")
    offset = e["date"] - e["index_date"]
    pre = ((offset >= -year) & (offset < pd.Timedelta(0))).sum()
    post = ((offset > pd.Timedelta(0)) & (offset <= year)).sum()
    assert pre > 1000
    return post / pre


def test_same_seed_gives_the_same_tables_for_any_thread_count() -> None:
    one = synthetic(n_clients=1200, n_comparison=2000, seed=5, threads=1)
    two = synthetic(n_clients=1200, n_comparison=2000, seed=5, threads=2)
    for table in ("clients", "comparison", "events", "assessments", "interventions", "feedback"):
        pd.testing.assert_frame_equal(getattr(one, table), getattr(two, table))
    assert len(one.events) > 50_000


def test_different_seeds_give_different_tables() -> None:
    a = synthetic(n_clients=300, n_comparison=300, seed=1)
    b = synthetic(n_clients=300, n_comparison=300, seed=2)
    assert not a.clients["referral_date"].equals(b.clients["referral_date"])
    assert len(a.events) != len(b.events)


def test_ids_dates_and_kinds(service: SyntheticService) -> None:
    c, p, e = service.clients, service.comparison, service.events
    assert c["client_id"].tolist() == list(range(1, 5001))
    assert p["patient_id"].iloc[0] == 10_000_000 and p["patient_id"].iloc[-1] == 10_004_999
    assert not set(c["client_id"]) & set(p["patient_id"])
    assert set(e["person_id"]) <= set(c["client_id"]) | set(p["patient_id"])
    assert e["date"].min() >= pd.Timestamp("2019-04-01")
    assert e["date"].max() <= pd.Timestamp("2025-03-31")
    assert service.data_start == pd.Timestamp("2019-04-01")
    assert list(e["kind"].cat.categories) == list(_core.EVENT_KINDS)
    assert e["kind"].notna().all()


def test_clients_dates_and_status_agree(service: SyntheticService) -> None:
    c = service.clients
    connected = c["index_date"].notna()
    assert (connected == (c["status"] == "connected")).all()
    assert c.loc[~connected, "discharge_date"].isna().all()
    wait = (c["index_date"] - c["referral_date"]).dt.days[connected]
    assert wait.min() == 0 and wait.max() == 30
    support = (c["discharge_date"] - c["index_date"]).dt.days.dropna()
    assert support.min() >= 30 and support.max() <= 183
    assert (c["age"] == c["referral_date"].dt.year - c["birth_year"]).all()
    assert set(c["status"].unique()) == {"connected", "declined", "unable_to_contact", "referred"}
    locality_of = {"P81001": "Brierley Hill", "P81043": "Sedgley, Coseley and Gornal"}
    for practice, locality in locality_of.items():
        assert (c.loc[c["practice"] == practice, "locality"] == locality).all()


def test_who_is_referred(service: SyntheticService) -> None:
    c = service.clients
    assert c["index_date"].notna().mean() == pytest.approx(0.72, abs=0.03)
    assert (c["sex"] == "female").mean() == pytest.approx(0.58, abs=0.03)
    assert (c["age"] >= 64).mean() == pytest.approx(0.60, abs=0.03)
    assert c["age"].between(24, 63).mean() == pytest.approx(0.37, abs=0.03)
    assert (c["age"] <= 23).mean() == pytest.approx(0.03, abs=0.01)
    assert c["carer"].mean() == pytest.approx(0.29, abs=0.03)
    reasons = c["referral_reasons"].str.split(";")
    has = {r: reasons.map(lambda rs, r=r: r in rs) for r in ("isolation", "long_term_condition",
                                                             "depression_anxiety")}
    assert has["isolation"].mean() == pytest.approx(0.25, abs=0.03)
    assert has["long_term_condition"].mean() == pytest.approx(0.17, abs=0.03)
    assert has["depression_anxiety"].mean() == pytest.approx(0.16, abs=0.03)
    both = (has["isolation"] & has["depression_anxiety"]).mean()
    assert both > 2 * has["isolation"].mean() * has["depression_anxiety"].mean()
    # The referred are older and more deprived than the comparison pool.
    p = service.comparison
    assert c["birth_year"].mean() < p["birth_year"].mean() - 5
    assert c["deprivation_decile"].mean() < p["deprivation_decile"].mean() - 0.5


def test_dudley7_domains_match_the_evaluation(service: SyntheticService) -> None:
    wide = before_after(service, "dudley7").reset_index()
    wide["domain"] = wide["item"].astype(str).str.split(".").str[0]
    domain = wide.groupby(["client_id", "domain"])[["baseline", "final"]].min()
    assert domain.index.get_level_values("client_id").nunique() > 2000
    for name, (indicators, nm_reduction, m_increase) in DOMAINS.items():
        d = domain.xs(name, level="domain")
        nm_before, nm_after = (d["baseline"] == 0).sum(), (d["final"] == 0).sum()
        m_before, m_after = (d["baseline"] == 2).sum(), (d["final"] == 2).sum()
        assert 100 * (nm_before - nm_after) / nm_before == pytest.approx(nm_reduction, abs=8), name
        assert 100 * (m_after - m_before) / m_before == pytest.approx(m_increase, abs=8), name
        items = wide[wide["domain"] == name].groupby("item", observed=True)
        reduction = items.apply(lambda g: 1 - (g["final"] == 0).sum() / (g["baseline"] == 0).sum())
        gain = items.apply(lambda g: (g["final"] - g["baseline"]).mean())
        first = f"{name}.{indicators[0]}"
        assert reduction.idxmax() == first and gain.idxmax() == first, name
        assert sorted(reduction.index) == sorted(f"{name}.{i}" for i in indicators)


def test_wellbeing_improves(service: SyntheticService) -> None:
    raw = before_after(service, "swemwbs").groupby("client_id").sum()
    poor = raw <= 18  # metric score 17 or below
    assert 100 * (1 - poor["final"].sum() / poor["baseline"].sum()) == pytest.approx(45, abs=8)
    ons = before_after(service, "ons4").xs("life_satisfaction", level="item")
    low = ons <= 4
    assert 100 * (1 - low["final"].sum() / low["baseline"].sum()) == pytest.approx(46, abs=8)
    values = service.assessments.groupby("instrument", observed=True)["value"].agg(["min", "max"])
    assert values.loc["dudley7"].tolist() == [0, 2]
    assert values.loc["swemwbs"].tolist() == [1, 5]
    assert values.loc["ons4"].tolist() == [0, 10]


def test_not_everyone_is_rated_at_follow_up(service: SyntheticService) -> None:
    a = service.assessments
    rated = a.groupby("timepoint", observed=True)["client_id"].nunique()
    assert rated["baseline"] == service.clients["index_date"].notna().sum()
    assert 0.5 * rated["baseline"] < rated["final"] < 0.9 * rated["baseline"]
    assert 0 < rated["review"] < rated["final"]


def test_support_and_feedback(service: SyntheticService) -> None:
    i = service.interventions
    connected = service.clients.loc[service.clients["index_date"].notna(), "client_id"]
    assert set(i["client_id"]) <= set(connected)
    budgets = i[i["kind"] == "personal_health_budget"].groupby("client_id")["cost_pence"].sum()
    assert len(budgets) > 300 and budgets.max() <= 10_000
    contacts = i["kind"].isin(["contact_phone", "contact_visit", "accompanied_activity"])
    assert (i.loc[contacts, "cost_pence"] == 0).all()
    outward = i[i["kind"] == "outward_referral"]
    assert (outward["sector"] == "voluntary").mean() == pytest.approx(0.60, abs=0.04)
    f = service.feedback
    assert len(f) > 1000
    assert (f["stars"] >= 4).mean() == pytest.approx(0.94, abs=0.03)
    assert (f["impact"] != "none").mean() == pytest.approx(0.96, abs=0.03)
    assert (f["impact"] == "significant").mean() == pytest.approx(0.28, abs=0.04)
    assert f["connected_to_services"].mean() == pytest.approx(0.79, abs=0.04)


def test_regression_to_the_mean_and_the_true_effect() -> None:
    none = synthetic(n_clients=4000, n_comparison=0, seed=3, threads=2)
    effect = synthetic(n_clients=4000, n_comparison=0, seed=3, true_effect=0.3, threads=2)
    without, with_effect = ae_post_over_pre(none), ae_post_over_pre(effect)
    assert 0.5 < without < 0.8  # use falls although the service does nothing
    # The same seed draws the same events; the effect removes 30% of those after index.
    assert with_effect / without == pytest.approx(0.7, abs=0.04)
    assert effect.truth["true_effect"] == 0.3 and none.truth["true_effect"] == 0.0


def test_comparison_pool_has_high_users_to_match() -> None:
    s = synthetic(n_clients=0, n_comparison=5000, seed=2)
    per_person = s.events[s.events["kind"] == "ae_attendance"].groupby("person_id").size()
    # Some comparison patients had a crisis: a heavy tail of A&E use.
    assert (per_person >= 10).sum() > 20
    assert len(s.clients) == 0 and s.clients["index_date"].dtype == "datetime64[ns]"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_clients": -1}, "synthetic.n_clients: must not be negative, got -1"),
    ({"n_comparison": -2}, "synthetic.n_comparison: must not be negative, got -2"),
    ({"true_effect": 1.0}, r"synthetic.true_effect: must be in \[0, 1\), got 1"),
    ({"true_effect": float("nan")}, r"synthetic.true_effect: must be in \[0, 1\)"),
    ({"data_end": "2019-01-01"}, "data_end 2019-01-01 is before data_start 2019-04-01"),
    ({"data_start": "not a date"}, "data_start: 'not a date' is not a date"),
    ({"seed": -1}, "synthetic.seed: must be a whole number"),
    ({"threads": -1}, "synthetic.threads: must be a whole number >= 0"),
])
def test_invalid_config_is_a_value_error(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        synthetic(**kwargs)


def test_html_summary(service: SyntheticService) -> None:
    text = service._repr_html_()
    assert "5,000 (" in text and f"{len(service.events):,}" in text
    assert "0% fewer events in the 365 days after index" in text
    assert np.isclose(service.truth["annual_rate"]["ae_attendance"], 0.3)
