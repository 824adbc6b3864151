"""socialrx on Dask: the single-machine figures from dask DataFrames, exactly.

>>> from socialrx.dask import Evaluation                                  # doctest: +SKIP
>>> ev = Evaluation(clients=clients, events=events_ddf, comparison=pool_ddf,
...                 tariff="example", data_start="2019-04-01", data_end="2025-03-31")
>>> ev.cost_avoidance(by="practice")                   # the same pence as socialrx.Evaluation

The events stay in the cluster, in their own partitions. The person tables (clients,
assessments, interventions, feedback, the comparison pool) are gathered to the client,
which computes reach, outcomes, wellbeing, support and feedback from them as on one machine. For
the utilisation figures each events partition is counted against all the clients, by one
``socialrx.partitioned.EventCounter`` (the clients checked once, on the client, and sent once to
each worker; a partition's columns handed to the engine as they are where their types allow),
into a ``socialrx.partitioned.UtilisationPartial``;
the client gathers these small partials and adds them (``add_events``: the clients' own counts
are the same in each and kept once), and the derived figures are worked by the single-machine
code (``socialrx.partitioned.MergedEvaluation``). No shuffle of the events is needed, whatever
their partitioning.

Matching and the DiD (``ev.match(...)``, ``m.did(...)``, ``socialrx.headline(ev)``) count per
person the same way: each part counts the look-back covariates of every client and comparison
patient, or each matched person's events before and after, over its own events
(``socialrx.partitioned.PersonCounter``), added in pairs in the workers; the client gets their
sum (a few numbers a person) and fits, matches and bootstraps with the single-machine engine: the same
matches, estimates and intervals, to the last bit.

With ``copartition=True`` the clients are not sent whole to every task: the events, clients and
comparison pool are shuffled into ``partitions`` co-partitions by
``socialrx.partitioned.partition_of`` of the person id (each input partition split by the hash,
then piece i of every input partition joined into partition i), and the partials of these
disjoint sets of people are merged (``merge``). The shuffle moves every event once between
processes: for clients too many to send to every task.

It runs on whatever Dask scheduler is active (threads, processes, or a ``distributed.Client``).
An error in a part names the row within that part, not in the table given.

Not on Dask, since they read every event in one process (each raises ``NotImplementedError``
naming what to do instead; ``socialrx.partitioned.NOT_PARTITIONED``): ``event_columns``,
``for_period``, ``compare_periods``, ``data_quality``, ``report`` and an event kind's ``trend``.

Per patient: :func:`comorbidity` and :func:`score_patients` co-partition the patients,
diagnoses and events by person and score each partition on its own, giving a dask DataFrame;
:func:`case_list` takes each partition's top k per group and merges them. All three equal
``socialrx.risk``'s on one machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ._columns import as_day, as_days
from ._tables import arrow_to_pandas
from .evaluation import Evaluation as _Single
from .out_of_core import READ_ROWS, RowGroups, event_columns, events_dataset, in_runs, parquet_batches
from .partitioned import (
    EventCounter,
    MergedEvaluation,
    PersonCounter,
    UtilisationPartial,
    add_events,
    case_list_partial,
    comorbidity_partial,
    counted_clients,
    merge_all,
    merge_case_lists,
    split,
)
from .periods import ServicePeriods
from .risk.models import ModelSource, RiskModel, load_model
from .risk.scoring import score_patients as _score_patients
from .tariff import TariffSource

__all__ = ["Evaluation", "case_list", "comorbidity", "score_patients"]

_EVENT_IDS = ("person_id", "patient_id", "client_id")
_PART_ROWS = 4_000_000  # events a task reads from Parquet files named by a path (READ_ROWS at a time)
_POOL_IDS = ("patient_id", "person_id")


def _dask() -> Any:
    from ._optional import require

    return require("dask", "socialrx.dask runs the evaluation", extra="scale")


def _dask_dataframe() -> Any:
    from ._optional import require

    return require("dask.dataframe", "socialrx.dask reads Parquet to shuffle it", extra="scale")


def _gathered(table: Any) -> Any:
    """A person table on the client: a dask table computed, anything else as given."""
    return table.compute() if _dask().is_dask_collection(table) else table


def _id_column(columns: Sequence[str], table: str, names: Sequence[str]) -> str:
    found = next((c for c in names if c in columns), None)
    if found is None:
        raise ValueError(f"{table}: missing column {names[0]} (or {' / '.join(names[1:])})")
    return found


def _shuffled(table: Any, table_name: str, names: Sequence[str], partitions: int) -> list[Any]:
    """``table`` (dask or pandas) as ``partitions`` delayed pandas frames, row i of the result
    holding the people of hash partition i."""
    dask = _dask()
    column = _id_column(list(table.columns), table_name, names)
    if not dask.is_dask_collection(table):
        return [dask.delayed(piece) for piece in split(table, column, partitions, table=table_name)]
    pieces = [dask.delayed(split, nout=partitions)(part, column, partitions, table=table_name)
              for part in table.to_delayed()]
    return [dask.delayed(pd.concat)([piece[i] for piece in pieces]) for i in range(partitions)]


def _day_range(events: pd.DataFrame | Any, date_format: str | None) -> tuple[int, int] | None:
    """The first and last event day of one part (None: no events)."""
    frames = [events] if isinstance(events, pd.DataFrame) else [arrow_to_pandas(t) for t in events.tables()]
    days = np.concatenate([as_days(f["date"], "events", "date", required=True, date_format=date_format)
                           for f in frames])
    return (int(days.min()), int(days.max())) if len(days) else None


@dataclass(frozen=True)
class _TaskFiles:
    """What one task reads from Parquet files named by a path: row groups of one file or more.
    Small files share a task: 384 files of 0.46M rows each, a task each, kept the workers idle
    half the time (the scheduler sending 384 tasks)."""

    pieces: tuple[RowGroups, ...]

    def tables(self) -> Iterator[pa.Table]:
        for piece in self.pieces:
            yield from piece.tables()


def _parts_of(events: Any, count: int) -> list[Any]:
    """The events as delayed pandas frames: a dask table's partitions, a pandas table's rows
    cut into ``count`` parts; or, for Parquet files named by a path, batches of their row
    groups that the tasks read themselves with pyarrow (as ``socialrx.out_of_core`` does)."""
    dask = _dask()
    if isinstance(events, (str, os.PathLike)):
        dataset = events_dataset(events)
        pieces = [piece for path in dataset.files
                  for piece in parquet_batches(dataset, path, event_columns(dataset), _PART_ROWS, read_rows=READ_ROWS)]
        return [_TaskFiles(tuple(run)) for run in in_runs(pieces, lambda piece: piece.rows, _PART_ROWS)]
    if dask.is_dask_collection(events):
        return list(events.to_delayed())
    bounds = np.linspace(0, len(events), count + 1).astype(int)
    return [dask.delayed(events.iloc[bounds[i]:bounds[i + 1]]) for i in range(count)]


def _pool_ids(comparison: pd.DataFrame | None) -> pd.DataFrame | None:
    """The comparison pool's id column, all the counting needs of it."""
    if comparison is None:
        return None
    return comparison[[_id_column(list(comparison.columns), "comparison", _POOL_IDS)]]


