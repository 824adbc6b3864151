"""What Spark's rows cost as Arrow: a mapInArrow that only counts the rows of the events.

When ``socialrx.spark`` is given the events as a Spark DataFrame rather than a Parquet path,
Spark turns its rows into Arrow record batches for the Python tasks. This times that step alone,
over a ``socialrx.synthetic_parquet`` population of 60M / ``fraction`` patients read by
``spark.read.parquet``:

- the three columns as read (``person_id``, ``date``, ``kind``);
- the kinds as byte codes and the dates as day numbers, computed on the JVM first;
- the ids alone;

each with Arrow batches of 10,000 rows (Spark's default) and of 1M, in one ``local[2]`` session.
The counts are checked against the rows written.

    PYTHONPATH=python python benchmarks/python/spark_rows_to_arrow.py --fraction 20
    PYTHONPATH=python python benchmarks/python/spark_rows_to_arrow.py --smoke
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

import socialrx
import socialrx.spark
from socialrx.synthetic import synthetic_parquet

ENGLAND = 60_000_000


def counted(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``'s function: the number of rows it was given."""
    rows = sum(batch.num_rows for batch in batches)
    yield pa.RecordBatch.from_pydict({"rows": [rows]})


def variants(events: Any) -> dict[str, Any]:
    from pyspark.sql import functions

    codes = functions.create_map(*[term for code, kind in enumerate(socialrx.EVENT_KINDS)
                                   for term in (functions.lit(kind), functions.lit(code).cast("tinyint"))])
    coded = events.select("person_id", functions.datediff("date", functions.lit("1970-01-01")).alias("day"),
                          codes[functions.col("kind")].alias("kind"))
    return {"as read": events, "coded on the JVM": coded, "ids alone": events.select("person_id")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=int, default=200, help="60M / fraction patients")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in a minute")
    args = parser.parse_args()
    if args.smoke:
        args.fraction, args.repeats = 20_000, 1
    spark = socialrx.spark.local_session(2)
    with tempfile.TemporaryDirectory() as scratch:
        written = synthetic_parquet(Path(scratch), n_patients=ENGLAND // args.fraction, partitions=64, seed=1)
        print(f"1/{args.fraction} of England: {written.rows['events']:,} events")
        events = spark.read.parquet(str(written.table("events"))).select("person_id", "date", "kind")
        for batch_rows in (10_000, 1_000_000):
            spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
            for name, frame in variants(events).items():
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    rows = sum(row["rows"] for row in frame.mapInArrow(counted, "rows long").collect())
                    times.append(time.perf_counter() - start)
                    assert rows == written.rows["events"], (name, rows)
                print(f"batches of {batch_rows:>9,}  {name:17s} {min(times):7.2f} s (best of {args.repeats})")
    spark.stop()


if __name__ == "__main__":
    main()
