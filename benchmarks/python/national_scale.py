"""A fraction of England at national scale: one machine, Dask and Spark on the same Parquet files.

Writes ``socialrx.synthetic_parquet`` populations of 60M / ``fraction`` patients (64 partitions
by person id, 1.5% of patients clients), then in a fresh process per engine computes pre and
post counts and pence avoided per window (6 and 12 months) and event kind
(``cost_avoidance``), each starting from the files:

- one machine, in memory: the Parquet read by pyarrow into pandas, then ``socialrx.Evaluation``;
- one machine, out of core: ``socialrx.out_of_core.Evaluation(events=<folder>)``;
- Dask: ``socialrx.dask.Evaluation`` with the events' folder as a path (the tasks read the files)
  on a ``distributed.LocalCluster`` of 2 worker processes, 1 thread each;
- Spark: ``socialrx.spark.Evaluation`` over the Parquet folders in ``local[2]``.

The cluster or session is started before the clock starts (its start is printed apart); the
job runs twice and the faster run counts (the first also warms the JIT and imports). Peak
memory is the resident set of the whole process tree (workers, the JVM and its Python workers
included), sampled every 50 ms from /proc. Every table is checked equal to the in-memory one
before any figure is printed. Per billion events: each size's job time scaled up, and the growth
of peak memory over the smallest size (the person tables and the JVM are not per event).

    PYTHONPATH=python python benchmarks/python/national_scale.py                  # 1/600, 1/200, 1/60
    PYTHONPATH=python python benchmarks/python/national_scale.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds

import socialrx
from socialrx.synthetic import synthetic_parquet

ENGLAND = 60_000_000
PARTITIONS = 64
WINDOWS = (6, 12)
ENGINES = ("in_memory", "out_of_core", "dask", "spark")
REPEATS = 2


def _pandas(folder: Path, table: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A table's Parquet as pandas, dates as datetime64 (not date objects)."""
    read: pa.Table = ds.dataset(folder / table, format="parquet", partitioning="hive").to_table(columns=columns)
    return read.to_pandas(date_as_object=False)


def in_memory(folder: Path, data: dict[str, Any]) -> pd.DataFrame:
    evaluation = socialrx.Evaluation(
        clients=_pandas(folder, "clients"), events=_pandas(folder, "events", ["person_id", "date", "kind"]),
        comparison=_pandas(folder, "comparison", ["patient_id"]), tariff="example", **data)
    return evaluation.cost_avoidance(windows=WINDOWS)


def out_of_core(folder: Path, data: dict[str, Any]) -> pd.DataFrame:
    from socialrx.out_of_core import Evaluation

    evaluation = Evaluation(clients=_pandas(folder, "clients"), events=str(folder / "events"),
                            comparison=_pandas(folder, "comparison", ["patient_id"]), tariff="example", **data)
    return evaluation.cost_avoidance(windows=WINDOWS)


def with_dask(folder: Path, data: dict[str, Any]) -> Callable[[], pd.DataFrame]:
    from distributed import Client, LocalCluster

    import socialrx.dask

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                           dashboard_address=None)
    Client(cluster)  # type: ignore[no-untyped-call]

    def job() -> pd.DataFrame:  # the events as a path, as Spark is given them: the tasks read the files
        # The person tables read as one machine reads them (dask.dataframe took 0.9 s to gather the
        # pool's 384 files at 1/20).
        evaluation = socialrx.dask.Evaluation(
            clients=_pandas(folder, "clients"), events=str(folder / "events"),
            comparison=_pandas(folder, "comparison", ["patient_id"]), tariff="example", **data)
        return evaluation.cost_avoidance(windows=WINDOWS)

    return job


def with_spark(folder: Path, data: dict[str, Any]) -> Callable[[], pd.DataFrame]:
    import socialrx.spark

    spark = socialrx.spark.local_session(2)

    def job() -> pd.DataFrame:
        evaluation = socialrx.spark.Evaluation(
            spark, clients=str(folder / "clients"), events=str(folder / "events"),
            comparison=str(folder / "comparison"), tariff="example", **data)
        return evaluation.cost_avoidance(windows=WINDOWS)

    return job


