"""The evaluation on Spark: the single-machine ``Evaluation``'s figures from Spark DataFrames,
the same integers and the same pence.

>>> from socialrx.spark import Evaluation                                  # doctest: +SKIP
>>> evaluation = Evaluation(spark, clients=clients_frame, events="events/",  # doctest: +SKIP
...                         comparison="comparison/", tariff="example")
>>> evaluation.cost_avoidance(by="practice")                               # doctest: +SKIP

How it runs. The person tables (clients, comparison, assessments, interventions, feedback) are
collected to the driver, as on one machine. The events never leave the executors. Each task
counts a share of them, ``rows_per_count`` rows at a time, with the single-machine engine
against the clients and the comparison pool's ids (sent with the task), and returns one small
pickled ``socialrx.partitioned.UtilisationPartial``; all through ``DataFrame.mapInArrow``:

- events given as a DataFrame: the tasks are Spark's, over the DataFrame's rows;
- events given as a Parquet path (a file or a directory, hive partitions allowed): the tasks
  are given the files' paths and read them with pyarrow, which is about ten times faster than
  Spark turning its rows into Arrow (1.2 s against 12.7 s for 17.6M events in local[2]). Every
  executor must be able to read the path.

The driver adds the tasks' partials (``add_events``: every task counts against all the clients,
so the clients' counts are the same in each and kept once) and computes every figure from them
with the single-machine code (``socialrx.partitioned.MergedEvaluation``). No shuffle of the
events is needed, whatever their partitioning; an executor's memory is bounded by the person
tables and ``rows_per_count`` events.

Matching and the DiD (``evaluation.match(...)``, ``m.did(...)``, ``socialrx.headline``) are one
Spark job each of the same kind: every task counts per person (the look-back covariates of every
client and comparison patient, or each matched person's events before and after) and the driver
adds these integer arrays, then fits, matches and bootstraps with the single-machine engine.

One Spark job per (windows, grouping) counted; the figures built on the same counts reuse it.
The events' ``date`` must be a Spark ``DateType`` (Parquet ``date32``), so that no time zone comes
between Spark and the counted day. An error in the events names the row within its chunk.

Not on Spark, since they read every event in one process (each raises ``NotImplementedError``
naming what to do instead; ``socialrx.partitioned.NOT_PARTITIONED``): ``event_columns``,
``for_period``, ``compare_periods``, ``data_quality``, ``report`` and an event kind's ``trend``.

Per patient: :func:`comorbidity` scores a diagnoses DataFrame in groups of patients
(``groupBy().applyInArrow``), :func:`score_patients` scores patients with their diagnoses and
events in such groups (``cogroup().applyInArrow``), and :func:`case_list` takes each
partition's top k per group and merges them on the driver; all equal ``socialrx.risk``'s on
one machine.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ._optional import require
from ._tables import arrow_to_pandas
from .evaluation import Evaluation as SingleMachineEvaluation
from .out_of_core import READ_ROWS, parquet_batches
from .partitioned import (
    EventCounter,
    MergedEvaluation,
    PersonCounter,
    UtilisationPartial,
    add_events,
    case_list_partial,
    comorbidity_partial,
    merge_case_lists,
)
from .periods import ServicePeriods
from .risk.models import ModelSource, RiskModel, load_model
from .risk.scoring import add_comorbidity_scores
from .risk.scoring import score_patients as _score_patients

__all__ = ["Evaluation", "case_list", "comorbidity", "local_session", "score_patients"]

# The events' columns the engine reads, and their types in a table of no events.
_EVENT_COLUMNS = {"person_id": pa.int64(), "client_id": pa.int64(), "patient_id": pa.int64(), "date": pa.date32(),
                  "kind": pa.string(), "count": pa.int64()}
_PARTIAL_SCHEMA = "partial binary"


def local_session(cores: int = 2) -> Any:
    """A local-mode ``SparkSession`` on ``cores`` cores whose Python workers are this interpreter
    with this socialrx (for tests, benchmarks and notebooks; on a cluster use its own session).
    Spark's web UI and console progress bar are off, and heartbeats are long enough for a
    busy machine."""
    sql = require("pyspark.sql", "socialrx.spark.local_session starts Spark", extra="spark")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    package_root = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (sql.SparkSession.builder.master(f"local[{int(cores)}]").appName("socialrx")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.executor.heartbeatInterval", "60s").config("spark.network.timeout", "600s")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


def _is_path(table: Any) -> bool:
    return isinstance(table, str) or hasattr(table, "__fspath__")


def _spark_frame(spark: Any, table: Any) -> Any:
    """A Spark DataFrame as given, or one read from a Parquet path."""
    return spark.read.parquet(os.fspath(table)) if _is_path(table) else table


def _collected(spark: Any, table: Any) -> pd.DataFrame:
    """A person table on the driver: a DataFrame collected through Arrow, Parquet read by pyarrow."""
    if _is_path(table):
        return arrow_to_pandas(ds.dataset(os.fspath(table), format="parquet", partitioning="hive").to_table())
    return arrow_to_pandas(table.toArrow())


@dataclass(frozen=True)
class _People:
    """What each task counts its events against: the clients, the comparison pool's ids and
    the data range, as the single-machine Evaluation takes them."""

    clients: pd.DataFrame
    comparison: pd.DataFrame | None
    data_start: int
    data_end: int
    date_format: str | None

    def _evaluation(self) -> SingleMachineEvaluation:
        """The people as one machine checks them, with no events: what the counters take."""
        return SingleMachineEvaluation(
            clients=self.clients, comparison=self.comparison, data_start=np.datetime64(self.data_start, "D"),
            data_end=np.datetime64(self.data_end, "D"), date_format=self.date_format, threads=1)

    def counter(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> EventCounter:
        """What counts the tasks' chunks of events, on one thread (a task holds one core): the
        people checked once, on the driver, each chunk's Arrow columns handed to the engine."""
        return EventCounter(self._evaluation(), windows, by, periods)

    def person_counter(self, count: Callable[[dict[str, np.ndarray], int], Any]) -> PersonCounter:
        """What counts per person (matching, DiD) in the tasks' chunks of events."""
        return PersonCounter(self._evaluation(), count)


