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

One Spark job per (windows, grouping) counted; the figures built on the same counts reuse it.
The events' ``date`` must be a Spark ``DateType`` (Parquet ``date32``), so that no time zone comes
between Spark and the counted day. An error in the events names the row within its chunk.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterable, Iterator
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
from .evaluation import Evaluation as SingleMachineEvaluation
from .out_of_core import parquet_batches
from .partitioned import EventCounter, MergedEvaluation, UtilisationPartial
from .periods import ServicePeriods

__all__ = ["Evaluation", "local_session"]

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


def _as_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table as the single-machine Evaluation takes it: dates as datetime64[s] (no time
    zone, NaT kept)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.timestamp("s")))
    return table.to_pandas()


def _collected(spark: Any, table: Any) -> pd.DataFrame:
    """A person table on the driver: a DataFrame collected through Arrow, Parquet read by pyarrow."""
    if _is_path(table):
        return _as_pandas(ds.dataset(os.fspath(table), format="parquet", partitioning="hive").to_table())
    return _as_pandas(table.toArrow())


@dataclass(frozen=True)
class _People:
    """What each task counts its events against: the clients, the comparison pool's ids and
    the data range, as the single-machine Evaluation takes them."""

    clients: pd.DataFrame
    comparison: pd.DataFrame | None
    data_start: int
    data_end: int
    date_format: str | None

    def counter(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> EventCounter:
        """What counts the tasks' chunks of events, on one thread (a task holds one core): the
        people checked once, on the driver, each chunk's Arrow columns handed to the engine."""
        people = SingleMachineEvaluation(
            clients=self.clients, comparison=self.comparison, data_start=np.datetime64(self.data_start, "D"),
            data_end=np.datetime64(self.data_end, "D"), date_format=self.date_format, threads=1)
        return EventCounter(people, windows, by, periods)


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

    def batches(self, task_ids: Iterable[int], rows: int) -> Iterator[pa.RecordBatch]:
        for task in task_ids:
            for path in self.dataset.files[task::self.tasks]:
                for row_groups in parquet_batches(self.dataset, path, self.columns, rows):
                    for table in row_groups.tables():
                        yield from table.to_batches()


@dataclass(frozen=True)
class _Job:
    """What every task of one count runs: the events it is given counted against the people,
    ``rows`` at a time, and one pickled partial out (none for no events)."""

    counter: EventCounter
    rows: int
    files: _Files | None

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        """``mapInArrow``'s function: ``batches`` are the events, or the numbers of the tasks
        that read the files (``id`` of ``spark.range``)."""
        if self.files is not None:
            batches = self.files.batches((i for b in batches for i in b.column("id").to_pylist()), self.rows)
        merged: UtilisationPartial | None = None
        for chunk in _chunks(batches, self.rows):
            partial = self.counter.arrow(chunk)
            merged = partial if merged is None else merged.add_events(partial)
        if merged is not None:
            yield pa.RecordBatch.from_pydict({"partial": [pickle.dumps(merged)]},
                                             schema=pa.schema([("partial", pa.binary())]))


class Evaluation(MergedEvaluation):
    """The single-machine ``socialrx.Evaluation`` over Spark DataFrames: the same methods and
    the same results (utilisation, exclusions, cost avoidance and net saving counted on the
    executors; reach and every figure of the person tables on the driver).

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
    """

    def __init__(self, spark: Any, *, clients: Any, events: Any, comparison: Any = None, assessments: Any = None,
                 interventions: Any = None, feedback: Any = None, tariff: Any = None, data_start: Any = None,
                 data_end: Any = None, date_format: str | None = None, rows_per_count: int = 4_000_000) -> None:
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
                 "feedback": feedback}
        tables = {name: _collected(spark, table) for name, table in given.items() if table is not None}
        super().__init__(counts=self._count, clients=people, data_start=data_start, data_end=data_end, tariff=tariff,
                         date_format=date_format, **tables)
        assert self.data_start is not None and self.data_end is not None  # MergedEvaluation requires them
        # The tables as collected, not as read here: each task reads them by the same rules.
        self._people = _People(people, tables["comparison"][["patient_id"]] if "comparison" in tables else None,
                               self.data_start, self.data_end, date_format)

    def _count(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> UtilisationPartial:
        """The Spark job: each task's partial, added on the driver."""
        counter = self._people.counter(windows, by, periods)
        rows = self._tasks.mapInArrow(_Job(counter, self._rows_per_count, self._files), _PARTIAL_SCHEMA).collect()
        partials = [pickle.loads(row["partial"]) for row in rows]
        if not partials:  # no events: the clients' counts still stand
            no_events = pa.table({c: pa.array([], _EVENT_COLUMNS[c]) for c in self._counted_columns})
            return counter.arrow(no_events)
        return reduce(UtilisationPartial.add_events, partials)
