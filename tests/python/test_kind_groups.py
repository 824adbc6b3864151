"""Groups of event kinds (inpatient, GP, hospital and the user's own): subtotals in every figure,
worked out by hand, and the group's matched DiD from each person's summed counts."""

from __future__ import annotations

import pandas as pd
import pytest

from socialrx import Evaluation
from socialrx.did import did
from socialrx.kind_groups import check_groups, resolve_groups, shipped_groups

INDEX = "2020-01-01"
BEFORE, AFTER = "2019-07-01", "2020-07-01"  # inside the 12 months (365 days) either side
# Unit costs chosen so that the per-kind pence are the seed's (Integrated Plus, seed 000):
# GP consultations £73,115, GP home visits £16,400, inpatients £751,400, A&E £58,305.
TARIFF = {"name": "test tariff", "price_year": "2019/20", "unit_costs": {
    "gp_surgery": {"pence": 3_500, "source": "test"}, "gp_telephone": {"pence": 1_500, "source": "test"},
    "gp_home_visit": {"pence": 10_000, "source": "test"}, "ae_attendance": {"pence": 11_500, "source": "test"},
    "emergency_admission": {"pence": 200_000, "source": "test"},
    "elective_admission": {"pence": 151_400, "source": "test"}}}
# (person, kind, before, after): client 1 has the GP events, client 2 the hospital events.
USE = [(1, "gp_surgery", 2_000, 1), (1, "gp_telephone", 220, 10), (1, "gp_home_visit", 170, 6),
       (2, "ae_attendance", 600, 93), (2, "emergency_admission", 320, 20), (2, "elective_admission", 110, 10)]


def _events(use: list[tuple[int, str, int, int]]) -> pd.DataFrame:
    rows = [(person, date, kind, count) for person, kind, before, after in use
            for date, count in ((BEFORE, before), (AFTER, after)) if count]
    return pd.DataFrame(rows, columns=["person_id", "date", "kind", "count"])


def _evaluation(use: list[tuple[int, str, int, int]], **options: object) -> Evaluation:
    clients = pd.DataFrame({"client_id": [1, 2], "referral_date": [INDEX] * 2, "index_date": [INDEX] * 2,
                            "practice": ["P1", "P2"]})
    return Evaluation(clients=clients, events=_events(use), tariff=TARIFF, data_start="2018-01-01",
                      data_end="2022-12-31", **options)


def test_the_seeds_gp_subtotal_is_89515_not_89915():
    """gp: surgery 1,999 fewer x £35 = £69,965; telephone 210 fewer x £15 = £3,150 (consultations
    £73,115); home visits 164 fewer x £100 = £16,400: 69,965 + 3,150 + 16,400 = £89,515 (the
    seed prints £89,915). inpatient: 300 x £2,000 + 100 x £1,514 = £751,400; hospital adds A&E
    507 x £115 = £58,305: £809,705."""
    ev = _evaluation(USE, kind_groups={"consultations": ["gp_surgery", "gp_telephone"]})
    cost = ev.cost_avoidance(12, groups=True).set_index("kind")["avoided_pence"]
    assert cost["gp"] == 8_951_500
    assert cost["consultations"] == 7_311_500
    assert cost["gp_home_visit"] == 1_640_000
    assert cost["inpatient"] == 75_140_000
    assert cost["hospital"] == 80_970_500
    # The kinds' rows are unchanged and come first; a group has no unit cost of its own.
    table = ev.cost_avoidance(12, groups=True)
    assert list(table["kind"])[:6] == list(ev.cost_avoidance(12)["kind"])
    assert table.set_index("kind")["unit_cost_pence"].isna()[["gp", "hospital"]].all()


