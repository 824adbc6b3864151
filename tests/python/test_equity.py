"""Equity of access: registered populations, rates against them, and the synthetic access gap."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx.equity import chi2_sf, inequality_indices, rates, wilson_interval
from socialrx.population import AGE_BANDS, age_bands, esp2013, pathway_stages, read_gp_registrations

Z95 = 1.959963984540054

# The worked example of Public Health England's "Commonly used public health statistics and their
# confidence intervals" tool (February 2018, after APHO Technical Briefing 3), DSR sheet: events
# and population by ESP2013 age band; the tool gives the DSR per 100,000 with Dobson's 95%
# interval (PHE Technical Guide: Confidence Intervals, appendix 4, Byar's limits for the count).
# Values as the tool computed them, from PHEindicatormethods' tests (testdata_DSR_ISR.xlsx,
# testresults_DSR, rows testdata_big and testdata_small).
PHE_POPULATION = [636, 558, 609, 543, 384, 594, 669, 843, 660, 576, 606, 522, 426, 273, 300, 288, 153, 123, 207]
PHE_EVENTS = {
    "big": ([127, 25, 18, 21, 12, 27, 48, 27, 29, 32, 32, 34, 45, 65, 38, 68, 74, 82, 91],
            (10430.247991469423, 9717.709067985681, 11178.94091547925)),
    "small": ([12, 4, 3, 2, 3, 4, 8, 2, 2, 3, 4, 5, 6, 8, 5, 6, 5, 5, 4],
              (1103.212025300104, 877.455767536709, 1367.0882227251795)),
}


def test_esp2013_weights_are_eurostats():
    weights = esp2013()
    assert list(weights.index) == list(AGE_BANDS) and weights.sum() == 100_000
    assert (weights["0-4"], weights["40-44"], weights["85-89"], weights["90+"]) == (5000, 7000, 1500, 1000)
    assert "Eurostat" in weights.attrs["source"]


@pytest.mark.parametrize("name", sorted(PHE_EVENTS))
def test_standardised_rate_matches_the_phe_worked_example(name):
    events, (dsr, low, high) = PHE_EVENTS[name]
    counts = pd.DataFrame({"group": name, "age_band": AGE_BANDS, "sex": "persons",
                           "registered": PHE_POPULATION, "people": events})
    row = rates(counts, per=100_000).iloc[0]
    assert row["standardised_rate"] == pytest.approx(dsr, rel=1e-12)
    assert row["standardised_low"] == pytest.approx(low, rel=1e-12)
    assert row["standardised_high"] == pytest.approx(high, rel=1e-12)
    # Crude: 895 / 8970 per 100,000 = 9977.70...
    assert row["crude_rate"] == pytest.approx(100_000 * sum(events) / 8970)


def test_fewer_than_ten_people_give_no_standardised_rate():
    counts = pd.DataFrame({"group": "a", "age_band": ["20-24", "70-74"], "sex": "female", "registered": [100, 100],
                           "people": [4, 5]})
    row = rates(counts).iloc[0]
    assert np.isnan(row["standardised_rate"]) and row["crude_rate"] == pytest.approx(45.0)


def _hand_worked_evaluation() -> tuple[socialrx.Evaluation, pd.DataFrame]:
    """Quintile 1: 20-24 women 10 referred of 1,000 registered, 70-74 women 20 of 500, and 5
    women aged 20-24 who declined; quintile 5: 10 of 2,000 and 10 of 500."""
    groups = [(1, 22, 10, "referred"), (1, 72, 20, "connected"), (1, 22, 5, "declined"),
              (10, 22, 10, "referred"), (10, 72, 10, "connected")]
    rows = [(decile, age, status) for decile, age, n, status in groups for _ in range(n)]
    clients = pd.DataFrame(rows, columns=["imd_decile", "age", "status"])
    clients["client_id"] = np.arange(1, len(clients) + 1)
    clients["referral_date"] = pd.Timestamp("2024-05-01")
    clients["index_date"] = np.where(clients["status"] == "connected", pd.Timestamp("2024-06-01"), pd.NaT)
    clients["sex"] = "F"
    population = pd.DataFrame({"practice": "p81001", "age_band": ["20-24", "70-74", "20-24", "70-74"],
                               "sex": "female", "imd_decile": [1, 1, 10, 10], "registered": [1000, 500, 2000, 500]})
    return socialrx.Evaluation(clients=clients), population


def test_rates_and_rate_ratio_by_hand():
    ev, population = _hand_worked_evaluation()
    result = ev.equity(by="imd_quintile", population=population)
    table = result.table.set_index("imd_quintile")
    # Crude: 30 / 1,500 and 20 / 2,500 per 1,000.
    assert table["crude_rate"].tolist() == pytest.approx([20.0, 8.0])
    # Standard: women of 20-24 (6,000) and 70-74 (5,000), 11,000 in all.
    # Quintile 1: (6000 x 10/1000 + 5000 x 20/500) / 11000 x 1000 = 260/11; quintile 5: 130/11.
    assert table["standardised_rate"].tolist() == pytest.approx([260 / 11, 130 / 11])
    # var = 1000^2 x sum (w/W)^2 d/n^2: quintile 1 (36/121) 10 + (25/121) 80 = 2360/121; 5: 1090/121.
    assert table["standardised_variance"].tolist() == pytest.approx([2360 / 121, 1090 / 121])
    # Rate ratio 2; var(log) = (2360/121)/(260/11)^2 + (1090/121)/(130/11)^2 = 2360/67600 + 1090/16900.
    spread = Z95 * math.sqrt(2360 / 67600 + 1090 / 16900)
    most = result.inequality.set_index("measure").loc["rate ratio, most to least deprived"]
    assert (most["estimate"], most["low"], most["high"]) == pytest.approx(
        (2.0, 2 * math.exp(-spread), 2 * math.exp(spread)))
    assert result.reference == 5
    # Dobson: 260/11 + sqrt(var / 30) x (Byar's lower limit of 30 - 30).
    byar_low = 30 * (1 - 1 / 270 - Z95 / (3 * math.sqrt(30))) ** 3
    assert table.loc[1, "standardised_low"] == pytest.approx(260 / 11 + math.sqrt(2360 / 121 / 30) * (byar_low - 30))


def test_conversion_shares_and_who_is_left_out():
    ev, population = _hand_worked_evaluation()
    result = ev.equity(by="imd_quintile", population=population, stage="offered")
    conversion = result.conversion.set_index(["imd_quintile", "from_stage", "to_stage"])
    # Quintile 1: 35 offered, 30 referred, 20 connected, 5 declined; quintile 5: 20, 20, 10, 0.
    assert conversion.loc[(1, "offered", "referred"), ["people", "converted"]].tolist() == [35, 30]
    assert conversion.loc[(1, "referred", "connected"), ["people", "converted"]].tolist() == [30, 20]
    assert conversion.loc[(5, "offered", "declined"), ["people", "converted"]].tolist() == [20, 0]
    assert result.table["people"].tolist() == [35, 20]
    population = population[population["age_band"] != "70-74"]  # the 30 aged 70-74 have no one registered
    left_out = ev.equity(by="imd_quintile", population=population).exclusions
    assert left_out.to_dict("records") == [{"reason": "no one registered in their group, age band and sex",
                                            "people": 30}]


def test_wilson_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3 (Wilson score).
    low, high = wilson_interval([81, 15, 0, 1], [263, 148, 20, 29])
    assert np.round(low, 4).tolist() == [0.2553, 0.0624, 0.0, 0.0061]
    assert np.round(high, 4).tolist() == [0.3662, 0.1605, 0.1611, 0.1718]


def test_chi_squared_tail_and_trend_test_by_hand():
    assert chi2_sf(4.0, 2) == pytest.approx(math.exp(-2))  # df 2: exp(-x/2)
    assert chi2_sf(7.814727903251178, 3) == pytest.approx(0.05)  # the 95th centile of chi-squared(3)
    assert chi2_sf(3.841458820694124, 1) == pytest.approx(0.05)
    from socialrx.equity import _tests

    # 10, 20, 30 of 100 each, scores 1-3: p 0.2; (sum x (s - 2))^2 / (0.16 x 200) = 400 / 32 = 12.5.
    conversion = pd.DataFrame({"from_stage": "offered", "to_stage": "referred", "people": [100, 100, 100],
                               "converted": [10, 20, 30]})
    test = _tests(conversion, ordered=True).iloc[0]
    assert (test["test"], test["chi2"], test["df"]) == ("trend", pytest.approx(12.5), 1)
    assert test["p_value"] == pytest.approx(math.erfc(2.5))


def test_slope_and_relative_index_of_inequality_by_hand():
    # Equal thirds sit at ridits 1/6, 1/2, 5/6. Rates 30, 20, 10 lie on 35 - 30x: SII = 35 - 5 = 30.
    groups = pd.DataFrame({"registered": [100, 100, 100], "standardised_rate": [30.0, 20.0, 10.0],
                           "standardised_variance": [4.0, 4.0, 4.0]}, index=[1, 2, 3])
    sii = inequality_indices(groups).set_index("measure").loc["slope index of inequality"]
    assert sii["estimate"] == pytest.approx(30.0)
    # Known variances, exact fit: se(slope)^2 = 4 / sum (x - mean)^2 = 4 / (2/9) = 18.
    assert sii["high"] - sii["estimate"] == pytest.approx(Z95 * math.sqrt(18))
    # Rates 40, 20, 10 halve every third of the population: RII = 2^3 = 8.
    groups["standardised_rate"] = [40.0, 20.0, 10.0]
    rii = inequality_indices(groups).set_index("measure").loc["relative index of inequality"]
    assert rii["estimate"] == pytest.approx(8.0)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_synthetic_access_gap_is_recovered(seed):
    service = socialrx.synthetic(n_clients=3000, n_comparison=500, seed=seed, access_gap=0.5)
    truth = service.truth["equity"]["rate_ratio"]
    assert truth == pytest.approx(0.75)  # need 1.5 x access 0.5
    result = socialrx.Evaluation(clients=service.clients).equity(by="imd_quintile", population=service.population)
    ratio = result.inequality.set_index("measure").loc["rate ratio, most to least deprived"]
    assert ratio["low"] <= truth <= ratio["high"]
    assert ratio["high"] / ratio["low"] < 1.8  # an interval that says something


def test_synthetic_without_access_gap_is_unchanged():
    plain = socialrx.synthetic(n_clients=200, n_comparison=200, seed=4)
    assert plain.population is None and "equity" not in plain.truth


def test_nhs_digital_registrations_and_imd_by_lsoa(tmp_path):
    registrations = tmp_path / "gp-reg-pat-prac-quin-age.csv"
    registrations.write_text(
        "PUBLICATION,EXTRACT_DATE,TYPE,CCG_CODE,ONS_CCG_CODE,ORG_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS\n"
        "GP_PRAC_PAT_LIST,01Apr2024,GP,05C,E38000046,P81001,DY1 1AA,ALL,ALL,1300\n"
        "GP_PRAC_PAT_LIST,01Apr2024,GP,05C,E38000046,P81001,DY1 1AA,FEMALE,0_4,100\n"
        "GP_PRAC_PAT_LIST,01Apr2024,GP,05C,E38000046,P81001,DY1 1AA,FEMALE,90_94,300\n"
        "GP_PRAC_PAT_LIST,01Apr2024,GP,05C,E38000046,P81001,DY1 1AA,FEMALE,95+,100\n"
        "GP_PRAC_PAT_LIST,01Apr2024,GP,05C,E38000046,P81001,DY1 1AA,MALE,20_24,800\n"
        "GP_PRAC_PAT_LIST,01Apr2024,CCG,05C,E38000046,05C,,MALE,20_24,9999\n")
    lsoa = pd.DataFrame({"PRACTICE_CODE": ["P81001", "P81001", "P81001"],
                         "LSOA_CODE": ["E01000001", "E01000002", "E01000003"],
                         "NUMBER_OF_PATIENTS": [975, 325, 50]})
    lookup = pd.DataFrame({"lsoa_code": ["E01000001", "E01000002"], "imd_decile": [1, 8]})
    plain = read_gp_registrations(registrations)
    # 90-94 and 95+ make 90+; the ALL rows and the CCG row are left out.
    assert plain.set_index(["age_band", "sex"])["registered"].to_dict() == {
        ("0-4", "female"): 100, ("90+", "female"): 400, ("20-24", "male"): 800}
    assert plain.attrs["account"] == {"rows read": 6, "left out: totals or not a practice": 2}
    split = read_gp_registrations(registrations, lsoa=lsoa, lsoa_imd=lookup)
    # 975 and 325 of the 1,300 patients in known LSOAs: each count split 3/4 to decile 1, 1/4 to 8.
    men = split[split["sex"] == "male"].set_index("imd_decile")["registered"]
    assert men.to_dict() == {1: 600.0, 8: 200.0}
    assert sorted(split["imd_quintile"].unique()) == [1, 4]
    assert split.attrs["unmatched_lsoa_patients"] == 50
    whole = read_gp_registrations(registrations, lsoa=lsoa, lsoa_imd=lookup, imd="practice")
    assert whole["imd_decile"].unique().tolist() == [1] and whole["registered"].sum() == 1300


def test_population_errors_name_the_row():
    bad = pd.DataFrame({"practice": ["P1", "P1"], "age_band": ["0-4", "0 to 4"], "sex": ["f", "m"],
                        "registered": [1, 2]})
    with pytest.raises(ValueError, match=r"population.age_band row 1: '0 to 4'"):
        socialrx.population.registered_population(bad)
    bad["age_band"] = "0-4"
    bad["registered"] = [1, -2]
    with pytest.raises(ValueError, match=r"population.registered row 1"):
        socialrx.population.registered_population(bad)


def test_age_bands_and_pathway_stages():
    assert list(age_bands([0, 4, 5, 89, 90, 104])) == ["0-4", "0-4", "5-9", "85-89", "90+", "90+"]
    clients = pd.DataFrame({"status": ["referred", "declined", "connected", "offered", "connected"],
                            "index_date": [pd.NaT, pd.NaT, "2024-01-01", pd.NaT, "2024-01-01"],
                            "discharge_date": [pd.NaT, pd.NaT, "2024-05-01", pd.NaT, pd.NaT]})
    stages = pathway_stages(clients)
    assert stages.sum().to_dict() == {"offered": 5, "referred": 3, "declined": 1, "connected": 2, "supported": 1}


def test_effects_by_quintile_add_up_to_the_whole():
    service = socialrx.synthetic(n_clients=600, n_comparison=3000, seed=7, access_gap=0.7)
    ev = socialrx.Evaluation(clients=service.clients, events=service.events, assessments=service.assessments,
                             comparison=service.comparison, data_start=service.data_start,
                             data_end=service.data_end)
    match = ev.match()
    effects = ev.equity_effects(by="imd_quintile", match=match, bootstrap=50)
    outcomes = effects[effects["figure"] == "outcome"]
    whole = ev.outcomes().set_index("domain")["clients"]
    # Each domain's clients rated twice, split by quintile, add up to the service's.
    per_domain = outcomes.assign(domain=outcomes["measure"].str.split(":").str[0]).groupby("domain")["clients"].sum()
    assert per_domain.to_dict() == whole.to_dict()
    did = effects[(effects["figure"] == "did") & effects["measure"].str.startswith("12m gp_surgery")]
    overall = match.did(windows=(12,), bootstrap=0).table.set_index("kind").loc["gp_surgery", "matched_clients"]
    assert did["clients"].sum() == overall
    assert (did["low"] <= did["estimate"]).all() and (did["estimate"] <= did["high"]).all()


def test_by_age_band_and_sex_and_pcn():
    service = socialrx.synthetic(n_clients=600, n_comparison=200, seed=8, access_gap=1.0)
    population = service.population.assign(pcn=lambda p: np.where(p["practice"] < "P81020", "north", "south"))
    ev = socialrx.Evaluation(clients=service.clients)
    referred = int(pathway_stages(ev.clients)["referred"].sum())
    for by in ("age_band", "sex", "pcn", "practice"):
        result = ev.equity(by=by, population=population)
        assert result.table["people"].sum() == referred, by
    by_sex = ev.equity(by="sex", population=population)
    assert by_sex.reference == "female" and by_sex.tests["test"].iloc[0] == "difference"


def test_report_section_who_is_reached():
    """The section alone (the whole report with it renders in test_report.py's browser test)."""
    from socialrx.report._comparison import Comparison
    from socialrx.report._equity import equity_section
    from socialrx.report._published import Builder

    service = socialrx.synthetic(n_clients=600, n_comparison=200, seed=5, access_gap=0.6)
    ev = socialrx.Evaluation(clients=service.clients)
    builder = Builder(ev, windows=[12], service_cost_pence=None, comparison=Comparison(note="none"),
                      population=service.population)
    section = "".join(equity_section(builder).parts)
    assert 'data-figure="equity_rates"' in section and 'data-figure="equity_pathway"' in section
    rates = section.split("Referrals per 1,000 registered, by IMD quintile", 1)[1].split("</table>", 1)[0]
    assert len(re.findall(r"<tr>\s*<th>[1-5]</th>", rates)) == 5
    cells = re.findall(r"<td>([^<]*)</td>", section)
    counts = [int(c.replace(",", "")) for c in cells if re.fullmatch(r"\d{1,3}(,\d{3})*", c)]
    assert counts and not [n for n in counts if 0 < n < 5]
