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
from conftest import FIGURES, assert_not_partitioned, assert_same_result

import socialrx
from socialrx import Evaluation, risk
from socialrx._tables import arrow_to_pandas
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


PERSON_TABLES = ("assessments", "interventions", "feedback", "funding", "surveys", "meetings")


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=500, n_comparison=1000, seed=11, access_gap=0.5)


@pytest.fixture(scope="module")
def both(spark, service, tmp_path_factory: pytest.TempPathFactory) -> tuple[Evaluation, socialrx_spark.Evaluation]:
    """The single-machine evaluation of every table, and socialrx.spark's of the same tables
    written as Parquet (dates as date32) in 3 files each: the clients a Spark DataFrame, the rest
    paths."""
    root = tmp_path_factory.mktemp("service")
    tables = {name: getattr(service, name) for name in ("clients", "events", "comparison", *PERSON_TABLES)}
    for name, frame in tables.items():
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for i, field in enumerate(table.schema):
            if pa.types.is_timestamp(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
        (root / name).mkdir()
        for part, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
            pq.write_table(table.take(rows), root / name / f"part-{part}.parquet")
    groups = {"urgent": ["ae_attendance", "emergency_admission"]}
    one = Evaluation(**tables, tariff="example", kind_groups=groups)
    on_spark = socialrx_spark.Evaluation(
        spark, clients=spark.read.parquet(str(root / "clients")), tariff="example", kind_groups=groups,
        **{name: str(root / name) for name in tables if name != "clients"})
    return one, on_spark


def test_person_table_figures(both) -> None:
    one, on_spark = both
    for by in (None, "practice", "referral_reasons", "age_band"):
        pd.testing.assert_frame_equal(on_spark.reach(by), one.reach(by))
    pd.testing.assert_frame_equal(on_spark.outcomes(), one.outcomes())
    pd.testing.assert_frame_equal(on_spark.wellbeing(), one.wellbeing())
    pd.testing.assert_frame_equal(on_spark.support(), one.support())
    pd.testing.assert_frame_equal(on_spark.spend(by="practice"), one.spend(by="practice"))
    pd.testing.assert_frame_equal(on_spark.feedback_summary(by="practice"), one.feedback_summary(by="practice"))
    assert one.outcomes()["clients"].sum() > 0 and one.feedback_summary()["answered"].sum() > 0
    np.testing.assert_array_equal(on_spark.comparison_ids, one.comparison_ids)  # the files in order
    pd.testing.assert_frame_equal(on_spark.normalisation, one.normalisation)


@pytest.mark.parametrize("figure", FIGURES)
def test_every_other_figure(both, figure: str) -> None:
    one, on_spark = both
    assert_same_result(FIGURES[figure](on_spark), FIGURES[figure](one), figure)


def test_equity(both, service) -> None:
    one, on_spark = both
    expected = one.equity(population=service.population, stage="connected")
    assert_same_result(on_spark.equity(population=service.population, stage="connected"), expected)
    assert (expected.table["people"] > 0).all()  # every quintile's rate compared is a real one


def test_what_needs_every_event_says_what_to_do_instead(both) -> None:
    assert_not_partitioned(both[1])


@pytest.fixture(scope="module")
def diagnoses(service) -> pd.DataFrame:
    """3,000 diagnoses of the clients, codes of several categories of every index and one no
    index knows."""
    rng = np.random.default_rng(5)
    codes = ["I21", "I50", "C78", "F00.1", "E11", "E10.5", "J44", "N18", "K70", "I63", "R26", "QQ99"]
    return pd.DataFrame({"patient_id": rng.choice(service.clients["client_id"], 3000),
                         "code": rng.choice(codes, 3000)})


@pytest.mark.parametrize("index", ["charlson", "hfrs"])
def test_comorbidity_per_patient_and_case_list(spark, service, diagnoses: pd.DataFrame, index: str) -> None:
    one = getattr(risk, index)(diagnoses)
    scored = socialrx_spark.comorbidity(spark.createDataFrame(pa.Table.from_pandas(diagnoses)).repartition(3), index,
                                        partitions=4)
    many = arrow_to_pandas(scored.toArrow()).sort_values("patient_id").reset_index(drop=True)
    expected = one.sort_values("patient_id").reset_index(drop=True)
    if index == "hfrs":  # Spark has no categories: the band as its text
        expected["band"] = expected["band"].astype(str)
    pd.testing.assert_frame_equal(many, expected)
    assert len(one) > 400 and one["score"].sum() > 0
    # The case list of the Spark scores by practice: each partition's top 3, merged.
    practices = service.clients.set_index("client_id")["practice"].astype(str)
    by_practice = scored.join(spark.createDataFrame(pa.table({"patient_id": practices.index.to_numpy(),
                                                              "practice": practices.to_numpy()})), "patient_id")
    got = socialrx_spark.case_list(by_practice.repartition(3), "practice", 3)
    ranked = risk.case_list(expected.assign(practice=expected["patient_id"].map(practices)), "practice", 3)
    pd.testing.assert_frame_equal(got[["patient_id", "practice", "score", "rank"]],
                                  ranked[["patient_id", "practice", "score", "rank"]].reset_index(drop=True))
    assert (got["rank"] <= 3).all() and len(got) == 3 * practices.nunique()


def test_risk_scores(spark, service, diagnoses: pd.DataFrame) -> None:
    # The clients scored by the example model: age bands, sex, deprivation, A&E and admissions
    # in the year before 2023-01-01, and Charlson from the diagnoses (text columns as text: Spark
    # has no categories).
    patients = service.clients[["client_id", "age", "sex", "deprivation_decile"]].rename(
        columns={"client_id": "patient_id"}).astype({"sex": str})
    events = service.events[service.events["person_id"].isin(patients["patient_id"])]
    one = risk.score_patients(patients, "example", diagnoses=diagnoses, events=events, as_of="2023-01-01")
    dated = pa.Table.from_pandas(events, preserve_index=False)
    dated = dated.set_column(dated.schema.get_field_index("date"), "date", dated.column("date").cast(pa.date32()))
    frames = [spark.createDataFrame(pa.Table.from_pandas(table, preserve_index=False) if isinstance(table, pd.DataFrame)
                                    else table).repartition(3) for table in (patients, diagnoses, dated)]
    scored = socialrx_spark.score_patients(frames[0], "example", diagnoses=frames[1], events=frames[2],
                                           as_of="2023-01-01", partitions=4)
    got = arrow_to_pandas(scored.toArrow()).sort_values("patient_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, one.sort_values("patient_id").reset_index(drop=True))
    assert one["charlson_score"].sum() > 0 and (one["feature_1"] == "ae_attendances_12m").any()
