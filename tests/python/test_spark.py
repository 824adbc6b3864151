"""socialrx.spark in Spark's local mode: the single-machine figures, exactly.

Run by ``./dev.sh test-spark`` (starting Spark takes a while, so ``./dev.sh test`` leaves it out);
skipped without pyspark or a Java runtime.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from socialrx import Evaluation
from socialrx.synthetic import PartitionedParquet, synthetic_parquet

pyspark_sql = pytest.importorskip("pyspark.sql")
if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

from socialrx import spark as socialrx_spark  # noqa: E402  (after the skips: it needs pyspark)

# pyspark warns on pandas 3 wherever it converts; socialrx.spark hands it Arrow only.
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = socialrx_spark.local_session(2)
    yield session
    session.stop()


# One client, index 2020-01-01; 6 months is round(6 x 365.25 / 12) = 183 days, so pre is
# 2019-07-02..2019-12-31 and post 2020-01-02..2020-07-02. Its A&E visits: 2019-10-01 (pre),
# 2020-01-01 (the index day: neither), 2020-03-01 twice (count 2: post 2). Its GP row of count 0
# is left out; comparison patient 2's GP visit is counted apart.
CLIENT = pa.table({"client_id": [1], "referral_date": pa.array([18231], pa.date32()),  # 2019-12-01
                   "index_date": pa.array([18262], pa.date32())})  # 2020-01-01
EVENTS = pa.table({
    "person_id": [1, 1, 1, 1, 2],
    "date": pa.array([18170, 18262, 18322, 18323, 18293], pa.date32()),
    "kind": ["ae_attendance", "ae_attendance", "ae_attendance", "gp_surgery", "gp_surgery"],
    "count": [1, 1, 2, 0, 1],
})


def hand_worked(spark: Any, events: Any) -> socialrx_spark.Evaluation:
    return socialrx_spark.Evaluation(
        spark, clients=spark.createDataFrame(CLIENT), events=events,
        comparison=spark.createDataFrame(pa.table({"patient_id": [2]})), data_start="2019-01-01",
        data_end="2021-12-31", rows_per_count=1)


def test_hand_worked_counts(spark) -> None:
    evaluation = hand_worked(spark, spark.createDataFrame(EVENTS).repartition(2))
    row = evaluation.utilisation(6).iloc[0]
    assert (row["kind"], row["clients"], row["pre"], row["post"]) == ("ae_attendance", 1, 1, 2)
    counts = evaluation.exclusions(6).set_index("reason")["count"]
    assert (counts["on_index_day"], counts["of_comparison_patients"], counts["rows_of_count_0"]) == (1, 1, 1)


def test_no_events_still_counts_the_clients(spark) -> None:
    # No task has an event, so no partial comes back: the client is still included in the 6-month
    # window (2019-07-02..2020-07-02 lies in the data range), with no events anywhere.
    evaluation = hand_worked(spark, spark.createDataFrame(EVENTS).where("person_id < 0"))
    counts = evaluation.exclusions(6).set_index(["table", "reason"])["count"]
    assert counts[("clients", "included")] == 1
    events = [("events", reason) for reason in ("pre", "post", "of_comparison_patients", "rows_of_count_0")]
    assert counts[events].tolist() == [0, 0, 0, 0]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> PartitionedParquet:
    return synthetic_parquet(tmp_path_factory.mktemp("spark"), n_patients=6000, partitions=4, seed=3,
                             client_share=0.05, true_effect=0.2, threads=1)


def _pandas(written: PartitionedParquet, table: str) -> pd.DataFrame:
    return ds.dataset(written.table(table), format="parquet", partitioning="hive").to_table().to_pandas()


@pytest.mark.parametrize("events_as", ["path", "DataFrame"])
def test_same_figures_as_one_machine(spark, written: PartitionedParquet, events_as: str) -> None:
    tables = {name: _pandas(written, name) for name in ("clients", "comparison", "events")}
    one = Evaluation(**tables, tariff="example")
    # The events' files read by the tasks, or Spark's rows; either way 20,000 rows counted at a time.
    path = str(written.table("events"))
    on_spark = socialrx_spark.Evaluation(
        spark, clients=spark.read.parquet(str(written.table("clients"))),
        events=path if events_as == "path" else spark.read.parquet(path), comparison=str(written.table("comparison")),
        tariff="example", rows_per_count=20_000)
    assert (on_spark.data_start, on_spark.data_end) == (one.data_start, one.data_end)
    pd.testing.assert_frame_equal(on_spark.reach(by="practice"), one.reach(by="practice"))
    pd.testing.assert_frame_equal(on_spark.utilisation(by="practice"), one.utilisation(by="practice"))
    pd.testing.assert_frame_equal(on_spark.utilisation((3, "90d")), one.utilisation((3, "90d")))
    pd.testing.assert_frame_equal(on_spark.exclusions(), one.exclusions())
    pd.testing.assert_frame_equal(on_spark.cost_avoidance(by="locality"), one.cost_avoidance(by="locality"))
    pd.testing.assert_series_equal(on_spark.net_saving(5_000_000), one.net_saving(5_000_000))
    assert np.all(on_spark.utilisation()["pre"] > 0)  # the figures compared are not all zeros


@pytest.mark.parametrize("events_as", ["path", "DataFrame"])
def test_dates_must_be_dates(spark, tmp_path, events_as: str) -> None:
    events = pa.table({"person_id": [1], "date": ["2020-01-01"], "kind": ["gp_surgery"]})
    pq.write_table(events, tmp_path / "events.parquet")
    clients = spark.createDataFrame(pa.table({"client_id": [1], "referral_date": pa.array([18231], pa.date32()),
                                              "index_date": pa.array([18262], pa.date32())}))
    given = str(tmp_path / "events.parquet") if events_as == "path" else spark.createDataFrame(events)
    with pytest.raises(ValueError, match=r"events.date: must be a date \(Spark DateType, Parquet date32\), got string"):
        socialrx_spark.Evaluation(spark, clients=clients, events=given)
