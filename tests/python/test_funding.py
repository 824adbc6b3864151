"""Funding, cost per client, money spent apart from grants secured, personal health budgets by
category and income gained, on hand-made tables whose answers are worked out in the comments."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

import socialrx
from socialrx.funding import apportion

# The seed service (HIU) was match-funded by the CCG and the Department of Health. Here the CCG
# pays £120,000 for financial year 2019/20, and the Department of Health £120,000 for its own
# year, 1 October 2019 to 30 September 2020.
FUNDING = pd.DataFrame({
    "funder": ["CCG", "Department of Health"],
    "start": ["2019-04-01", "2019-10-01"],
    "end": ["2020-03-31", "2020-09-30"],
    "pence": [12_000_000, 12_000_000],
})


def clients() -> pd.DataFrame:
    # Client 1 starts support in 2019/20, client 2 in 2020/21; client 3 never connects.
    return pd.DataFrame({
        "client_id": [1, 2, 3],
        "referral_date": pd.to_datetime(["2019-06-01", "2020-03-01", "2020-05-01"]),
        "index_date": pd.to_datetime(["2019-07-01", "2020-04-15", None]),
    })


def interventions(**changes: list) -> pd.DataFrame:
    table = pd.DataFrame({
        "client_id": [1, 1, 1, 2, 2, 2],
        "date": pd.to_datetime(["2019-08-01", "2019-09-01", "2019-10-01", "2020-05-01", "2020-06-01", "2020-07-01"]),
        "kind": ["grant", "personal_health_budget", "benefit_award", "grant", "personal_health_budget",
                 "personal_health_budget"],
        "organisation": [None] * 6,
        "sector": [None] * 6,
        "cost_pence": [45_000, 6_000, None, 20_000, 2_500, 1_500],
        "funded_by": ["external", None, None, "service", "service", None],
        "category": ["fridge freezer", "transport", "Personal Independence Payment", None, "tablet computer",
                     "transport"],
        "annual_value_pence": [None, None, 958_360, None, None, None],
    })
    return table.assign(**changes)


def evaluation(**tables: object) -> socialrx.Evaluation:
    return socialrx.Evaluation(**{"clients": clients(), "interventions": interventions(), "funding": FUNDING,
                                  **tables})


# ------------------------------------------------------------------------------ apportioning
def test_a_grant_across_two_financial_years_is_split_by_days():
    # 2019-10-01..2020-03-31 is 31 + 30 + 31 + 31 + 29 (2020 is a leap year) + 31 = 183 days,
    # 2020-04-01..2020-09-30 is 30 + 31 + 30 + 31 + 31 + 30 = 183: of 366 days, half each, so
    # £60,000 in 2019/20 and £60,000 in 2020/21. With the CCG's £120,000 (all 2019/20, 366 days
    # from 2019-04-01 to 2020-03-31), 2019/20 costs £180,000 and 2020/21 £60,000.
    table = evaluation().funding(by="financial_year").table
    assert table.to_dict("list") == {
        "financial_year": ["2019/20", "2019/20", "2020/21"],
        "funder": ["CCG", "Department of Health", "Department of Health"],
        "days": [366, 183, 183],
        "pence": [12_000_000, 6_000_000, 6_000_000],
    }
    assert evaluation().funding().per_period() == {"2019/20": 18_000_000, "2020/21": 6_000_000}


def test_pence_that_do_not_split_evenly_go_by_the_largest_remainder():
    # £1,000.00 for 30 March to 1 April 2020: 2 days in 2019/20, 1 in 2020/21. Shares 66,666.67p
    # and 33,333.33p; whole pence 66,666 + 33,333 = 99,999, the 1p left to the larger fraction.
    grant = pd.DataFrame({"funder": ["Trust"], "start": ["2020-03-30"], "end": ["2020-04-01"], "pounds": ["£1,000"]})
    table = evaluation(funding=grant).funding().table
    assert table["pence"].tolist() == [66_667, 33_333]
    assert apportion(100_000, [2, 1]) == [66_667, 33_333]
    # 2p over three equal parts: remainders tie at 2 each, so the earlier parts get them.
    assert apportion(2, [1, 1, 1]) == [1, 1, 0]
    assert sum(apportion(12_345_679, [31, 30, 31, 29])) == 12_345_679


def test_by_funder_and_by_service_periods():
    ev = evaluation()
    by_funder = ev.funding(by="funder")
    assert by_funder.table["pence"].tolist() == [12_000_000, 12_000_000] and by_funder.total_pence == 24_000_000
    # Service year 1 from 2019-10-01 to 2020-09-30: the CCG's grant is in it from 1 October to
    # 31 March, 183 of its 366 days (£60,000), and the rest (£60,000) is outside every period.
    table = ev.funding(periods=[("year 1", "2019-10-01", "2020-09-30")]).table
    assert list(zip(table["period"], table["funder"], table["pence"])) == [
        ("year 1", "CCG", 6_000_000), ("year 1", "Department of Health", 12_000_000),
        ("outside periods", "CCG", 6_000_000)]
    assert "£240,000.00" in by_funder.summary() and "<table>" in by_funder._repr_html_()


def test_one_period_evaluation_keeps_that_periods_part_of_each_grant():
    # 2020/21 holds client 2 and the Department of Health's £60,000 (its half computed above);
    # the CCG's grant is all 2019/20. The period's net saving takes that £60,000 as its cost.
    period = evaluation().for_period("2020/21")
    assert period.funding_table["pence"].tolist() == [6_000_000]
    assert period.funding().per_period() == {"2020/21": 6_000_000}
    assert evaluation().for_period("2019/20").funding().total_pence == 18_000_000
    year_1 = evaluation().for_period("year 1", periods=[("year 1", "2019-10-01", "2020-09-30")])
    assert year_1.funding(by="funder").table["pence"].tolist() == [6_000_000, 12_000_000]


# ------------------------------------------------------------------------------ cost per client
def test_cost_per_client_over_the_clients_supported():
    # £240,000 over the 2 connected clients (client 3 never connected): £120,000 each.
    whole = evaluation().cost_per_client()
    assert whole[["service_cost_pence", "clients", "cost_per_client_pence"]].iloc[0].tolist() == [
        24_000_000, 2, 12_000_000]
    # A given cost of 100,001p over 2 clients is 50,000.5p: half a penny rounds away from zero.
    assert evaluation().cost_per_client(100_001)["cost_per_client_pence"].iloc[0] == 50_001
    # By financial year: 2019/20 £180,000 / 1 client; 2020/21 £60,000 / 1 client.
    years = evaluation().cost_per_client(by="financial_year")
    assert years.to_dict("list") == {"financial_year": ["2019/20", "2020/21"],
                                     "service_cost_pence": [18_000_000, 6_000_000], "clients": [1, 1],
                                     "cost_per_client_pence": [18_000_000, 6_000_000]}


# ------------------------------------------------------------------------------ net saving
def with_events(**tables: object) -> socialrx.Evaluation:
    # Client 1 (index 2019-07-01): 3 A&E attendances in the 12 months before, 1 after; at £140
    # each (the example tariff), £280 avoided. Client 2 (index 2020-04-15): none either side.
    events = pd.DataFrame({"person_id": [1, 1, 1, 1],
                           "date": ["2018-09-01", "2018-12-01", "2019-03-01", "2019-09-01"],
                           "kind": "ae_attendance"})
    return evaluation(events=events, tariff="example", data_start="2018-04-01", data_end="2021-06-30", **tables)


def test_net_saving_takes_the_funding_as_the_service_cost():
    # Gross £280 (28,000p) less the funding's £240,000: -23,972,000p over 2 patients, -11,986,000p
    # each; the service cost per patient is 24,000,000 / 2 = 12,000,000p.
    saving = with_events().net_saving(window=12)
    assert saving["service_cost_pence"] == 24_000_000
    assert saving["gross_pence"] == 28_000
    assert saving["net_pence"] == -23_972_000 and saving["net_per_patient_pence"] == -11_986_000
    assert saving["service_cost_per_patient_pence"] == 12_000_000
    assert with_events().net_saving(500, window=12)["service_cost_pence"] == 500  # a given cost wins


def test_a_benefit_award_is_income_never_nhs_cost_avoided():
    # The client's PIP award (£9,583.60 a year) is reported as income gained, and the cost
    # avoided and the net saving are exactly those without the award.
    with_award, without = with_events(), with_events(interventions=interventions().drop(index=2))
    assert with_award.income_gained().to_dict("list") == {
        "benefit": ["Personal Independence Payment"], "awards": [1], "clients": [1], "annual_pence": [958_360]}
    assert with_award.cost_avoidance(windows=12).equals(without.cost_avoidance(windows=12))
    assert with_award.net_saving(window=12).equals(without.net_saving(window=12))
    assert int(with_award.cost_avoidance(windows=12)["avoided_pence"].sum()) == 28_000


def test_no_service_cost_and_no_funding_is_an_error():
    ev = socialrx.Evaluation(clients=clients())
    with pytest.raises(ValueError, match="service_cost_pence: give the service's cost, or a funding table"):
        ev.cost_per_client()
    with pytest.raises(ValueError, match="funding: this evaluation was given no funding table"):
        ev.funding()


# ------------------------------------------------------------------------------ spend and budgets
def test_money_spent_is_kept_apart_from_grants_secured():
    # Grants: £450 secured from a charity (external) for client 1, £200 of the service's own for
    # client 2. Budgets, all the service's: £60 + £25 + £15 = £100. The award spends nothing.
    spend = evaluation().spend().set_index("kind")
    assert spend.loc["grant", ["interventions", "clients", "pence", "service_pence", "external_pence"]].tolist() == [
        2, 2, 65_000, 20_000, 45_000]
    assert spend.loc["personal_health_budget", ["pence", "service_pence", "external_pence"]].tolist() == [
        10_000, 10_000, 0]
    assert spend.loc["benefit_award", ["interventions", "clients", "pence"]].tolist() == [1, 1, 0]


def test_personal_health_budgets_by_what_they_bought():
    # Transport £60 (client 1) + £15 (client 2) = £75 over 2 clients; a tablet £25. In total
    # £100, the support summary's phb_pence.
    ev = evaluation()
    phb = ev.phb_summary()
    assert phb.to_dict("list") == {"category": ["tablet computer", "transport"], "items": [1, 2],
                                   "clients": [1, 2], "pence": [2_500, 7_500]}
    support = ev.support().set_index("measure")["value"]
    assert phb["pence"].sum() == support["phb_pence"] == 10_000
    by_year = ev.phb_summary(by="financial_year")
    assert by_year[["financial_year", "category", "pence"]].values.tolist() == [
        ["2019/20", "transport", 6_000], ["2020/21", "tablet computer", 2_500], ["2020/21", "transport", 1_500]]


def test_an_award_does_not_end_a_length_of_support():
    # Client 1's last support is the budget on 2019-09-01, 62 days after index; the award on
    # 2019-10-01 is income, not support. Client 2's last is 2020-07-01, 77 days after index.
    support = evaluation().support().set_index("measure")["value"]
    assert support["support_days_mean"] == (62 + 77) / 2


# ------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(("changes", "message"), [
    ({"cost_pence": [45_000, 6_000, 100, 20_000, 2_500, 1_500]},
     r"interventions\.cost_pence row 2: a benefit_award is income the client gained, not spend"),
    ({"funded_by": ["charity", None, None, None, None, None]},
     r"interventions\.funded_by row 0: unknown value 'charity' \(expected one of: service, external\)"),
    ({"annual_value_pence": [None, 5, 958_360, None, None, None]},
     r"interventions\.annual_value_pence row 1: only a benefit_award carries an annual value"),
    ({"annual_value_pence": [None] * 6}, r"interventions\.annual_value_pence row 2: an award needs its value"),
    # A row the support engine reads names the row of the table as given, after the award.
    ({"cost_pence": [45_000, 6_000, None, -1, 2_500, 1_500]}, r"interventions\.cost_pence row 3: negative cost"),
    ({"date": pd.to_datetime(["2019-08-01", "2019-09-01", "2019-01-01", "2020-05-01", "2020-06-01", "2020-07-01"])},
     r"interventions\.date row 2: dated 2019-01-01, before the client's referral on 2019-06-01"),
])
def test_bad_money_columns_name_the_row(changes, message):
    with pytest.raises(ValueError, match=message):
        evaluation(interventions=interventions(**changes)).spend()


@pytest.mark.parametrize(("changes", "message"), [
    ({"funder": ["CCG", " "]}, r"funding\.funder row 1: missing funder"),
    ({"end": ["2019-03-31", "2020-09-30"]}, r"funding\.end row 0: the grant ends before it starts"),
    ({"pence": [12_000_000, -1]}, r"funding\.pence row 1: a negative amount"),
    ({"pence": [12_000_000, None]}, r"funding\.pence row 1: missing amount"),
])
def test_bad_funding_names_the_row(changes, message):
    with pytest.raises(ValueError, match=message):
        evaluation(funding=FUNDING.assign(**changes))


def test_an_empty_funding_table_is_refused():
    with pytest.raises(ValueError, match=r"^funding: the table has no rows"):
        evaluation(funding=FUNDING.iloc[:0])


# ------------------------------------------------------------------------------ synthetic service
def test_the_synthetic_service_is_match_funded_and_records_its_money():
    one, two = (socialrx.synthetic(n_clients=400, n_comparison=0, seed=4) for _ in range(2))
    pd.testing.assert_frame_equal(one.funding, two.funding)
    pd.testing.assert_frame_equal(one.interventions, two.interventions)
    funding = one.funding
    ccg = funding[funding["funder"] == "CCG"]
    # The Department of Health's whole years (1 October to 30 September; the first and last are
    # cut by the data range, 2019-04-01 to 2025-03-31).
    health = funding[(funding["funder"] == "Department of Health") & (funding["start"].dt.month == 10)
                     & (funding["end"].dt.month == 9)]
    # Match funding: the CCG's grant for April-March and the Department of Health's from the
    # October after are the same sum; every whole year's grant is in whole pounds.
    assert len(ccg) == 6 and len(health) == 5
    assert dict(zip(health["start"].dt.year, health["pence"])) == dict(zip(ccg["start"].dt.year[:5], ccg["pence"][:5]))
    assert (ccg["pence"] % 100 == 0).all()
    ev = socialrx.Evaluation(clients=one.clients, interventions=one.interventions, funding=funding)
    assert ev.funding(by="funder").total_pence == funding["pence"].sum()
    assert set(ev.spend().set_index("kind").loc[["grant", "voucher"], "external_pence"] > 0) == {True}
    income = ev.income_gained()
    assert set(income["annual_pence"] // income["awards"]) <= {958_360, 377_780}
    assert ev.phb_summary()["pence"].sum() == ev.support().set_index("measure").loc["phb_pence", "value"]


# ------------------------------------------------------------------------------ report
def funding_text(ev: socialrx.Evaluation, service_cost_pence: int | None = None) -> str:
    """The Funding section's text, built as the report builds it (disclosure over the section)."""
    from socialrx.disclosure import Registry
    from socialrx.report import service_cost_for, service_costs
    from socialrx.report._comparison import Comparison
    from socialrx.report._funding import funding_section
    from socialrx.report._published import Builder, disclosure

    cost = service_cost_for(service_costs(ev, service_cost_pence), None)
    builder = Builder(ev, windows=[12], service_cost_pence=cost, comparison=Comparison(note="none"))
    registry = Registry()
    with disclosure(registry):
        while True:
            section = funding_section(builder)
            if registry.settled:
                return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape("".join(section.parts))))
            registry.protect()


