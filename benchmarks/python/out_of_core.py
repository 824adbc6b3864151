"""Events from Parquet: socialrx in memory, socialrx out of core, and DuckDB, time and peak memory.

Writes a synthetic service's events (repeated up to ``--min-events``) as Parquet files, then in
three fresh processes computes pre and post counts and pence avoided per window (6 and 12
months) and event kind, each reading the same files:

- in memory: ``pandas.read_parquet`` then ``socialrx.Evaluation(...).cost_avoidance``;
- out of core: ``socialrx.out_of_core.Evaluation(events=<folder>).cost_avoidance``;
- DuckDB: one SQL query over the files, with the windows' rules written out (if ``duckdb`` is
  installed: ``pip install duckdb``).

A second mix, ``--fraction N``: a ``socialrx.synthetic_parquet`` population of 60M / N patients
(1.5% of them clients, the rest the comparison pool) in 64 partitions by person id, as the
national-scale benchmark writes it: many more people a batch is counted against, and dates
stored as Parquet dates rather than timestamps.

The three tables are checked equal before any figure is printed. Beside each time, the CPU time
of all the process's threads (less moved by other jobs on the machine than the time is). Peak
resident set size is the process's own (``VmHWM`` at its end: ``os.wait4``'s would count the
parent's pages from before the child's exec), with that of a process that only imports the
libraries beside it.

    PYTHONPATH=python python benchmarks/python/out_of_core.py                  # about 30M events
    PYTHONPATH=python python benchmarks/python/out_of_core.py --fraction 20    # 3M patients, 176M events
    PYTHONPATH=python python benchmarks/python/out_of_core.py --smoke
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from parquet_service import write_service

import socialrx
from socialrx.synthetic import synthetic_parquet

WINDOWS = (6, 12)

_PRELUDE = """
import json, sys, time
from pathlib import Path
import pandas as pd
folder = Path(sys.argv[1])
options = json.loads(sys.argv[2])

def peak():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) << 10 for line in status if line.startswith("VmHWM:"))
"""

_SOCIALRX = _PRELUDE + """
import socialrx
from socialrx.out_of_core import Evaluation as OutOfCore
start, cpu = time.perf_counter(), time.process_time()
clients = pd.read_parquet(folder / options["clients"])
comparison = pd.read_parquet(folder / "comparison", columns=["patient_id"])
common = dict(clients=clients, comparison=comparison, tariff="example", data_start=options["data_start"],
              data_end=options["data_end"])
if options["mode"] == "in memory":
    evaluation = socialrx.Evaluation(events=pd.read_parquet(folder / "events", columns=["person_id", "date", "kind"]),
                                     **common)
else:
    evaluation = OutOfCore(events=folder / "events", batch_rows=options["batch_rows"], **common)
table = evaluation.cost_avoidance(windows=options["windows"])
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rows = [[w, k, int(a), int(b)] for w, k, a, b in zip(table["window"], table["kind"], table["pre"], table["post"])]
reasons = evaluation.exclusions(windows=options["windows"]).set_index(["table", "reason"])["count"]  # counted already
account = [int(reasons["events", r].iloc[0]) for r in ("outside_data_range", "of_comparison_patients",
                                                       "of_unconnected_clients")]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak": peak(), "account": account}))
"""

_DUCKDB = _PRELUDE + """
import duckdb
windows = ", ".join(f"('{label}', {days})" for label, days in options["window_days"])
query = f'''
WITH c AS (SELECT client_id, CAST(index_date AS DATE) AS idx FROM read_parquet('{folder}/{options["clients_files"]}')
           WHERE index_date IS NOT NULL),
     e AS (SELECT person_id, CAST(date AS DATE) AS d, CAST(kind AS VARCHAR) AS kind
           FROM read_parquet('{folder}/{options["events_files"]}')),
     w AS (SELECT * FROM (VALUES {windows}) AS t(label, days))
SELECT w.label, e.kind,
       count(*) FILTER (WHERE e.d >= c.idx - w.days AND e.d < c.idx) AS pre,
       count(*) FILTER (WHERE e.d > c.idx AND e.d <= c.idx + w.days) AS post
FROM e JOIN c ON e.person_id = c.client_id CROSS JOIN w
WHERE e.d BETWEEN DATE '{options["data_start"]}' AND DATE '{options["data_end"]}'
  AND c.idx - w.days >= DATE '{options["data_start"]}' AND c.idx + w.days <= DATE '{options["data_end"]}'
GROUP BY ALL
'''
# What socialrx checks and accounts for beside the table: every event's person known (a client or
# a comparison patient), its date present and its kind a known one, and the events outside the
# data range, of comparison patients and of clients who never connected, counted.
account = f'''
WITH p AS (SELECT client_id AS id, index_date IS NOT NULL AS connected, TRUE AS client
           FROM read_parquet('{folder}/{options["clients_files"]}')
           UNION ALL SELECT patient_id, FALSE, FALSE FROM read_parquet('{folder}/{options["comparison_files"]}')),
     e AS (SELECT person_id, CAST(date AS DATE) AS d, CAST(kind AS VARCHAR) AS kind
           FROM read_parquet('{folder}/{options["events_files"]}')),
     r AS (SELECT *, d BETWEEN DATE '{options["data_start"]}' AND DATE '{options["data_end"]}' AS in_range FROM e)
SELECT count(*) FILTER (WHERE p.id IS NULL OR r.d IS NULL OR r.kind IS NULL
                        OR r.kind NOT IN ({", ".join(repr(k) for k in options["kinds"])})) AS refused,
       count(*) FILTER (WHERE NOT r.in_range) AS outside_data,
       count(*) FILTER (WHERE r.in_range AND NOT p.client) AS of_comparison,
       count(*) FILTER (WHERE r.in_range AND p.client AND NOT p.connected) AS of_unconnected
FROM r LEFT JOIN p ON r.person_id = p.id
'''
duckdb.sql("SET enable_progress_bar = false")
start, cpu = time.perf_counter(), time.process_time()
rows = duckdb.sql(query).fetchall()
accounted = duckdb.sql(account).fetchall()[0] if options["mode"] == "duckdb + account" else None
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": [[w, k, int(a), int(b)] for w, k, a, b in rows],
                  "peak": peak(), "account": accounted}))
