"""Difference-in-differences: hand-worked sets, a statsmodels cross-check, determinism, and
validity against synthetic truth."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx._measures import whole_pence
from socialrx.did import MONEY_KIND, DiDResult, did
from socialrx.matching import match

AE_PENCE = 14000
INDEX = pd.Timestamp("2022-06-01")


def tariff(ae_pence: int = AE_PENCE) -> dict[str, object]:
    return {"name": "hand", "price_year": "2023/24",
            "unit_costs": {"ae_attendance": {"pence": ae_pence, "source": "hand"}}}
def hand_worked(extra_events: tuple[tuple[int, pd.Timestamp, str], ...] = (), ae_pence: int = AE_PENCE
                ) -> tuple[socialrx.Evaluation, pd.DataFrame, pd.DataFrame]:
    """Three sets, A&E pre -> post in the 6-month window:
    set 0: client 1  4 -> 1, patient 11  3 -> 2             d = -3 - (-1) = -2
    set 1: client 2  2 -> 2, patients 12  2 -> 0, 13  1 -> 3  d =  0 - 0     =  0
    set 2: client 3  5 -> 2, patient 14  4 -> 4             d = -3 - 0     = -3
    DiD = -5/3 per client; counterfactual post = treated pre + control change = 10/3."""
    counts = {1: (4, 1), 2: (2, 2), 3: (5, 2), 11: (3, 2), 12: (2, 0), 13: (1, 3), 14: (4, 4)}
    rows = []
    for person, (pre, post) in counts.items():
        rows += [(person, INDEX - pd.Timedelta(days=10 + i), "ae_attendance") for i in range(pre)]
        rows += [(person, INDEX + pd.Timedelta(days=10 + i), "ae_attendance") for i in range(post)]
    rows.append((1, INDEX, "ae_attendance"))  # on the index day: in neither window
    rows += extra_events
    clients = pd.DataFrame({"client_id": [1, 2, 3], "referral_date": [INDEX] * 3, "index_date": [INDEX] * 3})
    ev = socialrx.Evaluation(clients=clients, events=pd.DataFrame(rows, columns=["person_id", "date", "kind"]),
                             comparison=pd.DataFrame({"patient_id": [11, 12, 13, 14, 15]}), tariff=tariff(ae_pence),
                             data_start="2020-01-01", data_end="2023-12-31")
    matches = pd.DataFrame({"client_id": [1, 2, 2, 3], "comparison_id": [11, 12, 13, 14],
                            "set_id": [0, 1, 1, 2], "weight": [1.0, 0.5, 0.5, 1.0]})
    pseudo = pd.DataFrame({"patient_id": [11, 12, 13, 14, 15], "pseudo_index_date": [INDEX] * 5})
    return ev, matches, pseudo


def test_hand_worked_three_sets():
    ev, matches, pseudo = hand_worked()
    frame = did(ev, matches, pseudo, windows=6, bootstrap=0).estimates
    assert list(frame["kind"]) == ["ae_attendance", MONEY_KIND]
    ae, money = frame.iloc[0], frame.iloc[1]
    assert ae["window"] == "6m" and ae["window_days"] == 183
    assert ae["clients"] == 3 and ae["controls"] == 4
    assert ae["naive_pre_per_client"] == pytest.approx(11 / 3)
    assert ae["naive_post_per_client"] == pytest.approx(5 / 3)
    assert ae["naive_change_pct"] == pytest.approx(-600 / 11)
    assert ae["control_pre_per_client"] == pytest.approx(8.5 / 3)
    assert ae["control_post_per_client"] == pytest.approx(7.5 / 3)
    assert ae["did_per_client"] == pytest.approx(-5 / 3)
    assert ae["did_pct"] == pytest.approx(-50.0)
    assert ae["did_pct_of_pre"] == pytest.approx(-500 / 11)
    assert ae["did_pence_per_client"] == pytest.approx(-5 / 3 * AE_PENCE)
    assert ae["did_pence_total"] == -5 * AE_PENCE
    assert money["did_per_client"] == pytest.approx(-5 / 3 * AE_PENCE)
    assert money["did_pence_total"] == -5 * AE_PENCE
    assert money["naive_pre_per_client"] == pytest.approx(11 / 3 * AE_PENCE)
    assert np.isnan(ae["ci_low"]) and ae["replicates"] == 0


def test_censoring_drops_sets_and_is_counted():
    ev, matches, pseudo = hand_worked()
    pseudo.loc[pseudo["patient_id"] == 13, "pseudo_index_date"] = pd.Timestamp("2020-02-01")
    frame = did(ev, matches, pseudo, windows=(6, "90d"), bootstrap=0).estimates
    ae = frame[frame["kind"] == "ae_attendance"].set_index("window")
    # Patient 13's window starts before the data: set 1 keeps patient 12 alone (change -2).
    assert ae.loc["6m", "controls_censored"] == 1
    assert ae.loc["6m", "did_per_client"] == pytest.approx((-2 + 2 - 3) / 3)
    assert ae.loc["90d", "window_days"] == 90


def test_bad_matches_name_the_problem():
    ev, matches, pseudo = hand_worked()
    with pytest.raises(ValueError, match="matches: missing column"):
        did(ev, matches.drop(columns="weight"), pseudo)
    with pytest.raises(ValueError, match="more than one client"):
        did(ev, matches.assign(set_id=[0, 0, 1, 2]), pseudo)
    with pytest.raises(ValueError, match="is not a client"):
        did(ev, matches.assign(client_id=[1, 2, 2, 99]), pseudo)
    with pytest.raises(ValueError, match="no pseudo_index_date for matched patient 14"):
        did(ev, matches, pseudo[pseudo["patient_id"] != 14])
    with pytest.raises(ValueError, match="weight"):
        did(ev, matches.assign(weight=[1.0, 0.0, 0.5, 1.0]), pseudo)
    with pytest.raises(ValueError, match="did.level"):
        did(ev, matches, pseudo, level=1.5)
    with pytest.raises(ValueError, match="did.bootstrap"):
        did(ev, matches, pseudo, bootstrap=-1)


TABLE_COLUMNS = [
    "window", "kind", "matched_clients", "controls", "events_before_per_client", "events_after_per_client",
    "naive_change_pct", "events_avoided_per_client", "events_avoided_ci_low", "events_avoided_ci_high",
    "did_pct", "did_pct_ci_low", "did_pct_ci_high", "pence_avoided_per_client", "pence_avoided_ci_low",
    "pence_avoided_ci_high", "pence_avoided_total"]


def test_table_counts_avoided_as_a_saving_in_whole_pence():
    # One GP visit of client 1 before the index date: a kind the tariff does not price.
    ev, matches, pseudo = hand_worked(((1, INDEX - pd.Timedelta(days=5), "gp_surgery"),))
    table = did(ev, matches, pseudo, windows=6, bootstrap=0).table
    assert list(table.columns) == TABLE_COLUMNS
    assert list(table["kind"]) == ["ae_attendance", "gp_surgery", MONEY_KIND]
    ae, gp, money = (table.iloc[i] for i in range(3))
    assert ae["matched_clients"] == 3 and ae["controls"] == 4
    assert ae["events_before_per_client"] == pytest.approx(11 / 3)
    assert ae["events_after_per_client"] == pytest.approx(5 / 3)
    # DiD = -5/3 A&E per client: 5/3 avoided, 5/3 x 14000 = 23333.33 -> 23333 pence, 5 x 14000 in all.
    assert ae["events_avoided_per_client"] == pytest.approx(5 / 3)
    assert ae["pence_avoided_per_client"] == 23333
    assert ae["pence_avoided_total"] == 70000
    # % changes keep their natural sign: a fall is negative.
    assert ae["naive_change_pct"] == pytest.approx(-600 / 11) and ae["did_pct"] == pytest.approx(-50.0)
    # Client 1's one GP visit goes: 1/3 avoided per client, unpriced.
    assert gp["events_avoided_per_client"] == pytest.approx(1 / 3)
    assert pd.isna(gp["pence_avoided_per_client"]) and pd.isna(gp["pence_avoided_total"])
    # The money row carries pence only.
    assert np.isnan(money["events_before_per_client"]) and np.isnan(money["events_avoided_per_client"])
    assert money["pence_avoided_per_client"] == 23333 and money["pence_avoided_total"] == 70000
    assert str(table["pence_avoided_per_client"].dtype) == "Int64"
    assert table["did_pct_ci_low"].isna().all() and table["pence_avoided_ci_low"].isna().all()


def test_table_rounds_half_a_penny_away_from_zero():
    # Sets 0 and 2 alone: DiD = (-2 - 3) / 2 = -2.5 A&E per client; at 1 penny, 2.5 pence avoided.
    ev, matches, pseudo = hand_worked(ae_pence=1)
    table = did(ev, matches[matches["set_id"] != 1], pseudo, windows=6, bootstrap=0).table
    assert table["events_avoided_per_client"].iloc[0] == pytest.approx(2.5)
    assert list(table["pence_avoided_per_client"]) == [3, 3]  # not 2, as round() would give
    assert list(table["pence_avoided_total"]) == [5, 5]


def test_table_intervals_flip_with_the_sign():
    ev, matches, pseudo = hand_worked()
    result = did(ev, matches, pseudo, windows=6, bootstrap=200, seed=3)
    e, table = result.estimates, result.table
    ae, money = table.iloc[0], table.iloc[1]
    assert ae["events_avoided_ci_low"] == pytest.approx(-e.loc[0, "ci_high"])
    assert ae["events_avoided_ci_high"] == pytest.approx(-e.loc[0, "ci_low"])
    # A resample's DiD is the mean of three of the sets' -2, 0, -3: avoided lies in [0, 3].
    assert 0 <= ae["events_avoided_ci_low"] <= ae["events_avoided_ci_high"] <= 3
    assert 0 <= money["pence_avoided_ci_low"] <= money["pence_avoided_ci_high"] <= 3 * AE_PENCE
    assert money["pence_avoided_ci_low"] == whole_pence(-e.loc[1, "ci_high_pence"])
    assert ae["did_pct_ci_low"] == pytest.approx(e.loc[0, "ci_low_pct"]) and ae["did_pct_ci_low"] < 0


def test_summary_reads_like_a_results_summary():
    ev, matches, pseudo = hand_worked()
    summary = did(ev, matches, pseudo, windows=6, bootstrap=0, seed=4).summary()
    text = str(summary)
    assert text == summary.as_text() == repr(summary)
    for line in ("Method                nearest-neighbour propensity matching + difference-in-differences",
                 "Matched clients       3 (6m)", "Controls              4 (6m)", "Bootstrap replicates  0",
                 "Interval level        95%", "Seed                  4", "Windows               6 months"):
        assert line in text
    rows = [line for line in text.splitlines() if line.startswith(("A&E attendances", "all priced kinds"))]
    assert len(rows) == 2 and len(rows[0]) == len(rows[1])  # aligned columns
    ae = rows[0].split()
    assert ae[2:] == ["-54.5%", "-50.0%", "1.667", "£233.33", "£700.00"]
    assert "Avoided > 0 is a saving" in text


def test_summary_shows_the_intervals_when_bootstrapped():
    ev, matches, pseudo = hand_worked()
    result = did(ev, matches, pseudo, windows=6, bootstrap=200, seed=3)
    ae = result.table.iloc[0]
    low, high = (socialrx._core.format_pounds(int(ae[c])) for c in ("pence_avoided_ci_low", "pence_avoided_ci_high"))
    assert f"£233.33 [{low}, {high}]" in str(result.summary())
    assert re.search(r"1\.667 \[\d\.\d{3}, \d\.\d{3}\]", str(result.summary()))


def test_html_and_repr():
    ev, matches, pseudo = hand_worked()
    result = did(ev, matches, pseudo, windows=6, bootstrap=0)
    page = result._repr_html_()
    assert page.count("<table>") == 2  # the settings, then the one window
    for figure in ("£233.33", "£700.00", "1.667", "-50.0%", "-54.5%", "3 matched clients"):
        assert figure in page
    assert "Avoided &gt; 0 is a saving" in page and "Avoided > 0" not in page  # escaped
    assert repr(result) == "DiDResult(6m: 3 matched clients, 0 bootstrap replicates, 95% intervals)"


def test_plot_draws_each_kinds_interval_beside_the_naive_change():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ev, matches, pseudo = hand_worked()
    result = did(ev, matches, pseudo, windows=(6, 12), bootstrap=200, seed=3)
    ax = Figure().add_subplot()
    assert result.plot(window=6, ax=ax) is ax
    (intervals,) = ax.collections  # one horizontal bar per kind: A&E and money
    six = result.table[result.table["window"] == "6m"]
    np.testing.assert_allclose([s[:, 0] for s in intervals.get_segments()],
                               six[["did_pct_ci_low", "did_pct_ci_high"]].to_numpy())
    markers = {line.get_label(): line.get_xdata() for line in ax.get_lines()}
    np.testing.assert_allclose(markers["clients' own change (naive)"], six["naive_change_pct"])
    np.testing.assert_allclose(markers["DiD, 95% interval"], six["did_pct"])
    assert any(list(line.get_xdata()) == [0, 0] for line in ax.get_lines())  # the line at 0
    with pytest.raises(ValueError, match="window 9m is not one"):
        result.plot(window=9)


def test_plot_without_axes_draws_every_window_on_a_new_figure():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib import pyplot

    ev, matches, pseudo = hand_worked()
    ax = did(ev, matches, pseudo, windows=(6, 12), bootstrap=200).plot()
    try:
        assert len(ax.collections[0].get_segments()) == 4
        assert [t.get_text() for t in ax.get_yticklabels()] == [  # top to bottom
            "A&E attendances (6m)", "all priced kinds (money) (6m)", "A&E attendances (12m)",
            "all priced kinds (money) (12m)"]
    finally:
        pyplot.close(ax.figure)


def test_the_result_records_the_runs_settings():
    ev, matches, pseudo = hand_worked()
    result = did(ev, matches, pseudo, windows=(6, "90d"), bootstrap=10, level=0.9, seed=11)
    assert isinstance(result, DiDResult)
    assert [w.label for w in result.windows] == ["6m", "90d"]
    assert (result.level, result.replicates, result.seed) == (0.9, 10, 11)
    assert "Interval level        90%" in str(result.summary())


@pytest.fixture(scope="module")
def matched() -> tuple[socialrx.Evaluation, pd.DataFrame, pd.DataFrame]:
    s = socialrx.synthetic(n_clients=1500, n_comparison=20000, seed=5, true_effect=0.2)
    ev = socialrx.Evaluation(clients=s.clients, events=s.events, comparison=s.comparison, tariff="example",
                             data_start=s.data_start, data_end=s.data_end)
    m = match(ev, k=2, replace=True, seed=1)
    return ev, m.matches(), m.comparison_index_dates()


def long_data(ev: socialrx.Evaluation, matches: pd.DataFrame, pseudo: pd.DataFrame, days: int,
              kind: str) -> pd.DataFrame:
    """One row per person and side (pre 0, post 1), counted here with pandas; treated rows
    weigh 1, a control the sum over its sets of its weight renormalised over the set's
    controls whose window the data cover."""
    index = pd.concat([
        pd.Series(ev.clients["index_date"].to_numpy(), index=ev.clients["client_id"].to_numpy()),
        pd.Series(pseudo["pseudo_index_date"].to_numpy(), index=pseudo["patient_id"].to_numpy())])
    start, end = pd.Timestamp(np.datetime64(ev.data_start, "D")), pd.Timestamp(np.datetime64(ev.data_end, "D"))
    window = pd.Timedelta(days=days)
    covered = (index - window >= start) & (index + window <= end)

    m = matches[covered.loc[matches["client_id"]].to_numpy() & covered.loc[matches["comparison_id"]].to_numpy()]
    m = m.assign(weight=m["weight"] / m.groupby("set_id")["weight"].transform("sum"))
    people = pd.concat([
        pd.DataFrame({"person": m["client_id"].unique(), "treated": 1, "weight": 1.0}),
        m.groupby("comparison_id", as_index=False)["weight"].sum()
         .rename(columns={"comparison_id": "person"}).assign(treated=0)])

    events = ev.events[ev.events["kind"] == kind]
    events = events[events["person_id"].isin(people["person"])]
    offset = (events["date"].to_numpy() - index.loc[events["person_id"]].to_numpy()) / pd.Timedelta(days=1)
    side = np.where((offset >= -days) & (offset < 0), 0, np.where((offset > 0) & (offset <= days), 1, -1))
    counted = pd.DataFrame({"person": events["person_id"].to_numpy(), "post": side})
    counted = counted[counted["post"] >= 0].value_counts().rename("y").reset_index()
    grid = people.merge(pd.DataFrame({"post": [0, 1]}), how="cross")
    return grid.merge(counted, on=["person", "post"], how="left").fillna({"y": 0})


@pytest.mark.parametrize("window,kind", [(6, "ae_attendance"), (12, "emergency_admission")])
def test_did_is_the_interaction_of_weighted_least_squares(matched, window, kind):
    smf = pytest.importorskip("statsmodels.formula.api")
    ev, matches, pseudo = matched
    frame = did(ev, matches, pseudo, windows=window, bootstrap=0).estimates
    row = frame[frame["kind"] == kind].iloc[0]
    data = long_data(ev, matches, pseudo, int(row["window_days"]), kind)
    assert (data["treated"] == 1).sum() == 2 * row["clients"]
    fit = smf.wls("y ~ treated * post", data=data, weights=data["weight"]).fit()
    assert fit.params["treated:post"] == pytest.approx(row["did_per_client"], abs=1e-9)


def test_same_seed_same_intervals_for_any_threads_and_batching(matched, capsys):
    ev, matches, pseudo = matched
    one = did(ev, matches, pseudo, bootstrap=300, seed=7, threads=1, progress=False).estimates
    batched = did(ev, matches, pseudo, bootstrap=300, seed=7, threads=2, progress=True).estimates
    assert "300" in capsys.readouterr().err  # the bar ran, so replicates came in batches
    pd.testing.assert_frame_equal(one, batched)
    other = did(ev, matches, pseudo, bootstrap=300, seed=8, threads=2, progress=False).estimates
    assert not np.array_equal(one["ci_low"], other["ci_low"])
    assert (one["ci_low"] <= one["did_per_client"]).all() and (one["did_per_client"] <= one["ci_high"]).all()
    money = one[one["kind"] == MONEY_KIND]
    assert (money["ci_low_pence"] == money["ci_low"]).all()


@pytest.mark.parametrize("effect", [0.0, 0.3])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matched_did_recovers_the_true_effect_where_before_after_cannot(effect, seed):
    """Clients referred for high use fall back whatever the service does; the matched DiD's
    interval covers the true effect in both windows. Clients are referred at the end of a year
    of high use: matched on that year alone, the controls were mostly people whose use is always
    high, the DiD came out about 10 points too low at 12 months and this test failed in 4 of
    its 6 runs. Matching on the baseline before the look-back too tells the two apart."""
    s = socialrx.synthetic(n_clients=3000, n_comparison=60000, seed=seed, true_effect=effect)
    ev = socialrx.Evaluation(clients=s.clients, events=s.events, comparison=s.comparison, tariff="example",
                             data_start=s.data_start, data_end=s.data_end)
    m = match(ev, seed=1)
    frame = did(ev, m.matches(), m.comparison_index_dates(), windows=(6, 12), bootstrap=1000, seed=1).estimates
    truth = -100 * effect
    for window in ("6m", "12m"):
        rows = frame[frame["window"] == window].set_index("kind")
        assert rows.loc["ae_attendance", "clients"] > 1000
        assert rows.loc["ae_attendance", "naive_change_pct"] < -20
        for kind in ("ae_attendance", MONEY_KIND):
            assert rows.loc[kind, "ci_low_pct"] <= truth <= rows.loc[kind, "ci_high_pct"], (window, kind)
        if effect == 0:  # the naive fall is mostly regression to the mean, not the service
            assert rows.loc["ae_attendance", "naive_change_pct"] < rows.loc["ae_attendance", "ci_low_pct"]