def test_the_report_shows_cost_per_funder_and_year_and_hides_money_over_few_clients():
    text = funding_text(evaluation())
    # 2019/20: CCG £120,000 + Department of Health £60,000 = £180,000; 2020/21 £60,000.
    assert "2019/20 £120,000.00 £60,000.00 £180,000.00" in text
    assert "2020/21 £0.00 £60,000.00 £60,000.00" in text
    assert "all years £120,000.00 £120,000.00 £240,000.00" in text
    # One client supported a year: the count is suppressed and so is the cost per client.
    assert "2019/20 £180,000.00 * –" in text and "all years £240,000.00 * –" in text
    assert "Income gained by clients from benefit awards" in text and "£9,583.60" not in text
    # Without a funding table, a given service cost still gives the cost per client.
    assert "all years £500.00 * –" in funding_text(evaluation(funding=None), 50_000)


def test_the_demo_takes_its_service_cost_from_the_synthetic_funding(tmp_path):
    from socialrx.cli import main

    out = tmp_path / "demo.json"
    assert main(["demo", "--n-clients", "300", "--n-comparison", "300", "--bootstrap", "20", "--json", str(out)]) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    funding = socialrx.synthetic(n_clients=300, n_comparison=300, seed=1).funding
    assert figures["net_saving"]["service_cost_pence"] == int(funding["pence"].sum())
