"""Surveys: per question, the answers given and their shares, with n; free text counted only.

Counts of practices are counts of organisations and are printed as they are; counts of clients
and stakeholders are counts of people, under the report's disclosure control.
"""

from __future__ import annotations

import pandas as pd

from .. import _plots
from ..surveys import FEEDBACK_QUESTIONS, SurveySummary
from ._html import (
    DASH,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    notice,
    paragraph,
    percent_text,
    share_of,
)
from ._published import TOTAL, Builder, published_count, published_series

_ANSWERED = "answered"


def _has_answers(b: Builder) -> bool:
    feedback = b.ev.feedback
    return b.ev.surveys is not None or (feedback is not None and any(c in feedback for c in FEEDBACK_QUESTIONS))


def surveys_section(b: Builder) -> Section:
    section = Section("surveys", "Surveys")
    if not _has_answers(b):
        section.parts.append(notice("No survey answers were given (Evaluation(surveys=...), or feedback with a "
                                    "most_valuable or comments column), so no survey is reported."))
        return section
    summary: SurveySummary = b.cached("surveys", b.ev.survey_summary)
    for survey in summary.surveys.to_dict("records"):
        people = survey["respondent_type"] != "practice"  # practices are organisations, not people
        respondents = published_count(survey["respondents"], b.key("survey", survey["survey"], "respondents"),
                                      people=people)
        section.parts += [heading(survey["name"]),
                          paragraph(f"Answered by {count_text(respondents)} {survey['respondent_type']}s"
                                    f"{'' if people else ' (organisations: counts not suppressed)'}. Each "
                                    "respondent's latest answer to a question counts; shares are of those "
                                    "answering that question (n).")]
        section.parts += _survey_parts(b, summary, survey["survey"], f"{survey['respondent_type']}s")
    return section


def _survey_parts(b: Builder, summary: SurveySummary, survey: str, respondents: str) -> list[str]:
    """A table per choice or scale question (counting ``respondents``), a line for the free-text
    ones, and a figure of the top shares."""
    people = respondents != "practices"
    parts, tops = [], {}
    definition = summary.definitions[survey]
    questions = summary.questions[summary.questions["survey"] == survey]
    for q in questions.to_dict("records"):
        if q["type"] == "text":
            answered = published_count(q["n"], b.key("survey", survey, q["question"], _ANSWERED), people=people)
            parts.append(paragraph(f"{q['text']} {count_text(answered)} free-text answers: kept for the "
                                   "service, not shown."))
            continue
        rows = summary.table[(summary.table["survey"] == survey) & (summary.table["question"] == q["question"])]
        published = published_series(rows.set_index("label")["responses"], name=b.key("survey", survey, q["question"]),
                                     people=people)
        question = definition.question(q["question"])
        top = _top_share(published, [question.label(a) for a in question.top])
        if question.top:
            tops[f"{question.top_label} ({q['question'].replace('_', ' ')})"] = top
        parts.append(_question_table(published, q["text"], question.top_label, top, respondents))
    if tops:
        parts.append(html_figure(
            _plots.grouped_bars(list(tops), {"% of those answering": list(tops.values())}, definition.name,
                                "% of those answering", percent=True),
            f"survey_{survey}", "The share giving the top answers to each question."))
    return parts


def _top_share(published: pd.Series, labels: list[str]) -> float:
    """The share giving one of ``labels``, where every count behind it is published."""
    counts = [published[label] for label in labels]
    if not counts or any(missing(c) for c in counts):
        return float("nan")
    return share_of(sum(int(c) for c in counts), published[TOTAL])


def _question_table(published: pd.Series, text: str, top_label: str, top: float, respondents: str) -> str:
    shown = pd.DataFrame({respondents: [count_text(v) for v in published],
                          "%": [percent_text(share_of(v, published[TOTAL])) if label != TOTAL else DASH
                                for label, v in published.items()]},
                         index=[label if label != TOTAL else f"{_ANSWERED} (n)" for label in published.index])
    note = f"{top_label}: {percent_text(top)} of those answering." if top_label else None
    return html_table(shown, text, note=note)