def run_step(engine: str, folder: Path, data: dict[str, Any], out: Path) -> None:
    """One engine in this process: print its start-up and best job seconds, pickle its table."""
    started = time.perf_counter()
    if engine in ("dask", "spark"):
        job = (with_dask if engine == "dask" else with_spark)(folder, data)
    else:
        def job() -> pd.DataFrame:
            return (in_memory if engine == "in_memory" else out_of_core)(folder, data)
    start_seconds, best = time.perf_counter() - started, float("inf")
    for _ in range(REPEATS):  # the first run also warms the JIT and the workers' imports
        began = time.perf_counter()
        table = job()
        best = min(best, time.perf_counter() - began)
    out.write_bytes(pickle.dumps(table))
    print(json.dumps({"start": start_seconds, "seconds": best}))
    os._exit(0)  # the cluster or session goes with the process; their shut-down is not measured


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration):
            continue  # gone, or a kernel thread
    return total


def measured(engine: str, folder: Path, data: dict[str, Any]) -> dict[str, Any]:
    """An engine's run in a fresh process: start, job seconds, peak tree RSS, its table."""
    with tempfile.NamedTemporaryFile(suffix=".pickle") as out:
        process = subprocess.Popen(
            [sys.executable, __file__, "--step", engine, "--data", str(folder), "--out", out.name,
             "--range", json.dumps({k: str(v.date()) for k, v in data.items()})],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak, sampling = [0], True

        def sample() -> None:
            while sampling:
                peak[0] = max(peak[0], _tree_rss(process.pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        stdout, stderr = process.communicate()
        sampling = False
        sampler.join()
        if process.returncode:
            raise RuntimeError(f"{engine}: exit status {process.returncode}\n{stderr[-3000:]}")
        figures = json.loads(stdout.strip().splitlines()[-1])
        return {**figures, "peak_bytes": peak[0], "table": pickle.loads(Path(out.name).read_bytes())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fractions", type=int, nargs="+", default=[600, 200, 60],
                        help="sizes as 60M / fraction patients, smaller first")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--smoke", action="store_true", help="one tiny size")
    parser.add_argument("--step", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--range", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        run_step(args.step, args.data, {k: pd.Timestamp(v) for k, v in json.loads(args.range).items()}, args.out)
        return
    if args.smoke:
        args.fractions = [20_000]
    runs = []
    with tempfile.TemporaryDirectory() as scratch:
        for fraction in args.fractions:
            folder = Path(scratch) / str(fraction)
            started = time.perf_counter()
            written = synthetic_parquet(folder, n_patients=ENGLAND // fraction, partitions=PARTITIONS, seed=1)
            print(f"1/{fraction} of England: {ENGLAND // fraction:,} patients, {written.rows['clients']:,} clients, "
                  f"{written.rows['events']:,} events in {PARTITIONS} partitions, written in "
                  f"{time.perf_counter() - started:.1f} s")
            data = {"data_start": written.data_start, "data_end": written.data_end}
            results = {engine: measured(engine, folder, data) for engine in args.engines}
            expected = results[args.engines[0]]["table"]
            for engine, result in results.items():
                pd.testing.assert_frame_equal(result["table"], expected, obj=engine)
                print(f"  {engine:12s} start {result['start']:6.1f} s  job {result['seconds']:7.2f} s  "
                      f"peak {result['peak_bytes'] / 2**30:5.2f} GiB")
            runs.append((written.rows["events"], results))
    if len(runs) < 2:
        return
    print("per billion events (job time x 1e9 / events; peak memory growth per billion events from the "
          "smallest size):")
    small, first = runs[0]
    for events, results in runs[1:]:
        for engine in args.engines:
            growth = (results[engine]["peak_bytes"] - first[engine]["peak_bytes"]) / (events - small) * 1e9 / 2**30
            print(f"  {events:12,} events  {engine:12s} {results[engine]['seconds'] * 1e9 / events:6.0f} s  "
                  f"{growth:6.1f} GiB")

if __name__ == "__main__":
    main()
