"""Surveys on small tables worked out by hand, including the seed reports' survey figures."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx import surveys
from socialrx.surveys import SURVEY_COLUMNS, load_survey, survey_summary


def gp_survey() -> pd.DataFrame:
    """Nine practices (seed 000: "100% of surgeries rated Integrated Plus as good or excellent,
    and 89% felt that the Link Officers added value to the current MDT meetings").

    Ratings: 3 good, 2 very good, 4 excellent -> 9 of 9 good or excellent = 100%.
    MDT: 8 yes, 1 unsure -> 8 / 9 = 88.9%, printed 89%.
    Inappropriate consultations: 5 agree, 4 strongly agree -> 9 of 9 agree ("all surgeries").
    Comments: two practices wrote one.
    """
    ratings = ["good"] * 3 + ["Very good"] * 2 + ["EXCELLENT "] * 4
    rows = []
    for i, rating in enumerate(ratings):
        practice = f"P8100{i}"
        rows += [(practice, "practice", "gp_practice", "2018-03-01", "overall_rating", rating),
                 (practice, "practice", "gp_practice", "2018-03-01", "mdt_added_value", "yes" if i else "Unsure"),
                 (practice, "practice", "gp_practice", "2018-03-01", "reduced_inappropriate_consultations",
                  "agree" if i < 5 else "strongly agree"),
                 (practice, "practice", "gp_practice", "2018-03-01", "comments", "Very helpful" if i < 2 else "")]
    return pd.DataFrame(rows, columns=list(SURVEY_COLUMNS))


def question(summary: surveys.SurveySummary, name: str) -> pd.Series:
    return summary.questions.set_index("question").loc[name]


def test_the_seed_gp_survey_shares() -> None:
    result = survey_summary(gp_survey(), survey="gp_practice")
    rating = question(result, "overall_rating")
    assert (rating["n"], rating["top_label"], rating["top_responses"], rating["top_pct"]) == (
        9, "good or excellent", 9, 100.0)
    mdt = question(result, "mdt_added_value")
    assert (mdt["n"], mdt["top_responses"]) == (9, 8)
    assert f"{mdt['top_pct']:.0f}%" == "89%"
    assert mdt["top_pct"] == pytest.approx(800 / 9)
    assert question(result, "reduced_inappropriate_consultations")["top_pct"] == 100.0
    shares = result.table[result.table["question"] == "overall_rating"].set_index("answer")
    # 3, 0 poor/fair, 2, 4 of 9
    assert list(shares["responses"]) == [0, 0, 3, 2, 4]
    assert shares.loc["excellent", "pct"] == pytest.approx(400 / 9)
    assert result.surveys.set_index("survey").loc["gp_practice", "respondents"] == 9
    text = result.summary()
    assert "100% good or excellent (n = 9)" in text and "89% yes (n = 9)" in text


def test_free_text_is_counted_not_shown() -> None:
    result = survey_summary(gp_survey())
    comments = question(result, "comments")
    # Two practices wrote a comment; seven left it empty.
    assert (comments["type"], comments["n"], comments["not_answered"]) == ("text", 2, 7)
    assert "comments" not in set(result.table["question"])
    assert "Very helpful" not in result.summary() and "Very helpful" not in result._repr_html_()


def test_most_valuable_from_client_feedback() -> None:
    # Seed 003: "99% ... stated that spending quality time with them actively listening ... as
    # the most valuable component". 100 forms: 99 quality time, 1 information and advice.
    feedback = pd.DataFrame({"client_id": np.arange(1, 101), "stars": 5, "impact": "some",
                             "connected_to_services": "yes",
                             "most_valuable": ["Quality time and active listening"] * 99 + ["information"]})
    result = survey_summary(feedback=feedback)
    most = question(result, "most_valuable")
    assert (most["n"], most["most_common"]) == (100, "Quality time and active listening")
    shares = result.table.set_index("answer")["pct"]
    assert (shares["quality_time"], shares["information"], shares["other"]) == (99.0, 1.0, 0.0)


def test_latest_answer_counts_and_the_earlier_is_counted() -> None:
    # P1 said "no" in 2018 and "yes" in 2019: one respondent, the latest answer, 1 superseded.
    table = pd.DataFrame([("P1", "practice", "gp_practice", "2019-03-01", "mdt_added_value", "yes"),
                          ("P1", "practice", "gp_practice", "2018-03-01", "mdt_added_value", "no")],
                         columns=list(SURVEY_COLUMNS))
    result = survey_summary(table)
    assert question(result, "mdt_added_value")["top_responses"] == 1
    assert result.surveys["superseded"].tolist() == [1]
    same_day = table.assign(date="2019-03-01")
    with pytest.raises(ValueError, match=r"surveys.respondent_id row 1: a second answer of 'P1'"):
        survey_summary(same_day)


@pytest.mark.parametrize(("column", "value", "message"), [
    ("answer", "brilliant", r"surveys.answer row 2: 'brilliant' is not an answer to 'overall_rating'"),
    ("question", "colour", r"surveys.question row 2: 'colour' is not a question of survey 'gp_practice'"),
    ("survey", "staff", r"surveys.survey row 2: unknown survey 'staff'"),
    ("respondent_type", "client", r"surveys.respondent_type row 2: 'client', but survey 'gp_practice' is answered"),
    ("respondent_id", None, r"surveys.respondent_id row 2: missing value"),
])
def test_bad_rows_name_table_column_and_row(column: str, value: object, message: str) -> None:
    table = gp_survey()
    table.loc[2, column] = value  # row 2 is the first practice's consultations answer
    if column == "answer":
        table.loc[2, "question"] = "overall_rating"
        table.loc[0, "question"] = "key_benefit"
        table.loc[0, "answer"] = "isolation"
    with pytest.raises(ValueError, match=message):
        survey_summary(table)


def test_a_survey_of_ones_own_from_a_dict_and_a_file(tmp_path) -> None:
    document = {"id": "stakeholders", "name": "Partner survey", "respondent_type": "stakeholder",
                "questions": [{"id": "useful", "type": "choice", "text": "Useful?",
                               "answers": [{"id": "y", "label": "Yes"}, {"id": "n", "label": "No"}],
                               "top": {"label": "useful", "answers": ["y"]}}]}
    path = tmp_path / "stakeholders.json"
    path.write_text(json.dumps(document))
    table = pd.DataFrame([(f"S{i}", "stakeholder", "stakeholders", "2020-06-01", "useful", "Yes" if i < 3 else "n")
                          for i in range(4)], columns=list(SURVEY_COLUMNS))
    for definition in (document, path):
        # 3 of 4 said yes: 75%.
        assert question(survey_summary(table, definitions=[definition]), "useful")["top_pct"] == 75.0
    broken = {**document, "questions": [{**document["questions"][0], "top": {"label": "x", "answers": ["maybe"]}}]}
    with pytest.raises(ValueError, match=r"survey survey question 'useful': 'top.answers' must list answer ids"):
        load_survey(broken)


def test_shipped_definitions_cover_the_seed_questions() -> None:
    gp = load_survey("gp_practice")
    assert gp.respondent_type == "practice"
    rating = gp.question("overall_rating")
    assert [a.id for a in rating.answers] == ["poor", "fair", "good", "very_good", "excellent"]
    assert rating.top == ("good", "very_good", "excellent")
    assert [a.id for a in gp.question("mdt_added_value").answers] == ["yes", "no", "unsure"]
    assert gp.question("reduced_inappropriate_consultations").top_label == "agree"
    assert load_survey("client_feedback").question("most_valuable").type == "choice"


def test_evaluation_takes_surveys_and_feedback() -> None:
    clients = pd.DataFrame({"client_id": [1, 2], "referral_date": ["2019-01-01"] * 2,
                            "index_date": ["2019-01-10", None]})
    feedback = pd.DataFrame({"client_id": [1], "stars": [5], "impact": ["some"], "connected_to_services": ["yes"],
                             "most_valuable": ["quality_time"], "comments": ["Thank you"]})
    ev = socialrx.Evaluation(clients=clients, feedback=feedback, surveys=gp_survey())
    result = ev.survey_summary()
    assert list(result.surveys["survey"]) == ["gp_practice", "client_feedback"]
    assert question(ev.survey_summary("client_feedback"), "comments")["n"] == 1
    with pytest.raises(ValueError, match="no survey answers"):
        socialrx.Evaluation(clients=clients).survey_summary()


def test_the_synthetic_service_reproduces_the_seed_shares() -> None:
    service = socialrx.synthetic(n_clients=400, n_comparison=0, seed=4)
    ev = socialrx.Evaluation(clients=service.clients, feedback=service.feedback, surveys=service.surveys)
    result = ev.survey_summary()
    asked = result.surveys.set_index("survey").loc["gp_practice", "respondents"]
    assert asked % 9 == 0 and asked > 0
    assert question(result, "overall_rating")["top_pct"] == 100.0
    assert question(result, "mdt_added_value")["top_pct"] == pytest.approx(800 / 9)  # 8 in 9
    assert question(result, "reduced_inappropriate_consultations")["top_pct"] == 100.0
    assert question(result, "key_benefit")["most_common"] == "Reduces isolation and loneliness"
    most = result.table.set_index(["survey", "answer"]).loc[("client_feedback", "quality_time"), "pct"]
    assert most == pytest.approx(99, abs=0.5)
