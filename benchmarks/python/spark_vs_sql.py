"""socialrx.spark against the same job written in PySpark SQL, in one local[2] session.

Writes a ``socialrx.synthetic_parquet`` population of 60M / ``fraction`` patients (64
partitions by person id), then computes, from the Parquet folders each time, pre and post counts,
clients included and pence avoided per window (6 and 12 months) and event kind:

- socialrx.spark: ``socialrx.spark.Evaluation(...).cost_avoidance``: the events counted per
  task (``mapInArrow``), the person tables collected;
- PySpark SQL: the clients whose windows the data cover, crossed with the windows, broadcast
  and joined to the events; pre and post summed by window and kind with ``datediff``; the unit
  costs joined on. This is how an analyst in a Spark data environment would write it.

Best of ``--repeats`` each, after one untimed warm-up of each (the JVM's JIT and the Python
workers' imports are not the job). The two tables are checked equal before any time is printed.

    PYTHONPATH=python python benchmarks/python/spark_vs_sql.py                 # 1/200: 300k patients
    PYTHONPATH=python python benchmarks/python/spark_vs_sql.py --smoke
    PYTHONPATH=python python benchmarks/python/spark_vs_sql.py --events-as-dataframe
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

import socialrx.spark
from socialrx import _core
from socialrx.synthetic import synthetic_parquet
from socialrx.tariff import load_tariff

ENGLAND = 60_000_000
WINDOWS = (6, 12)


def with_socialrx(spark: Any, folder: Path, data: dict[str, Any], *, events_as_dataframe: bool = False) -> pd.DataFrame:
    events = str(folder / "events")
    evaluation = socialrx.spark.Evaluation(
        spark, clients=str(folder / "clients"), events=spark.read.parquet(events) if events_as_dataframe else events,
        comparison=str(folder / "comparison"), tariff="example", **data)
    return evaluation.cost_avoidance(windows=WINDOWS)


def with_sql(spark: Any, folder: Path, data: dict[str, Any]) -> pd.DataFrame:
    """The job in PySpark SQL: covered clients x windows, broadcast-joined to the events."""
    from pyspark.sql import functions as F

    start, end = (F.lit(data[name].date()) for name in ("data_start", "data_end"))
    windows = spark.createDataFrame([(f"{m}m", _core.window_days(m)) for m in WINDOWS], "window string, days int")
    clients = spark.read.parquet(str(folder / "clients")).where(F.col("index_date").isNotNull())
    covered = (clients.select("client_id", "index_date").crossJoin(windows)
               .where((F.date_sub("index_date", F.col("days")) >= start)
                      & (F.date_add("index_date", F.col("days")) <= end)))
    included = covered.groupBy("window").agg(F.count("*").alias("clients"))
    events = spark.read.parquet(str(folder / "events")).where(F.col("date").between(start, end))
    offset = F.datediff("date", "index_date")
    counts = (events.join(F.broadcast(covered), events["person_id"] == covered["client_id"])
              .groupBy("window", "days", "kind")
              .agg(F.sum(F.when(offset.between(-F.col("days"), -1), 1).otherwise(0)).alias("pre"),
                   F.sum(F.when(offset.between(1, F.col("days")), 1).otherwise(0)).alias("post")))
    unit = spark.createDataFrame([(kind, pence) for kind, (pence, _) in load_tariff("example").unit_costs.items()],
                                 "kind string, unit_cost_pence long")
    result = (counts.join(included, "window").join(F.broadcast(unit), "kind", "left")
              .withColumn("avoided_pence", (F.col("pre") - F.col("post")) * F.col("unit_cost_pence")))
    return pd.DataFrame([row.asDict() for row in result.collect()])


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with an event, in one order, the columns both give."""
    frame = frame[frame["pre"] + frame["post"] > 0].assign(kind=lambda f: f["kind"].astype(str))
    columns = ["window", "kind", "clients", "pre", "post", "unit_cost_pence", "avoided_pence"]
    frame = frame[columns].astype({c: "Int64" for c in columns[2:]})
    return frame.sort_values(["window", "kind"]).reset_index(drop=True)


def timed(job: Callable[[Any, Path, dict[str, Any]], pd.DataFrame], spark: Any, folder: Path,
          data: dict[str, Any], repeats: int) -> tuple[float, pd.DataFrame]:
    result = job(spark, folder, data)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = job(spark, folder, data)
        best = min(best, time.perf_counter() - start)
    return best, comparable(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=int, default=200, help="60M / fraction patients")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in a minute")
    parser.add_argument("--events-as-dataframe", action="store_true",
                        help="give socialrx.spark the events as spark.read.parquet(...), not the path")
    args = parser.parse_args()
    if args.smoke:
        args.fraction, args.repeats = 20_000, 1
    spark = socialrx.spark.local_session(2)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        written = synthetic_parquet(folder, n_patients=ENGLAND // args.fraction, partitions=64, seed=1)
        data = {"data_start": written.data_start, "data_end": written.data_end}
        print(f"1/{args.fraction} of England: {ENGLAND // args.fraction:,} patients, "
              f"{written.rows['clients']:,} clients, {written.rows['events']:,} events")
        ours, ours_table = timed(partial(with_socialrx, events_as_dataframe=args.events_as_dataframe), spark,
                                 folder, data, args.repeats)
        theirs, theirs_table = timed(with_sql, spark, folder, data, args.repeats)
    pd.testing.assert_frame_equal(theirs_table, ours_table, obj="PySpark SQL")
    print(f"socialrx.spark, local[2]:   {ours:7.2f} s (best of {args.repeats})")
    print(f"PySpark SQL, local[2]:      {theirs:7.2f} s  ({theirs / ours:.2f}x socialrx.spark)")
    spark.stop()


if __name__ == "__main__":
    main()
