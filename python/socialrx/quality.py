"""What an evaluation was given: a data-quality profile of its tables.

Per table and column: rows, missing values, codes socialrx does not know, repeated ids and the
range of the checked dates. Per table: how the events link to the people (clients with any
event, events whose person is in no table) and how many events fall outside the data range.
Everything is counted from the evaluation's public tables; nothing is dropped or changed.

>>> from socialrx import Evaluation, synthetic
>>> s = synthetic(n_clients=200, n_comparison=400, seed=2)
>>> ev = Evaluation(clients=s.clients, events=s.events, comparison=s.comparison)
>>> quality = data_quality(ev)
>>> int(quality.check("events", "of_no_known_person"))
0
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core
from ._codes import REFERRAL_SOURCES
from ._columns import NO_DATE, as_days, normalised_labels
from ._measures import EVENT_KINDS, readable
from .operations import DELIVERED_BY, MEETING_KINDS
from .outcomes import TIMEPOINTS
from .support import INTERVENTION_KINDS, SECTORS
from .surveys import RESPONDENT_TYPES

if TYPE_CHECKING:
    from .evaluation import Evaluation

__all__ = ["KNOWN_CODES", "SCHEMA", "DataQuality", "data_quality"]

SCHEMA = "socialrx.data_quality/1"
# Each table profiled, and the Evaluation attribute that holds it as read.
TABLES = {"clients": "clients", "events": "events", "comparison": "comparison", "assessments": "assessments",
          "interventions": "interventions", "feedback": "feedback", "surveys": "surveys",
          "meetings": "meetings_table", "funding": "funding_table"}
# The codes socialrx knows in each coded column; others are counted as unknown (compared
# stripped and lower-cased, as the library reads labels).
KNOWN_CODES: dict[tuple[str, str], tuple[str, ...]] = {
    ("clients", "status"): ("referred", "connected", "declined", "unable_to_contact"),
    ("clients", "referral_source"): REFERRAL_SOURCES,
    ("events", "kind"): EVENT_KINDS,
    ("assessments", "timepoint"): TIMEPOINTS,
    ("interventions", "kind"): INTERVENTION_KINDS,
    ("interventions", "sector"): SECTORS,
    ("feedback", "impact"): tuple(_core.IMPACTS),
    ("interventions", "funded_by"): ("service", "external"),
    ("interventions", "delivered_by"): DELIVERED_BY,
    ("surveys", "respondent_type"): RESPONDENT_TYPES,
    ("meetings", "kind"): MEETING_KINDS,
}
_SHOWN_UNKNOWN = 5  # distinct unknown codes named per column; the count covers them all
COLUMNS = ("table", "column", "rows", "missing", "unknown", "unknown_codes", "normalised", "repeated", "first",
           "last")


@dataclass(frozen=True)
class DataQuality:
    """A data-quality profile (see :func:`data_quality`).

    Attributes:
        table: one row per table and column: ``rows``, ``missing`` (empty cells), ``unknown``
            (rows whose code socialrx does not know; <NA> for a column without a code list) and
            up to five of those codes in ``unknown_codes``, ``normalised`` (rows whose code the
            evaluation rewrote, e.g. practice codes upper-cased, from its ``normalisation``;
            <NA> for a column it does not normalise), ``repeated`` (rows whose id repeats
            an earlier row's, for the clients' and comparison pool's ids; <NA> elsewhere),
            ``first`` and ``last`` (the earliest and latest ISO date of a date column: the
            clients' and events' dates as the evaluation checked them, and any other table's
            columns held as datetimes; <NA> elsewhere).
        checks: one row per table and check: ``table``, ``check``, ``count`` and ``of`` (the
            rows it is counted over). Checks: clients and comparison patients ``with_any_event``,
            comparison patients ``also_a_client`` (people counted once each, however often their
            id repeats); events ``of_clients``, ``of_comparison_patients``, ``of_no_known_person``
            (a person in neither table), ``before_data_start`` and ``after_data_end``.
        data_start, data_end: the evaluation's data range (ISO dates; None where not known).
    """

    table: pd.DataFrame
    checks: pd.DataFrame
    data_start: str | None
    data_end: str | None

    def check(self, table: str, check: str) -> int:
        """One check's count, e.g. ``check("events", "of_no_known_person")``."""
        found = self.checks[(self.checks["table"] == table) & (self.checks["check"] == check)]
        if found.empty:
            raise ValueError(f"check: no {check!r} for {table!r} (checks: "
                             f"{', '.join(sorted(set(self.checks['check'])))})")
        return int(found["count"].iloc[0])

    def to_dict(self) -> dict[str, Any]:
        """The profile as plain values (missing: None), the JSON document's content."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{str(key): None if pd.isna(value) else _plain(value) for key, value in row.items()}
                    for row in frame.to_dict("records")]

        return {"schema": SCHEMA, "data_start": self.data_start, "data_end": self.data_end,
                "columns": records(self.table), "checks": records(self.checks)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def _title(self) -> str:
        return f"Data quality (data {self.data_start or '?'} to {self.data_end or '?'})"

    def _sections(self) -> Iterator[tuple[str, int, pd.DataFrame, list[str]]]:
        """Per table: its name, its rows, its columns as text cells and its checks in words."""
        for name, columns in self.table.groupby("table", sort=False):
            checks = self.checks[self.checks["table"] == name]
            said = [f"{readable(row.check)}: {row.count:,} of {row.of:,}" for row in checks.itertuples()]
            yield str(name), int(columns["rows"].iloc[0]), _shown_columns(columns), said

    def summary(self) -> str:
        """The profile as text: each table's columns, then its checks."""
        lines = [self._title()]
        for name, rows, columns, checks in self._sections():
            lines.append(f"{name}: {rows:,} rows")
            lines += ["  " + line for line in [*columns.to_string(index=False).splitlines(), *checks]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<h4>{html.escape(self._title())}</h4>"]
        for name, rows, columns, checks in self._sections():
            items = "".join(f"<li>{html.escape(check)}</li>" for check in checks)
            parts.append(f"<h5>{html.escape(name)}: {rows:,} rows</h5>{columns.to_html(index=False)}<ul>{items}</ul>")
        return "".join(parts)

    def __repr__(self) -> str:
        return f"DataQuality({', '.join(f'{name} {rows:,} rows' for name, rows, _, _ in self._sections())})"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _shown_columns(columns: pd.DataFrame) -> pd.DataFrame:
    """One table's column rows as text cells, blank where a measure does not apply."""
    measures = columns.drop(columns=["table", "rows"])
    return measures.astype(object).where(measures.notna(), "")


def data_quality(ev: Evaluation) -> DataQuality:
    """The data-quality profile of an evaluation's tables (see :class:`DataQuality`)."""
    normalised = {(row.table, row.column): int(row.changed) for row in ev.normalisation.itertuples()}
    rows = [row for name, attribute in TABLES.items() if getattr(ev, attribute) is not None
            for row in _column_rows(name, getattr(ev, attribute), _checked_dates(ev, name), _key_ids(ev, name))]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["normalised"] = [normalised.get(key) for key in zip(table["table"], table["column"])]
    for column in ("unknown", "normalised", "repeated"):
        table[column] = table[column].astype("Int64")
    for column in ("unknown_codes", "first", "last"):
        table[column] = table[column].astype("string")
    checks = pd.DataFrame(_linkage(ev), columns=["table", "check", "count", "of"])
    return DataQuality(table=table, checks=checks, data_start=_iso(ev.data_start), data_end=_iso(ev.data_end))


def _iso(day: int | None) -> str | None:
    return None if day is None else str(np.datetime64(int(day), "D"))


def _checked_dates(ev: Evaluation, table: str) -> dict[str, np.ndarray]:
    """A table's dates as days (``NO_DATE`` where missing): the clients' and events' as the
    evaluation checked them, any other table's columns held as datetimes."""
    if table == "clients":
        return {name: days for name, days in ev.client_columns.items() if name != "client_id" and len(days)}
    if table == "events" and ev.event_columns is not None:
        return {"date": ev.event_columns["date"]}
    frame = getattr(ev, TABLES[table])
    return {str(name): as_days(values, table, str(name), required=False) for name, values in frame.items()
            if pd.api.types.is_datetime64_any_dtype(values.dtype)}


def _key_ids(ev: Evaluation, table: str) -> tuple[str, np.ndarray] | None:
    """The column of ids that must be unique in ``table``, with its checked ids."""
    if table == "clients":
        return "client_id", ev.client_columns["client_id"]
    if table == "comparison" and ev.comparison is not None:
        column = next((c for c in ("patient_id", "person_id") if c in ev.comparison.columns), None)
        return None if column is None else (column, ev.comparison_ids)
    return None


def _column_rows(table: str, frame: pd.DataFrame, dates: dict[str, np.ndarray],
                 key: tuple[str, np.ndarray] | None) -> list[dict[str, Any]]:
    rows = []
    for column in frame.columns:
        name = str(column)
        row: dict[str, Any] = {"table": table, "column": name, "rows": len(frame),
                               "missing": int(frame[column].isna().sum())}
        if (table, name) in KNOWN_CODES:
            row["unknown"], row["unknown_codes"] = _unknown(frame[column], KNOWN_CODES[table, name])
        if key is not None and key[0] == name:
            row["repeated"] = int(pd.Series(key[1]).duplicated().sum())
        if name in dates:
            row["first"], row["last"] = _date_range(dates[name])
        rows.append(row)
    return rows


def _unknown(values: pd.Series, known: tuple[str, ...]) -> tuple[int, str | None]:
    """Rows whose (normalised) code is not in ``known``, and the first few such codes."""
    labels = normalised_labels(values)
    unknown = labels.notna() & ~labels.isin(known)
    codes = sorted(map(str, pd.unique(values[unknown.to_numpy(dtype=bool)].astype(str))))
    more = ", ..." if len(codes) > _SHOWN_UNKNOWN else ""
    return int(unknown.sum()), (", ".join(codes[:_SHOWN_UNKNOWN]) + more) if codes else None


def _date_range(days: np.ndarray) -> tuple[str | None, str | None]:
    present = days[days != NO_DATE]
    if not len(present):
        return None, None
    return _iso(int(present.min())), _iso(int(present.max()))


def _linkage(ev: Evaluation) -> list[tuple[str, str, int, int]]:
    """How the people link to events and to each other, and how the events link to people and
    fall in the data range: (table, check, count, of)."""
    # People are counted once each, however often their id repeats.
    client_ids, comparison_ids = np.unique(ev.client_columns["client_id"]), np.unique(ev.comparison_ids)
    events = ev.event_columns
    people = None if events is None else np.unique(events["person_id"])
    checks: list[tuple[str, str, int, int]] = []
    if people is not None:
        checks.append(("clients", "with_any_event", int(np.isin(client_ids, people).sum()), len(client_ids)))
    if ev.comparison is not None:
        if people is not None:
            checks.append(("comparison", "with_any_event", int(np.isin(comparison_ids, people).sum()),
                           len(comparison_ids)))
        checks.append(("comparison", "also_a_client", int(np.isin(comparison_ids, client_ids).sum()),
                       len(comparison_ids)))
    if events is not None:
        checks += _event_checks(ev, events, client_ids, comparison_ids)
    return checks


def _event_checks(ev: Evaluation, events: dict[str, np.ndarray], client_ids: np.ndarray,
                  comparison_ids: np.ndarray) -> list[tuple[str, str, int, int]]:
    """Events by whose they are (a client's first) and outside the data range."""
    is_client = np.isin(events["person_id"], client_ids)
    of_client = int(is_client.sum())
    of_comparison = int((~is_client & np.isin(events["person_id"], comparison_ids)).sum())
    days, total = events["date"], len(events["date"])
    checks = [
        ("events", "of_clients", of_client, total),
        ("events", "of_comparison_patients", of_comparison, total),
        ("events", "of_no_known_person", total - of_client - of_comparison, total),
    ]
    if ev.data_start is not None and ev.data_end is not None:
        checks += [("events", "before_data_start", int((days < ev.data_start).sum()), total),
                   ("events", "after_data_end", int((days > ev.data_end).sum()), total)]
    return checks