def _chunks(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Record batches gathered into tables of at least ``rows`` rows (the last may be fewer)."""
    held: list[pa.RecordBatch] = []
    size = 0
    for batch in batches:
        held.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield pa.Table.from_batches(held)
            held, size = [], 0
    if held:
        yield pa.Table.from_batches(held)


@dataclass(frozen=True)
class _Files:
    """Events in Parquet files that the tasks read themselves: task i of n reads files i, i + n, ..."""

    dataset: ds.FileSystemDataset
    columns: list[str]
    tasks: int

    def tables(self, task_ids: Iterable[int], rows: int) -> Iterator[pa.Table]:
        """The tasks' files, each read ``rows`` rows at a time (a file's row groups together up
        to that, as ``socialrx.out_of_core`` reads them): counted as read, not gathered across
        files (at 1/20 of England, 1.8-2.2 s against 2.2-2.4 s)."""
        for task in task_ids:
            for path in self.dataset.files[task::self.tasks]:
                for row_groups in parquet_batches(self.dataset, path, self.columns, rows):
                    yield from row_groups.tables()


@dataclass(frozen=True)
class _Job:
    """What every task of one count runs: the events it is given counted against the people by
    ``counter``, ``rows`` at a time, and one pickled partial out (none for no events)."""

    counter: EventCounter | PersonCounter
    rows: int
    files: _Files | None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """``mapInArrow``'s function: ``batches`` are the events, or the numbers of the tasks
        that read the files (``id`` of ``spark.range``)."""
        chunks: Iterable[pa.Table]
        if self.files is not None:
            chunks = self.files.tables((i for b in batches for i in b.column("id").to_pylist()), self.rows)
        else:
            chunks = _chunks(batches, self.rows)
        merged: Any = None
        for chunk in chunks:
            partial = self.counter.arrow(chunk)
            merged = partial if merged is None else merged.add_events(partial)
        if merged is not None:
            yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(merged)]},
                                             schema=pa.schema([("partial", pa.binary())]))


class Evaluation(MergedEvaluation):
    """The single-machine ``socialrx.Evaluation`` over Spark DataFrames: the same methods and
    the same results (utilisation, exclusions, cost avoidance, net saving, and the per-person
    counts of matching and the DiD counted on the executors; reach and every figure of the
    person tables on the driver), but for those that need every event in one process
    (``socialrx.partitioned.NOT_PARTITIONED``).

    Parameters
    ----------
    spark:
        The ``SparkSession`` (it reads any table given as a Parquet path).
    clients, events, comparison, assessments, interventions, feedback:
        Spark DataFrames or Parquet paths, with the columns ``socialrx.Evaluation`` takes;
        the events' ``date`` a ``DateType``. Every table but the events is collected to the
        driver. Events as a path are read by the tasks themselves (see the module's notes).
    tariff, date_format:
        As ``socialrx.Evaluation``.
    data_start, data_end:
        As ``socialrx.Evaluation``; by default the first and last event dates (one Spark job).
    rows_per_count:
        Events a task counts at a time: its memory, beside the person tables.

    Any other keyword goes to ``socialrx.Evaluation`` (``funding``, ``surveys`` and
    ``meetings`` collected first when a Spark DataFrame or a Parquet path; ``kind_groups``,
    ``survey_definitions`` as given).
    """

    def __init__(self, spark: Any, *, clients: Any, events: Any, comparison: Any = None, assessments: Any = None,
                 interventions: Any = None, feedback: Any = None, tariff: Any = None, data_start: Any = None,
                 data_end: Any = None, date_format: str | None = None, rows_per_count: int = READ_ROWS,
                 **options: Any) -> None:
        functions = require("pyspark.sql.functions", "socialrx.spark runs the evaluation", extra="spark")
        self._files: _Files | None = None
        if _is_path(events):
            dataset = ds.dataset(os.fspath(events), format="parquet", partitioning="hive")
            # A task a core, each reading its share of the files: no shuffle. Each Python task costs
            # Spark about 0.3 s whatever it does (an empty mapInArrow in local[2]: 0.4 s for one
            # task, 0.7 s for two, 1.0 s for three, 1.3-1.5 s for four), so no more than the cores.
            tasks = min(len(dataset.files), max(1, spark.sparkContext.defaultParallelism))
            self._files = _Files(dataset, [c for c in dataset.schema.names if c in _EVENT_COLUMNS], tasks)
            date_type = str(dataset.schema.field("date").type) if "date" in dataset.schema.names else None
            self._tasks = spark.range(tasks, numPartitions=tasks)
        else:
            self._tasks = events.select(*[c for c in events.columns if c in _EVENT_COLUMNS])
            date_type = dict(self._tasks.dtypes).get("date")
        self._counted_columns = self._tasks.columns if self._files is None else self._files.columns
        if date_type not in (None, "date", "date32[day]"):
            raise ValueError(f"events.date: must be a date (Spark DateType, Parquet date32), got {date_type}")
        if data_start is None or data_end is None:  # the single-machine default, in one job
            first, last = (None if day is None else pd.Timestamp(day) for day in
                           _spark_frame(spark, events).agg(functions.min("date"), functions.max("date")).first())
            data_start = first if data_start is None else data_start
            data_end = last if data_end is None else data_end
        self._rows_per_count = int(rows_per_count)
        people = _collected(spark, clients)
        given = {"comparison": comparison, "assessments": assessments, "interventions": interventions,
                 "feedback": feedback, **options}
        tables = {name: _collected(spark, table) if _is_path(table) or hasattr(table, "toArrow") else table
                  for name, table in given.items() if table is not None}
        super().__init__(counts=self._count, per_person=self._added_per_person, clients=people,
                         data_start=data_start, data_end=data_end, tariff=tariff, date_format=date_format, **tables)
        assert self.data_start is not None and self.data_end is not None  # MergedEvaluation requires them
        # The tables as collected, not as read here: each task reads them by the same rules.
        self._people = _People(people, tables["comparison"][["patient_id"]] if "comparison" in tables else None,
                               self.data_start, self.data_end, date_format)

    def _count(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> UtilisationPartial:
        """The utilisation counts: one Spark job."""
        counted: UtilisationPartial = self._run(self._people.counter(windows, by, periods))
        return counted

    def _added_per_person(self, count: Callable[[dict[str, np.ndarray], int], Any]) -> Any:
        """Per-person counts (matching, DiD): one Spark job."""
        return self._run(self._people.person_counter(count))

    def _run(self, counter: EventCounter | PersonCounter) -> Any:
        """The Spark job: each task's partial of ``counter``, added on the driver."""
        rows = self._tasks.mapInArrow(_Job(counter, self._rows_per_count, self._files), _PARTIAL_SCHEMA).collect()
        partials = [pickle.loads(row["partial"]) for row in rows]
        if not partials:  # no events: the clients' counts still stand
            no_events = pa.table({c: pa.array([], _EVENT_COLUMNS[c]) for c in self._counted_columns})
            return counter.arrow(no_events)
        return reduce(add_events, partials)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A result frame as Arrow for Spark: categories as their text, text as Spark's string, and
    a column of no values (the feature names of no patients, where the schema is read) as text."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type) or pa.types.is_large_string(field.type) or pa.types.is_null(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.string()))
    return table


def _by_patient(frame: Any, column: str, count: int) -> Any:
    """``frame`` grouped into ``count`` groups by a hash of its person id ``column`` (the same
    group for the same id in every table)."""
    functions = require("pyspark.sql.functions", "socialrx.spark scores patients", extra="spark")
    return frame.groupBy(functions.pmod(functions.xxhash64(column), functions.lit(count)))


def _spark_schema(table: pa.Table) -> Any:
    """The Spark schema of an Arrow table's."""
    return require("pyspark.sql.pandas.types", "socialrx.spark scores patients", extra="spark").from_arrow_schema(
        table.schema)


def _no_rows(frame: Any) -> pa.Table:
    """A Spark DataFrame's columns, as Arrow, with no rows (no Spark job)."""
    types = require("pyspark.sql.pandas.types", "socialrx.spark scores patients", extra="spark")
    return types.to_arrow_schema(frame.schema).empty_table()


def _scoring(index: str, options: dict[str, Any]) -> Callable[[pa.Table], pa.Table]:
    """``groupBy().applyInArrow``'s function (of the table alone: Spark reads its signature)."""

    def scored(diagnoses: pa.Table) -> pa.Table:  # one group's diagnoses: all of its patients'
        return _arrow(comorbidity_partial(arrow_to_pandas(diagnoses), index, **options))

    return scored


def comorbidity(diagnoses: Any, index: str = "charlson", *, partitions: int | None = None, **options: Any) -> Any:
    """``socialrx.risk.charlson`` (``elixhauser``, ``hfrs``: ``index``) per patient of a Spark
    diagnoses DataFrame, with the function's ``options``, as a Spark DataFrame: the diagnoses
    grouped into ``partitions`` (default: Spark's default parallelism) by a hash of the patient
    id (a Spark shuffle), each group scored on its own (``groupBy().applyInArrow``). The rows
    are the single-machine result's; ``hfrs``'s ``band`` is its text, and the counts of codes
    matched (``attrs``) are not kept."""
    scored = _scoring(index, options)
    return _by_patient(diagnoses, options.get("patient_column", "patient_id"), _groups(diagnoses, partitions)
                       ).applyInArrow(scored, _spark_schema(scored(_no_rows(diagnoses))))


def _groups(frame: Any, partitions: int | None) -> int:
    return int(partitions) if partitions else int(frame.sparkSession.sparkContext.defaultParallelism)


def _with_comorbidity(model: dict[str, Any]) -> Callable[[pa.Table, pa.Table], pa.Table]:
    """``cogroup().applyInArrow``'s function: a group's patients with the comorbidity scores
    the model names, from the group's diagnoses (all of its patients')."""

    def added(patients: pa.Table, diagnoses: pa.Table) -> pa.Table:
        return _arrow(add_comorbidity_scores(arrow_to_pandas(patients), arrow_to_pandas(diagnoses), load_model(model),
                                             threads=1))

    return added


def _explained(model: dict[str, Any], as_of: Any, top: int) -> Callable[[pa.Table, pa.Table], pa.Table]:
    """``cogroup().applyInArrow``'s function: a group's patients scored, their event features
    counted from the group's events (all of its patients')."""

    def scored(patients: pa.Table, events: pa.Table) -> pa.Table:
        return _arrow(_score_patients(arrow_to_pandas(patients), load_model(model), events=arrow_to_pandas(events),
                                      as_of=as_of, top=top, threads=1))

    return scored


def score_patients(patients: Any, model: ModelSource | RiskModel, *, events: Any, as_of: Any, diagnoses: Any = None,
                   top: int = 3, partitions: int | None = None) -> Any:
    """``socialrx.risk.score_patients`` over Spark DataFrames, as a Spark DataFrame of the same
    rows: the patients cogrouped with their diagnoses, if given (the comorbidity scores the model
    names), then with their events (``groupBy().cogroup().applyInArrow``), in ``partitions`` groups by
    a hash of the person id (default: Spark's default parallelism), each group scored on its
    own. ``as_of`` must be a date or a patients column, the same for every group. Categories
    come back as their text."""
    spec = (model if isinstance(model, RiskModel) else load_model(model)).to_json()
    count = _groups(patients, partitions)
    id_column = next((c for c in ("person_id", "patient_id", "client_id") if c in events.columns), "person_id")
    stages = ((_with_comorbidity(spec), diagnoses, "patient_id"), (_explained(spec, as_of, top), events, id_column))
    for function, table, column in stages[diagnoses is None:]:
        schema = _spark_schema(function(_no_rows(patients), _no_rows(table)))
        patients = _by_patient(patients, "patient_id", count).cogroup(_by_patient(table, column, count)).applyInArrow(
            function, schema)
    return patients


@dataclass(frozen=True)
class _Candidates:
    """``mapInArrow``'s function: one partition's top ``k`` per group, pickled."""

    by: str | None
    k: int
    score: str
    id: str

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        held = list(batches)
        if sum(batch.num_rows for batch in held):
            part = arrow_to_pandas(pa.Table.from_batches(held))
            top = case_list_partial(part, self.by, self.k, score=self.score, id=self.id)
            yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(top)]},
                                             schema=pa.schema([("partial", pa.binary())]))


def case_list(scores: Any, by: str | None = "practice", k: int = 10, *, score: str = "score",
              id: str = "patient_id") -> pd.DataFrame:
    """``socialrx.risk.case_list`` of a Spark scores DataFrame: each partition's top ``k`` per
    group (``mapInArrow``), collected and merged (``socialrx.partitioned.merge_case_lists``); the
    single-machine rows, order and ranks, numbered from 0."""
    rows = scores.mapInArrow(_Candidates(by, k, score, id), _PARTIAL_SCHEMA).collect()
    candidates = [pickle.loads(row["partial"]) for row in rows]
    if not candidates:
        raise ValueError("scores: no rows")
    return merge_case_lists(candidates, by, k, score=score, id=id).reset_index(drop=True)
