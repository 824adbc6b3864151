"""Workforce and operations on small tables worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

import socialrx
from socialrx.operations import call_frequency, delivery, meetings, workforce


def clients() -> pd.DataFrame:
    # Ann: client 1 open 6 Jan - 15 Feb, client 3 open 10 Feb - 5 Mar.
    # Bob: client 2 open from 20 Jan, never discharged (open to the last period's end).
    # Client 4 never connected: no one's case.
    return pd.DataFrame({
        "client_id": [1, 2, 3, 4],
        "referral_date": ["2020-01-05", "2020-01-10", "2020-02-01", "2020-02-03"],
        "index_date": ["2020-01-06", "2020-01-20", "2020-02-10", None],
        "discharge_date": ["2020-02-15", None, "2020-03-05", None],
        "referral_source": ["self", "agency", "helpline", "gp"],
        "link_worker": ["Ann", "Bob", "Ann", "Bob"],
    })


def interventions() -> pd.DataFrame:
    # Contacts: 7 Jan (client 1, Ann's), 1 Feb (client 1, made by Bob), 21 Jan (client 2, Bob's).
    # Befriending calls to client 3 on 11, 18 and 25 Feb and 3 Mar by volunteers (weekly);
    # a food delivery by a volunteer; a helpline call with no deliverer recorded.
    rows = [(1, "2020-01-07", "contact_phone", "staff", None),
            (1, "2020-02-01", "contact_visit", "staff", "Bob"),
            (2, "2020-01-21", "contact_phone", "staff", ""),
            *[(3, day, "befriending_call", "volunteer", None)
              for day in ("2020-02-11", "2020-02-18", "2020-02-25", "2020-03-03")],
            (2, "2020-03-02", "food_delivery", "volunteer", None),
            (2, "2020-03-02", "helpline_call", None, None)]
    return pd.DataFrame(rows, columns=["client_id", "date", "kind", "delivered_by", "link_worker"])


def test_caseload_and_contacts_per_worker_per_month() -> None:
    result = workforce(clients(), interventions(), by="month")
    table = result.table.set_index(["month", "link_worker"])
    # open: Jan Ann 1 (client 1), Bob 1; Feb Ann 2 (1 and 3), Bob 1; Mar Ann 1 (3 to 5 Mar), Bob 1.
    assert list(table["open_cases"]) == [1, 1, 2, 1, 1, 1]
    assert list(table["new_cases"]) == [1, 1, 1, 0, 0, 0]
    # closed: client 1 in Feb (Ann), client 3 in Mar (Ann); Bob's never.
    assert list(table["closed_cases"]) == [0, 0, 1, 0, 1, 0]
    # contacts: Jan Ann 1, Bob 1; Feb Bob 1 (his visit to Ann's client); none in Mar.
    assert list(table["contacts"]) == [1, 1, 0, 1, 0, 0]
    assert table.loc[("2020-02", "Ann"), "contacts_per_case"] == 0.0
    assert result.excluded == {"not_connected": 1, "contacts_outside_periods": 0}
    # Ann: (1 + 2 + 1) / 3 = 1.3 open cases a month.
    assert "Ann: mean 1.3 open cases" in result.summary()


def test_workforce_over_service_periods_counts_contacts_outside() -> None:
    periods = [("winter", "2020-01-01", "2020-01-31")]
    result = workforce(clients(), interventions(), by=None, periods=periods)
    table = result.table.set_index("link_worker")
    assert list(table["open_cases"]) == [1, 1] and list(table["contacts"]) == [1, 1]
    # The 1 Feb contact falls in no period.
    assert result.excluded["contacts_outside_periods"] == 1


def test_delivered_by_and_the_pandemic_kinds() -> None:
    table = delivery(interventions()).table.set_index(["kind", "delivered_by"])
    assert table.loc[("befriending_call", "volunteer"), "interventions"] == 4
    assert table.loc[("befriending_call", "volunteer"), "clients"] == 1
    assert table.loc[("food_delivery", "volunteer"), "interventions"] == 1
    assert table.loc[("helpline_call", "not recorded"), "interventions"] == 1
    assert table.loc[("contact_phone", "staff"), "clients"] == 2
    by_month = delivery(interventions(), by="month").table
    # Feb: 1 contact visit + 3 befriending calls.
    assert by_month.loc[by_month["month"] == "2020-02", "interventions"].sum() == 4
    bad = interventions().assign(delivered_by="robot")
    with pytest.raises(ValueError, match=r"interventions.delivered_by row 0: unknown value 'robot'"):
        delivery(bad)


def test_befriending_calls_per_week() -> None:
    # Four calls, first 11 Feb, last 3 Mar: 21 days / 7 + 1 = 4 weeks -> 1 call a week.
    result = call_frequency(interventions())
    row = result.table.iloc[0]
    assert (row["client_id"], row["calls"], row["weeks"], row["calls_per_week"]) == (3, 4, 4.0, 1.0)
    assert "1 clients (100%) at least weekly" in result.summary()


def meeting_table() -> pd.DataFrame:
    # Weekly complex case reviews on 1, 8 and 15 Apr 2020 (organisations 6, 8, not recorded;
    # clients discussed 4, 5, 3); one MDT on 20 May.
    return pd.DataFrame({"date": ["2020-04-01", "2020-04-08", "2020-04-15", "2020-05-20"],
                         "kind": ["complex_case_review"] * 3 + ["MDT"],
                         "organisations": [6, 8, None, 3], "clients": [4, 5, 3, 2]})


def test_meetings_per_month_and_financial_year() -> None:
    result = meetings(meeting_table(), by="month")
    table = result.table.set_index(["month", "kind"])
    assert table.loc[("2020-04", "complex_case_review"), "meetings"] == 3
    # (6 + 8) / 2 recorded = 7 organisations a meeting; 4 + 5 + 3 = 12 clients discussed.
    assert table.loc[("2020-04", "complex_case_review"), "organisations_mean"] == 7.0
    assert table.loc[("2020-04", "complex_case_review"), "client_discussions"] == 12
    assert table.loc[("2020-04", "complex_case_review"), "not_recorded"] == 1
    assert table.loc[("2020-05", "complex_case_review"), "meetings"] == 0  # zeros kept
    # Three over 14 days / 7 + 1 = 3 weeks: 1 a week.
    assert result.per_week["complex_case_review"] == 1.0
    yearly = meetings(meeting_table(), by="financial_year").table
    assert list(yearly["financial_year"]) == ["2020/21", "2020/21"]
    assert list(yearly["meetings"]) == [1, 3]
    with pytest.raises(ValueError, match=r"meetings.clients row 1: -2 is not a count"):
        meetings(meeting_table().assign(clients=[4, -2, 3, 2]))


def test_evaluation_delegates_and_referral_sources_are_counted() -> None:
    ev = socialrx.Evaluation(clients=clients(), interventions=interventions(), meetings=meeting_table())
    assert ev.workforce(by="month").table["open_cases"].sum() == 7
    assert ev.meetings(by="financial_year").table["meetings"].sum() == 4
    assert ev.call_frequency().table["calls"].sum() == 4
    reach = ev.reach(by="referral_source").set_index("referral_source")
    assert (reach.loc["self", "referred"], reach.loc["agency", "referred"], reach.loc["helpline", "referred"]) == (
        1, 1, 1)
    quality = ev.data_quality().table.set_index(["table", "column"])
    assert quality.loc[("clients", "referral_source"), "unknown"] == 0


def test_the_synthetic_service_has_its_workforce_and_operations() -> None:
    service = socialrx.synthetic(n_clients=400, n_comparison=0, seed=4)
    ev = socialrx.Evaluation(clients=service.clients, interventions=service.interventions, meetings=service.meetings)
    workers = set(ev.workforce(by="financial_year").table["link_worker"])
    assert workers == {f"LW{n:02d}" for n in range(1, 11)}  # two in each of five localities
    delivered = ev.delivery().table.set_index(["kind", "delivered_by"])["interventions"]
    assert delivered[("befriending_call", "volunteer")] > 0 and delivered[("food_delivery", "volunteer")] > 0
    # Weekly reviews on Mondays from 6 April to 31 August 2020: Apr 4, May 4, Jun 5, Jul 4, Aug 5 = 22.
    reviews = ev.meetings(periods=[("first wave", "2020-04-01", "2020-08-31")], by=None).table
    assert reviews.set_index(["period", "kind"]).loc[("first wave", "complex_case_review"), "meetings"] == 22
    sources = set(service.clients["referral_source"].astype(str))
    assert {"self", "agency", "helpline"} <= sources
