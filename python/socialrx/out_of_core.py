"""The evaluation of events larger than memory: Parquet files streamed batch by batch.

>>> from socialrx.out_of_core import Evaluation                             # doctest: +SKIP
>>> evaluation = Evaluation(clients=clients, events="events/", comparison=pool, tariff="example")
>>> evaluation.cost_avoidance(by="practice")   # as socialrx.Evaluation with the events in memory

The person tables (clients, comparison, assessments, interventions, feedback) are held in
memory. The events, a ``pyarrow.dataset.Dataset`` or Parquet files (a directory, one file or a
list of files), are read ``batch_rows`` rows at a time; the single-machine engine counts each
batch against all the clients, and the batches' ``socialrx.partitioned.UtilisationPartial`` are
added (``add_events``). The derived figures are the single-machine code's
(``socialrx.partitioned.MergedEvaluation``). Memory is bounded by the person tables and one
batch, not by the number of events. Each figure (windows x grouping) is one pass over the
files; the figures on the same counts reuse it. Matching and the DiD (``match``, its ``did``,
``socialrx.headline``) count per person in each batch and add the batches' counts: one pass
each, the single-machine matches and intervals.

An error in the events names the row within its batch. What reads every event at once
(``socialrx.partitioned.NOT_PARTITIONED``: ``data_quality``, ``for_period``, ``compare_periods``,
``report``, an event kind's ``trend``) raises ``NotImplementedError`` saying what to do instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from typing import Any, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ._columns import as_day, as_days
from ._tables import _to_pandas
from .evaluation import Evaluation as _Single
from .partitioned import MergedEvaluation, UtilisationPartial, counted_clients, per_person_partial, utilisation_partial
from .periods import ServicePeriods
from .tariff import TariffSource

__all__ = ["Evaluation"]

EventsSource = Union[str, "os.PathLike[str]", Sequence[str], ds.Dataset]
_EVENT_COLUMNS = ("person_id", "patient_id", "client_id", "date", "kind", "count")


def _dataset(events: EventsSource) -> ds.Dataset:
    """The events as a dataset: given, or of Parquet files."""
    if isinstance(events, ds.Dataset):
        return events
    paths = os.fspath(events) if isinstance(events, (str, os.PathLike)) else [os.fspath(p) for p in events]
    try:
        return ds.dataset(paths, format="parquet")
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"events: not a readable Parquet dataset ({error})") from None


def _day(value: Any, name: str, date_format: str | None) -> np.datetime64 | None:
    return None if value is None else np.datetime64(as_day(value, name, date_format), "D")


class Evaluation(MergedEvaluation):
    """``socialrx.Evaluation`` with the events read from Parquet as they are counted: the same
    arguments (``events`` a dataset, a directory, a file or a list of files), the same methods
    and exactly the same figures for reach, utilisation, exclusions, cost_avoidance,
    net_saving, outcomes, wellbeing, support, feedback, match (and the match's did) and
    ``socialrx.headline``.

    batch_rows:
        Events read and counted at a time: the memory for events is about 120 bytes a row of
        it (measured: 1M rows, 114 MiB above the person tables at peak).

    Any other keyword goes to ``socialrx.Evaluation`` as it is.
    """

    def __init__(self, *, clients: Any, events: EventsSource, comparison: Any = None,
                 tariff: TariffSource | None = None, data_start: Any = None, data_end: Any = None,
                 date_format: str | None = None, batch_rows: int = 1_000_000, threads: int = 0,
                 **options: Any) -> None:
        if batch_rows < 1:
            raise ValueError(f"batch_rows: must be at least 1, got {batch_rows}")
        self.dataset = _dataset(events)
        self.batch_rows = int(batch_rows)
        self._columns = [c for c in self.dataset.schema.names if c in _EVENT_COLUMNS]
        start, end = _day(data_start, "data_start", date_format), _day(data_end, "data_end", date_format)
        if start is None or end is None:  # the events' own first and last day, as on one machine
            first, last = self._day_range(date_format)
            start, end = (start if start is not None else first), (end if end is not None else last)
        super().__init__(counts=self._streamed, per_person=self._added_per_person, clients=clients,
                         comparison=comparison, tariff=tariff, data_start=start, data_end=end, date_format=date_format,
                         threads=threads, **options)

    def _batches(self, columns: list[str]) -> Iterator[pd.DataFrame]:
        """The events' ``columns``, about ``batch_rows`` rows at a time (row groups joined up to
        it, since each batch costs a pass over the clients); one empty frame for no events."""
        held: list[pa.RecordBatch] = []
        rows, given = 0, False
        for batch in self._record_batches(columns):
            held.append(batch)
            rows += batch.num_rows
            if rows >= self.batch_rows:  # the batches let go before the frame is counted
                table, held, rows, given = pa.Table.from_batches(held), [], 0, True
                yield _to_pandas(table)
        if held or not given:
            table = pa.Table.from_batches(held) if held else self.dataset.schema.empty_table().select(columns)
            yield _to_pandas(table)

    def _record_batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """Parquet files one row group at a time (the dataset scanner reads further ahead, by
        some hundred megabytes); any other dataset through its scanner."""
        if not (isinstance(self.dataset, ds.FileSystemDataset) and
                isinstance(self.dataset.format, ds.ParquetFileFormat)):
            yield from self.dataset.to_batches(columns=columns, batch_size=self.batch_rows)
            return
        for path in self.dataset.files:
            with self.dataset.filesystem.open_input_file(path) as source:
                file = pq.ParquetFile(source, read_dictionary=[c for c in columns if c == "kind"])
                yield from file.iter_batches(batch_size=self.batch_rows, columns=columns)

    def _day_range(self, date_format: str | None) -> tuple[np.datetime64 | None, np.datetime64 | None]:
        first: int | None = None
        last: int | None = None
        for batch in self._batches(["date"]):
            days = as_days(batch["date"], "events", "date", required=True, date_format=date_format)
            if len(days):
                first = int(days.min()) if first is None else min(first, int(days.min()))
                last = int(days.max()) if last is None else max(last, int(days.max()))
        return (None if first is None else np.datetime64(first, "D"), None if last is None else
                np.datetime64(last, "D"))

    def _streamed(self, windows: tuple[int, ...], by: str | None, periods: ServicePeriods | None) -> UtilisationPartial:
        """The counts of every batch, added. Each batch's Evaluation gets only the columns the
        counting reads of the people (checked once here already), not their whole tables."""
        partials = (utilisation_partial(batch, windows, by, periods) for batch in self._evaluations(by))
        return reduce(UtilisationPartial.add_events, partials)

    def _added_per_person(self, count: Callable[[dict[str, np.ndarray], int], Any]) -> Any:
        """Per-person counts (matching, DiD) of every batch, added."""
        return reduce(lambda a, b: a.add_events(b), (per_person_partial(batch, count)
                                                     for batch in self._evaluations(None)))

    def _evaluations(self, by: str | None) -> Iterator[_Single]:
        """A single-machine Evaluation of each batch of events, over the people's columns counted."""
        clients = counted_clients(self.clients, by)
        pool = None if self.comparison is None else pd.DataFrame({"patient_id": self.comparison_ids})
        options: dict[str, Any] = dict(comparison=pool, data_start=np.datetime64(self.data_start, "D"),
                                       data_end=np.datetime64(self.data_end, "D"), date_format=self.date_format,
                                       threads=self.threads)
        return (_Single(clients=clients, events=batch, **options) for batch in self._batches(self._columns))
