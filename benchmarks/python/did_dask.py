"""Matching and the DiD with its bootstrap on socialrx.dask (2 local workers) against
single-process socialrx, from the same Parquet files.

For each size, timed apart: reading the events and matching (single process:
``pd.read_parquet`` + ``socialrx.Evaluation`` + ``ev.match(seed=1)``; Dask:
``dask.dataframe.read_parquet`` + ``socialrx.dask.Evaluation`` + ``ev.match(seed=1)`` on a
``distributed.LocalCluster`` of 2 worker processes, 1 thread each, its libraries loaded
untimed), then ``m.did(windows=(6, 12), bootstrap=B)``. The person tables are read untimed. The
matches and every estimate and interval are checked equal before any time is printed.

    PYTHONPATH=python python benchmarks/python/did_dask.py      # 20k and 60k clients
    PYTHONPATH=python python benchmarks/python/did_dask.py --smoke
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from parquet_service import write_service

import socialrx


def _module(name: str) -> Any:
    """A module of the scale extra (untyped: its calls are checked by running)."""
    return importlib.import_module(name)


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def single(events: Path, tables: dict[str, Any]) -> socialrx.Evaluation:
    return socialrx.Evaluation(events=pd.read_parquet(events), **tables)


def on_dask(events: Path, tables: dict[str, Any]) -> socialrx.Evaluation:
    import socialrx.dask

    return socialrx.dask.Evaluation(events=_module("dask.dataframe").read_parquet(events), **tables)


def run(evaluation: Callable[[], socialrx.Evaluation],
        bootstrap: int) -> tuple[float, float, pd.DataFrame, pd.DataFrame]:
    """Seconds to read the events and match, and to run the DiD; the matches and the DiD's
    estimates."""
    match_s, matched = timed(lambda: evaluation().match(seed=1))
    did_s, did = timed(lambda: matched.did(windows=(6, 12), bootstrap=bootstrap, seed=1))
    return match_s, did_s, matched.matches(), did.estimates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, nargs="+", default=[20_000, 60_000])
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.bootstrap, args.files = [1_000], 50, 2
    distributed = _module("distributed")
    _module("dask.dataframe")  # loaded untimed, here and in the workers
    for clients in args.clients:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            data = write_service(folder, clients, 3 * clients, 0, args.files)
            tables = dict(clients=pd.read_parquet(folder / "clients.parquet"),
                          comparison=pd.read_parquet(folder / "comparison"), tariff="example",
                          data_start=data["data_start"], data_end=data["data_end"])
            events = folder / "events"
            one = run(partial(single, events, tables), args.bootstrap)
            with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                          dashboard_address=None) as cluster, distributed.Client(cluster) as client:
                client.run(importlib.import_module, "socialrx.dask")
                client.run(importlib.import_module, "dask.dataframe")
                many = run(partial(on_dask, events, tables), args.bootstrap)
        pd.testing.assert_frame_equal(many[2], one[2], check_exact=True, obj="matches")
        pd.testing.assert_frame_equal(many[3], one[3], check_exact=True, obj="DiD estimates")
        print(f"{clients:,} clients, {3 * clients:,} comparison patients, {data['events']:,} events, "
              f"{len(one[2]):,} matched pairs, {args.bootstrap} replicates")
        print(f"  read + match: single process {one[0]:6.2f} s; socialrx.dask {many[0]:6.2f} s "
              f"({many[0] / one[0]:.2f}x)")
        print(f"  did:          single process {one[1]:6.2f} s; socialrx.dask {many[1]:6.2f} s "
              f"({many[1] / one[1]:.2f}x)")


if __name__ == "__main__":
    main()
