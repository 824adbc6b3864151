"""Figures by period, the trend's rate ratio and two periods side by side, on tables worked out
by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import socialrx
from socialrx.periods import RULES
from socialrx.trends import rate_ratio

BY_REFERRAL = RULES["referral_date"]
BY_INDEX = RULES["index_date"]
SERVICE_YEARS = [("Year 2", "2020-10-01", "2021-09-30"), ("Year 1", "2019-10-01", "2020-09-30")]  # any order


def clients() -> pd.DataFrame:
    # Client 1 is referred in 2019/20 (March 2020) but starts in 2020/21 (April 2020): reach
    # counts them in 2019/20, every figure measured from the index date in 2020/21.
    return pd.DataFrame({
        "client_id": [1, 2, 3, 4, 5],
        "referral_date": ["2020-03-20", "2020-05-01", "2020-06-15", "2021-04-02", "2021-12-01"],
        "index_date": ["2020-04-05", "2020-05-10", None, "2021-04-20", None],
    })


def evaluation(**changes: object) -> socialrx.Evaluation:
    events = pd.DataFrame([
        (1, "2018-12-01", "ae_attendance"),  # client 1: before the data range (data_start 2019-01-01)
        (1, "2020-02-01", "ae_attendance"),  # client 1: 64 days before the index date
        (2, "2020-06-01", "ae_attendance"),  # client 2: 22 days after
        (4, "2021-01-01", "ae_attendance"),  # client 4: 109 days before
        (4, "2021-05-01", "ae_attendance"),  # client 4: 11 days after
        (99, "2021-06-01", "ae_attendance"),  # a comparison patient: in no trend of the clients
    ], columns=["person_id", "date", "kind"])
    assessments = pd.DataFrame([
        (1, "2020-04-05", "baseline", "dudley7", "finance.enough_money", 0),
        (1, "2020-09-01", "final", "dudley7", "finance.enough_money", 2),
        (4, "2021-04-20", "baseline", "dudley7", "finance.enough_money", 0),
        (4, "2021-09-01", "final", "dudley7", "finance.enough_money", 0),
        (1, "2020-04-05", "baseline", "ons4", "life_satisfaction", 3),
        (1, "2020-09-01", "final", "ons4", "life_satisfaction", 7),
        (4, "2021-04-20", "baseline", "ons4", "life_satisfaction", 2),
        (4, "2021-09-01", "final", "ons4", "life_satisfaction", 3),
    ], columns=["client_id", "date", "timepoint", "instrument", "item", "value"])
    interventions = pd.DataFrame({"client_id": [1, 2, 4], "date": ["2020-04-06", "2020-05-11", "2021-04-21"],
                                  "kind": ["contact_phone"] * 3, "sector": [None] * 3})
    feedback = pd.DataFrame({"client_id": [1, 4], "date": ["2020-06-01", "2021-06-01"], "stars": [5, 3],
                             "impact": ["some", "none"], "connected_to_services": ["yes", "no"]})
    arguments: dict[str, object] = dict(
        clients=clients(), events=events, assessments=assessments, interventions=interventions, feedback=feedback,
        comparison=pd.DataFrame({"patient_id": [99]}), data_start="2019-01-01", data_end="2022-06-30")
    return socialrx.Evaluation(**{**arguments, **changes})


def column(frame: pd.DataFrame, by: str, value: str, **where: str) -> dict[str, int]:
    for name, wanted in where.items():
        frame = frame[frame[name] == wanted]
    return {str(k): v for k, v in zip(frame[by], frame[value])}


# ----------------------------------------------------------------- the period rule, per figure
def test_reach_goes_by_the_referral_date():
    reach = evaluation().reach(by="financial_year")
    # Referred: client 1 in 2019/20; 2 and 3 in 2020/21; 4 and 5 in 2021/22.
    assert column(reach, "financial_year", "referred") == {"2019/20": 1, "2020/21": 2, "2021/22": 2}
    assert column(reach, "financial_year", "connected") == {"2019/20": 1, "2020/21": 1, "2021/22": 1}
    assert reach.attrs["period_rule"] == BY_REFERRAL


def test_use_and_cost_go_by_the_index_date():
    ev = evaluation()
    use = ev.utilisation(6, by="financial_year")
    # Clients 1 and 2 start in 2020/21 (client 1's A&E visit before, client 2's after); client 4
    # in 2021/22 (one before, one after). No one starts in 2019/20, the year client 1 was referred.
    assert column(use, "financial_year", "clients", kind="ae_attendance") == {
        "2020/21": 2, "2021/22": 1, "not connected": 0}
    assert column(use, "financial_year", "pre", kind="ae_attendance") == {
        "2020/21": 1, "2021/22": 1, "not connected": 0}
    assert column(use, "financial_year", "post", kind="ae_attendance") == {
        "2020/21": 1, "2021/22": 1, "not connected": 0}
    assert use.attrs["period_rule"] == BY_INDEX
    ev.tariff = socialrx.evaluation.load_tariff("example")
    assert ev.cost_avoidance(6, by="financial_year").attrs["period_rule"] == BY_INDEX
    assert "period_rule" not in ev.utilisation(6).attrs  # not cut by time: no rule to name
    assert socialrx.headline(ev, windows=[6], by="financial_year", match=False).figures["groups"][
        "period_rule"] == BY_INDEX


def test_support_and_feedback_go_by_the_index_date():
    ev = evaluation()
    support = ev.support(by="financial_year")
    # "referred" here is the clients of each index year: 1 and 2 in 2020/21, 4 in 2021/22,
    # the two never connected (3, 5) under "not connected".
    assert column(support, "financial_year", "value", measure="referred") == {
        "2020/21": 2.0, "2021/22": 1.0, "not connected": 2.0}
    assert column(support, "financial_year", "value", measure="contacts") == {
        "2020/21": 2.0, "2021/22": 1.0, "not connected": 0.0}
    assert support.attrs["period_rule"] == BY_INDEX
    feedback = ev.feedback_summary(by="financial_year")
    # Client 1 (5 stars) starts in 2020/21, client 4 (3 stars) in 2021/22.
    assert column(feedback, "financial_year", "yes", measure="four_or_five_stars") == {
        "2020/21": 1, "2021/22": 0, "not connected": 0}
    assert feedback.attrs["period_rule"] == BY_INDEX


def test_outcomes_and_wellbeing_go_by_the_index_date():
    ev = evaluation()
    outcomes = ev.outcomes(by="financial_year")
    # Finance: client 1 (2020/21) goes from not managing to managing; client 4 (2021/22) stays.
    assert column(outcomes, "financial_year", "nm_pre", domain="finance") == {
        "2020/21": 1, "2021/22": 1, "not connected": 0}
    assert column(outcomes, "financial_year", "nm_post", domain="finance") == {
        "2020/21": 0, "2021/22": 1, "not connected": 0}
    assert outcomes.attrs["period_rule"] == BY_INDEX
    assert outcomes.attrs["excluded"]["2020/21"]["paired"] == 1
    wellbeing = ev.wellbeing(by="financial_year")
    # Low life satisfaction (0-4): client 1 from 3 to 7, client 4 from 2 to 3.
    low = {"measure": "share_low_life_satisfaction"}
    assert column(wellbeing, "financial_year", "n_before", **low) == {"2020/21": 1, "2021/22": 1}
    assert column(wellbeing, "financial_year", "n_after", **low) == {"2020/21": 0, "2021/22": 1}
    assert wellbeing.attrs["period_rule"] == BY_INDEX


# ----------------------------------------------------------------- quarters, months, service periods
def test_quarters_and_months_keep_the_empty_ones():
    ev = evaluation()
    quarters = ev.reach(by="quarter")
    # NHS quarters: Q1 is April to June. March 2020 is 2019/20 Q4; May and June 2020 2020/21 Q1.
    assert column(quarters, "quarter", "referred") == {
        "2019/20 Q4": 1, "2020/21 Q1": 2, "2020/21 Q2": 0, "2020/21 Q3": 0, "2020/21 Q4": 0,
        "2021/22 Q1": 1, "2021/22 Q2": 0, "2021/22 Q3": 1}
    months = ev.reach(by="month")
    assert len(months) == 22  # March 2020 to December 2021
    assert column(months, "month", "referred")["2020-04"] == 0
    assert months.attrs["period_rule"] == BY_REFERRAL


def test_service_periods_that_are_not_financial_years():
    ev = evaluation()
    reach = ev.reach(periods=SERVICE_YEARS)
    # Year 1 (October to September) holds referrals 1-3; Year 2 client 4; client 5 (December
    # 2021) is in neither, counted as such.
    assert column(reach, "period", "referred") == {"Year 1": 3, "Year 2": 1, "outside periods": 1}
    assert column(reach, "period", "connected") == {"Year 1": 2, "Year 2": 1, "outside periods": 0}
    use = ev.utilisation(6, periods=SERVICE_YEARS)
    assert column(use, "period", "clients", kind="ae_attendance") == {
        "Year 1": 2, "Year 2": 1, "not connected": 0}
    support = ev.support(periods=SERVICE_YEARS)
    assert column(support, "period", "value", measure="contacts") == {
        "Year 1": 2.0, "Year 2": 1.0, "not connected": 0.0}
    assert support.attrs["period_rule"] == BY_INDEX


def test_service_periods_come_in_date_order_not_by_name():
    periods = [("Pilot", "2019-10-01", "2020-09-30"), ("Main", "2020-10-01", "2021-09-30")]
    ev = evaluation()
    for frame in (ev.reach(periods=periods), ev.support(periods=periods), ev.feedback_summary(periods=periods),
                  ev.outcomes(periods=periods)):
        assert list(dict.fromkeys(frame["period"]))[:2] == ["Pilot", "Main"]


@pytest.mark.parametrize(("arguments", "message"), [
    (dict(periods=[("a", "2020-01-01", "2020-06-30"), ("b", "2020-06-30", "2020-12-31")]), "overlap"),
    (dict(periods=[("a", "2020-06-01", "2020-01-01")]), "ends before it starts"),
    (dict(periods=[("a", "2020-01-01")]), "periods row 0"),
    (dict(by="quarter", periods=SERVICE_YEARS), "either by= or periods="),
])
def test_bad_periods_are_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        evaluation().reach(**arguments)


# ----------------------------------------------------------------- the rate ratio
def test_rate_ratio_interval_is_the_exact_conditional_binomial_one():
    scipy_stats = pytest.importorskip("scipy.stats")
    ratio = rate_ratio(120, 150)
    # Given 270 referrals, the recent 120 are binomial with p = RR / (1 + RR): the exact
    # (Clopper-Pearson) interval of p, as scipy's binomtest gives it, turned into RR = p / (1 - p).
    exact = scipy_stats.binomtest(120, 270).proportion_ci(method="exact")
    assert ratio.ratio == pytest.approx(0.8)
    assert ratio.low == pytest.approx(exact.low / (1 - exact.low), rel=1e-9)
    assert ratio.high == pytest.approx(exact.high / (1 - exact.high), rel=1e-9)
    assert (round(ratio.low, 2), round(ratio.high, 2)) == (0.62, 1.02)


def test_rate_ratio_with_a_zero_count_matches_the_published_binomial_bound():
    pytest.importorskip("scipy.stats")
    # 0 of 5: the exact 95% upper bound of p is 1 - 0.025^(1/5) = 0.5218 (the published
    # Clopper-Pearson table value for n = 5), so RR's is 0.5218 / 0.4782 = 0.025^(-1/5) - 1.
    none_recent = rate_ratio(0, 5)
    assert (none_recent.ratio, none_recent.low) == (0.0, 0.0)
    assert none_recent.high == pytest.approx(0.025 ** -0.2 - 1) == pytest.approx(1.0913, abs=1e-4)
    none_before = rate_ratio(5, 0)
    assert math.isinf(none_before.ratio) and math.isinf(none_before.high)
    assert none_before.low == pytest.approx(1 / (0.025 ** -0.2 - 1))
    assert math.isnan(rate_ratio(0, 0).ratio)


# ----------------------------------------------------------------- the trend
def monthly_referrals() -> socialrx.Evaluation:
    # January to June 2021: 1, 2, 3, 4, 5, 6 referrals (on the 10th); one on 10 July 2021, the
    # last referral, so July is incomplete.
    dates = [f"2021-{month:02d}-10" for month in range(1, 7) for _ in range(month)] + ["2021-07-10"]
    return socialrx.Evaluation(clients=pd.DataFrame({
        "client_id": range(1, len(dates) + 1), "referral_date": dates,
        "index_date": [d if i % 2 == 0 else None for i, d in enumerate(dates)]}))


def test_trend_compares_the_last_complete_months():
    pytest.importorskip("scipy.stats")
    result = monthly_referrals().trend("referrals", by="month", last=3)
    # Recent: April to June, 4 + 5 + 6 = 15; before: January to March, 1 + 2 + 3 = 6.
    # RR 2.5; exact interval as binomtest(15, 21): 0.92 to 7.86.
    assert result.summary() == (
        "Referrals in the last 3 months: 15 against 6 in the 3 before (rate ratio 2.50, 95% CI 0.92 to 7.86)\n"
        "Compared: 2021-04 to 2021-06 against 2021-01 to 2021-03; 2021-07 left out (the data cover part of it).")
    assert list(result.table["count"]) == [1, 2, 3, 4, 5, 6, 1]
    assert list(result.table["complete"]) == [True] * 6 + [False]
    assert "rate ratio 2.50" in result._repr_html_()


def test_trend_end_quarters_and_too_few_months():
    pytest.importorskip("scipy.stats")
    ev = monthly_referrals()
    # The data said to run to 31 July: July is complete. Recent May-July 5 + 6 + 1; before
    # February-April 2 + 3 + 4.
    through_july = ev.trend("referrals", last=3, end="2021-07-31").ratio
    assert (through_july.recent, through_july.before) == (12, 9)
    # Quarters: 2021/22 Q1 (April-June) 15 against 2020/21 Q4 (January-March) 6; Q2 incomplete.
    quarters = ev.trend("referrals", by="quarter", last=1)
    assert (quarters.ratio.recent, quarters.ratio.before) == (15, 6)
    assert list(quarters.table["quarter"]) == ["2020/21 Q4", "2021/22 Q1", "2021/22 Q2"]
    with pytest.raises(ValueError, match="needs 8 complete months; the data have 6"):
        ev.trend("referrals", last=4)
    with pytest.raises(ValueError, match="measure"):
        ev.trend("sandwiches")


def test_trend_of_connections_and_of_events():
    pytest.importorskip("scipy.stats")
    # Every other referral connects (the 1st, 3rd, ... in date order): by referral month
    # January 1 (the 1st), February 1 (3rd), March 1 (5th), April 2 (7th, 9th), May 3, June 3.
    connected = monthly_referrals().trend("connected", last=3).ratio
    assert (connected.recent, connected.before) == (2 + 3 + 3, 1 + 1 + 1)
    # The clients' A&E visits by financial year over the data range, 1 January 2019 (2018/19
    # incomplete) to 30 June 2022 (2022/23 incomplete): 2019/20 one, 2020/21 two, 2021/22 one;
    # the visit of December 2018 is outside the data range, counted as such; the comparison
    # patient's visit is not the service's.
    events = evaluation().trend("ae_attendance", by="financial_year", last=1)
    assert list(events.table["count"]) == [0, 1, 2, 1, 0]
    assert list(events.table["complete"]) == [False, True, True, True, False]
    assert events.table.attrs["outside"] == 1
    assert (events.ratio.recent, events.ratio.before) == (1, 2)


# ----------------------------------------------------------------- two periods side by side
def test_compare_periods_puts_each_headline_side_by_side():
    comparison = evaluation().compare_periods("2020/21", "2021/22", windows=6, match=False)
    table = comparison.table.set_index(["section", "measure"])
    # Each period's clients by index date (by referral date if never connected): 2020/21 holds
    # clients 1, 2 (connected) and 3; 2021/22 client 4 (connected) and 5.
    assert table.loc[("reach", "referred"), ["2020/21", "2021/22", "change"]].tolist() == [3, 2, -1]
    assert table.loc[("reach", "referred"), "pct_change"] == pytest.approx(-100 / 3)
    # Connected: 2 of 3 (66.7%) against 1 of 2 (50%): a change of -16.7 points, not a % of a %.
    share = table.loc[("reach", "pct_connected")]
    assert share["change"] == pytest.approx(50 - 200 / 3) and math.isnan(share["pct_change"])
    # A&E before the index date per client: 2020/21 1 visit / 2 clients; 2021/22 1 / 1.
    before = table.loc[("utilisation", "6m ae_attendance before per client")]
    assert (before["2020/21"], before["2021/22"], before["change"]) == (0.5, 1.0, 0.5)
    assert comparison.table.attrs["period_rule"].startswith("each period's clients by index date")
    assert "reach: referred: 3 -> 2 (-1)" in comparison.summary()
    # Every effect line says what it is: here, with match=False, the naive before/after alone.
    assert set(comparison.table["method"]) == {"", "before/after, included clients"}
    assert "utilisation: 6m ae_attendance before per client [before/after, included clients]: 0.50 -> 1 (0.50)" \
        in comparison.summary()


def test_compare_periods_puts_the_matched_did_beside_the_naive_figures():
    data = socialrx.synthetic(n_clients=300, n_comparison=3000, seed=2)
    ev = socialrx.Evaluation(clients=data.clients, events=data.events, comparison=data.comparison,
                             tariff="example", data_start=data.data_start, data_end=data.data_end)
    first, second = ev.reporting_periods()[2:4]
    comparison = ev.compare_periods(first, second, windows=12, bootstrap=20, seed=3)
    table = comparison.table.set_index(["section", "measure", "method"])
    for label in (first, second):
        own = socialrx.headline(ev.for_period(label), windows=(12,), bootstrap=20, seed=3)
        did = own.effect("12m", "ae_attendance", "pct_change", "did")
        line = ("utilisation", "12m ae_attendance pct_change", "matched DiD")
        assert table.loc[line, label] == pytest.approx(did["value"])
        assert table.loc[(line[0], f"{line[1]}, interval low", line[2]), label] == pytest.approx(did["ci_low"])
        assert table.loc[(line[0], f"{line[1]}, matched clients", line[2]), label] == did["clients"] > 0
        naive = own.effect("12m", "all_priced_kinds", "cost_avoided_pence", "before_after")
        assert table.loc[("cost", "12m cost avoided", "before/after, included clients"), label] == naive["value"]
    assert "[matched DiD]" in comparison.summary() and "matched DiD" in comparison._repr_html_()
    with pytest.raises(ValueError, match="no comparison pool"):
        evaluation(comparison=None).compare_periods("2020/21", "2021/22", match=True)


def test_compare_service_periods():
    comparison = evaluation().compare_periods("Year 1", "Year 2", periods=SERVICE_YEARS, windows=6, match=False)
    referred = comparison.table.set_index(["section", "measure"]).loc[("reach", "referred")]
    assert (referred["Year 1"], referred["Year 2"]) == (3, 1)  # client 5 is in neither year


# ----------------------------------------------------------------- the report's Trends section
def referrals(per_month: list[int]) -> socialrx.Evaluation:
    """``per_month`` referrals in January 2021, February 2021, ... (on the 10th), all connected."""
    dates = [f"2021-{month:02d}-10" for month, n in enumerate(per_month, start=1) for _ in range(n)]
    return socialrx.Evaluation(clients=pd.DataFrame({"client_id": range(1, len(dates) + 1), "referral_date": dates,
                                                     "index_date": dates}))


def trends_html(ev: socialrx.Evaluation, *, whole_report: bool = False) -> str:
    """The Trends section as the report prints it: in the whole report, or built alone with
    its own disclosure control (the same counts and ties, faster)."""
    pytest.importorskip("matplotlib")
    from socialrx.disclosure import Registry
    from socialrx.report import build_report
    from socialrx.report._comparison import Comparison
    from socialrx.report._published import Builder, disclosure
    from socialrx.report._trends import trends_section

    if whole_report:
        return next(s for s in build_report(ev, match=False).sections if s.id == "trends").html()
    builder = Builder(ev, windows=[6, 12], service_cost_pence=None, comparison=Comparison(note="none"))
    registry = Registry()
    with disclosure(registry):
        while True:
            section = trends_section(builder)
            if registry.settled:
                return section.html()
            registry.protect()


def test_report_states_the_rate_ratio_of_published_months():
    pytest.importorskip("scipy.stats")
    # January-June 10, 10, 10, 20, 20, 20; July (incomplete) 5. Recent 60 against 30: RR 2.00,
    # exact interval as binomtest(60, 90).
    html = trends_html(referrals([10, 10, 10, 20, 20, 20, 5]), whole_report=True)
    statement = "Referrals in the last 3 months: 60 against 30 in the 3 before (rate ratio 2.00, 95% CI 1.27 to 3.21)"
    assert html.count(statement) == 1  # stated once, below the figure, not again in its caption
    assert 'data-figure="trend_referrals"' in html


def test_report_hides_the_statement_when_a_month_compared_is_suppressed():
    pytest.importorskip("scipy.stats")
    # July's 1 referral is suppressed; the months of 2021/22 add up to its referrals in the Reach
    # table, so one more of April-June is hidden with it, and the sums would reveal it.
    html = trends_html(referrals([10, 10, 10, 20, 20, 20, 1]))
    assert "(rate ratio" not in html.split("Year on year")[0]
    assert "a month&#x27;s count is suppressed" in html


def test_trend_plot_draws_a_bar_per_month():
    pytest.importorskip("scipy.stats")
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, ax = pyplot.subplots()
    drawn = referrals([10, 10, 10, 20, 20, 20, 5]).trend(last=3).plot(ax=ax)
    assert drawn is ax and len(ax.patches) == 7
    pyplot.close(figure)


def test_report_year_on_year_has_the_kinds_of_every_window():
    pytest.importorskip("scipy.stats")
    # Data to 31 December 2021: client 4 (index 20 April 2021) is in the 6-month windows but not
    # the 12-month ones, so their emergency admission is a kind of the 6-month table only; the
    # year on year table (12 months) still has its column.
    events = pd.DataFrame([(1, "2020-02-01", "ae_attendance"), (4, "2021-05-01", "emergency_admission")],
                          columns=["person_id", "date", "kind"])
    html = trends_html(evaluation(events=events, data_end="2021-12-31"))
    year_on_year = html.split("by NHS financial year of the index date")[1]
    assert "Emergency admissions" in year_on_year and "A&amp;E attendances" in year_on_year


def test_a_periods_evaluation_keeps_the_surveys_and_meetings_dated_within_it():
    """2020/21 runs 2020-04-01..2021-03-31: of the meetings on 2020-03-31, 2020-04-01 and
    2021-03-31, the last two; of the survey answers on 2020-06-01 and 2021-06-01, the first.
    Service year 2 (2020-10-01..2021-09-30) holds the meeting of 2021-03-31 and the answer of
    2021-06-01."""
    meetings = pd.DataFrame({"date": ["2020-03-31", "2020-04-01", "2021-03-31"], "kind": ["mdt"] * 3,
                             "organisations": [3, 4, 5], "clients": [2, 2, 2]})
    surveys = pd.DataFrame({"respondent_id": ["P1", "P2"], "respondent_type": ["practice"] * 2,
                            "survey": ["gp_practice"] * 2, "date": ["2020-06-01", "2021-06-01"],
                            "question": ["rating"] * 2, "answer": ["good", "poor"]})
    ev = evaluation(meetings=meetings, surveys=surveys)
    year = ev.for_period("2020/21")
    assert year.meetings_table["date"].dt.strftime("%Y-%m-%d").tolist() == ["2020-04-01", "2021-03-31"]
    assert year.surveys["answer"].tolist() == ["good"]
    service_year = ev.for_period("Year 2", periods=SERVICE_YEARS)
    assert service_year.meetings_table["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-31"]
    assert service_year.surveys["answer"].tolist() == ["poor"]
