"""Peak memory of the command line reading a service of about 5M events, from CSV and from Parquet.

Makes a synthetic service with ``socialrx.synthetic``, writes its clients, comparison pool and
events as CSV (ISO dates) and as Parquet, then runs ``python -m socialrx evaluate`` on each in a
subprocess and reads that process's peak resident set size from the kernel (``os.wait4``).

Bytes per event is (peak of the run - peak of a process that only imports socialrx's command
line) / events. Where socialrx has its table reader, the frames' own bytes (the tables as the
command line holds them after reading, ``memory_usage(deep=True)``) are printed beside it, and
what the run needs beyond them.

    PYTHONPATH=python python benchmarks/python/cli_memory.py              # about 5M events
    PYTHONPATH=python python benchmarks/python/cli_memory.py --clients 700 --comparison 7100
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

import socialrx

COMMAND = [sys.executable, "-m", "socialrx", "evaluate", "--tariff", "example", "--windows", "12",
           "--bootstrap", "100"]


def write_service(folder: Path, n_clients: int, n_comparison: int) -> tuple[int, pd.Timestamp, pd.Timestamp]:
    """The synthetic tables as CSV and Parquet files in ``folder``; the events and data range."""
    service = socialrx.synthetic(n_clients=n_clients, n_comparison=n_comparison, seed=1)
    tables = {"clients": service.clients, "comparison": service.comparison, "events": service.events}
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    return len(service.events), service.data_start, service.data_end


def peak_rss(command: list[str]) -> tuple[int, int, str]:
    """The command's peak resident set size in bytes, its exit status and the end of its stderr."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                   env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
        _, status, usage = os.wait4(process.pid, 0)
        stderr.seek(0)
        message = stderr.read().decode(errors="replace").strip().splitlines()[-1:]
    return usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status), "".join(message)


def frame_bytes(paths: dict[str, Path]) -> int | None:
    """The tables' bytes as the command line reads them, or None where it has no such reader."""
    try:
        from socialrx._tables import read_table
    except ImportError:
        return None
    return sum(int(read_table(path, table).memory_usage(deep=True).sum()) for table, path in paths.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=7000)
    parser.add_argument("--comparison", type=int, default=71000)
    parser.add_argument("--folder", type=Path, help="keep the files here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        events, start, end = write_service(folder, args.clients, args.comparison)
        baseline, _, _ = peak_rss([sys.executable, "-c", "import socialrx.cli"])
        print(f"{events:,} events; a process that imports socialrx.cli peaks at {baseline / 2**20:.0f} MiB")
        for suffix in ("csv", "parquet"):
            paths = {table: folder / f"{table}.{suffix}" for table in ("clients", "comparison", "events")}
            command = [*COMMAND, *(f"--{table}={path}" for table, path in paths.items()),
                       "--data-start", f"{start:%Y-%m-%d}", "--data-end", f"{end:%Y-%m-%d}"]
            peak, status, message = peak_rss(command)
            if status != 0:
                print(f"{suffix}: exit {status}: {message}")
                continue
            frame = frame_bytes(paths)
            held = "" if frame is None else (f"; the frames hold {frame / events:.1f} bytes/event, so "
                                             f"{(peak - baseline - frame) / events:.1f} bytes/event beyond them")
            print(f"{suffix}: peak {peak / 2**20:.0f} MiB, {peak / events:.0f} bytes/event in all, "
                  f"{(peak - baseline) / events:.1f} bytes/event over the import{held}")


if __name__ == "__main__":
    main()
