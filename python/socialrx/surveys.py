"""Surveys: answers to declared questions, as the share of respondents giving each answer.

A surveys table is long format, one answer per row::

    respondent_id, respondent_type (practice / stakeholder / client), survey, date, question, answer

Each survey is declared in JSON, as outcome frameworks are (shipped: ``gp_practice`` and
``client_feedback``, in ``data/surveys/``; a user's own as a path or a dict): who answers it
(``respondent_type``), its questions, and for each question its type and answers:

* ``scale``: ordered answers from one of the survey's ``scales`` (poor ... excellent; yes / no /
  unsure; strongly disagree ... strongly agree), with an optional top set whose share is
  reported too ("good or excellent" is good, very good or excellent);
* ``choice``: unordered answers listed with the question (the most valuable part of support);
* ``text``: free text, kept in the table and counted, never shown.

An answer matches an answer's id or its label, case and surrounding spaces ignored; anything
else is a ``ValueError`` naming table, column and row. ``respondent_id`` is a label (an ODS
code for a practice, a client id for a client). Shares are per respondent: a respondent's
latest answer to a question counts and any earlier one is counted as ``superseded``; an empty
answer counts in ``not_answered``, outside the denominator ``n``. Two answers of one respondent
to one question on the same date are an error.

Client feedback's ``most_valuable`` and ``comments`` columns are the questions of the shipped
``client_feedback`` survey, so they are summarised by the same definition (``feedback=``).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Union, cast

import numpy as np
import pandas as pd

from ._columns import NO_DATE, as_days, as_frame, as_ids, decoded, normalised_labels, require_columns, shown
from ._measures import per_client

__all__ = ["CLIENT_FEEDBACK", "RESPONDENT_TYPES", "SHIPPED_SURVEYS", "SURVEY_COLUMNS", "Answer", "Question",
           "SurveyDefinition", "SurveySummary", "load_survey", "survey_summary"]

SURVEY_COLUMNS: tuple[str, ...] = ("respondent_id", "respondent_type", "survey", "date", "question", "answer")
RESPONDENT_TYPES: tuple[str, ...] = ("practice", "stakeholder", "client")
QUESTION_TYPES: tuple[str, ...] = ("scale", "choice", "text")
CLIENT_FEEDBACK = "client_feedback"
SHIPPED_SURVEYS: tuple[str, ...] = ("gp_practice", CLIENT_FEEDBACK)
# The feedback table's columns that answer client_feedback questions of the same id.
FEEDBACK_QUESTIONS: tuple[str, ...] = ("most_valuable", "comments")
_TABLE = "surveys"
_PLURAL = {"practice": "practices", "stakeholder": "stakeholders", "client": "clients"}


@dataclass(frozen=True)
class Answer:
    """One answer a question allows: ``id`` as stored, ``label`` as shown."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """A question: its type (``scale``, ``choice`` or ``text``), its answers in order, and the
    ids of its top answers with their label ("good or excellent"; none: empty)."""

    id: str
    text: str
    type: str
    answers: tuple[Answer, ...] = ()
    top: tuple[str, ...] = ()
    top_label: str = ""

    def label(self, answer_id: str) -> str:
        return next(a.label for a in self.answers if a.id == answer_id)


@dataclass(frozen=True)
class SurveyDefinition:
    """A survey as declared: who answers it and its questions (see :func:`load_survey`)."""

    id: str
    name: str
    respondent_type: str
    source: str
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question:
        return next(q for q in self.questions if q.id == question_id)

    @property
    def table(self) -> pd.DataFrame:
        """question, type, text, answers (labels, ``;``-separated), top (the top set's label)."""
        return pd.DataFrame([(q.id, q.type, q.text, "; ".join(a.label for a in q.answers), q.top_label)
                             for q in self.questions], columns=["question", "type", "text", "answers", "top"])

    def __repr__(self) -> str:
        return (f"<SurveyDefinition {self.id!r}: {self.name}, answered by {_PLURAL[self.respondent_type]}, "
                f"{len(self.questions)} questions>")

    def _repr_html_(self) -> str:
        return (f"<h4>{html.escape(self.name)} <code>{html.escape(self.id)}</code></h4>"
                f"<p>Answered by {_PLURAL[self.respondent_type]}.</p>{self.table.to_html(index=False)}"
                f"<p><small>Source: {html.escape(self.source)}</small></p>")


SurveySource = Union[str, os.PathLike[str], Mapping[str, Any], SurveyDefinition]


def load_survey(source: SurveySource) -> SurveyDefinition:
    """A survey definition: one shipped with the library (``"gp_practice"``,
    ``"client_feedback"``), a JSON file path, the JSON document as a dict, or a
    ``SurveyDefinition`` (returned as it is). A malformed document is a ``ValueError`` naming the
    file and the key."""
    if isinstance(source, SurveyDefinition):
        return source
    if isinstance(source, Mapping):
        return _definition(source, "survey")
    if str(source) in SHIPPED_SURVEYS:
        shipped = resources.files(__package__) / "data" / "surveys" / f"{source}.json"
        return _definition(json.loads(shipped.read_text(encoding="utf-8")), f"{source}.json")
    path = Path(source)
    if not path.is_file():
        raise ValueError(f"survey: no file {str(path)!r} (give a JSON path, a dict or one of "
                         f"{', '.join(SHIPPED_SURVEYS)})")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"survey {path.name}: not valid JSON ({error})") from None
    return _definition(document, path.name)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"survey {where}: expected a JSON object")
    return value


