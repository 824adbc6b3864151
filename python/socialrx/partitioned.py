"""The evaluation in partitions: partial results that merge exactly, for Dask, Spark and
tables larger than memory.

Co-partitioning
---------------
Every table keyed by a person goes to the partition of that person's id::

    partition = splitmix64(id as uint64) mod P

    splitmix64(x): z = x + 0x9E3779B97F4A7C15
                   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
                   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
                   return z ^ (z >> 31)        (all arithmetic mod 2**64)

(Steele, Lea and Flood 2014, the finaliser of Java's ``SplittableRandom``): clients by
``client_id``, comparison patients by ``patient_id``, events by their person id column,
assessments, interventions and feedback by ``client_id``, diagnoses by ``patient_id``. Each
person's rows of every table then meet in one partition, so a partition evaluates on its own.
:func:`partition_of` is the hash, vectorised; :func:`split` is the shuffle for a pandas table
that is not partitioned that way (``socialrx.dask`` with ``copartition=True`` shuffles dask
tables on the same hash). Where the person tables are small enough to send whole to every task,
no co-partitioning is needed: each part of the events is counted against all the people
(``socialrx.dask`` by default, ``socialrx.spark``, ``socialrx.out_of_core``).

Partials and their merges
-------------------------
A partition's figures are a partial: a small frozen dataclass of integer counts, keyed by the
partition's own group labels. ``a.merge(b)`` puts both on the union of their labels, sorted
(age bands youngest first), and adds the counts; :func:`merge_all` merges a whole list. Integer
sums are associative and commutative, so any tree of merges in any order gives the same
integers as one machine. :class:`MergedEvaluation` then puts the merged counts on the group
labels of its own clients table, so that the figures come in the single-machine order (a
categorical column's order, periods with no client kept).

- :class:`UtilisationPartial` (from :func:`utilisation_partial`): events pre/post per window x
  group x kind, clients included per window x group, every exclusion count. ``merge`` is for
  partitions of different people; ``add_events`` for parts of the events counted against the
  same people, whose own counts are the same in each part and kept once.
- :class:`EventCounter`: the :class:`UtilisationPartial` of parts of the events counted against
  the same people (``socialrx.out_of_core``, ``socialrx.dask``, ``socialrx.spark``), the
  people's columns checked once and each part's Arrow (or pandas) columns handed to the engine
  as they are where their types guarantee what the checks would (:func:`arrow_event_columns`).
- :class:`GroupCounts` (from :func:`reach_partial`, :func:`feedback_partial`): referred and
  connected, or feedback answers, per group.
- :func:`case_list_partial` / :func:`merge_case_lists`: each partition's top k per group; the
  top k of their union is the top k of everyone (ties go to the smaller id everywhere).
- :class:`NewtonSums` (from :func:`newton_sums`): X'WX and X'(y - mu) of a partition's rows at
  the current coefficients; :func:`fit_logistic` fits the propensity model by IRLS from them,
  and :func:`match_on_logits` matches on the logits gathered (one float a person): for
  covariates that stay in their partitions. ``socialrx.dask``, ``socialrx.spark`` and
  ``socialrx.out_of_core`` hold the person tables where the figures are worked, so they build
  the covariates there (the look-back counts added from the parts) and fit with the engine
  itself, bit for bit as on one machine.
- ``socialrx.did.PersonCounts`` (from :func:`per_person_partial`): each person's events per
  window x kind x side over one part of the events, for matching (the look-back covariates) and
  the DiD (each matched person's before and after). ``add_events`` adds two parts' counts; the
  sum, a few integers a person, goes to the single-machine engine, which fits the propensity
  model, matches and bootstraps exactly as on one machine (:class:`MergedEvaluation`).
- Per-person figures (comorbidity, risk scores) need no merge: each partition scores its own
  patients (:func:`comorbidity_partial`, ``socialrx.risk.score_patients``), and the
  partitions' rows together are the scores.

The derived figures (% change, per client, pence avoided, net saving) are computed once, after
the merge, by the single-machine ``Evaluation``'s own code: :class:`MergedEvaluation` is an
``Evaluation`` over the person tables whose event counts come from merged partials. Means of
real numbers and medians do not merge exactly from sums, so outcomes, wellbeing and support are
computed there from the person tables (assessments, interventions: bounded by the clients, not
by the events).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._columns import FIRST_DAY, LAST_DAY, TICKS_PER_DAY, as_ids
from ._measures import EVENT_KINDS, WindowSpec
from ._tables import arrow_to_pandas
from .evaluation import AGE_BANDS, Counted, Evaluation
from .periods import ServicePeriods, cache_key, grouping_name
from .risk.case_list import case_list
from .risk.comorbidity import charlson, elixhauser, hfrs

R = TypeVar("R")

__all__ = [
    "COMORBIDITY_INDICES",
    "EventCounter",
    "NOT_PARTITIONED",
    "PersonCounter",
    "GroupCounts",
    "MergedEvaluation",
    "NewtonSums",
    "UtilisationPartial",
    "add_events",
    "arrow_event_columns",
    "case_list_partial",
    "comorbidity_partial",
    "counted_clients",
    "feedback_partial",
    "fit_logistic",
    "match_on_logits",
    "merge_all",
    "merge_case_lists",
    "newton_sums",
    "partition_of",
    "per_person_partial",
    "reach_partial",
    "split",
    "utilisation_partial",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_INT64 = (int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max))
_FIRST_DAY, _LAST_DAY = (int(day.astype(np.int64)) for day in (FIRST_DAY, LAST_DAY))  # days since 1970


def partition_of(ids: Any, partitions: int) -> np.ndarray:
    """The partition (int64 in [0, partitions)) of each person id: splitmix64(id) mod P."""
    if partitions < 1:
        raise ValueError(f"partitions: must be at least 1, got {partitions}")
    z = np.asarray(ids, dtype=np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(partitions)).astype(np.int64)


def split(frame: pd.DataFrame, column: str, partitions: int, *, table: str = "table") -> list[pd.DataFrame]:
    """The shuffle: ``frame``'s rows in ``partitions`` frames by :func:`partition_of` of
    ``column``, each keeping the rows' order and index."""
    part = partition_of(as_ids(frame[column], table, column), partitions)
    # Partition numbers of 16 bits sort by radix, in one pass over the rows.
    order = np.argsort(part.astype(np.uint16) if partitions <= 2**16 else part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(partitions + 1))
    return [frame.iloc[order[bounds[i]:bounds[i + 1]]] for i in range(partitions)]


