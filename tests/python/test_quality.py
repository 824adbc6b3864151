"""The data-quality profile: hand-made tables with known gaps, repeats and stray events."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socialrx import Evaluation
from socialrx.quality import SCHEMA, data_quality


@pytest.fixture
def ev() -> Evaluation:
    clients = pd.DataFrame({
        "client_id": [1, 2, 3, 4],
        "referral_date": ["2022-03-01", "2022-05-20", "2022-06-01", "2022-07-01"],
        "index_date": ["2022-03-10", "2022-06-01", None, None],
        "status": [" Connected ", "connected", "refered", "pending"],  # the first normalises to a known code
        "referral_source": ["gp", "pharmacy", None, "pharmacy"],
    })
    events = pd.DataFrame({
        "person_id": [1, 1, 2, 100, 101, 7, 7],
        "date": pd.to_datetime(["2019-12-01", "2022-05-01", "2022-06-20", "2022-01-01", "2025-04-01",
                                "2022-02-02", "2022-02-03"]),
        "kind": ["ae_attendance", "gp_surgery", "gp_surgery", "outpatient", "ae_attendance", "nhs111_call",
                 "nhs111_call"],
    })
    comparison = pd.DataFrame({"patient_id": [100, 101, 101, 102, 4], "sex": ["F", None, None, "M", "F"]})
    interventions = pd.DataFrame({"client_id": [1, 2], "date": pd.to_datetime(["2022-06-02", "2022-03-11"]),
                                  "kind": ["group", "grant"], "sector": ["voluntary", "church"]})
    return Evaluation(clients=clients, events=events, comparison=comparison, interventions=interventions,
                      data_start="2020-04-01", data_end="2025-03-31")


def cell(quality, table: str, column: str, measure: str):
    rows = quality.table[(quality.table["table"] == table) & (quality.table["column"] == column)]
    assert len(rows) == 1
    return rows[measure].iloc[0]


def test_columns_count_missing_unknown_and_repeated_values(ev):
    quality = data_quality(ev)
    assert cell(quality, "clients", "index_date", "missing") == 2
    assert cell(quality, "clients", "referral_source", "missing") == 1
    assert cell(quality, "clients", "status", "unknown") == 2
    assert cell(quality, "clients", "status", "unknown_codes") == "pending, refered"
    assert cell(quality, "clients", "referral_source", "unknown") == 2  # 'pharmacy' twice; the missing one is not
    assert cell(quality, "interventions", "sector", "unknown_codes") == "church"
    assert cell(quality, "events", "kind", "unknown") == 0
    assert cell(quality, "clients", "client_id", "repeated") == 0
    assert cell(quality, "comparison", "patient_id", "repeated") == 1
    assert cell(quality, "comparison", "sex", "missing") == 2
    assert cell(quality, "comparison", "sex", "normalised") == 3  # F, M and F as female, male, female
    assert pd.isna(cell(quality, "clients", "status", "normalised"))  # not a column the evaluation rewrites
    assert pd.isna(cell(quality, "events", "person_id", "repeated"))  # many events a person: not a repeat
    assert pd.isna(cell(quality, "clients", "status", "first"))  # not a date column
    assert (cell(quality, "events", "date", "first"), cell(quality, "events", "date", "last")) == (
        "2019-12-01", "2025-04-01")
    assert (cell(quality, "clients", "index_date", "first"), cell(quality, "clients", "index_date", "last")) == (
        "2022-03-10", "2022-06-01")
    assert set(quality.table["rows"][quality.table["table"] == "events"]) == {7}
    assert (cell(quality, "interventions", "date", "first"), cell(quality, "interventions", "date", "last")) == (
        "2022-03-11", "2022-06-02")


def test_checks_link_events_to_people_and_the_data_range(ev):
    quality = data_quality(ev)
    assert quality.check("clients", "with_any_event") == 2  # clients 1 and 2 of 4
    assert quality.check("comparison", "with_any_event") == 2  # 100 and 101, each once
    assert quality.check("comparison", "also_a_client") == 1  # patient 4
    assert quality.check("events", "of_clients") == 3
    assert quality.check("events", "of_comparison_patients") == 2
    assert quality.check("events", "of_no_known_person") == 2  # person 7's two events
    assert quality.check("events", "before_data_start") == 1
    assert quality.check("events", "after_data_end") == 1
    counted_over = quality.checks.set_index(["table", "check"])["of"]
    assert counted_over["clients", "with_any_event"] == 4
    assert counted_over["comparison", "with_any_event"] == 4  # distinct patients: 100, 101, 102, 4
    with pytest.raises(ValueError, match="no 'orphans' for 'events'"):
        quality.check("events", "orphans")


def test_summary_json_and_html_show_the_same_counts(ev):
    quality = data_quality(ev)
    text = quality.summary()
    assert text.splitlines()[0] == "Data quality (data 2020-04-01 to 2025-03-31)"
    assert "clients: 4 rows" in text and "of no known person: 2 of 7" in text and "pending, refered" in text
    document = json.loads(quality.to_json())
    assert document["schema"] == SCHEMA
    assert {"table": "events", "check": "after_data_end", "count": 1, "of": 7} in document["checks"]
    status = next(c for c in document["columns"] if (c["table"], c["column"]) == ("clients", "status"))
    assert (status["unknown"], status["repeated"], status["first"]) == (2, None, None)
    page = quality._repr_html_()
    assert "<h5>events: 7 rows</h5>" in page and "of no known person: 2 of 7" in page
    assert repr(quality).startswith("DataQuality(clients 4 rows, events 7 rows")


def test_without_events_only_the_people_are_profiled():
    clients = pd.DataFrame({"client_id": [1, 2], "referral_date": ["2022-03-01", "2022-05-20"],
                            "index_date": ["2022-03-10", None]})
    quality = data_quality(Evaluation(clients=clients))
    assert quality.checks.empty
    assert list(quality.table["column"]) == ["client_id", "referral_date", "index_date"]
    assert (quality.data_start, quality.data_end) == (None, None)


def test_the_evaluation_gives_its_own_profile(ev):
    assert ev.data_quality().to_json() == data_quality(ev).to_json()


def test_surveys_meetings_funding_and_new_intervention_codes_are_profiled():
    """One unknown code each: a 'gp' respondent (practice, stakeholder, client), a 'zoom'
    meeting (mdt, complex_case_review), a 'robot' delivering (staff, volunteer, partner) and
    'charity' funding (service, external); one meeting with no organisations given."""
    clients = pd.DataFrame({"client_id": [1], "referral_date": ["2020-01-01"], "index_date": ["2020-01-05"]})
    interventions = pd.DataFrame({"client_id": [1, 1], "date": ["2020-01-06", "2020-02-01"],
                                  "kind": ["contact_phone", "food_delivery"], "delivered_by": ["staff", "robot"],
                                  "funded_by": ["service", "charity"]})
    surveys = pd.DataFrame({"respondent_id": ["P1", "P2"], "respondent_type": ["practice", "gp"],
                            "survey": ["gp_practice"] * 2, "date": ["2020-06-01", "2020-06-02"],
                            "question": ["rating"] * 2, "answer": ["good", "excellent"]})
    meetings = pd.DataFrame({"date": ["2020-04-01", "2020-04-08"], "kind": ["mdt", "zoom"],
                             "organisations": [4, None], "clients": [3, 2]})
    funding = pd.DataFrame({"funder": ["CCG"], "start": ["2019-04-01"], "end": ["2020-03-31"], "pence": [100]})
    ev = Evaluation(clients=clients, interventions=interventions, surveys=surveys, meetings=meetings,
                    funding=funding)
    table = data_quality(ev).table.set_index(["table", "column"])
    assert table.loc[("surveys", "respondent_type"), "unknown_codes"] == "gp"
    assert table.loc[("meetings", "kind"), "unknown_codes"] == "zoom"
    assert table.loc[("meetings", "organisations"), "missing"] == 1
    assert table.loc[("meetings", "date"), ["first", "last"]].tolist() == ["2020-04-01", "2020-04-08"]
    assert table.loc[("interventions", "delivered_by"), "unknown_codes"] == "robot"
    assert table.loc[("interventions", "funded_by"), "unknown_codes"] == "charity"
    assert table.loc[("funding", "pence"), "rows"] == 1