def _text(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"survey {where}: '{key}' must be a non-empty string")
    return value.strip()


def _answers(document: Mapping[str, Any], where: str) -> tuple[tuple[Answer, ...], tuple[str, ...], str]:
    """A scale's or a choice question's answers, top set and top label."""
    entries = document.get("answers")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"survey {where}: 'answers' must be a non-empty list")
    answers = tuple(Answer(_text(_mapping(e, where), "id", where), _text(e, "label", where)) for e in entries)
    spellings = [s for a in answers for s in {a.id.lower(), a.label.lower()}]
    if len(set(spellings)) < len(spellings):
        raise ValueError(f"survey {where}: two answers share an id or a label")
    if document.get("top") is None:
        return answers, (), ""
    top = _mapping(document["top"], f"{where} top")
    ids = top.get("answers")
    known = {a.id for a in answers}
    if not isinstance(ids, list) or not ids or not set(ids) <= known:
        raise ValueError(f"survey {where}: 'top.answers' must list answer ids of {', '.join(sorted(known))}")
    return answers, tuple(ids), _text(top, "label", f"{where} top")


def _question(entry: Any, scales: Mapping[str, tuple[tuple[Answer, ...], tuple[str, ...], str]],
              where: str) -> Question:
    here = f"{where} question {_text(_mapping(entry, where), 'id', where)!r}"
    kind = entry.get("type")
    if kind not in QUESTION_TYPES:
        raise ValueError(f"survey {here}: 'type' must be one of {', '.join(QUESTION_TYPES)}, got {kind!r}")
    if kind == "text":
        return Question(entry["id"].strip(), _text(entry, "text", here), kind)
    if kind == "scale" and entry.get("scale") not in scales:
        raise ValueError(f"survey {here}: 'scale' must name one of the survey's scales "
                         f"({', '.join(scales) or 'none declared'})")
    answers = scales[entry["scale"]] if kind == "scale" else _answers(entry, here)
    return Question(entry["id"].strip(), _text(entry, "text", here), kind, *answers)


def _definition(document: Any, where: str) -> SurveyDefinition:
    document = _mapping(document, where)
    respondent_type = _text(document, "respondent_type", where)
    if respondent_type not in RESPONDENT_TYPES:
        raise ValueError(f"survey {where}: 'respondent_type' must be one of {', '.join(RESPONDENT_TYPES)}")
    scales = {name: _answers(_mapping(scale, f"{where} scale {name!r}"), f"{where} scale {name!r}")
              for name, scale in _mapping(document.get("scales", {}), where).items()}
    entries = document.get("questions")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"survey {where}: 'questions' must be a non-empty list")
    questions = tuple(_question(entry, scales, where) for entry in entries)
    if len({q.id for q in questions}) < len(questions):
        raise ValueError(f"survey {where}: two questions share an id")
    source = document.get("source", "")
    return SurveyDefinition(_text(document, "id", where), _text(document, "name", where), respondent_type,
                            source if isinstance(source, str) else "", questions)