def _people(clients: pd.DataFrame, comparison: pd.DataFrame | None, options: dict[str, Any],
            by: str | None) -> _Single:
    """These clients (the columns counted: the client checked them whole) and comparison pool,
    their columns checked once, for a counter of parts of the events."""
    return _Single(clients=counted_clients(clients, by).reset_index(drop=True), comparison=comparison, **options)


def _counter(clients: pd.DataFrame, comparison: pd.DataFrame | None, options: dict[str, Any],
             windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> EventCounter:
    """What counts parts of the events against these clients and comparison pool."""
    return EventCounter(_people(clients, comparison, options, by), windows, by, periods, threads=options["threads"])


def _partial(counter: EventCounter | PersonCounter, events: Any) -> Any:
    """One part's counts: a pandas frame, or row groups read here."""
    if isinstance(events, pd.DataFrame):
        return counter.pandas(events)
    return reduce(add_events, [counter.arrow(table) for table in events.tables()])


def _counted(clients: pd.DataFrame, events: pd.DataFrame, comparison: pd.DataFrame | None,
             options: dict[str, Any], windows: tuple[int, ...], by: str | None,
             periods: ServicePeriods | None) -> UtilisationPartial:
    """One co-partition's counts: its events against its own clients."""
    return _counter(clients, comparison, options, windows, by, periods).pandas(events)


class Evaluation(MergedEvaluation):
    """``socialrx.Evaluation`` over dask DataFrames: the same arguments, the same methods and
    exactly the same figures, but for those that need every event in one process
    (``socialrx.partitioned.NOT_PARTITIONED``).

    Parameters as ``socialrx.Evaluation`` (each table a dask or pandas DataFrame; the events
    also a Parquet path, a file or a directory, whose files the tasks read themselves with
    pyarrow, 4M rows at most a task, rather than through ``dask.dataframe``), and:

    copartition:
        Shuffle events, clients and comparison pool into co-partitions by person (see above).
    partitions:
        The co-partitions (default: the events' own number of partitions), or the parts a
        pandas events table is cut into.
    threads:
        Engine threads within a part (default 1: the cluster's workers are the parallelism).

    Any other keyword goes to ``socialrx.Evaluation`` as it is (a dask table gathered first).
    """

    def __init__(self, *, clients: Any, events: Any, comparison: Any = None, tariff: TariffSource | None = None,
                 data_start: Any = None, data_end: Any = None, date_format: str | None = None,
                 copartition: bool = False, partitions: int | None = None, threads: int = 1,
                 **tables: Any) -> None:
        dask = _dask()
        if copartition and isinstance(events, (str, os.PathLike)):  # the shuffle is of dask tables
            events = _dask_dataframe().read_parquet(os.fspath(events))
        people, pool = _gathered(clients), _gathered(comparison)
        count = int(partitions) if partitions else int(getattr(events, "npartitions", 1))
        event_parts = _shuffled(events, "events", _EVENT_IDS, count) if copartition else _parts_of(events, count)
        first, last = (None if d is None else as_day(d, name, date_format)
                       for d, name in ((data_start, "data_start"), (data_end, "data_end")))
        if first is None or last is None:  # the events' own first and last day, as on one machine
            found = [r for r in dask.compute(*[dask.delayed(_day_range)(e, date_format) for e in event_parts]) if r]
            first = first if first is not None or not found else min(r[0] for r in found)
            last = last if last is not None or not found else max(r[1] for r in found)
        start, end = (None if d is None else np.datetime64(d, "D") for d in (first, last))
        self._options = dict(data_start=start, data_end=end, date_format=date_format, threads=threads)
        self._copartition = copartition
        if copartition:
            client_parts = _shuffled(people, "clients", ("client_id",), count)
            pool_parts = [None] * count if comparison is None else _shuffled(
                comparison, "comparison", _POOL_IDS, count)
        else:  # every part counted against all the people (see _merged_counts)
            client_parts = pool_parts = [None] * len(event_parts)
        self._pool = _pool_ids(pool)
        self._parts = list(zip(client_parts, dask.persist(*event_parts), pool_parts))
        super().__init__(counts=self._merged_counts, per_person=self._added_per_person, clients=people,
                         comparison=pool, data_start=start, data_end=end, tariff=tariff, date_format=date_format,
                         **{name: _gathered(table) for name, table in tables.items()})

    def _merged_counts(self, windows: tuple[int, ...], by: str | None,
                       periods: ServicePeriods | None) -> UtilisationPartial:
        dask = _dask()
        if self._copartition:
            return merge_all(dask.compute(*[dask.delayed(_counted)(c, e, p, self._options, windows, by, periods)
                                            for c, e, p in self._parts]))
        # Every part against all the clients: one counter, built here and sent once to each worker.
        counter = dask.delayed(_counter(self.clients, self._pool, self._options, windows, by, periods))
        partials = dask.compute(*[dask.delayed(_partial)(counter, e) for _, e, _ in self._parts])
        return reduce(UtilisationPartial.add_events, partials).ordered()

    def _added_per_person(self, count: Callable[[dict[str, np.ndarray], int], Any]) -> Any:
        """``count`` over every part's events against all the people (shuffled or not), the
        parts' counts added in pairs in the workers: one sum (a few integers a person) comes
        back, not each part's."""
        dask = _dask()
        people = _people(self.clients, self._pool, self._options, None)
        counter = dask.delayed(PersonCounter(people, count, threads=people.threads))  # sent once to each worker
        partials = [dask.delayed(_partial)(counter, e) for _, e, _ in self._parts]
        while len(partials) > 1:
            partials = [dask.delayed(add_events)(*partials[i:i + 2]) for i in range(0, len(partials), 2)]
        return dask.compute(partials[0])[0]


def _count(table: Any, partitions: int | None) -> int:
    return int(partitions) if partitions else int(getattr(table, "npartitions", 1))


def _per_patient(parts: list[Any]) -> Any:
    """The parts' per-patient rows (delayed pandas frames) as one dask DataFrame."""
    from ._optional import require

    return require("dask.dataframe", "socialrx.dask scores patients", extra="scale").from_delayed(
        parts, verify_meta=False)


def comorbidity(diagnoses: Any, index: str = "charlson", *, partitions: int | None = None, **options: Any) -> Any:
    """``socialrx.risk.charlson`` (``elixhauser``, ``hfrs``: ``index``) per patient of a dask
    or pandas diagnoses table, with the function's ``options``, as a dask DataFrame: the
    diagnoses shuffled into ``partitions`` (default: their own number) by
    ``socialrx.partitioned.partition_of`` of the patient id, each partition scored on its own.
    The rows are the single-machine result's, each partition's patients together; the counts of
    codes matched (``attrs``) are not kept."""
    dask = _dask()
    column = options.get("patient_column", "patient_id")
    parts = _shuffled(diagnoses, "diagnoses", (column,), _count(diagnoses, partitions))
    return _per_patient([dask.delayed(comorbidity_partial)(part, index, **options) for part in parts])


def _scored(patients: pd.DataFrame, model: dict[str, Any], **tables: Any) -> pd.DataFrame:
    return _score_patients(patients.reset_index(drop=True), load_model(model), threads=1, **tables)


def score_patients(patients: Any, model: ModelSource | RiskModel, *, diagnoses: Any = None, events: Any = None,
                   as_of: Any = None, top: int = 3, partitions: int | None = None) -> Any:
    """``socialrx.risk.score_patients`` over dask or pandas tables, as a dask DataFrame of the
    same rows: patients, diagnoses and events co-partitioned by person (``partitions``, default
    the patients' own number), each part scored on its own (a patient's features read only its
    own rows). ``as_of`` must be a date or a patients column, the same for every part."""
    dask = _dask()
    count = _count(patients, partitions)
    spec = (model if isinstance(model, RiskModel) else load_model(model)).to_json()
    people = _shuffled(patients, "patients", ("patient_id",), count)
    given = {"diagnoses": (diagnoses, ("patient_id",)), "events": (events, _EVENT_IDS)}
    tables = {name: _shuffled(table, name, ids, count) for name, (table, ids) in given.items() if table is not None}
    return _per_patient([dask.delayed(_scored)(people[i], spec, as_of=as_of, top=top,
                                               **{name: parts[i] for name, parts in tables.items()})
                         for i in range(count)])


def case_list(scores: Any, by: str | None = "practice", k: int = 10, *, score: str = "score",
              id: str = "patient_id") -> pd.DataFrame:
    """``socialrx.risk.case_list`` of a dask or pandas scores table: each partition's top ``k``
    per group, gathered and merged (``socialrx.partitioned.merge_case_lists``); the same rows,
    order, index and ranks as on one machine."""
    dask = _dask()
    candidates = dask.compute(*[dask.delayed(case_list_partial)(part, by, k, score=score, id=id)
                                for part in _parts_of(scores, 1)])
    return merge_case_lists(candidates, by, k, score=score, id=id)