def test_utilisation_subtotals_are_summed_counts():
    """gp before 2,000 + 220 + 170 = 2,390, after 1 + 10 + 6 = 17: change -2,373, -99.29%;
    2 clients in the window: 1,195 and 8.5 per client."""
    use = _evaluation(USE).utilisation(12, groups=True).set_index("kind")
    gp = use.loc["gp"]
    assert (gp["pre"], gp["post"], gp["change"], gp["clients"]) == (2_390, 17, -2_373, 2)
    assert gp["pct_change"] == pytest.approx(-237_300 / 2_390)
    assert (gp["pre_per_client"], gp["post_per_client"]) == (1_195.0, 8.5)
    assert (use.loc["inpatient", "pre"], use.loc["hospital", "post"]) == (430, 123)  # 320+110; 93+20+10


def test_groups_by_practice_and_a_mapping_of_ones_own():
    """By practice, P1 holds the GP events (2,390 before) and P2 none of them; a mapping given
    to the figure replaces the shipped groups."""
    use = _evaluation(USE).utilisation(12, by="practice", groups={"surgery_and_ae": ["gp_surgery", "ae_attendance"]})
    rows = use[use["kind"] == "surgery_and_ae"].set_index("practice")
    assert rows["pre"].to_dict() == {"P1": 2_000, "P2": 600}
    assert not use["kind"].isin(["gp", "hospital"]).any()


def test_groups_are_checked():
    assert shipped_groups()["hospital"] == ("ae_attendance", "emergency_admission", "elective_admission")
    assert resolve_groups(None) == {} and resolve_groups(False) == {}
    assert resolve_groups(True, {"gp": ["gp_surgery"]})["gp"] == ("gp_surgery",)  # one's own replaces shipped
    with pytest.raises(ValueError, match=r"kind_groups\['x'\]: 'gp_visit' is not an event kind"):
        check_groups({"x": ["gp_visit"]})
    with pytest.raises(ValueError, match="is listed twice"):
        check_groups({"x": ["gp_surgery", "gp_surgery"]})
    with pytest.raises(ValueError, match="not an event kind"):
        Evaluation(clients=pd.DataFrame({"client_id": [1], "referral_date": [INDEX], "index_date": [INDEX]}),
                   kind_groups={"gp_surgery": ["gp_telephone"]})


def test_a_groups_did_is_from_summed_counts_not_added_intervals():
    """Two 1:1 sets, controls without events. Set 1: client 1 has 10 fewer surgery
    consultations; set 2: client 2 has 10 fewer telephone ones. Per kind, the sets differ by
    -10 and 0, so each kind's DiD is -5 per client with interval [-10, 0] and their intervals
    would add to [-20, 0]. Summed per person, the GP DiD is -10 in both sets: -10 with interval
    [-10, -10]. In pence: set 1 -10 x £35 = -£350, set 2 -10 x £15 = -£150: £250 avoided per
    client, interval [£150, £350] (added, the kinds' would be [£0, £500])."""
    use = [(1, "gp_surgery", 10, 0), (2, "gp_telephone", 10, 0)]
    ev = _evaluation(use, comparison=pd.DataFrame({"patient_id": [101, 102]}))
    matches = pd.DataFrame({"client_id": [1, 2], "comparison_id": [101, 102], "set_id": [0, 1], "weight": [1.0, 1.0]})
    pseudo = pd.DataFrame({"patient_id": [101, 102], "pseudo_index_date": pd.to_datetime([INDEX] * 2)})
    table = did(ev, matches, pseudo, windows=12, bootstrap=400, groups=True).table.set_index("kind")
    assert list(table.index) == ["gp_surgery", "gp_telephone", "gp", "all_kinds_pence"]
    surgery, gp = table.loc["gp_surgery"], table.loc["gp"]
    assert (surgery["events_avoided_per_client"], surgery["events_avoided_ci_low"],
            surgery["events_avoided_ci_high"]) == (5, 0, 10)
    assert (gp["events_avoided_per_client"], gp["events_avoided_ci_low"], gp["events_avoided_ci_high"]) == (10, 10, 10)
    assert (gp["pence_avoided_per_client"], gp["pence_avoided_ci_low"], gp["pence_avoided_ci_high"]) == (
        25_000, 15_000, 35_000)
    assert gp["pence_avoided_total"] == 50_000