# ------------------------------------------------------------------------------- answers
def _answer_ids(question: Question, values: pd.Series, table: str, column: str) -> pd.Series:
    """Each answer as its answer id (free text as given, stripped); <NA> where empty. An answer
    the question does not allow is an error naming the row (``values`` keep the table's index)."""
    text = decoded(values, table, column).astype("string").str.strip()
    text = text.mask(text == "")
    if question.type == "text":
        return text
    lookup = {spelling.lower(): a.id for a in question.answers for spelling in (a.id, a.label)}
    ids = text.str.lower().map(lookup).astype("string")
    unknown = text.notna() & ids.isna()
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy(dtype=bool))[0])
        raise ValueError(f"{table}.{column} row {values.index[row]}: {shown(values.iloc[row])} is not an answer "
                         f"to {question.id!r} (expected one of: {', '.join(a.label for a in question.answers)})")
    return ids


def _required_labels(frame: pd.DataFrame, column: str, table: str) -> pd.Series:
    """A text column with every row given, stripped."""
    text = decoded(frame[column], table, column).astype("string").str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        raise ValueError(f"{table}.{column} row {int(np.flatnonzero(empty.to_numpy())[0])}: missing value")
    return text


def _known(labels: pd.Series, allowed: Sequence[str], table: str, column: str, what: str) -> None:
    unknown = ~labels.isin(list(allowed))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ValueError(f"{table}.{column} row {row}: unknown {what} {labels.iloc[row]!r} "
                         f"(expected one of: {', '.join(allowed)})")


def _checked_surveys(surveys: Any, declared: Mapping[str, SurveyDefinition]) -> pd.DataFrame:
    """The surveys table's rows as survey, question, respondent, date (days), answer (id or
    text; <NA>: not answered), source and row (for errors), each checked against its survey."""
    frame = as_frame(surveys, _TABLE).reset_index(drop=True)
    require_columns(frame, _TABLE, SURVEY_COLUMNS)
    survey = _required_labels(frame, "survey", _TABLE)
    _known(survey, list(declared), _TABLE, "survey", "survey")
    kind = normalised_labels(decoded(frame["respondent_type"], _TABLE, "respondent_type"))
    _known(kind, RESPONDENT_TYPES, _TABLE, "respondent_type", "respondent type")
    expected = survey.map({s: d.respondent_type for s, d in declared.items()})
    wrong = (kind != expected).to_numpy(dtype=bool)
    if wrong.any():
        row = int(np.flatnonzero(wrong)[0])
        raise ValueError(f"{_TABLE}.respondent_type row {row}: {kind.iloc[row]!r}, but survey {survey.iloc[row]!r} "
                         f"is answered by {_PLURAL[expected.iloc[row]]}")
    question = _required_labels(frame, "question", _TABLE)
    answers = pd.Series(pd.NA, index=frame.index, dtype="string")
    for key, rows in question.groupby([survey, question], sort=False).groups.items():
        name, asked = (str(part) for part in cast(tuple[str, str], key))
        definition = declared[name]
        if asked not in {q.id for q in definition.questions}:
            raise ValueError(f"{_TABLE}.question row {rows[0]}: {asked!r} is not a question of survey {name!r} "
                             f"({', '.join(q.id for q in definition.questions)})")
        answers[rows] = _answer_ids(definition.question(asked), frame.loc[rows, "answer"], _TABLE, "answer")
    return pd.DataFrame({"survey": survey, "question": question,
                         "respondent": _required_labels(frame, "respondent_id", _TABLE),
                         "date": as_days(frame["date"], _TABLE, "date", required=False), "answer": answers,
                         "source": f"{_TABLE}.respondent_id", "row": frame.index})


