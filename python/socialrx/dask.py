"""socialrx on Dask: the single-machine figures from dask DataFrames, exactly.

>>> from socialrx.dask import Evaluation                                  # doctest: +SKIP
>>> ev = Evaluation(clients=clients, events=events_ddf, comparison=pool_ddf,
...                 tariff="example", data_start="2019-04-01", data_end="2025-03-31")
>>> ev.cost_avoidance(by="practice")                   # the same pence as socialrx.Evaluation

The events and the comparison pool stay in the cluster. They are shuffled into ``partitions``
co-partitions by ``socialrx.partitioned.partition_of`` of the person id (each input partition
split by the hash, then piece i of every input partition joined into partition i), together
with the clients; each co-partition becomes a single-machine ``Evaluation``, persisted where it
was built. A figure maps ``socialrx.partitioned.utilisation_partial`` over them, gathers the
small partials and merges them; the derived figures are then worked by the single-machine code
(``socialrx.partitioned.MergedEvaluation``). The person tables (clients, assessments,
interventions, feedback) are gathered to the client, which computes reach, outcomes, wellbeing,
support and feedback from them as on one machine. It runs on whatever Dask scheduler is active
(threads, processes, or a ``distributed.Client``).

An error in a part names the row within that part (after the shuffle), not in the table given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._columns import as_day, as_days
from .evaluation import Evaluation as _Single
from .partitioned import MergedEvaluation, merge_all, split, utilisation_partial
from .periods import ServicePeriods
from .tariff import TariffSource

__all__ = ["Evaluation"]

_EVENT_IDS = ("person_id", "patient_id", "client_id")


def _dask() -> Any:
    from ._optional import require

    return require("dask", "socialrx.dask runs the evaluation", extra="scale")


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


def _day_range(events: pd.DataFrame, date_format: str | None) -> tuple[int, int] | None:
    """The first and last event day of one part (None: no events)."""
    days = as_days(events["date"], "events", "date", required=True, date_format=date_format)
    return (int(days.min()), int(days.max())) if len(days) else None


def _part(clients: pd.DataFrame, events: pd.DataFrame, comparison: pd.DataFrame | None,
          options: dict[str, Any]) -> _Single:
    """One co-partition's single-machine Evaluation. Event kinds read as text (as
    ``dask.dataframe.read_parquet`` reads them) are made categories first: the same codes and
    errors, a hash per row rather than a sort."""
    if "kind" in events and not isinstance(events["kind"].dtype, pd.CategoricalDtype):
        events = events.assign(kind=events["kind"].astype("category"))
    return _Single(clients=clients.reset_index(drop=True), events=events, comparison=comparison, **options)


class Evaluation(MergedEvaluation):
    """``socialrx.Evaluation`` over dask DataFrames: the same arguments, the same methods and
    exactly the same figures for reach, utilisation, exclusions, cost_avoidance, net_saving,
    outcomes, wellbeing, support, outward_referrals, spend, phb_breaches and feedback_summary.

    Parameters as ``socialrx.Evaluation`` (each table a dask or pandas DataFrame), and:

    partitions:
        Co-partitions of the events (default: the events' own number of partitions).
    threads:
        Engine threads within a part (default 1: the cluster's workers are the parallelism).

    Any other keyword goes to ``socialrx.Evaluation`` as it is (a dask table gathered first).
    """

    def __init__(self, *, clients: Any, events: Any, comparison: Any = None, tariff: TariffSource | None = None,
                 data_start: Any = None, data_end: Any = None, date_format: str | None = None,
                 partitions: int | None = None, threads: int = 1, **tables: Any) -> None:
        dask = _dask()
        people = _gathered(clients)
        count = int(partitions) if partitions else int(getattr(events, "npartitions", 1))
        event_parts = _shuffled(events, "events", _EVENT_IDS, count)
        first, last = (None if d is None else as_day(d, name, date_format)
                       for d, name in ((data_start, "data_start"), (data_end, "data_end")))
        if first is None or last is None:  # the events' own first and last day, as on one machine
            found = [r for r in dask.compute(*[dask.delayed(_day_range)(e, date_format) for e in event_parts]) if r]
            first = first if first is not None or not found else min(r[0] for r in found)
            last = last if last is not None or not found else max(r[1] for r in found)
        start, end = (None if d is None else np.datetime64(d, "D") for d in (first, last))
        options = dict(data_start=start, data_end=end, date_format=date_format, threads=threads)
        client_parts = _shuffled(people, "clients", ("client_id",), count)
        pool_parts = [None] * count if comparison is None else _shuffled(
            comparison, "comparison", ("patient_id", "person_id"), count)
        self._parts = dask.persist(*[dask.delayed(_part)(c, e, p, options)
                                     for c, e, p in zip(client_parts, event_parts, pool_parts)])
        super().__init__(counts=self._merged_counts, clients=people, data_start=start, data_end=end, tariff=tariff,
                         date_format=date_format, **{name: _gathered(table) for name, table in tables.items()})

    def _merged_counts(self, windows: tuple[int, ...], by: str | None,
                       periods: ServicePeriods | None) -> Any:
        dask = _dask()
        partials = dask.compute(*[dask.delayed(utilisation_partial)(part, windows, by, periods)
                                  for part in self._parts])
        return merge_all(partials)
