"""The command line end to end on Parquet files against the same evaluation from DataFrames.

Makes a synthetic service with ``socialrx.synthetic`` and writes its clients, comparison pool
and events as Parquet. Then, in one run:

- the command line: ``python -m socialrx evaluate --clients … --events … --comparison …
  --tariff example --json -`` in a subprocess, its wall time, processor time and peak resident
  set size (from the kernel, ``os.wait4``), which include starting Python and reading the files;
- the DataFrame path: ``Evaluation(...)`` and ``headline(...)`` with the same options, in this
  process, over the frames already in memory, its wall and processor time.

Both use the same windows (6 and 12 months), data range, seed and ``--bootstrap`` replicates,
and must print the same figures (checked). The ratio is the command line's wall time over the DataFrame
path's; on a machine shared with other work the ratio of processor times (user + system, every
thread) is printed beside it, since it does not count the time spent waiting for a core. The
peak memory is set beside the Parquet files' bytes and the frames' own bytes.

    PYTHONPATH=python python benchmarks/python/cli_parquet.py                       # ~5M events
    PYTHONPATH=python python benchmarks/python/cli_parquet.py --clients 70000 --comparison 710000  # ~50M
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import socialrx
from socialrx.summary import headline

TABLES = ("clients", "comparison", "events")


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def cli_run(paths: dict[str, Path], options: list[str]) -> tuple[float, float, int, str]:
    """The command's wall time, processor time, peak resident set size in bytes and standard output."""
    command = [sys.executable, "-m", "socialrx", "evaluate", *(f"--{t}={p}" for t, p in paths.items()),
               "--tariff", "example", "--json", "-", *options]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=os.environ.copy())
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"the command failed: {err.read().decode(errors='replace')[-2000:]}")
        return wall, cpu_seconds(usage), usage.ru_maxrss * 1024, out.read().decode()


def frames_path(service: socialrx.SyntheticService, bootstrap: int) -> tuple[float, float, str]:
    """Wall and processor time of the same evaluation from the frames in memory, and its figures as JSON."""
    cpu = cpu_seconds(resource.getrusage(resource.RUSAGE_SELF))
    start = time.perf_counter()
    ev = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                             tariff="example", data_start=service.data_start, data_end=service.data_end)
    figures = headline(ev, windows=(6, 12), bootstrap=bootstrap, seed=1).to_json()
    wall = time.perf_counter() - start
    return wall, cpu_seconds(resource.getrusage(resource.RUSAGE_SELF)) - cpu, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=7000)
    parser.add_argument("--comparison", type=int, default=71000)
    parser.add_argument("--bootstrap", type=int, default=50)
    parser.add_argument("--folder", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args()
    start = time.perf_counter()
    service = socialrx.synthetic(n_clients=args.clients, n_comparison=args.comparison, seed=1)
    print(f"{len(service.events):,} events, {args.clients:,} clients, {args.comparison:,} in the pool "
          f"(made in {time.perf_counter() - start:.0f} s)", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {table: folder / f"{table}.parquet" for table in TABLES}
        for table, path in paths.items():
            getattr(service, table).to_parquet(path, index=False)
        options = ["--bootstrap", str(args.bootstrap), "--seed", "1", "--data-start", f"{service.data_start:%Y-%m-%d}",
                   "--data-end", f"{service.data_end:%Y-%m-%d}"]
        cli_wall, cli_cpu, peak, cli_json = cli_run(paths, options)
        frames_wall, frames_cpu, frames_json = frames_path(service, args.bootstrap)
        on_disk = sum(path.stat().st_size for path in paths.values())
    in_memory = sum(int(getattr(service, t).memory_usage(deep=True).sum()) for t in TABLES)
    print(f"command line on Parquet: {cli_wall:.1f} s wall, {cli_cpu:.1f} s processor, peak {peak / 2**20:,.0f} MiB")
    print(f"DataFrame path:          {frames_wall:.1f} s wall, {frames_cpu:.1f} s processor")
    print(f"ratio: the command line takes {cli_wall / frames_wall:.2f}x the DataFrame path's time "
          f"({cli_cpu / frames_cpu:.2f}x its processor time)")
    print(f"input: {on_disk / 2**20:,.0f} MiB of Parquet, {in_memory / 2**20:,.0f} MiB as frames; peak memory "
          f"{peak / on_disk:.1f}x the files, {peak / in_memory:.1f}x the frames, "
          f"{peak / len(service.events):.0f} bytes/event")
    print(f"same figures: {json.loads(cli_json) == json.loads(frames_json)}")
    print(f"NUMPY_MADVISE_HUGEPAGE: {os.environ.get('NUMPY_MADVISE_HUGEPAGE', 'not set')} (not set: the command "
          "line turns numpy's huge-page advice off, the DataFrame path keeps numpy's default)")


if __name__ == "__main__":
    main()
