"""socialrx.dask on two local workers against single-process socialrx and plain dask.dataframe.

Writes a synthetic service (events repeated up to ``--min-events``) as Parquet files, then
computes pre and post counts and pence avoided per window (6 and 12 months) and event kind:

- single process: ``pandas.read_parquet`` then ``socialrx.Evaluation(...).cost_avoidance``;
- socialrx.dask: ``dask.dataframe.read_parquet`` of the events and the comparison pool,
  ``socialrx.dask.Evaluation(...).cost_avoidance`` on a ``distributed.LocalCluster`` of 2 worker
  processes, 1 thread each; and the same with the events given as the Parquet folder's path,
  which the tasks read themselves with pyarrow;
- plain dask.dataframe on the same cluster: the events merged onto the clients' index dates,
  the windows masked and grouped by kind, as an analyst would write it.

Each time starts from the files (each Dask run on a new cluster, so that no run reuses data
another left in memory). The three tables are checked equal before any time is printed.

    PYTHONPATH=python python benchmarks/python/dask_scale.py             # 100k clients, 20M events
    PYTHONPATH=python python benchmarks/python/dask_scale.py --smoke
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from parquet_service import write_service

import socialrx

WINDOWS = (6, 12)
# The columns each socialrx contender reads: those its checks and counts need (the dask.dataframe
# job reads the clients' ids and index dates, and no comparison pool).
CLIENT_COLUMNS = ["client_id", "referral_date", "index_date", "discharge_date"]
POOL_COLUMNS = ["patient_id"]


def single(folder: Path, data: dict[str, Any]) -> pd.DataFrame:
    evaluation = socialrx.Evaluation(
        clients=pd.read_parquet(folder / "clients.parquet", columns=CLIENT_COLUMNS),
        events=pd.read_parquet(folder / "events"),
        comparison=pd.read_parquet(folder / "comparison", columns=POOL_COLUMNS), tariff="example",
        data_start=data["data_start"], data_end=data["data_end"])
    return evaluation.cost_avoidance(windows=WINDOWS)


def _module(name: str) -> Any:
    """A module of the scale extra (untyped: its calls are checked by running)."""
    return importlib.import_module(name)


def with_socialrx_dask(folder: Path, data: dict[str, Any], *, events_as_path: bool = False) -> pd.DataFrame:
    import socialrx.dask

    dd = _module("dask.dataframe")

    evaluation = socialrx.dask.Evaluation(
        clients=pd.read_parquet(folder / "clients.parquet", columns=CLIENT_COLUMNS),
        events=folder / "events" if events_as_path else dd.read_parquet(folder / "events"),
        comparison=dd.read_parquet(folder / "comparison", columns=POOL_COLUMNS), tariff="example",
        data_start=data["data_start"], data_end=data["data_end"], partitions=4)
    return evaluation.cost_avoidance(windows=WINDOWS)


def with_dask_dataframe(folder: Path, data: dict[str, Any]) -> pd.DataFrame:
    """The job in dask.dataframe: merge onto index dates, mask the windows, group by kind."""
    dask, dd = _module("dask"), _module("dask.dataframe")
    start, end = data["data_start"], data["data_end"]
    clients = pd.read_parquet(folder / "clients.parquet", columns=["client_id", "index_date"]).dropna()
    events = dd.read_parquet(folder / "events")
    events = events[(events["date"] >= start) & (events["date"] <= end)]
    merged = events.merge(dd.from_pandas(clients, npartitions=1), left_on="person_id", right_on="client_id")
    offset = (merged["date"] - merged["index_date"]).dt.days
    jobs = []
    for months in WINDOWS:
        days = socialrx._core.window_days(months)
        span = pd.Timedelta(days=days)
        covered = (merged["index_date"] - span >= start) & (merged["index_date"] + span <= end)
        jobs += [merged[covered & (offset >= -days) & (offset < 0)].groupby("kind", observed=True).size(),
                 merged[covered & (offset > 0) & (offset <= days)].groupby("kind", observed=True).size()]
    counted = dask.compute(*jobs)
    tables = [pd.DataFrame({"window": f"{months}m", "pre": counted[2 * i], "post": counted[2 * i + 1]})
              for i, months in enumerate(WINDOWS)]
    return pd.concat(tables).fillna(0).rename_axis("kind").reset_index()


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(kind=frame["kind"].astype(str), pre=frame["pre"].astype("int64"),
                         post=frame["post"].astype("int64"))
    frame = frame[frame["pre"] + frame["post"] > 0]
    return frame[["window", "kind", "pre", "post"]].sort_values(["window", "kind"]).reset_index(drop=True)


def timed(job: Callable[[Path, dict[str, Any]], pd.DataFrame], folder: Path, data: dict[str, Any],
          repeats: int, cluster: bool = False) -> tuple[float, pd.DataFrame]:
    """The best time of ``repeats`` runs; with ``cluster``, each on a new two-worker cluster
    (so that no run reuses data another left in memory), its libraries loaded untimed."""
    best, result = float("inf"), pd.DataFrame()
    for _ in range(repeats):
        with contextlib.ExitStack() as stack:
            if cluster:
                distributed = _module("distributed")
                client = stack.enter_context(distributed.Client(stack.enter_context(distributed.LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"))))
                client.run(importlib.import_module, "socialrx.dask")
                client.run(importlib.import_module, "dask.dataframe")
            start = time.perf_counter()
            result = job(folder, data)
            best = min(best, time.perf_counter() - start)
    return best, comparable(result)


def written_service(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The service in ``folder``: written there, or as an earlier run with ``--folder`` left it."""
    written = folder / "service.json"
    if (folder / "events").exists() and written.exists():
        data = json.loads(written.read_text())
        return {**data, "data_start": pd.Timestamp(data["data_start"]), "data_end": pd.Timestamp(data["data_end"])}
    folder.mkdir(parents=True, exist_ok=True)
    data = write_service(folder, args.clients, args.comparison, args.min_events, args.files)
    written.write_text(json.dumps({**data, "data_start": str(data["data_start"]), "data_end": str(data["data_end"])}))
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--comparison", type=int, default=200_000)
    parser.add_argument("--min-events", type=int, default=20_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    parser.add_argument("--folder", type=Path, help="write the service here and keep it (written again only if "
                                                    "it has no events/); by default a temporary folder")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.comparison, args.min_events, args.files, args.repeats = 2_000, 6_000, 0, 2, 1
    with contextlib.ExitStack() as stack:
        folder = args.folder or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        data = written_service(folder, args)
        print(f"{args.clients:,} clients, {args.comparison:,} comparison patients, {data['events']:,} events "
              f"in {args.files} Parquet files")
        single_seconds, expected = timed(single, folder, data, args.repeats)
        ours, ours_table = timed(with_socialrx_dask, folder, data, args.repeats, cluster=True)
        by_path, by_path_table = timed(partial(with_socialrx_dask, events_as_path=True), folder, data, args.repeats,
                                       cluster=True)
        theirs, theirs_table = timed(with_dask_dataframe, folder, data, args.repeats, cluster=True)
        pd.testing.assert_frame_equal(ours_table, expected, obj="socialrx.dask")
        pd.testing.assert_frame_equal(by_path_table, expected, obj="socialrx.dask, events as a path")
        pd.testing.assert_frame_equal(theirs_table, expected, obj="dask.dataframe")
        print(f"single-process socialrx:           {single_seconds:7.2f} s (best of {args.repeats})")
        print(f"socialrx.dask, 2 workers:          {ours:7.2f} s  ({ours / single_seconds:.2f}x single process; "
              f"dask.dataframe {theirs / ours:.1f}x it)")
        print(f"  the same, events as a path:      {by_path:7.2f} s  ({by_path / single_seconds:.2f}x single process; "
              f"dask.dataframe {theirs / by_path:.1f}x it)")
        print(f"dask.dataframe merge + groupby:    {theirs:7.2f} s")


if __name__ == "__main__":
    main()