def _checked_feedback(feedback: Any, definition: SurveyDefinition) -> pd.DataFrame:
    """The feedback table's answers to client_feedback questions, as :func:`_checked_surveys`."""
    frame = as_frame(feedback, "feedback").reset_index(drop=True)
    present = [c for c in FEEDBACK_QUESTIONS if c in frame]
    if present:
        require_columns(frame, "feedback", ["client_id"])
    dates = (as_days(frame["date"], "feedback", "date", required=False) if "date" in frame
             else np.full(len(frame), NO_DATE, np.int32))
    parts = [pd.DataFrame({
        "survey": CLIENT_FEEDBACK, "question": column,
        "respondent": pd.Series(as_ids(frame["client_id"], "feedback", "client_id")).astype("string"),
        "date": dates, "answer": _answer_ids(definition.question(column), frame[column], "feedback", column),
        "source": "feedback.client_id", "row": frame.index}) for column in present]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _latest(answers: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Each respondent's latest answer to each question, and per survey the earlier answers
    it replaced; two on the same date are an error naming the second."""
    keys = ["survey", "question", "respondent"]
    ordered = answers.sort_values([*keys, "date", "source", "row"], kind="stable")
    same_day = ordered.duplicated([*keys, "date"])
    if same_day.any():
        twice = ordered[same_day].iloc[0]
        raise ValueError(f"{twice['source']} row {twice['row']}: a second answer of {twice['respondent']!r} to "
                         f"{twice['survey']}.{twice['question']} on the same date")
    latest = ordered.drop_duplicates(keys, keep="last")
    superseded = ordered.groupby("survey", sort=False).size() - latest.groupby("survey", sort=False).size()
    return latest, superseded


# ------------------------------------------------------------------------------- the summary
@dataclass(frozen=True)
class SurveySummary:
    """Per question, the share of respondents giving each answer (see :func:`survey_summary`).

    Attributes:
        table: one row per answer a question allows (zeros kept; free-text questions have
            none): ``survey``, ``question``, ``answer`` (id), ``label``, ``responses``, ``n``
            (respondents answering the question), ``pct`` (100 x responses / n; NaN where n is 0).
        questions: one row per question: ``survey``, ``question``, ``type``, ``text``, ``n``,
            ``not_answered``, ``top_label``, ``top_responses``, ``top_pct`` (<NA>/NaN without a
            top set), ``most_common`` (the label of the answer given most; ties to the first
            listed; empty for free text or no answer).
        surveys: one row per survey: ``survey``, ``name``, ``respondent_type``, ``respondents``
            (distinct respondents with a row), ``superseded`` (earlier answers replaced).
        definitions: the surveys' declarations, by id.
    """

    table: pd.DataFrame
    questions: pd.DataFrame
    surveys: pd.DataFrame
    definitions: Mapping[str, SurveyDefinition]

    def _blocks(self) -> list[tuple[str, list[str]]]:
        """Per survey, a heading and one line per question: what summary() and the HTML show."""
        blocks = []
        for survey in self.surveys.to_dict("records"):
            heading = (f"{survey['name']}: {survey['respondents']} {_PLURAL[survey['respondent_type']]} answered"
                       + (f" ({survey['superseded']} earlier answers replaced)" if survey["superseded"] else ""))
            rows = self.questions[self.questions["survey"] == survey["survey"]]
            blocks.append((heading, [_question_line(q, self.table) for q in rows.itertuples()]))
        return blocks

    def summary(self) -> str:
        """Each survey's questions with the share giving each answer, as text."""
        return "\n".join(f"{heading}\n" + "\n".join(f"  - {line}" for line in lines)
                         for heading, lines in self._blocks())

    def _repr_html_(self) -> str:
        return "".join(f"<h4>{html.escape(heading)}</h4><ul>"
                       + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>"
                       for heading, lines in self._blocks())

    def __repr__(self) -> str:
        return self.summary()


def _question_line(q: Any, table: pd.DataFrame) -> str:
    if q.type == "text":
        return f"{q.text} {q.n} free-text answers (kept, not shown)"
    rows = table[(table["survey"] == q.survey) & (table["question"] == q.question)]
    shares = ", ".join(f"{r.label} {_pct(r.pct)}" for r in rows.itertuples())
    head = f"{_pct(q.top_pct)} {q.top_label}" if q.top_label else f"most common: {q.most_common or '-'}"
    return f"{q.text} {head} (n = {q.n}): {shares}"


def _pct(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.0f}%"


def _declared(definitions: Sequence[SurveySource]) -> dict[str, SurveyDefinition]:
    """The shipped surveys and the user's own, by id (a user's survey replaces a shipped one
    of the same id)."""
    loaded = [load_survey(s) for s in (*SHIPPED_SURVEYS, *definitions)]
    return {d.id: d for d in loaded}


def survey_summary(surveys: Any = None, *, feedback: Any = None, definitions: Sequence[SurveySource] = (),
                   survey: str | None = None) -> SurveySummary:
    """The share of respondents giving each answer to each question, with n.

    Args:
        surveys: the surveys table (see the module docstring).
        feedback: the client feedback table; its ``most_valuable`` and ``comments`` columns
            are answers to the ``client_feedback`` survey.
        definitions: surveys declared by the user (JSON paths, dicts or definitions), beside
            the shipped ones.
        survey: one survey's id; by default every survey with an answer, in declaration order.

    Raises:
        ValueError: naming table, column and row for an undeclared survey or question, a
            respondent type the survey is not for, an answer the question does not allow, a
            missing id, or two answers of one respondent to one question on one date.
    """
    declared = _declared(definitions)
    if survey is not None and survey not in declared:
        raise ValueError(f"survey: {survey!r} is not declared ({', '.join(declared)})")
    parts = [] if surveys is None else [_checked_surveys(surveys, declared)]
    if feedback is not None:
        parts.append(_checked_feedback(feedback, declared[CLIENT_FEEDBACK]))
    parts = [p for p in parts if len(p)]
    if not parts:
        raise ValueError("surveys: no survey answers were given (a surveys table, or feedback with "
                         f"{' or '.join(FEEDBACK_QUESTIONS)})")
    latest, superseded = _latest(pd.concat(parts, ignore_index=True))
    order = [s for s in declared if (latest["survey"] == s).any() and survey in (None, s)]
    if not order:
        raise ValueError(f"survey: no answers to {survey!r}")
    tables = [_survey_tables(declared[s], latest[latest["survey"] == s]) for s in order]
    surveys_table = pd.DataFrame({
        "survey": order, "name": [declared[str(s)].name for s in order],
        "respondent_type": [declared[s].respondent_type for s in order],
        "respondents": [int(latest.loc[latest["survey"] == s, "respondent"].nunique()) for s in order],
        "superseded": [int(superseded.get(s, 0)) for s in order]})
    return SurveySummary(pd.concat([t for t, _ in tables], ignore_index=True),
                         pd.concat([q for _, q in tables], ignore_index=True), surveys_table,
                         {s: declared[s] for s in order})


def _survey_tables(definition: SurveyDefinition, latest: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One survey's per-answer and per-question tables."""
    answer_rows, question_rows = [], []
    for q in definition.questions:
        given = latest.loc[latest["question"] == q.id, "answer"]
        n = int(given.notna().sum())
        counts = given.value_counts()
        responses = [int(counts.get(a.id, 0)) for a in q.answers]
        answer_rows += [(definition.id, q.id, a.id, a.label, r, n) for a, r in zip(q.answers, responses)]
        top = sum(r for a, r in zip(q.answers, responses) if a.id in q.top) if q.top else None
        most = q.answers[int(np.argmax(responses))].label if q.answers and n else ""
        question_rows.append((definition.id, q.id, q.type, q.text, n, int(given.isna().sum()), q.top_label,
                              top, most))
    table = pd.DataFrame(answer_rows, columns=["survey", "question", "answer", "label", "responses", "n"])
    table["pct"] = 100.0 * per_client(table["responses"], table["n"])
    questions = pd.DataFrame(question_rows, columns=["survey", "question", "type", "text", "n", "not_answered",
                                                     "top_label", "top_responses", "most_common"])
    questions["top_responses"] = questions["top_responses"].astype("Int64")
    questions.insert(8, "top_pct", 100.0 * per_client(questions["top_responses"], questions["n"]))
    return table, questions
