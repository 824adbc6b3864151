"""Outcome domains and wellbeing on small tables worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from socialrx import outcomes

COLUMNS = ["client_id", "date", "timepoint", "instrument", "item", "value"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)


def mental_health() -> pd.DataFrame:
    # Mental health rated on two indicators (worst of the two is the domain rating):
    #   client 10: 0, 1 -> 2, 2 (0 -> 2); a later baseline and a review are not used
    #   client 11: 1, 2 -> 2, 0 (1 -> 0)
    #   client 12: 2, 2 -> 2, 2 (2 -> 2), plus housing rated at baseline only
    #   client 13 baseline only; client 14 review only; client 15 review before its baseline
    # An ONS4 row in between is another instrument's and is ignored here.
    return frame([
        (10, "2023-01-10", "baseline", "dudley7", "mental_health.optimistic", 0),
        (10, "2023-01-10", "baseline", "dudley7", "mental_health.coping", 1),
        (10, "2023-02-01", "baseline", "dudley7", "mental_health.optimistic", 2),
        (10, "2023-03-01", "review", "dudley7", "mental_health.optimistic", 0),
        (10, "2023-07-01", "final", "dudley7", "mental_health.optimistic", 2),
        (10, "2023-07-01", "final", "dudley7", "mental_health.coping", 2),
        (11, "2023-01-10", "baseline", "dudley7", "mental_health.optimistic", 1),
        (11, "2023-01-10", "baseline", "dudley7", "mental_health.coping", 2),
        (11, "2023-07-01", "final", "dudley7", "mental_health.optimistic", 2),
        (11, "2023-07-01", "final", "dudley7", "mental_health.coping", 0),
        (11, "2023-07-01", "final", "ons4", "anxiety", 9),
        (12, "2023-01-10", "baseline", "dudley7", "mental_health.optimistic", 2),
        (12, "2023-01-10", "baseline", "dudley7", "mental_health.coping", 2),
        (12, "2023-01-10", "baseline", "dudley7", "housing.keep_up_rent", 1),
        (12, "2023-05-01", "review", "dudley7", "mental_health.optimistic", 2),
        (12, "2023-05-01", "review", "dudley7", "mental_health.coping", 2),
        (13, "2023-01-10", "baseline", "dudley7", "mental_health.optimistic", 1),
        (14, "2023-03-01", "review", "dudley7", "mental_health.optimistic", 1),
        (15, "2023-03-01", "baseline", "dudley7", "mental_health.optimistic", 1),
        (15, "2023-02-01", "review", "dudley7", "mental_health.optimistic", 2),
    ])


def test_eighty_one_percent_reduction_in_not_managing():
    rows = []
    for c in range(100):
        rows.append((c, "2023-01-01", "baseline", "dudley7", "finance.enough_money", 0))
        rows.append((c, "2023-06-01", "final", "dudley7", "finance.enough_money", 0 if c < 19 else 2))
    out = outcomes.domain_outcomes(frame(rows)).set_index("domain")
    finance = out.loc["finance"]
    assert (finance.clients, finance.nm_pre, finance.nm_post) == (100, 100, 19)
    assert finance.pct_reduction_not_managing == 81.0
    assert (finance.m_pre, finance.m_post) == (0, 81)
    assert np.isnan(finance.pct_increase_managing)  # undefined, not infinite
    assert finance.greatest_improvement == "finance.enough_money"
    assert finance.greatest_improvement_text == "I have enough money to meet basic needs"
    assert out.loc["housing"].clients == 0
    assert np.isnan(out.loc["housing"].pct_reduction_not_managing)


def test_domain_outcomes_by_hand():
    ids = np.array([10, 11, 12, 13, 14, 15, 16])
    out = outcomes.domain_outcomes(mental_health(), client_ids=ids, framework="dudley7")
    assert list(out.columns) == [
        "domain", "name", "clients", "nm_pre", "nm_post", "pct_reduction_not_managing", "m_pre",
        "m_post", "pct_increase_managing", "greatest_improvement", "greatest_improvement_text",
        "rated_baseline_only", "rated_follow_up_only"]
    assert list(out.domain) == ["finance", "physical_health", "mental_health", "social_contact",
                                "housing", "safety", "learning"]
    mental = out.set_index("domain").loc["mental_health"]
    assert mental["name"] == "Mental health"
    assert (mental.clients, mental.nm_pre, mental.nm_post, mental.m_pre, mental.m_post) == (3, 1, 1, 1, 2)
    assert mental.pct_reduction_not_managing == 0.0
    assert mental.pct_increase_managing == 100.0
    # optimistic: 2 of 3 improved, none worse; coping: one better, one worse
    assert mental.greatest_improvement == "mental_health.optimistic"
    assert mental.greatest_improvement_text == "Feeling optimistic about the future"
    housing = out.set_index("domain").loc["housing"]
    assert (housing.clients, housing.rated_baseline_only, housing.greatest_improvement) == (0, 1, "")
    assert out.attrs["excluded"] == {
        "not_assessed": 1, "baseline_only": 1, "follow_up_only": 1, "follow_up_not_after_baseline": 1,
        "paired": 3, "incomplete_baseline": 0, "incomplete_follow_up": 0}
    assert out.attrs["rule"] == "worst"
    assert out.attrs["unlisted_indicators"] == []


def test_alternative_rules():
    best = outcomes.domain_outcomes(mental_health(), rule="best").set_index("domain").loc["mental_health"]
    assert (best.nm_pre, best.m_pre, best.m_post) == (0, 2, 3)
    assert np.isnan(best.pct_reduction_not_managing)
    assert best.pct_increase_managing == 50.0
    mean = outcomes.domain_outcomes(mental_health(), rule="mean_rounded_down")
    mean = mean.set_index("domain").loc["mental_health"]
    assert (mean.nm_pre, mean.nm_post, mean.m_pre, mean.m_post) == (1, 0, 1, 2)
    with pytest.raises(ValueError, match="unknown rule 'median'"):
        outcomes.domain_outcomes(mental_health(), rule="median")


def test_transitions_long_format():
    table = outcomes.transitions(mental_health())
    assert list(table.columns) == ["domain", "before", "after", "before_label", "after_label", "clients"]
    assert len(table) == 7 * 9
    mental = table[table.domain == "mental_health"].set_index(["before", "after"]).clients
    assert mental.sum() == 3
    assert (mental[(0, 2)], mental[(1, 0)], mental[(2, 2)]) == (1, 1, 1)
    row = table[(table.domain == "mental_health") & (table.before == 1) & (table.after == 0)].iloc[0]
    assert (row.before_label, row.after_label) == ("getting support", "not managing")


def test_indicator_changes():
    table = outcomes.indicator_changes(mental_health()).set_index("item")
    optimistic = table.loc["mental_health.optimistic"]
    assert (optimistic.paired, optimistic.improved, optimistic.worsened) == (3, 2, 0)
    assert optimistic.net_improved == pytest.approx(200 / 3)
    assert table.loc["mental_health.coping"].net_improved == 0.0
    assert np.isnan(table.loc["finance.enough_money"].net_improved)


def test_unlisted_indicator_in_a_known_domain_is_used_and_reported():
    rows = frame([
        (1, "2023-01-01", "baseline", "dudley7", "finance.pension", 0),
        (1, "2023-06-01", "final", "dudley7", "finance.pension", 2),
    ])
    out = outcomes.domain_outcomes(rows)
    assert out.attrs["unlisted_indicators"] == ["finance.pension"]
    finance = out.set_index("domain").loc["finance"]
    assert (finance.clients, finance.nm_pre, finance.m_post) == (1, 1, 1)
    assert finance.greatest_improvement == "finance.pension"
    changes = outcomes.indicator_changes(rows).set_index("item")
    assert not changes.loc["finance.pension", "listed"]


@pytest.mark.parametrize("change, message", [
    (lambda a: a.__setitem__("value", a["value"].where(a.index != 3, 3)),
     r"assessments\.value row 3: value 3 of 'mental_health\.optimistic' is not a step of the dudley7 "
     r"scale 0\.\.2"),
    (lambda a: a.__setitem__("value", a["value"].where(a.index != 4, 1.5)),
     r"assessments\.value row 4: value 1\.5 of"),
    (lambda a: a.__setitem__("value", a["value"].astype(float).where(a.index != 5, np.nan)),
     r"assessments\.value row 5: missing value"),
    (lambda a: a.__setitem__("value", a["value"].astype(object).where(a.index != 6, "two")),
     r"assessments\.value row 6: 'two' is not a number"),
    (lambda a: a.__setitem__("timepoint", a["timepoint"].where(a.index != 7, "midway")),
     r"assessments\.timepoint row 7: unknown value 'midway'"),
    (lambda a: a.__setitem__("item", a["item"].where(a.index != 8, "transport.bus_pass")),
     r"assessments\.item row 8: unknown domain 'transport' in item 'transport\.bus_pass'"),
    (lambda a: a.__setitem__("item", a["item"].where(a.index != 9, "finance")),
     r"assessments\.item row 9: item 'finance' is not <domain>\.<indicator>"),
    (lambda a: a.__setitem__("date", a["date"].where(a.index != 11, "2023-02-30")),
     r"assessments\.date row 11: '2023-02-30' is not a date"),
    (lambda a: a.__setitem__("item", a["item"].where(a.index != 1, "mental_health.optimistic")),
     r"assessments\.item row 1: a second baseline rating of 'mental_health\.optimistic' for the "
     r"client on 2023-01-10"),
    (lambda a: a.__setitem__("instrument", a["instrument"].where(a.index != 2, None)),
     r"assessments\.instrument row 2: missing instrument"),
])
def test_bad_input_names_table_column_and_row(change, message):
    table = mental_health()
    change(table)
    with pytest.raises(ValueError, match=message):
        outcomes.domain_outcomes(table)


def test_clients_outside_the_clients_table_and_missing_columns():
    with pytest.raises(ValueError, match=r"assessments\.client_id row 6: client id 11 is not in the clients"):
        outcomes.domain_outcomes(mental_health(), client_ids=np.array([10, 12, 13, 14, 15]))
    with pytest.raises(ValueError, match=r"clients\.client_id row 1: duplicate id 10"):
        outcomes.domain_outcomes(mental_health(), client_ids=np.array([10, 10, 11]))
    with pytest.raises(ValueError, match="missing column"):
        outcomes.domain_outcomes(mental_health().drop(columns="instrument"))
    with pytest.raises(ValueError, match="framework: ons4 is not a domain framework"):
        outcomes.domain_outcomes(mental_health(), framework="ons4")


def swemwbs_rows(client: int, date: str, timepoint: str, values: list[float | None]) -> list[tuple]:
    return [(client, date, timepoint, "swemwbs", f"q{i + 1}", v) for i, v in enumerate(values) if v is not None]


def test_wellbeing_swemwbs_and_ons4_by_hand():
    rows = []
    rows += swemwbs_rows(1, "2023-01-01", "baseline", [2] * 7)       # raw 14 -> 15.32
    rows += swemwbs_rows(1, "2023-06-01", "final", [4] * 7)          # raw 28 -> 25.03
    rows += swemwbs_rows(2, "2023-01-01", "baseline", [3] * 7)       # raw 21 -> 19.25
    rows += swemwbs_rows(2, "2023-06-01", "review", [3] * 6 + [2])   # raw 20 -> 18.59
    rows += swemwbs_rows(3, "2023-01-01", "baseline", [2] * 7)       # raw 14 -> 15.32
    rows += swemwbs_rows(3, "2023-06-01", "final", [3, 3, 3, 2, 2, 2, 2])  # raw 17 -> 16.88
    rows += swemwbs_rows(4, "2023-01-01", "baseline", [2] * 6 + [None])    # incomplete: not scored
    rows += swemwbs_rows(4, "2023-06-01", "final", [4] * 7)
    ons = ["life_satisfaction", "worthwhile", "happiness", "anxiety"]
    for client, date, timepoint, values in [(1, "2023-01-01", "baseline", [3, 5, 4, 7]),
                                            (1, "2023-06-01", "final", [6, 5, 4, 5]),
                                            (2, "2023-01-01", "baseline", [2, 8, 9, 2]),
                                            (2, "2023-06-01", "final", [3, 9, 4, 6])]:
        rows += [(client, date, timepoint, "ons4", item, v) for item, v in zip(ons, values)]
    out = outcomes.wellbeing(frame(rows))
    assert list(out.columns) == ["instrument", "measure", "label", "clients", "before", "after", "pct_fewer",
                                 "n_before", "n_after"]
    table = out.set_index(["instrument", "measure"])
    score = table.loc[("swemwbs", "mean_score")]
    assert score.clients == 3
    assert score.before == pytest.approx((15.32 + 19.25 + 15.32) / 3)
    assert score.after == pytest.approx((25.03 + 18.59 + 16.88) / 3)
    assert np.isnan(score.pct_fewer)
    poor = table.loc[("swemwbs", "share_poor_wellbeing")]
    assert (poor.clients, poor.n_before, poor.n_after) == (3, 2, 1)
    assert poor.before == pytest.approx(200 / 3)
    assert poor.pct_fewer == 50.0
    assert out.attrs["excluded"]["swemwbs"]["incomplete_baseline"] == 1
    assert out.attrs["excluded"]["swemwbs"]["paired"] == 4

    low = table.loc[("ons4", "share_low_life_satisfaction")]
    assert (low.clients, low.n_before, low.n_after, low.before, low.after, low.pct_fewer) == (2, 2, 1, 100.0,
                                                                                           50.0, 50.0)
    assert np.isnan(table.loc[("ons4", "share_low_worthwhile")].pct_fewer)  # none low before
    happiness = table.loc[("ons4", "share_low_happiness")]
    assert (happiness.n_before, happiness.n_after, happiness.pct_fewer) == (1, 2, -100.0)
    anxiety = table.loc[("ons4", "share_high_anxiety")]
    assert (anxiety.n_before, anxiety.n_after) == (1, 1)  # 7 before; 6 is already high
    assert table.loc[("ons4", "mean_life_satisfaction")].before == 2.5


def test_wellbeing_leaves_out_instruments_with_no_rows_and_checks_items():
    rows = swemwbs_rows(1, "2023-01-01", "baseline", [2] * 7)
    out = outcomes.wellbeing(frame(rows))
    assert set(out.instrument) == {"swemwbs"}
    assert out.set_index("measure").loc["mean_score", "clients"] == 0
    assert np.isnan(out.set_index("measure").loc["share_poor_wellbeing", "pct_fewer"])
    bad = frame(rows + [(1, "2023-06-01", "final", "swemwbs", "q8", 3)])
    with pytest.raises(ValueError, match=r"assessments\.item row 7: unknown swemwbs item 'q8'"):
        outcomes.wellbeing(bad)
    bad = frame(rows + [(1, "2023-06-01", "final", "swemwbs", "q1", 6)])
    with pytest.raises(ValueError, match=r"assessments\.value row 7: value 6 of 'q1' is not a step"):
        outcomes.wellbeing(bad)
    prefixed = frame([(c, d, t, i, f"swemwbs.{item}", v) for c, d, t, i, item, v in rows])
    assert outcomes.wellbeing(prefixed).equals(out)


def test_load_framework_from_names_files_and_dicts(tmp_path):
    dudley = outcomes.load_framework("dudley7")
    assert dudley.kind == "domains"
    assert dudley.scale == {0: "not managing", 1: "getting support", 2: "managing"}
    assert dudley.rules == ["worst", "best", "mean_rounded_down"]
    assert len(dudley.indicators) == 15
    assert list(dudley.domains.name)[:2] == ["Finance", "Physical health"]
    assert "<code>finance.enough_money</code>" in dudley._repr_html_()
    assert "7 domains, 15 indicators" in repr(dudley)
    swemwbs = outcomes.load_framework("swemwbs")
    assert swemwbs.thresholds.set_index("id").loc["poor_wellbeing", "max"] == 17.0

    journey = {
        "id": "journey", "name": "Example journey", "kind": "domains",
        "scale": {"min": 1, "max": 5, "labels": {"1": "stuck", "5": "self-reliant"}},
        "rule": "worst",
        "thresholds": [{"id": "not_managing", "max": 2}, {"id": "managing", "min": 4}],
        "domains": [{"id": "home", "name": "Home", "indicators": [{"id": "tidy", "text": "Tidy"}]}],
    }
    path = tmp_path / "journey.json"
    path.write_text(json.dumps(journey))
    loaded = outcomes.load_framework(path)
    assert loaded.scale == {1: "stuck", 2: "", 3: "", 4: "", 5: "self-reliant"}
    rows = frame([(1, "2023-01-01", "baseline", "journey", "home.tidy", 1),
                  (1, "2023-06-01", "review", "journey", "home.tidy", 4),
                  (2, "2023-01-01", "baseline", "journey", "home.tidy", 3),
                  (2, "2023-06-01", "review", "journey", "home.tidy", 5)])
    home = outcomes.domain_outcomes(rows, framework=loaded).iloc[0]
    assert (home.nm_pre, home.nm_post, home.pct_reduction_not_managing, home.m_post) == (1, 0, 100.0, 2)
    assert len(outcomes.transitions(rows, framework=journey)) == 25

    path.write_text('{"id": "journey", "name": ')
    with pytest.raises(ValueError, match=r"journey\.json: malformed JSON"):
        outcomes.load_framework(path)
    with pytest.raises(ValueError, match=r"framework\.rule: unknown rule 'median'"):
        outcomes.load_framework({**journey, "rule": "median"})
    with pytest.raises(ValueError, match="framework: no file"):
        outcomes.load_framework(tmp_path / "missing.json")