def _ordered(by: str | None, labels: Iterable[str]) -> tuple[str, ...]:
    """Group labels in the order merges leave them: age bands youngest first, others sorted."""
    present = set(labels)
    if by == "age_band":
        return tuple(band for band in AGE_BANDS if band in present)
    return tuple(sorted(present))


def _aligned(array: np.ndarray, labels: Sequence[str], union: Sequence[str], axis: int) -> np.ndarray:
    """``array`` with its group ``axis`` running over ``union`` (zeros for labels it lacks)."""
    shape = list(array.shape)
    shape[axis] = len(union)
    out = np.zeros(shape, dtype=np.int64)
    position = {label: i for i, label in enumerate(union)}
    index: list[Any] = [slice(None)] * array.ndim
    index[axis] = [position[label] for label in labels]
    out[tuple(index)] = array
    return out


def _summed(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: a[name] + b[name] for name in a}


@dataclass(frozen=True)
class UtilisationPartial:
    """One partition's utilisation counts; the merged partial reads as the engine's
    ``UtilisationResult`` (same attribute names and shapes), which ``Evaluation`` turns into
    its tables.

    Attributes:
        by: the grouping (None: one group).
        windows: the windows, in days.
        labels: the partition's group labels.
        counts: int64 [window][group][kind][pre, post], events counted.
        clients_included: int64 [window][group].
        excluded: clients left out, per reason: int64 [window].
        window_events: events per reason (pre, post, on_index_day, ...): int64 [window].
        events_outside_data, events_of_unconnected, events_of_other_people, events_total:
            events counted once, whatever the window.
        rows_of_count_0: events rows of ``count`` 0 (None: the events have no ``count``).
    """

    by: str | None
    windows: tuple[int, ...]
    labels: tuple[str, ...]
    counts: np.ndarray
    clients_included: np.ndarray
    excluded: dict[str, np.ndarray]
    window_events: dict[str, np.ndarray]
    events_outside_data: int
    events_of_unconnected: int
    events_of_other_people: int
    events_total: int
    rows_of_count_0: int | None = field(default=None)

    @property
    def groups(self) -> int:
        return len(self.labels)

    def _on(self, union: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        return (_aligned(self.counts, self.labels, union, 1),
                _aligned(self.clients_included, self.labels, union, 1))

    def _check(self, other: UtilisationPartial) -> tuple[str, ...]:
        if (self.by, self.windows) != (other.by, other.windows):
            raise ValueError(f"merge: partials of different figures ({self.by!r}, {self.windows}) and "
                             f"({other.by!r}, {other.windows})")
        return _ordered(self.by, self.labels + other.labels)

    def _events_added(self, other: UtilisationPartial, union: tuple[str, ...]) -> dict[str, Any]:
        zeros = None if self.rows_of_count_0 is None and other.rows_of_count_0 is None else \
            (self.rows_of_count_0 or 0) + (other.rows_of_count_0 or 0)
        return dict(labels=union, counts=self._on(union)[0] + other._on(union)[0],
                    window_events=_summed(self.window_events, other.window_events),
                    events_outside_data=self.events_outside_data + other.events_outside_data,
                    events_of_unconnected=self.events_of_unconnected + other.events_of_unconnected,
                    events_of_other_people=self.events_of_other_people + other.events_of_other_people,
                    events_total=self.events_total + other.events_total, rows_of_count_0=zeros)

    def ordered(self) -> UtilisationPartial:
        """The same counts, labels sorted (age bands youngest first) as ``merge`` leaves them."""
        union = _ordered(self.by, self.labels)
        counts, included = self._on(union)
        return replace(self, labels=union, counts=counts, clients_included=included)

    def merge(self, other: UtilisationPartial) -> UtilisationPartial:
        """The counts of two partitions of different people: every count added."""
        union = self._check(other)
        return replace(self, clients_included=self._on(union)[1] + other._on(union)[1],
                       excluded=_summed(self.excluded, other.excluded), **self._events_added(other, union))

    def add_events(self, other: UtilisationPartial) -> UtilisationPartial:
        """The counts of two batches of events of the same people: the events' counts added,
        the people's (clients included and excluded, the same in both) kept once."""
        union = self._check(other)
        same = np.array_equal(self._on(union)[1], other._on(union)[1]) and all(
            np.array_equal(self.excluded[reason], other.excluded[reason]) for reason in self.excluded)
        if not same:
            raise ValueError("add_events: the batches were counted over different clients")
        return replace(self, clients_included=self._on(union)[1], **self._events_added(other, union))


def utilisation_partial(evaluation: Evaluation, windows: Sequence[int], by: str | None,
                        periods: ServicePeriods | None = None) -> UtilisationPartial:
    """The utilisation counts of one partition's single-machine ``Evaluation`` (its data range
    given explicitly, the same for every partition), ``windows`` in days, grouped as
    :meth:`Evaluation.utilisation` groups them."""
    specs = [WindowSpec(f"{days}d", None, int(days)) for days in windows]
    empty = len(evaluation.client_columns["client_id"]) == 0
    # No clients, no groups: the events' counts are still the partition's (of comparison patients).
    result, labels = evaluation._counts(specs, None, None) if empty else evaluation._counts(specs, by, periods)
    return _partial(result, grouping_name(by, periods), windows, () if empty else tuple(labels),
                    evaluation._rows_of_count_0(result))


def _partial(result: Any, by: str | None, windows: Sequence[int], labels: tuple[str, ...],
             rows_of_count_0: int | None) -> UtilisationPartial:
    """The engine's ``UtilisationResult`` as a partial (no labels: no clients, no groups)."""
    keep = slice(None) if labels else slice(0, 0)
    return UtilisationPartial(
        by=by, windows=tuple(int(d) for d in windows), labels=labels,
        counts=np.asarray(result.counts, np.int64)[:, keep],
        clients_included=np.asarray(result.clients_included, np.int64)[:, keep],
        excluded={reason: np.asarray(c, np.int64) for reason, c in result.excluded.items()},
        window_events={reason: np.asarray(c, np.int64) for reason, c in result.window_events.items()},
        events_outside_data=int(result.events_outside_data), events_of_unconnected=int(result.events_of_unconnected),
        events_of_other_people=int(result.events_of_other_people), events_total=int(result.events_total),
        rows_of_count_0=rows_of_count_0)


class EventCounter:
    """One figure's counts (``windows`` in days x grouping) of parts of the events, each part
    counted against the same people: those of ``people``, a single-machine ``Evaluation`` of
    the clients and comparison pool over the data range every part shares (its own events, if
    any, unused). The people's checked columns and group codes are worked out once, not once a
    part; the counter keeps only them (it is sent to the workers that count).

    :meth:`arrow` and :meth:`pandas` hand a part's columns to the engine as they are when their
    types already guarantee what the checks of ``socialrx.Evaluation`` would establish (see
    :func:`arrow_event_columns`); any other part, and any part the engine refuses, goes through
    a single-machine ``Evaluation`` of its own (:meth:`frame`), whose checks and errors (naming
    the row within the part) are those of one machine.
    """

    def __init__(self, people: Evaluation, windows: Sequence[int], by: str | None,
                 periods: ServicePeriods | None = None, *, threads: int = 1) -> None:
        if people.data_start is None or people.data_end is None:
            raise ValueError("data_start/data_end: every part must count over the same data range")
        self.windows, self.by, self.periods, self.threads = tuple(int(d) for d in windows), by, periods, threads
        self._clients = _CountedClients.of(people, by)
        empty = len(self._clients.columns["client_id"]) == 0
        self._codes, labels = people._group_codes(None if empty else by, periods=None if empty else periods)
        self._labels = () if empty else tuple(labels)
        self._others = people.comparison_ids
        self._range = (people.data_start, people.data_end, people.date_format)
        self._placed: _core.UtilisationCounter | None = None
        self._placing = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """What is sent to a worker: the people's columns, not the engine's tables of them
        (made again where they are first counted against)."""
        return {**self.__dict__, "_placed": None, "_placing": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _placing=threading.Lock())

    def _counter(self) -> _core.UtilisationCounter:
        """The engine's counter of these people: checked, placed and indexed once (by the
        first thread that counts), then used by every part."""
        with self._placing:
            if self._placed is None:
                people = self._clients.columns
                self._placed = _core.UtilisationCounter(
                    client_id=people["client_id"], referral_date=people["referral_date"],
                    index_date=people["index_date"], discharge_date=people["discharge_date"], group=self._codes,
                    groups=max(1, len(self._labels)), other_ids=self._others, data_start=self._range[0],
                    data_end=self._range[1], windows=list(self.windows))
            return self._placed

    def counts(self, person_id: np.ndarray, kind: np.ndarray, date: np.ndarray | None = None, *,
               date_ticks: np.ndarray | None = None, ticks_per_day: int = 0) -> UtilisationPartial:
        """The partial of checked event columns: int64 ids, uint8 kind codes, and int32 days
        ``date`` or int64 ``date_ticks`` with ``ticks_per_day`` (checked to lie in the dates read)."""
        ticks: dict[str, Any] = {} if date_ticks is None else {"date_ticks": date_ticks, "ticks_per_day": ticks_per_day}
        result = self._counter().count(person_id=person_id, kind=kind,
                                       date=np.empty(0, np.int32) if date is None else date,
                                       threads=self.threads, **ticks)
        return _partial(result, grouping_name(self.by, self.periods), self.windows, self._labels, None)

    def arrow(self, events: pa.Table | pa.RecordBatch) -> UtilisationPartial:
        """The partial of an Arrow part of the events."""
        table = events if isinstance(events, pa.Table) else pa.Table.from_batches([events])
        return _counted_or_checked(arrow_event_columns(table, self.threads, reuse=True), lambda c: self.counts(**c),
                                   lambda: self.frame(arrow_to_pandas(table)))

    def pandas(self, events: pd.DataFrame) -> UtilisationPartial:
        """The partial of a pandas part of the events (its columns seen as Arrow, without a copy
        where pandas holds them as Arrow does)."""
        try:
            columns = arrow_event_columns(pa.Table.from_pandas(events, preserve_index=False), self.threads)
        except (pa.ArrowException, TypeError, ValueError):  # a column Arrow cannot hold: read as given
            columns = None
        return _counted_or_checked(columns, lambda c: self.counts(**c), lambda: self.frame(events))

    def frame(self, events: pd.DataFrame) -> UtilisationPartial:
        """The partial of a pandas part of the events, by a single-machine ``Evaluation``."""
        part = _part_evaluation(self._clients.frame(), self._others, self._range, self.threads, events)
        return utilisation_partial(part, self.windows, self.by, self.periods)


def _counted_or_checked(columns: dict[str, Any] | None, count: Callable[[dict[str, Any]], R],
                        checked: Callable[[], R]) -> R:
    """``count`` of a part's columns as Arrow gave them (see :func:`arrow_event_columns`), or,
    where there are none or the engine refuses them, ``checked``: the part read and checked as
    one machine reads it, so that an error (an unknown person, say) is named as one machine
    names it."""
    if columns is not None:
        try:
            return count(columns)
        except ValueError:
            pass
    return checked()


def _part_evaluation(clients: pd.DataFrame, others: np.ndarray, data_range: tuple[int, int, str | None],
                     threads: int, events: pd.DataFrame) -> Evaluation:
    """A single-machine ``Evaluation`` of one part of the events against the people's counted
    columns and the comparison pool's ids, over the data range every part shares."""
    start, end, date_format = data_range
    return Evaluation(clients=clients, events=events, comparison=pd.DataFrame({"patient_id": others}),
                      data_start=np.datetime64(start, "D"), data_end=np.datetime64(end, "D"),
                      date_format=date_format, threads=threads)


class PersonCounter:
    """Per-person counts (matching, DiD: ``count`` as ``Evaluation._per_person`` takes it) of
    parts of the events against the same people, with :class:`EventCounter`'s interface: each
    part counted by a single-machine ``Evaluation`` of the people's counted columns and that
    part, so its checks and errors are one machine's. The parts' counts add up
    (``add_events``) to the single-machine counts."""

    def __init__(self, people: Evaluation, count: Callable[[dict[str, np.ndarray], int], Any], *,
                 threads: int = 1) -> None:
        if people.data_start is None or people.data_end is None:
            raise ValueError("data_start/data_end: every part must count over the same data range")
        self.count, self.threads = count, threads
        self._clients = _CountedClients.of(people, None)
        self._others = people.comparison_ids
        self._range = (people.data_start, people.data_end, people.date_format)

    def arrow(self, events: pa.Table | pa.RecordBatch) -> Any:
        """The counts of an Arrow part of the events: its columns handed to ``count`` as they are
        where their types allow (as :meth:`EventCounter.arrow` does), else read as pandas."""
        table = events if isinstance(events, pa.Table) else pa.Table.from_batches([events])
        return _counted_or_checked(arrow_event_columns(table, self.threads, reuse=True),
                                   lambda c: self.count(_as_days(c, self.threads), self.threads),
                                   lambda: self.pandas(arrow_to_pandas(table)))

    def pandas(self, events: pd.DataFrame) -> Any:
        """The counts of a pandas part of the events."""
        part = _part_evaluation(self._clients.frame(), self._others, self._range, self.threads, events)
        return per_person_partial(part, self.count)


def _as_days(columns: dict[str, Any], threads: int) -> dict[str, Any]:
    """Event columns with their dates as int32 days (``count`` functions take days, not the
    ticks of a timestamp; the ticks are known to lie within 1900-2100)."""
    if "date_ticks" not in columns:
        return columns
    days, _ = _core.days_from_ticks(columns["date_ticks"], columns["ticks_per_day"], threads)
    return {"person_id": columns["person_id"], "date": days, "kind": columns["kind"]}


def add_events(first: Any, second: Any = None) -> Any:
    """Two parts' partials of the same people added (one alone: as it is)."""
    return first if second is None else first.add_events(second)


class _ThreadArrays(threading.local):
    """Arrays each thread gathers a part's chunks into, reused part after part: memory new to
    the process costs the kernel a page fault every 4 KiB, memory written before does not (59M
    events out of core: 567,000 faults and 1.0 s of system time in fresh arrays, 12,000 and
    0.1 s reused). A thread holds its largest part's columns, 13 bytes an event."""

    def __init__(self) -> None:
        self.held: dict[str, np.ndarray] = {}

    def concatenated(self, name: str, chunks: list[np.ndarray]) -> np.ndarray:
        rows = sum(len(chunk) for chunk in chunks)
        held = self.held.get(name)
        if held is None or len(held) < rows or held.dtype != chunks[0].dtype:
            held = self.held[name] = np.empty(rows, chunks[0].dtype)
        return np.concatenate(chunks, out=held[:rows])


_THREAD_ARRAYS = _ThreadArrays()


def arrow_event_columns(events: pa.Table | pa.RecordBatch, threads: int = 1, *,
                        reuse: bool = False) -> dict[str, Any] | None:
    """An Arrow part's events as the engine counts them, where the Arrow types already
    guarantee what the single-machine checks establish: ids of an integer type (int64 as it is),
    dates a ``date32`` or a ``timestamp`` without time zone (its ticks, turned into days as the
    engine counts), kinds text or dictionary-encoded text, and no value missing. The values
    are still checked: dates within 1900-2100 (a min and a max) and every kind a known one
    (each distinct kind looked up once). None for any other part (a ``count`` column, other
    types, a missing or unknown value, no rows), which the general path then reads and checks.

    A part of several chunks (a Parquet file's row groups) is gathered into one array a column;
    with ``reuse`` into arrays the calling thread reuses for its next part, so the columns
    returned hold only until the thread's next call (for a caller that counts them at once)."""
    batches = events.to_batches() if isinstance(events, pa.Table) else [events]
    parts = [_batch_columns(batch, threads) for batch in batches]
    read = [part for part in parts if part is not None]
    if not parts or len(read) < len(parts):
        return None
    if len(read) == 1:
        return read[0]
    gathered = _THREAD_ARRAYS.concatenated if reuse else lambda _, chunks: np.concatenate(chunks)
    return {name: gathered(name, [part[name] for part in read]) if isinstance(value, np.ndarray) else value
            for name, value in read[0].items()}


def _batch_columns(batch: pa.RecordBatch, threads: int) -> dict[str, Any] | None:
    names = batch.schema.names
    id_column = next((c for c in ("person_id", "patient_id", "client_id") if c in names), None)
    if id_column is None or "count" in names or not {"date", "kind"} <= set(names):
        return None
    ids, dates, kinds = (batch.column(c) for c in (id_column, "date", "kind"))
    if ids.null_count or dates.null_count or kinds.null_count or not _integers(ids.type):
        return None
    columns = _arrow_dates(dates)
    codes = _arrow_kinds(kinds, threads)
    if columns is None or codes is None:
        return None
    return {**columns, "person_id": (ids if pa.types.is_int64(ids.type) else ids.cast(pa.int64())).to_numpy(),
            "kind": codes}


def _integers(kind: pa.DataType) -> bool:
    """Integers that int64 holds exactly (not uint64)."""
    return pa.types.is_integer(kind) and not pa.types.is_uint64(kind)


def _arrow_dates(dates: pa.Array) -> dict[str, Any] | None:
    """``date`` (int32 days) or ``date_ticks`` and ``ticks_per_day``, all within 1900-2100."""
    if pa.types.is_date32(dates.type):
        values, per_day = dates.view(pa.int32()), 1
        columns: dict[str, Any] = {"date": values.to_numpy()}
    elif pa.types.is_timestamp(dates.type) and dates.type.tz is None:
        values, per_day = dates.view(pa.int64()), TICKS_PER_DAY[dates.type.unit]
        columns = {"date_ticks": values.to_numpy(), "ticks_per_day": per_day}
    else:
        return None
    span = pc.min_max(values)  # one pass
    if len(values) and not (span["min"].as_py() >= _FIRST_DAY * per_day and
                            span["max"].as_py() < (_LAST_DAY + 1) * per_day):
        return None
    return columns


def _arrow_kinds(kinds: pa.Array, threads: int) -> np.ndarray | None:
    """The kinds as uint8 codes of ``EVENT_KINDS``: each distinct kind of the dictionary looked
    up once, the rows recoded through it; None where a row has an unknown kind."""
    if pa.types.is_string(kinds.type) or pa.types.is_large_string(kinds.type):
        kinds = kinds.dictionary_encode()
    if not pa.types.is_dictionary(kinds.type) or not (pa.types.is_string(kinds.type.value_type) or
                                                      pa.types.is_large_string(kinds.type.value_type)):
        return None
    known = {kind: code for code, kind in enumerate(EVENT_KINDS)}
    ours = np.array([known.get(k, _core.UNMAPPED) for k in kinds.dictionary.to_pylist()], np.uint8)
    indices = kinds.indices
    if pa.types.is_unsigned_integer(indices.type) or pa.types.is_int64(indices.type):
        return None
    codes, first_bad = _core.recode(indices.to_numpy(), ours, threads)
    return None if first_bad >= 0 else codes


def counted_clients(clients: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """The clients' columns the utilisation counts read, grouped ``by``: ids, the three dates,
    and the grouping's column (age or birth year for age bands). A part that counts its events
    against every client is given these, not the whole table, to check again."""
    wanted = ["client_id", "referral_date", "index_date", "discharge_date", by, "age", "birth_year"]
    return clients[[c for c in dict.fromkeys(wanted) if c is not None and c in clients]]


_ENGINE_DATES = ("referral_date", "index_date", "discharge_date")


@dataclass(frozen=True)
class _CountedClients:
    """The clients every part is counted against: their columns as the engine takes them
    (``Evaluation.client_columns``) and the rest of :func:`counted_clients`. The frame of both
    is made again only for a part read and checked as one machine reads it. Sent to a worker as
    arrays alone: the frame of a million clients pickled besides took 38 MiB more, and 0.2 s more
    before a Dask worker's first task."""

    columns: dict[str, np.ndarray]
    rest: pd.DataFrame

    @classmethod
    def of(cls, people: Evaluation, by: str | None) -> _CountedClients:
        counted = counted_clients(people.clients, by)
        return cls(people.client_columns, counted.drop(columns=["client_id", *_ENGINE_DATES], errors="ignore")
                   .reset_index(drop=True))

    def frame(self) -> pd.DataFrame:
        """The counted columns, the dates as datetimes (NaT where there is none; a date column
        the clients do not have, which the engine takes as no rows, left out)."""
        ids = self.columns["client_id"]
        dates = {name: np.where(days == _core.NO_DATE, np.datetime64("NaT"), days.astype("datetime64[D]"))
                 for name in _ENGINE_DATES if len(days := self.columns[name]) == len(ids)}
        engine = pd.DataFrame({"client_id": ids, **dates})
        return pd.concat([engine, self.rest], axis=1)


@dataclass(frozen=True)
class GroupCounts:
    """Integer counts per group label: ``counts`` maps a name to an int64 array whose first
    axis runs over ``labels``. ``merge`` adds two partitions'."""

    by: str | None
    labels: tuple[str, ...]
    counts: dict[str, np.ndarray]

    def ordered(self) -> GroupCounts:
        """The same counts, labels sorted (age bands youngest first) as ``merge`` leaves them."""
        union = _ordered(self.by, self.labels)
        return GroupCounts(self.by, union, {name: _aligned(array, self.labels, union, 0)
                                            for name, array in self.counts.items()})

    def merge(self, other: GroupCounts) -> GroupCounts:
        """Both partitions' counts on the union of their labels, added."""
        if self.by != other.by or set(self.counts) != set(other.counts):
            raise ValueError("merge: partials of different figures")
        union = _ordered(self.by, self.labels + other.labels)
        return GroupCounts(self.by, union, {
            name: _aligned(array, self.labels, union, 0) + _aligned(other.counts[name], other.labels, union, 0)
            for name, array in self.counts.items()})


def reach_partial(evaluation: Evaluation, by: str | None = None) -> GroupCounts:
    """Referred and connected per group of one partition (:meth:`Evaluation.reach`)."""
    if len(evaluation.client_columns["client_id"]) == 0:
        return GroupCounts(by, (), {"referred": np.zeros(0, np.int64), "connected": np.zeros(0, np.int64)})
    frame = evaluation.reach(by)
    return GroupCounts(by, tuple(frame[by or "group"].astype(str)), {
        name: frame[name].to_numpy(np.int64) for name in ("referred", "connected")})


def feedback_partial(evaluation: Evaluation, by: str | None = None) -> GroupCounts:
    """Feedback answered, yes and not answered per group x measure of one partition
    (:meth:`Evaluation.feedback_summary`)."""
    frame = evaluation.feedback_summary(by=by)
    measures = frame["measure"].nunique()
    labels = ("all",) if by is None else tuple(frame[by].astype(str).iloc[::measures])
    return GroupCounts(by, labels, {name: frame[name].to_numpy(np.int64).reshape(len(labels), measures)
                                    for name in ("answered", "yes", "not_answered")})


def merge_all(partials: Iterable[Any]) -> Any:
    """The merge of every partial, labels in order (any order of merges gives the same)."""
    return reduce(lambda a, b: a.merge(b), partials).ordered()


def case_list_partial(scores: pd.DataFrame, by: str | None = "practice", k: int = 10, *, score: str = "score",
                      id: str = "patient_id") -> pd.DataFrame:
    """One partition's candidates for the case list: its own top ``k`` per group."""
    return case_list(scores, by, k, score=score, id=id).drop(columns="rank")


COMORBIDITY_INDICES = {"charlson": charlson, "elixhauser": elixhauser, "hfrs": hfrs}


def comorbidity_partial(diagnoses: pd.DataFrame, index: str = "charlson", **options: Any) -> pd.DataFrame:
    """One partition's scores by ``socialrx.risk.<index>`` (``charlson``, ``elixhauser`` or
    ``hfrs``, with ``options``), on one thread. Each patient's diagnoses all in the partition,
    its rows are the whole table's rows of its patients: no merge."""
    if index not in COMORBIDITY_INDICES:
        raise ValueError(f"index: {index!r} is not one of {', '.join(COMORBIDITY_INDICES)}")
    return COMORBIDITY_INDICES[index](diagnoses, threads=1, **options)


def merge_case_lists(partials: Iterable[pd.DataFrame], by: str | None = "practice", k: int = 10, *,
                     score: str = "score", id: str = "patient_id") -> pd.DataFrame:
    """The case list of everyone from the partitions' candidates: the same rows, order and
    ranks as ``socialrx.risk.case_list`` on the whole table."""
    return case_list(pd.concat(list(partials)), by, k, score=score, id=id)


# What a partitioned evaluation cannot answer, since it needs every event in one process, and
# what to do instead.
NOT_PARTITIONED = {
    "event_columns": "the events stay in their partitions; utilisation() and exclusions() count them",
    "for_period": "give each figure by='financial_year' or periods=[...], or evaluate the period's clients apart",
    "compare_periods": "give each figure by='financial_year' or periods=[...], and compare the two periods' rows",
    "data_quality": "profile the person tables and each events part with socialrx.Evaluation(...).data_quality(); "
                    "exclusions() counts every event left out",
    "report": "the report profiles and matches over the events in one process; write it with socialrx.Evaluation, "
              "or publish this evaluation's figures",
    "trend": "an event kind's trend reads every event date; count the events per month where they are (referrals, "
             "connected and clients trend here)",
}


def _held_elsewhere(name: str) -> NotImplementedError:
    return NotImplementedError(f"{name}: not available on a partitioned evaluation; {NOT_PARTITIONED[name]}")


# counts(windows in days, by, periods): the merged counts of every partition.
CountSource = Callable[[tuple[int, ...], "str | None", "ServicePeriods | None"], UtilisationPartial]
# per_person(count): count(event columns, threads) run over every part of the events, the
# parts' results added (``add_events``); see Evaluation._per_person.
PerPersonSource = Callable[[Callable[[dict[str, np.ndarray], int], Any]], Any]


def per_person_partial(evaluation: Evaluation, count: Callable[[dict[str, np.ndarray], int], Any]) -> Any:
    """``count`` (as ``Evaluation._per_person`` takes it) over one part's single-machine
    ``evaluation``, on that part's own threads: what a ``PerPersonSource`` adds up."""
    return evaluation._per_person(count, evaluation.threads)


class MergedEvaluation(Evaluation):
    """An ``Evaluation`` of the person tables held here whose events stay elsewhere:
    utilisation, exclusions, cost avoidance and net saving are computed, by the single-machine
    code, from the merged :class:`UtilisationPartial` that ``counts(windows_in_days, by,
    periods)`` returns, put on this evaluation's own group labels; every other figure comes from
    the person tables as on one machine. What needs every event in one process
    (:data:`NOT_PARTITIONED`: ``event_columns``, ``for_period``, ``compare_periods``,
    ``data_quality``, ``report``, an event kind's ``trend``) raises ``NotImplementedError``
    naming what to do instead.

    ``data_start`` and ``data_end`` are required: every part must count over the same range.
    ``per_person``, when given, counts per person for matching and the DiD (the look-back
    covariates; each matched person's events before and after), by the single-machine code, in
    each part of the events, and adds the parts' counts: integers, so ``match``, ``did`` and
    ``headline`` give exactly the single-machine figures, bootstrap intervals included.
    """

    def __init__(self, *, counts: CountSource, clients: Any, data_start: Any, data_end: Any,
                 per_person: PerPersonSource | None = None, **tables: Any) -> None:
        if data_start is None or data_end is None:
            raise ValueError("data_start/data_end: a partitioned evaluation needs both, the same for every part")
        super().__init__(clients=clients, data_start=data_start, data_end=data_end, **tables)
        self._source = counts
        self._per_person_source = per_person

    @property
    def has_events(self) -> bool:
        return True  # counted where they are

    def _per_person(self, count: Callable[[dict[str, np.ndarray], int], Counted], threads: int) -> Counted:
        if self._per_person_source is None:
            raise ValueError("events: this evaluation cannot count per person (matching, DiD)")
        counted: Counted = self._per_person_source(count)
        return counted

    def _counts(self, specs: list[WindowSpec], by: str | None,
                periods: ServicePeriods | None = None) -> tuple[Any, list[str]]:
        key = (tuple(s.days for s in specs), by, cache_key(periods))
        if key not in self._utilisation_cache:
            merged = self._source(key[0], by, periods)
            labels = self._group_codes(by, periods=periods)[1]
            # Group labels of the whole clients table: a period with no client anywhere is kept.
            on_ours = replace(merged, labels=tuple(labels),
                              counts=_aligned(merged.counts, merged.labels, labels, 1),
                              clients_included=_aligned(merged.clients_included, merged.labels, labels, 1))
            self._utilisation_cache[key] = (on_ours, labels)
        return self._utilisation_cache[key]

    def _rows_of_count_0(self, result: Any) -> int | None:
        zero: int | None = result.rows_of_count_0
        return zero

    def _events_shown(self) -> int | str:
        return "held in parts, counted where they are"

    @property
    def events_with_count_zero(self) -> int:
        """Rows of the events table whose ``count`` is 0, from the merged counts."""
        return self._rows_of_count_0(self._counts([WindowSpec("12m", 12, 365)], None)[0]) or 0

    @property
    def event_columns(self) -> dict[str, np.ndarray] | None:
        raise _held_elsewhere("event_columns")

    def for_period(self, period: str, *, periods: ServicePeriods | None = None) -> Evaluation:
        raise _held_elsewhere("for_period")

    def compare_periods(self, first: str, second: str, **options: Any) -> Any:
        raise _held_elsewhere("compare_periods")

    def data_quality(self) -> Any:
        raise _held_elsewhere("data_quality")

    def report(self, path: Any, **options: Any) -> Any:
        raise _held_elsewhere("report")

    def trend(self, measure: str = "referrals", **options: Any) -> Any:
        """:meth:`Evaluation.trend` of referrals, connected or clients (from the clients table);
        an event kind's needs every event date and raises ``NotImplementedError``."""
        if measure in EVENT_KINDS:
            raise _held_elsewhere("trend")
        return super().trend(measure, **options)

    @staticmethod
    def _avoided(result: Any, tariff: Any) -> tuple[np.ndarray, np.ndarray]:
        """(pence, priced) [window][group][kind]: (pre - post) x unit cost, as the engine's
        ``cost_avoidance`` (src/cost/avoidance.cpp) works it, each cell checked to fit int64."""
        unit = np.zeros(len(EVENT_KINDS), dtype=object)
        priced = np.zeros(len(EVENT_KINDS), dtype=bool)
        for kind, (pence, _) in tariff.unit_costs.items():
            unit[EVENT_KINDS.index(kind)], priced[EVENT_KINDS.index(kind)] = int(pence), True
        exact = (result.counts[..., 0].astype(object) - result.counts[..., 1]) * unit
        if exact.size and not _INT64[0] <= min(exact.min(), exact.max()) <= max(exact.min(), exact.max()) <= _INT64[1]:
            raise ValueError("tariff: a cost avoided does not fit 64-bit pence")
        return exact.astype(np.int64), np.broadcast_to(priced, exact.shape)


@dataclass(frozen=True)
class NewtonSums:
    """One partition's sums for a Newton (IRLS) step of the logistic fit at ``beta``
    (intercept first): ``gradient`` X'(y - mu) and ``hessian`` X'WX, W = diag(mu (1 - mu)),
    X with a column of ones in front. ``merge`` adds two partitions'."""

    gradient: np.ndarray
    hessian: np.ndarray

    def merge(self, other: NewtonSums) -> NewtonSums:
        return NewtonSums(self.gradient + other.gradient, self.hessian + other.hessian)

    def ordered(self) -> NewtonSums:
        return self


def newton_sums(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> NewtonSums:
    """The :class:`NewtonSums` of one partition's rows ``x`` (rows x covariates) and 0/1 ``y``."""
    design = np.column_stack([np.ones(len(x)), np.asarray(x, dtype=np.float64)])
    eta = design @ beta
    t = np.exp(-np.abs(eta))  # mu without overflow, as the engine works it
    mu = np.where(eta >= 0, 1.0, t) / (1.0 + t)
    weighted = design * (mu * (1.0 - mu))[:, None]
    return NewtonSums(design.T @ (np.asarray(y, dtype=np.float64) - mu), design.T @ weighted)


def fit_logistic(sums: Callable[[np.ndarray], NewtonSums], covariates: int, *, max_iterations: int = 100,
                 tolerance: float = 1e-12) -> dict[str, Any]:
    """The propensity model (logistic, with an intercept) by IRLS over partitions:
    ``sums(beta)`` returns the merged :class:`NewtonSums` of every partition at ``beta``. Each
    step solves X'WX delta = X'(y - mu) by Cholesky, from zero, until every step is within
    ``tolerance`` x (1 + |beta_j|): the rule of the engine's ``fit_logistic``, whose maximum it
    reaches (to about 1e-12; the sums are added in another order). Returns ``intercept``,
    ``coefficients``, ``standard_errors`` (intercept first) and ``iterations``."""
    beta = np.zeros(covariates + 1)
    for iteration in range(1, max_iterations + 1):
        merged = sums(beta)
        try:
            lower = np.linalg.cholesky(merged.hessian)
        except np.linalg.LinAlgError:
            raise ValueError("fit: X'WX is not positive definite (collinear covariates, or separation)") from None
        step = np.linalg.solve(lower.T, np.linalg.solve(lower, merged.gradient))
        beta = beta + step
        if np.all(np.abs(step) <= tolerance * (1.0 + np.abs(beta))):
            inverse = np.linalg.inv(merged.hessian)
            return {"intercept": float(beta[0]), "coefficients": beta[1:].copy(),
                    "standard_errors": np.sqrt(np.diag(inverse)), "iterations": iteration}
    raise ValueError(f"fit: did not converge in {max_iterations} iterations (the outcome may be separated)")


def match_on_logits(logit: np.ndarray, treated: np.ndarray, person_id: np.ndarray, *, k: int = 1,
                    caliper: float | None = 0.2, replace: bool = False) -> pd.DataFrame:
    """1:k nearest-neighbour matches on the propensity logits gathered from the partitions (8
    bytes a person), by the engine that ``Evaluation.match`` uses, within ``caliper`` SDs of
    the logit (the mean of the two groups' sample variances, as the engine pools them); ties
    go to the smaller id. Returns ``client_id`` and ``comparison_id`` pairs, in set order."""
    treated = np.asarray(treated, dtype=bool)
    logit, ids = np.asarray(logit, dtype=np.float64), np.asarray(person_id, dtype=np.int64)
    sd = np.sqrt((logit[treated].var(ddof=1) + logit[~treated].var(ddof=1)) / 2)
    width = np.inf if caliper is None else (caliper * sd if sd > 0 else np.finfo(float).tiny)
    found = _core.nearest_neighbours(
        logit[treated], logit[~treated], np.zeros(int(treated.sum()), np.int32),
        np.zeros(int((~treated).sum()), np.int32), k=k, caliper=width, replace=replace,
        treated_id=ids[treated], control_id=ids[~treated])
    sizes = np.diff(found["set_begin"])
    return pd.DataFrame({"client_id": np.repeat(ids[treated][found["set_treated"]], sizes),
                         "comparison_id": ids[~treated][found["control"]]})
