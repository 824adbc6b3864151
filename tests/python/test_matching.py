"""Matched comparison: hand-worked nearest neighbours and calipers, exact strata, balance by
hand, the propensity model against statsmodels, determinism, and balance on a synthetic service."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx import _core
from socialrx.matching import UNMATCHED_REASONS, Match, match

NONE = np.empty(0, np.int32)


# ----------------------------------------------------------------- nearest neighbours by hand
def sets(result: dict) -> dict[int, list[int]]:
    begin = result["set_begin"]
    return {int(t): result["control"][begin[s]:begin[s + 1]].tolist()
            for s, t in enumerate(result["set_treated"])}


def nn(treated, control, **options) -> dict:
    return _core.nearest_neighbours(np.array(treated, float), np.array(control, float), NONE, NONE,
                                    **options)


def test_nearest_neighbours_caliper_and_replacement_by_hand():
    # Clients at 0.0, 0.1, 2.0; comparison at 0.05, 0.12, 0.5, 1.0; caliper 0.3.
    treated, control = [0.0, 0.1, 2.0], [0.05, 0.12, 0.5, 1.0]
    # Without replacement, highest logit first: client 2 finds nothing within 0.3 (nearest 1.0
    # away), client 1 takes control 1 (0.02 away), client 0 is left control 0 (0.05).
    r = nn(treated, control, k=1, caliper=0.3, replace=False)
    assert sets(r) == {0: [0], 1: [1]}
    assert r["status"].tolist() == [0, 0, 1]
    # 1:2 with replacement: both clients share controls 0 and 1; control 2 (0.5, 0.4) is outside.
    assert sets(nn(treated, control, k=2, caliper=0.3, replace=True)) == {0: [0, 1], 1: [1, 0]}
    # 1:2 without: client 1 takes both, client 0 has nothing left within 0.3.
    assert sets(nn(treated, control, k=2, caliper=0.3, replace=False)) == {1: [1, 0]}
    # No caliper: everyone is matched.
    assert sets(nn(treated, control, k=1, replace=False)) == {0: [0], 1: [1], 2: [3]}


def test_exact_strata_by_hand():
    r = _core.nearest_neighbours(np.zeros(3), np.array([0.0, 5.0, 0.01]),
                                 np.array([1, 2, 7], np.int32), np.array([2, 1, 1], np.int32),
                                 k=2, replace=True)
    assert sets(r) == {0: [2, 1], 1: [0]}
    assert r["status"].tolist() == [0, 0, 2]


# ----------------------------------------------------------------- a tiny evaluation by hand
def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


@pytest.fixture()
def tiny() -> socialrx.Evaluation:
    """Clients 1 (age 70 at index), 2 (50), 5 (73) can be matched; 3 never connected; 4's
    look-back starts before the data. Comparison patients are 72, 60, 51, 40, 30 and 66 in 2021,
    whatever their pseudo index date (every donor date is in 2021)."""
    clients = pd.DataFrame({
        "client_id": [1, 2, 3, 4, 5],
        "referral_date": [day("2021-05-01"), day("2021-07-01"), day("2021-01-01"), day("2020-02-01"),
                          day("2021-09-01")],
        "index_date": [day("2021-06-01"), day("2021-07-10"), pd.NaT, day("2020-03-01"), day("2021-09-20")],
        "birth_year": [1951, 1971, 1960, 1940, 1948],
        "sex": ["female", "male", "female", "male", "female"],
        "practice": ["A", "B", "A", "A", "A"],
    })
    comparison = pd.DataFrame({
        "patient_id": [101, 102, 103, 104, 105, 106],
        "birth_year": [1949, 1961, 1970, 1981, 1991, 1955],
        "sex": ["female", "male", "male", "female", "male", "female"],
        "practice": ["A", "A", "B", "B", "A", "A"],
    })
    events = pd.DataFrame({
        "person_id": [1, 1, 1, 1, 1, 101, 101, 3],
        # Client 1: 2020-06-01 is index - 365 (in), then 2021-01-01 and the day before index (in),
        # the index day and after (out). Patient 101: 2021-03-01 is in every possible look-back;
        # 2021-09-19 only in the one ending 2021-09-20.
        "date": [day("2020-06-01"), day("2021-01-01"), day("2021-05-31"), day("2021-06-01"),
                 day("2021-06-02"), day("2021-03-01"), day("2021-09-19"), day("2021-02-01")],
        "kind": ["ae_attendance"] * 8,
    })
    return socialrx.Evaluation(clients=clients, events=events, comparison=comparison,
                               data_start="2020-01-01", data_end="2022-12-31", threads=1)


def test_tiny_covariates_and_unmatched_reasons(tiny):
    m = match(tiny, covariates=["age", "female", "prior_ae_attendance"], caliper=None)
    x = m.covariates()
    assert x["person_id"].tolist() == [1, 2, 5, 101, 102, 103, 104, 105, 106]
    assert x["treated"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 0]
    assert x["age"].tolist() == [70, 50, 73, 72, 60, 51, 40, 30, 66]
    assert x["female"].tolist() == [1, 0, 1, 1, 0, 0, 1, 0, 1]
    pseudo = m.comparison_index_dates()
    assert pseudo["patient_id"].tolist() == [101, 102, 103, 104, 105, 106]
    assert set(pseudo["pseudo_index_date"]) <= {day("2021-06-01"), day("2021-07-10"), day("2021-09-20")}
    late = pseudo["pseudo_index_date"].iloc[0] == day("2021-09-20")
    assert x["prior_ae_attendance"].tolist() == [3, 0, 0, 1 + late, 0, 0, 0, 0, 0]
    unmatched = m.unmatched()
    assert unmatched["client_id"].tolist() == [3, 4]
    assert unmatched["reason"].tolist() == ["not_connected", "lookback_before_data"]


def test_tiny_caliper_and_replacement_by_hand(tiny):
    # On age alone the logit is a + b x age, so the caliper 0.2 SD of the logit is 0.2 x the
    # pooled SD of age in years: sqrt((var(70, 50, 73) + var(72, 60, 51, 40, 30, 66)) / 2).
    age_sd = np.sqrt((np.var([70, 50, 73], ddof=1) + np.var([72, 60, 51, 40, 30, 66], ddof=1)) / 2)
    assert 0.2 * age_sd == pytest.approx(2.873, abs=1e-3)
    without = match(tiny, covariates=["age"])
    b = without.coefficients().set_index("term")["coefficient"]["age"]
    assert b > 0  # clients are older: the oldest is matched first
    assert without.summary()["caliper_logit"] == pytest.approx(0.2 * b * age_sd, rel=1e-12)
    # Client 5 (73) takes 101 (72); client 1 (70) then has 66 (4 years: outside); 2 (50) takes 51.
    pairs = without.matches()
    assert dict(zip(pairs["client_id"], pairs["comparison_id"])) == {2: 103, 5: 101}
    assert without.unmatched().set_index("client_id")["reason"][1] == "no_match_within_caliper"
    # With replacement 101 serves both 70 and 73.
    shared = match(tiny, covariates=["age"], replace=True).matches()
    assert dict(zip(shared["client_id"], shared["comparison_id"])) == {1: 101, 2: 103, 5: 101}
    weights = match(tiny, covariates=["age"], replace=True).weights().set_index("person_id")["weight"]
    assert weights.to_dict() == {1: 1.0, 2: 1.0, 5: 1.0, 101: 2.0, 103: 1.0}
    # 1:2, no caliper, without replacement: 5 takes 101 and 106 (66), 1 takes 102 (60) and 103
    # (51, 19 away; 40 is 30 away), 2 takes 104 (40) and 105 (30).
    wide = match(tiny, covariates=["age"], k=2, caliper=None).matches()
    assert wide.groupby("client_id")["comparison_id"].apply(list).to_dict() == {
        1: [102, 103], 2: [104, 105], 5: [101, 106]}
    assert (wide["weight"] == 0.5).all()


def test_tiny_exact_matching_stays_in_stratum(tiny):
    m = match(tiny, covariates=["age"], caliper=None, exact=("practice",), replace=True)
    pairs = m.matches()
    practice = dict(zip(tiny.clients["client_id"], tiny.clients["practice"]))
    practice |= dict(zip(tiny.comparison["patient_id"], tiny.comparison["practice"]))
    assert all(practice[c] == practice[p] for c, p in zip(pairs["client_id"], pairs["comparison_id"]))
    # Client 2 is in practice B with 103 (51) and 104 (40): it takes 103.
    assert dict(zip(pairs["client_id"], pairs["comparison_id"]))[2] == 103


def test_baseline_before_the_look_back_by_hand():
    """Data from 2018-01-01. Client 1 (index 2021-06-01) has three look-backs of data, so its
    baseline is the mean over [index - 1095, index - 365); client 2 (2020-03-01) has two, so
    [index - 730, index - 365); client 3 (2019-10-01) has one: unmatched with the default
    covariates, matched on the look-back alone. Clients 5 and 6 and patients 102 and 103 (use
    every month, or none) give the propensity model overlap."""
    one, two, three = day("2021-06-01"), day("2020-03-01"), day("2019-10-01")
    clients = pd.DataFrame({
        "client_id": [1, 2, 3, 4, 5, 6],
        "referral_date": [one, two, three, three, one, two],
        "index_date": [one, two, three, pd.NaT, one, two],
        "birth_year": [1950, 1960, 1970, 1980, 1965, 1975],
        "sex": ["female", "male", "female", "male", "male", "female"],
    })
    comparison = pd.DataFrame({"patient_id": [101, 102, 103, 104],
                               "birth_year": [1945, 1955, 1965, 1985],
                               "sex": ["female", "male", "female", "male"]})

    def before(index, *days):
        return [index - pd.Timedelta(days=d) for d in days]

    # Client 1: 1096 days before is out, 1095, 400 and 366 are in (3 over two look-backs), 365
    # and 1 are the look-back. Client 2: 731 is out (in the data, but before its baseline), 730
    # and 366 in, 10 the look-back. Patient 101 on three fixed days (see below).
    monthly = list(pd.date_range("2018-01-01", "2023-12-01", freq="MS"))
    dates = (before(one, 1096, 1095, 400, 366, 365, 1) + before(two, 731, 730, 366, 10)
             + [day("2018-04-01"), day("2019-01-01"), day("2019-06-01")] + monthly + monthly)
    events = pd.DataFrame({"person_id": [1] * 6 + [2] * 4 + [101] * 3 + [5] * 72 + [102] * 72,
                           "date": dates, "kind": "ae_attendance"})
    ev = socialrx.Evaluation(clients=clients, events=events, comparison=comparison,
                             data_start="2018-01-01", data_end="2023-12-31", threads=1)

    m = match(ev, caliper=None, replace=True)
    assert m.covariate_names == ["age", "female", "prior_ae_attendance", "baseline_ae_attendance"]
    assert m.options["history_days"] == 730
    assert dict(zip(m.unmatched()["client_id"], m.unmatched()["reason"])) == {
        3: "lookback_before_data", 4: "not_connected"}
    x = m.covariates().set_index("person_id")
    assert x.loc[[1, 2, 6], "prior_ae_attendance"].tolist() == [2, 1, 0]
    assert x.loc[[1, 2, 6], "baseline_ae_attendance"].tolist() == [1.5, 2.0, 0.0]
    # Client 5's monthly use: 12 in its look-back [2020-06-01, 2021-06-01); the two look-backs
    # before it, [2018-06-02, 2020-06-01), hold 23 firsts of the month (2018-07 to 2020-05).
    assert x.loc[5, ["prior_ae_attendance", "baseline_ae_attendance"]].tolist() == [12, 11.5]
    # Patient 101 at client 1's date: 2019-01-01 and 2019-06-01 in the baseline over two
    # look-backs (1.0), nothing in the look-back; at client 2's: 2018-04-01 and 2019-01-01 in
    # its one-look-back baseline (2.0), 2019-06-01 in the look-back.
    pseudo = m.comparison_index_dates().set_index("patient_id")["pseudo_index_date"]
    assert set(pseudo) <= {one, two}
    expected = [0, 1.0] if pseudo[101] == one else [1, 2.0]
    assert x.loc[101, ["prior_ae_attendance", "baseline_ae_attendance"]].tolist() == expected
    assert x.loc[[103, 104], ["prior_ae_attendance", "baseline_ae_attendance"]].eq(0).all().all()

    alone = match(ev, covariates=["age", "prior_ae_attendance"], caliper=None, replace=True)
    assert alone.options["history_days"] == 365
    assert alone.unmatched()["client_id"].tolist() == [4]
    short = socialrx.Evaluation(clients=clients, events=events, comparison=comparison,
                                data_start="2019-07-01", data_end="2023-12-31")
    with pytest.raises(ValueError, match="730 days of data before its index date"):
        match(short, covariates=["age", "baseline_ae_attendance"])


# ----------------------------------------------------------------- a synthetic service
@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=2000, n_comparison=40000, seed=1)


@pytest.fixture(scope="module")
def ev(service) -> socialrx.Evaluation:
    return socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                               data_start=service.data_start, data_end=service.data_end)


@pytest.fixture(scope="module")
def matched(ev) -> Match:
    return match(ev, seed=1)


def test_balance_after_matching(matched):
    balance = matched.balance().set_index("covariate")
    assert {"age", "female", "deprivation_decile", "prior_ae_attendance"} <= set(balance.index)
    assert (balance["smd_after"].abs() < 0.1).all(), balance
    ae = balance.loc["prior_ae_attendance"]
    assert ae["smd_before"] > 0.3 and abs(ae["smd_after"]) < ae["smd_before"] / 5


def test_prior_and_baseline_counts_agree_with_pandas(service, matched):
    x = matched.covariates()
    dates = pd.concat([service.clients.set_index("client_id")["index_date"],
                       matched.comparison_index_dates().set_index("patient_id")["pseudo_index_date"]])
    index = dates.loc[x["person_id"]].to_numpy()
    events = service.events[service.events["person_id"].isin(x["person_id"])]
    row = pd.Index(x["person_id"]).get_indexer(events["person_id"])
    offset = (events["date"].to_numpy() - index[row]) // np.timedelta64(1, "D")
    three = index - np.timedelta64(1095, "D") >= np.datetime64(service.data_start)
    kind = events["kind"].astype(str).to_numpy()

    def count(mask, k):
        return np.bincount(row[mask & (kind == k)], minlength=len(x))

    for k in ("ae_attendance", "emergency_admission", "gp_surgery"):
        assert (x[f"prior_{k}"] == count((offset >= -365) & (offset < 0), k)).all()
        baseline = np.where(three, count((offset >= -1095) & (offset < -365), k) / 2,
                            count((offset >= -730) & (offset < -365), k))
        np.testing.assert_array_equal(x[f"baseline_{k}"], baseline)
    assert 0.2 < three.mean() < 0.8  # both rules are exercised


def test_smd_by_hand(matched):
    x = matched.covariates()
    w = np.zeros(len(x))
    weights = matched.weights()
    w[pd.Index(x["person_id"]).get_indexer(weights["person_id"])] = weights["weight"].to_numpy()
    treated = x["treated"].to_numpy() == 1
    for covariate in ("age", "prior_ae_attendance"):
        v = x[covariate].to_numpy()

        def wstats(values, weight):
            mean = np.average(values, weights=weight)
            total = weight.sum()
            return mean, (weight * (values - mean) ** 2).sum() / (total - (weight ** 2).sum() / total)

        (mt, vt), (mc, vc) = wstats(v[treated], w[treated]), wstats(v[~treated], w[~treated])
        row = matched.balance().set_index("covariate").loc[covariate]
        assert row["smd_after"] == pytest.approx((mt - mc) / np.sqrt((vt + vc) / 2), rel=1e-9)
        before = (v[treated].mean() - v[~treated].mean()) / np.sqrt(
            (v[treated].var(ddof=1) + v[~treated].var(ddof=1)) / 2)
        assert row["smd_before"] == pytest.approx(before, rel=1e-9)


def test_propensity_coefficients_match_fit_logistic_and_statsmodels(matched):
    sm = pytest.importorskip("statsmodels.api")
    x = matched.covariates()
    features = x[matched.covariate_names].to_numpy(float)
    y = x["treated"].to_numpy(float)
    ours = matched.coefficients()
    fit = _core.fit_logistic(np.ascontiguousarray(features), y)
    np.testing.assert_array_equal(ours["coefficient"].to_numpy()[1:], fit["coefficients"])
    reference = sm.Logit(y, sm.add_constant(features)).fit(disp=0, tol=1e-12, maxiter=100)
    np.testing.assert_allclose(ours["coefficient"], reference.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], reference.bse, rtol=1e-5)


def test_matches_are_well_formed(matched):
    pairs = matched.matches()
    assert list(pairs.columns) == ["client_id", "comparison_id", "set_id", "weight"]
    assert not pairs["comparison_id"].duplicated().any()  # without replacement
    np.testing.assert_allclose(pairs.groupby("set_id")["weight"].sum(), 1.0)
    summary = matched.summary()
    unmatched = matched.unmatched()
    assert summary["matched_clients"] + len(unmatched) == summary["clients"]
    assert set(unmatched["reason"]) <= set(UNMATCHED_REASONS)
    assert not set(unmatched["client_id"]) & set(pairs["client_id"])
    assert "<table>" in matched._repr_html_()


def test_pseudo_index_dates_come_from_matchable_clients(ev, matched):
    pseudo = matched.comparison_index_dates()
    assert len(pseudo) == len(ev.comparison)
    eligible = set(ev.clients.loc[~ev.clients["client_id"].isin(
        matched.unmatched().query("reason in ['not_connected', 'lookback_before_data']")["client_id"]),
        "index_date"])
    assert set(pseudo["pseudo_index_date"]) <= eligible
    other = match(ev, seed=2, covariates=["age"]).comparison_index_dates()
    assert (other["pseudo_index_date"] != pseudo["pseudo_index_date"]).mean() > 0.9


@pytest.mark.parametrize("replace", [False, True])
def test_same_seed_same_matches_for_any_thread_count(ev, replace):
    one = match(ev, seed=3, k=2, replace=replace, exact=("sex",), threads=1)
    two = match(ev, seed=3, k=2, replace=replace, exact=("sex",), threads=2)
    pd.testing.assert_frame_equal(one.matches(), two.matches())
    pd.testing.assert_frame_equal(one.balance(), two.balance())
    pd.testing.assert_frame_equal(one.comparison_index_dates(), two.comparison_index_dates())
    pairs = one.matches()
    sex = pd.concat([ev.clients.set_index("client_id")["sex"].astype(str),
                     ev.comparison.set_index("patient_id")["sex"].astype(str)])
    assert (sex[pairs["client_id"]].to_numpy() == sex[pairs["comparison_id"]].to_numpy()).all()


def test_comorbidity_from_diagnoses_before_the_index_date(tiny):
    diagnoses = pd.DataFrame({
        "patient_id": [1, 1, 102, 104],
        "code": ["I50.0", "C78.0", "F00.1", "J44.9"],  # heart failure; metastasis; dementia; COPD
        "date": [day("2021-01-01"), day("2021-12-01"), day("2020-01-05"), day("2019-05-01")],
    })
    m = match(tiny, covariates=["age", "comorbidity"], diagnoses=diagnoses, caliper=None)
    score = m.covariates().set_index("person_id")["comorbidity"]
    expected = socialrx.risk.charlson(diagnoses.iloc[[0, 2, 3]]).set_index("patient_id")["score"]
    assert score[1] == expected[1] == 2  # the metastasis after the index date does not count
    assert score[102] == expected[102] and score[104] == expected[104]
    assert score[[2, 5, 101, 103, 105, 106]].eq(0).all()


# ----------------------------------------------------------------- bad input
def test_missing_covariate_names_table_column_and_row(tiny):
    tiny.comparison.loc[3, "birth_year"] = np.nan
    with pytest.raises(ValueError, match=r"comparison\.birth_year row 3"):
        match(tiny, covariates=["age"])
    tiny.clients.loc[4, "sex"] = None
    with pytest.raises(ValueError, match=r"clients\.sex row 4"):
        match(tiny, covariates=["female"])


def test_bad_options(tiny, ev):
    with pytest.raises(ValueError, match="caliper"):
        match(tiny, caliper=0)
    with pytest.raises(ValueError, match="k"):
        match(tiny, k=0)
    with pytest.raises(ValueError, match="not_a_column"):
        match(tiny, covariates=["not_a_column"])
    with pytest.raises(ValueError, match="exact"):
        match(tiny, covariates=["age"], exact=("locality",))
    no_pool = socialrx.Evaluation(clients=tiny.clients, events=tiny.events, data_start="2020-01-01",
                                  data_end="2022-12-31")
    with pytest.raises(ValueError, match="comparison"):
        match(no_pool)
