"""Matching and the DiD on socialrx.spark in local mode: the same matches, estimates and
bootstrap intervals as on one machine.

Run by ``./dev.sh test-spark`` with test_spark.py; skipped without pyspark or a Java runtime.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pytest
import test_spark  # its skips (without pyspark or a Java runtime) and its Spark session

import socialrx
from socialrx.synthetic import synthetic_parquet

spark = test_spark.spark
socialrx_spark = test_spark.socialrx_spark
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.mark.parametrize("events_as", ["path", "DataFrame"])
def test_match_did_and_headline_are_the_single_machine_ones(spark: Any, tmp_path, events_as: str) -> None:
    written = synthetic_parquet(tmp_path, n_patients=6000, partitions=4, seed=3, client_share=0.08,
                                true_effect=0.2, threads=1)
    tables = {name: ds.dataset(written.table(name), format="parquet", partitioning="hive").to_table().to_pandas()
              for name in ("clients", "comparison", "events")}
    one = socialrx.Evaluation(**tables, tariff="example")
    path = str(written.table("events"))
    on_spark = socialrx_spark.Evaluation(
        spark, clients=str(written.table("clients")), events=path if events_as == "path" else spark.read.parquet(path),
        comparison=str(written.table("comparison")), tariff="example", rows_per_count=20_000)
    expected, got = one.match(seed=4), on_spark.match(seed=4)
    assert got.summary()["matched_clients"] > 50
    pd.testing.assert_frame_equal(got.matches(), expected.matches(), check_exact=True)
    options = dict(windows=(6, 12), bootstrap=100, seed=7, groups=True)
    pd.testing.assert_frame_equal(got.did(**options).estimates, expected.did(**options).estimates, check_exact=True)
    assert socialrx.headline(on_spark, match=got, bootstrap=50).to_json() == \
        socialrx.headline(one, match=expected, bootstrap=50).to_json()