"""


def run(script: str, folder: Path, options: dict[str, Any]) -> dict[str, Any]:
    """The script's JSON answer (with ``peak``, its peak resident set size in bytes)."""
    done = subprocess.run([sys.executable, "-c", script, str(folder), json.dumps(options)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    *said, last = done.stdout.strip().splitlines()
    if said:
        print("\n".join(said), file=sys.stderr)
    answer: dict[str, Any] = json.loads(last)
    return answer


def national(folder: Path, fraction: int) -> dict[str, Any]:
    """The national-scale mix: 60M / ``fraction`` patients by ``synthetic_parquet``, each table
    a folder of 64 partitions."""
    written = synthetic_parquet(folder, n_patients=60_000_000 // fraction, partitions=64, seed=1)
    return {"data_start": written.data_start, "data_end": written.data_end, "events": written.rows["events"],
            "clients": "clients", "clients_files": "clients/*/*.parquet", "comparison_files": "comparison/*/*.parquet",
            "events_files": "events/*/*.parquet"}


def table(rows: list[list[Any]]) -> pd.DataFrame:
    """Pre and post per window and kind, the kinds with an event, in one order."""
    frame = pd.DataFrame(rows, columns=["window", "kind", "pre", "post"])
    return frame[frame["pre"] + frame["post"] > 0].sort_values(["window", "kind"]).reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--comparison", type=int, default=300_000)
    parser.add_argument("--min-events", type=int, default=30_000_000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--fraction", type=int, help="a national-scale population of 60M / FRACTION patients instead")
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.comparison, args.min_events, args.files = 2_000, 6_000, 0, 2
    try:
        import duckdb  # noqa: F401
        contenders = ["in memory", "out of core", "duckdb", "duckdb + account"]
    except ImportError:
        contenders = ["in memory", "out of core"]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        written = (national(folder, args.fraction) if args.fraction else
                   {**write_service(folder, args.clients, args.comparison, args.min_events, args.files),
                    "clients": "clients.parquet", "clients_files": "clients.parquet",
                    "comparison_files": "comparison/*.parquet", "events_files": "events/*.parquet"})
        service = {**written, "data_start": f"{written['data_start']:%Y-%m-%d}",
                   "data_end": f"{written['data_end']:%Y-%m-%d}"}
        people = pd.read_parquet(folder / "comparison", columns=["patient_id"])
        print(f"{len(pd.read_parquet(folder / service['clients'], columns=['client_id'])):,} clients, "
              f"{len(people):,} comparison patients, {service['events']:,} events in "
              f"{len(list((folder / 'events').rglob('*.parquet')))} Parquet files")
        options = {**service, "windows": list(WINDOWS), "batch_rows": args.batch_rows, "kinds": socialrx.EVENT_KINDS,
                   "window_days": [[f"{w}m", socialrx._core.window_days(w)] for w in WINDOWS]}
        baseline = run(_PRELUDE + "import socialrx.out_of_core\nprint(json.dumps({'peak': peak()}))", folder,
                       options)["peak"]
        results: dict[str, tuple[Any, ...]] = {}
        for mode in contenders:
            answer = run(_DUCKDB if mode.startswith("duckdb") else _SOCIALRX, folder, {**options, "mode": mode})
            if mode == "duckdb + account":  # none refused; the rest as socialrx counted them
                assert answer["account"] == [0, *results["out of core"][4]], answer["account"]
            results[mode] = (answer["seconds"], answer["cpu"], answer["peak"], table(answer["rows"]), answer["account"])
        first = results["in memory"][3]
        for mode, (_, _, _, got, _) in results.items():
            pd.testing.assert_frame_equal(got, first, obj=mode)
        print(f"a process that imports pandas and socialrx peaks at {baseline / 2**20:.0f} MiB")
        for mode, (seconds, cpu, peak, _, _) in results.items():
            print(f"{mode:16s} {seconds:7.2f} s ({cpu:5.2f} s of CPU, all threads)  peak RSS {peak / 2**20:6.0f} MiB "
                  f"({(peak - baseline) / service['events']:.1f} bytes an event above the import)")
        if "duckdb" in results:
            duck, ours = results["duckdb"], results["out of core"]
            print(f"ratio DuckDB / out of core: {duck[0] / ours[0]:.2f}x time, {duck[1] / ours[1]:.2f}x CPU time, "
                  f"{duck[2] / ours[2]:.2f}x peak memory")
            duck = results["duckdb + account"]
            print(f"ratio DuckDB with the account / out of core: {duck[0] / ours[0]:.2f}x time, "
                  f"{duck[1] / ours[1]:.2f}x CPU time")


if __name__ == "__main__":
    main()
