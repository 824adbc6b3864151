"""The evaluation of events larger than memory: Parquet files streamed batch by batch.

>>> from socialrx.out_of_core import Evaluation                             # doctest: +SKIP
>>> evaluation = Evaluation(clients=clients, events="events/", comparison=pool, tariff="example")
>>> evaluation.cost_avoidance(by="practice")   # as socialrx.Evaluation with the events in memory

The person tables (clients, comparison, assessments, interventions, feedback) are held in
memory. The events, a ``pyarrow.dataset.Dataset`` or Parquet files (a directory, one file or a
list of files), are read about ``batch_rows`` rows at a time (a file's row groups put together
up to it), on ``threads`` threads at once; the single-machine engine counts each batch against
all the clients (``socialrx.partitioned.EventCounter``: the Arrow columns handed to it as they
are where their types allow), and the batches' ``socialrx.partitioned.UtilisationPartial`` are
added in the files' order (``add_events``: integer sums, the same for any number of threads).
The derived figures are the single-machine code's (``socialrx.partitioned.MergedEvaluation``).
Memory is bounded by the person tables and one batch a thread, not by the number of events.
Each figure (windows x grouping) is one pass over the files; the figures on the same counts
reuse it. Matching and the DiD (``match``, its ``did``, ``socialrx.headline``) count per
person in each batch (``socialrx.partitioned.PersonCounter``) and add the batches' counts: one
pass each, the single-machine matches and intervals.

An error in the events names the row within its batch (of the first batch, in the files'
order, that has one). What reads every event at once (``socialrx.partitioned.NOT_PARTITIONED``:
``data_quality``, ``for_period``, ``compare_periods``, ``report``, an event kind's ``trend``)
raises ``NotImplementedError`` saying what to do instead.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce
from typing import Any, TypeVar, Union

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ._columns import as_day, as_days
from ._tables import arrow_to_pandas
from .partitioned import EventCounter, MergedEvaluation, PersonCounter, UtilisationPartial, add_events
from .periods import ServicePeriods
from .tariff import TariffSource

__all__ = ["Evaluation"]

EventsSource = Union[str, "os.PathLike[str]", Sequence[str], ds.Dataset]
_EVENT_COLUMNS = ("person_id", "patient_id", "client_id", "date", "kind", "count")


def event_columns(dataset: ds.Dataset) -> list[str]:
    """The columns of the events that the counting reads."""
    return [c for c in dataset.schema.names if c in _EVENT_COLUMNS]


def events_dataset(events: EventsSource) -> ds.Dataset:
    """The events as a dataset: given, or of Parquet files."""
    if isinstance(events, ds.Dataset):
        return events
    paths = os.fspath(events) if isinstance(events, (str, os.PathLike)) else [os.fspath(p) for p in events]
    try:
        return ds.dataset(paths, format="parquet")
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"events: not a readable Parquet dataset ({error})") from None


T = TypeVar("T")
R = TypeVar("R")


def _in_order(work: Callable[[T], R], items: Iterable[T], threads: int) -> Iterator[R]:
    """``work(item)`` of each item on ``threads`` threads, the results in the items' order; at
    most two items a thread are taken ahead, and none once one fails."""
    pending: deque[Future[R]] = deque()
    pool = ThreadPoolExecutor(threads)
    try:
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def in_runs(items: Iterable[T], size: Callable[[T], int], limit: int) -> Iterator[list[T]]:
    """Consecutive ``items`` in runs of up to ``limit`` in ``size`` together (a larger item alone)."""
    run: list[T] = []
    total = 0
    for item in items:
        item_size = size(item)
        if run and total + item_size > limit:
            yield run
            run, total = [], 0
        run.append(item)
        total += item_size
    if run:
        yield run


def _group_rows(metadata: pq.FileMetaData) -> Callable[[int], int]:
    return lambda group: int(metadata.row_group(group).num_rows)


@dataclass(frozen=True)
class RowGroups:
    """Row groups of one Parquet file, read ``read_rows`` rows at a time: row groups together
    up to that, one larger alone in slices of it."""

    filesystem: pafs.FileSystem  # not the dataset: pickled for a Dask task, its file list is 300 kB
    path: str
    metadata: pq.FileMetaData
    groups: list[int]
    columns: list[str]
    read_rows: int

    @property
    def rows(self) -> int:
        return sum(map(_group_rows(self.metadata), self.groups))

    def tables(self) -> Iterator[pa.Table]:
        with self.filesystem.open_input_file(self.path) as source:
            file = pq.ParquetFile(source, metadata=self.metadata,
                                  read_dictionary=[c for c in self.columns if c == "kind"])
            rows_of = _group_rows(self.metadata)
            for run in in_runs(self.groups, rows_of, self.read_rows):
                if sum(map(rows_of, run)) <= self.read_rows:
                    yield file.read_row_groups(run, columns=self.columns, use_threads=False)
                    continue
                for batch in file.iter_batches(batch_size=self.read_rows, row_groups=run, columns=self.columns,
                                               use_threads=False):
                    yield pa.Table.from_batches([batch])


@dataclass(frozen=True)
class _Read:
    """A batch read already (by a dataset's own scanner)."""

    table: pa.Table

    def tables(self) -> Iterator[pa.Table]:
        yield self.table


def parquet_batches(dataset: ds.FileSystemDataset, path: str, columns: list[str], rows: int, *,
                    read_rows: int | None = None) -> Iterator[RowGroups]:
    """One Parquet file of ``dataset`` in parts of its row groups, each up to ``rows`` rows (one
    row group larger than that alone), read ``read_rows`` (default ``rows``) at a time."""
    with dataset.filesystem.open_input_file(path) as source:
        metadata = pq.read_metadata(source)
    for run in in_runs(range(metadata.num_row_groups), _group_rows(metadata), rows):
        yield RowGroups(dataset.filesystem, path, metadata, run, columns, read_rows or rows)


# Events read and counted at a time (out of core by each thread, by each Dask or Spark task):
# arrays of 4M rows made anew for each count cost the kernel's page faults and the caches
# (64 Dask tasks of 245M events: 7.0 s of CPU time, against 5.0 s 1M at a time).
READ_ROWS = 1_000_000


def _day(value: Any, name: str, date_format: str | None) -> np.datetime64 | None:
    return None if value is None else np.datetime64(as_day(value, name, date_format), "D")


class Evaluation(MergedEvaluation):
    """``socialrx.Evaluation`` with the events read from Parquet as they are counted: the same
    arguments (``events`` a dataset, a directory, a file or a list of files), the same methods
    and exactly the same figures for reach, utilisation, exclusions, cost_avoidance,
    net_saving, outcomes, wellbeing, support, feedback, match (and the match's did) and
    ``socialrx.headline``.

    batch_rows:
        Events read and counted at a time by each thread: its memory (measured with 1M rows on
        2 threads, 100,000 clients and 300,000 comparison patients: a peak of 296 MiB, 175 MiB
        above a process that only imports the libraries).
    threads:
        Batches read and counted at once (0: one per core).

    Any other keyword goes to ``socialrx.Evaluation`` as it is.
    """

    def __init__(self, *, clients: Any, events: EventsSource, comparison: Any = None,
                 tariff: TariffSource | None = None, data_start: Any = None, data_end: Any = None,
                 date_format: str | None = None, batch_rows: int = READ_ROWS, threads: int = 0,
                 **options: Any) -> None:
        if batch_rows < 1:
            raise ValueError(f"batch_rows: must be at least 1, got {batch_rows}")
        self.dataset = events_dataset(events)
        self.batch_rows = int(batch_rows)
        self._columns = event_columns(self.dataset)
        start, end = _day(data_start, "data_start", date_format), _day(data_end, "data_end", date_format)
        if start is None or end is None:  # the events' own first and last day, as on one machine
            first, last = self._day_range(date_format)
            start, end = (start if start is not None else first), (end if end is not None else last)
        super().__init__(counts=self._streamed, per_person=self._added_per_person, clients=clients,
                         comparison=comparison, tariff=tariff, data_start=start, data_end=end, date_format=date_format,
                         threads=threads, **options)

    @property
    def _workers(self) -> int:
        return self.threads if self.threads > 0 else len(os.sched_getaffinity(0))

    def _batches(self, columns: list[str]) -> Iterator[RowGroups | _Read]:
        """The events' ``columns`` in batches of about ``batch_rows`` rows, each read when its
        ``tables()`` are: a Parquet file's row groups put together up to ``batch_rows`` (each
        batch costs a pass over the clients); any other dataset's batches as its scanner reads
        them."""
        if not (isinstance(self.dataset, ds.FileSystemDataset) and
                isinstance(self.dataset.format, ds.ParquetFileFormat)):
            for batch in self.dataset.to_batches(columns=columns, batch_size=self.batch_rows):
                yield _Read(pa.Table.from_batches([batch]))
            return
        for path in self.dataset.files:
            yield from parquet_batches(self.dataset, path, columns, self.batch_rows)

    def _day_range(self, date_format: str | None) -> tuple[np.datetime64 | None, np.datetime64 | None]:
        first: int | None = None
        last: int | None = None
        for batch in self._batches(["date"]):
            for table in batch.tables():
                days = as_days(arrow_to_pandas(table)["date"], "events", "date", required=True, date_format=date_format)
                if len(days):
                    first = int(days.min()) if first is None else min(first, int(days.min()))
                    last = int(days.max()) if last is None else max(last, int(days.max()))
        return (None if first is None else np.datetime64(first, "D"), None if last is None else
                np.datetime64(last, "D"))

    def _streamed(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> UtilisationPartial:
        """The counts of every batch, ``threads`` at a time, added in the files' order."""
        counted: UtilisationPartial = self._added(EventCounter(self, windows, by, periods))
        return counted

    def _added_per_person(self, count: Callable[[dict[str, np.ndarray], int], Any]) -> Any:
        """Per-person counts (matching, DiD) of every batch, added as the utilisation's are."""
        return self._added(PersonCounter(self, count))

    def _added(self, counter: EventCounter | PersonCounter) -> Any:
        """``counter``'s partial of every batch, ``threads`` batches at a time, added in the
        files' order (the same sums for any number of threads)."""
        def counted(batch: RowGroups | _Read) -> Any:
            partials = [counter.arrow(table) for table in batch.tables()]
            return reduce(add_events, partials) if partials else None

        partials = [p for p in _in_order(counted, self._batches(self._columns), self._workers) if p is not None]
        if not partials:  # no events: the clients' counts still stand
            return counter.arrow(self.dataset.schema.empty_table().select(self._columns))
        return reduce(add_events, partials)
