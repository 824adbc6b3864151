"""Data quality: what the evaluation was given, table by table, and how its events link to its
people (rendered from :func:`socialrx.quality.data_quality`).

The clients' and the comparison pool's rows are people, so every count in them (rows, missing
values, unknown codes, repeated ids, people with any event) is published through the report's
disclosure control, tied to the table's rows so that what is left of them cannot reveal a small
count. The other tables' rows are events and records, not people, and are shown as they are.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .._measures import readable
from ..quality import DataQuality, data_quality
from ._html import Section, count_text, day_text, html_table, missing, paragraph
from ._published import TOTAL, Builder, Key, published_count, published_parts, tie_same

MEASURES = ("missing", "unknown", "normalised", "repeated")
# Counts of one column that do not overlap (an unknown code is a code that is there), so they
# are parts of the table's rows together; the others each stand alone beside the rows.
_TOGETHER = (("missing", "unknown"), ("normalised",), ("repeated",))
NOTE = ("missing: empty cells; unknown: codes socialrx does not know (the first few named); normalised: codes "
        "the evaluation rewrote as it read them (such as practice codes upper-cased); repeated: rows whose id "
        "repeats an earlier row's; first and last: the earliest and latest date. A blank cell: the measure does "
        "not apply to the column.")
CHECK_NOTE = ("People are counted once each, however often their id repeats. Events outside the data range and "
              "events of no known person are in no figure of the report.")


def quality_section(b: Builder) -> Section:
    """Each table's columns with their counts, then the linkage and data-range checks."""
    quality: DataQuality = b.cached("quality", lambda: data_quality(b.ev))
    section = Section("quality", "Data quality")
    section.parts.append(paragraph(
        "What the evaluation was given, counted from its tables as they were read (nothing is dropped or changed "
        f"here). The data range is {day_text(b.ev.data_start)} to {day_text(b.ev.data_end)}. Counts of clients and "
        "comparison patients are disclosure-controlled like every count of people in the report; counts of events "
        "and other records are not counts of people and are shown as they are."))
    people = {}
    for table, columns in quality.table.groupby("table", sort=False):
        people[str(table)] = _PeopleTable.of(b, str(table), columns)
        section.parts.append(_columns_html(b, str(table), columns, people[str(table)]))
    section.parts.append(_checks_html(b, quality.checks, people))
    return section


class _PeopleTable:
    """A table whose rows are people: its rows and its distinct people, each (key, count)."""

    def __init__(self, rows: tuple[Key, int], people: tuple[Key, int]) -> None:
        self.rows = rows
        self.people = people

    @staticmethod
    def of(b: Builder, table: str, columns: pd.DataFrame) -> _PeopleTable | None:
        if table not in ("clients", "comparison"):
            return None
        count = int(columns["rows"].iloc[0])
        # The clients' rows are the referrals the reach counts: one quantity, one key.
        rows = ((b.key("reach"), TOTAL, TOTAL) if table == "clients" else b.key("data quality", table, "rows"), count)
        repeated = columns["repeated"].dropna()
        if repeated.empty:  # no id column to repeat: each row is one person
            return _PeopleTable(rows, rows)
        return _PeopleTable(rows, (b.key("data quality", table, "people"), count - int(repeated.sum())))


def _columns_html(b: Builder, table: str, columns: pd.DataFrame, people: _PeopleTable | None) -> str:
    rows = int(columns["rows"].iloc[0])
    shown_rows = rows if people is None else published_count(rows, people.rows[0])
    cells = []
    for row in columns.to_dict("records"):
        counts = {m: row[m] for m in MEASURES}
        if people is not None:
            counts = _published_counts(b, table, row["column"], counts, people)
        cells.append({**{m: "" if missing(row[m]) else count_text(counts[m]) for m in MEASURES},
                      "unknown codes": _text(row["unknown_codes"]), "first": _text(row["first"]),
                      "last": _text(row["last"])})
    frame = pd.DataFrame(cells, index=list(columns["column"]),
                         columns=["missing", "unknown", "unknown codes", "normalised", "repeated", "first", "last"])
    return html_table(frame, f"{table}: {count_text(shown_rows)} rows", note=NOTE,
                      text=["unknown codes", "first", "last"])


def _published_counts(b: Builder, table: str, column: str, counts: dict[str, Any],
                      people: _PeopleTable) -> dict[str, Any]:
    """One column's counts of people as published, each group tied to the table's rows; the
    repeated ids leave the table's distinct people, printed with the checks."""
    name = b.key("data quality", table, column)
    shown = dict(counts)
    for group in _TOGETHER:
        measures = [m for m in group if not missing(counts[m])]
        if not measures:
            continue
        parts: dict[Key, int] = {(name, m): int(counts[m]) for m in measures}
        rest = people.people[0] if group == ("repeated",) else None
        published = published_parts(parts, people.rows, rest=rest)
        shown.update({m: published[name, m] for m in measures})
    if table == "clients" and column == "index_date" and not missing(counts["missing"]):
        # A client without an index date is one who never connected: the reach prints that too.
        tie_same((name, "missing"), (b.key("reach"), TOTAL, "not connected"))
    return shown


def _checks_html(b: Builder, checks: pd.DataFrame, people: dict[str, _PeopleTable | None]) -> str:
    """The linkage and data-range checks: counts of people published as parts of the table's
    distinct people; counts of events as they are."""
    cells = {}
    for row in checks.to_dict("records"):
        counted = people.get(str(row["table"]))
        count, of = int(row["count"]), int(row["of"])
        if counted is not None:
            key: Key = b.key("data quality", row["table"], row["check"])
            count = published_parts({key: count}, counted.people)[key]
            of = published_count(counted.people[1], counted.people[0])
        cells[f"{row['table']}: {readable(str(row['check']))}"] = {"count": count_text(count), "of": count_text(of)}
    frame = pd.DataFrame.from_dict(cells, orient="index", columns=["count", "of"])
    return html_table(frame, "Linkage and data range", note=CHECK_NOTE)


def _text(value: Any) -> str:
    """A text cell: blank where the measure does not apply."""
    return "" if missing(value) else str(value)
