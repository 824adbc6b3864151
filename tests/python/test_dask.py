"""socialrx.dask on a two-worker local cluster: every figure equals the single-machine one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import FIGURES, assert_not_partitioned, assert_same_result

import socialrx
from socialrx import risk

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
socialrx_dask = pytest.importorskip("socialrx.dask")
# The tables start in this process as pandas, so the graph carries them (data read by the
# workers from Parquet would not be).
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=1000, n_comparison=2000, seed=11, access_gap=0.5)


def scattered(frame: pd.DataFrame, parts: int):
    """``frame``'s rows shuffled into ``parts`` dask partitions, not by person."""
    return dd.from_pandas(frame.sample(frac=1, random_state=4), npartitions=parts, sort=False)


@pytest.fixture(scope="module")
def both(service):
    """The single-machine evaluation, and socialrx.dask's over shuffled tables in partitions
    that are not by person, on two worker processes: the person tables sent to every part, and
    co-partitioned by person."""
    tables = dict(assessments=service.assessments, interventions=service.interventions, feedback=service.feedback,
                  funding=service.funding, surveys=service.surveys, meetings=service.meetings,
                  kind_groups={"urgent": ["ae_attendance", "emergency_admission"]})
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example", **tables)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") \
            as cluster, distributed.Client(cluster):
        many, copartitioned = (socialrx_dask.Evaluation(
            clients=scattered(service.clients, 2), events=scattered(service.events, 5),
            comparison=scattered(service.comparison, 3), tariff="example", copartition=shuffle, partitions=4,
            **tables) for shuffle in (False, True))
        yield one, many, copartitioned


@pytest.mark.parametrize("by", [None, "practice", "age_band", "financial_year"])
def test_utilisation_and_cost_avoidance_are_exactly_the_single_machine_ones(both, by):
    one, *dasks = both
    for many in dasks:
        pd.testing.assert_frame_equal(many.utilisation(windows=(6, 12, "90d"), by=by),
                                      one.utilisation(windows=(6, 12, "90d"), by=by))
        pd.testing.assert_frame_equal(many.cost_avoidance(by=by), one.cost_avoidance(by=by))


def test_exclusions_net_saving_and_data_range(both):
    one, *dasks = both
    for many in dasks:
        assert (many.data_start, many.data_end) == (one.data_start, one.data_end)  # the events' own range
        pd.testing.assert_frame_equal(many.exclusions(), one.exclusions())
        pd.testing.assert_series_equal(many.net_saving(25_000_000), one.net_saving(25_000_000))
    assert dasks[0].net_saving(25_000_000)["gross_pence"] == int(one.cost_avoidance(12)["avoided_pence"].sum())


def test_person_table_figures(both):
    one, many, _ = both
    for by in (None, "practice", "referral_reasons"):
        pd.testing.assert_frame_equal(many.reach(by), one.reach(by))
    pd.testing.assert_frame_equal(many.outcomes(), one.outcomes())
    pd.testing.assert_frame_equal(many.wellbeing(), one.wellbeing())
    pd.testing.assert_frame_equal(many.support(), one.support())
    pd.testing.assert_frame_equal(many.spend(), one.spend())
    pd.testing.assert_frame_equal(many.feedback_summary(by="practice"), one.feedback_summary(by="practice"))


@pytest.mark.parametrize("figure", FIGURES)
def test_every_other_figure(both, figure):
    one, *dasks = both
    expected = FIGURES[figure](one)
    for many in dasks:
        assert_same_result(FIGURES[figure](many), expected, figure)


def test_per_client_columns_in_the_clients_gathered_order(both):
    # The clients were shuffled into their partitions: the same rows, keyed by client id.
    one, many, _ = both
    ids = many.client_columns["client_id"]
    assert not np.array_equal(ids, one.client_columns["client_id"])
    order = pd.Index(one.client_columns["client_id"]).get_indexer(ids)
    for name, column in many.client_columns.items():
        np.testing.assert_array_equal(column, one.client_columns[name][order], err_msg=name)
    np.testing.assert_array_equal(many.periods().to_numpy(), one.periods().to_numpy()[order])


def test_equity(both, service):
    one, many, _ = both
    expected = one.equity(population=service.population)
    assert_same_result(many.equity(population=service.population), expected)
    assert (expected.table["people"] > 0).all()  # every quintile's rate compared is a real one


def test_what_needs_every_event_says_what_to_do_instead(both):
    assert_not_partitioned(both[1])


def test_display_says_where_the_events_are(both, service):
    one, many, _ = both
    assert f"<th>events</th><td>{len(service.events)}</td>" in one._repr_html_()
    assert "<th>events</th><td>held in parts, counted where they are</td>" in many._repr_html_()


def test_pandas_input_and_the_default_scheduler(service):
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              data_start="2020-01-01", data_end="2024-12-31")
    many = socialrx_dask.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                                    data_start="2020-01-01", data_end="2024-12-31", partitions=3)
    pd.testing.assert_frame_equal(many.utilisation(by="locality"), one.utilisation(by="locality"))


@pytest.fixture(scope="module")
def diagnoses(service) -> pd.DataFrame:
    """6,000 diagnoses of the clients and comparison patients, codes of several categories of
    every index and one no index knows."""
    rng = np.random.default_rng(5)
    people = np.concatenate([service.clients["client_id"], service.comparison["patient_id"]])
    codes = ["I21", "I50", "C78", "F00.1", "E11", "E10.5", "J44", "N18", "K70", "I63", "R26", "QQ99"]
    return pd.DataFrame({"patient_id": rng.choice(people, 6000), "code": rng.choice(codes, 6000)})


def by_patient(scores: pd.DataFrame) -> pd.DataFrame:
    return scores.sort_values("patient_id").reset_index(drop=True)


@pytest.mark.parametrize("index", ["charlson", "elixhauser", "hfrs"])
def test_comorbidity_per_patient(both, diagnoses, index):
    one = getattr(risk, index)(diagnoses)
    many = socialrx_dask.comorbidity(scattered(diagnoses, 4), index, partitions=3)
    assert many.npartitions == 3
    pd.testing.assert_frame_equal(by_patient(many.compute()), by_patient(one))
    assert len(one) > 2000 and one["score"].abs().sum() > 0


def test_risk_scores_and_case_list(both, service, diagnoses):
    # The comparison pool scored by the example model: age bands, sex, deprivation, A&E and
    # admissions in the year before 2023-01-01, and Charlson from the diagnoses.
    patients = service.comparison.assign(age=2023 - service.comparison["birth_year"])
    events = service.events[service.events["person_id"].isin(patients["patient_id"])]
    one = risk.score_patients(patients, "example", diagnoses=diagnoses, events=events, as_of="2023-01-01")
    with dask.config.set({"dataframe.convert-string": False}):  # text columns as pandas has them
        many = socialrx_dask.score_patients(scattered(patients, 3), "example", diagnoses=scattered(diagnoses, 2),
                                            events=scattered(events, 5), as_of="2023-01-01", partitions=4)
        pd.testing.assert_frame_equal(by_patient(many.compute()), by_patient(one))
        # The case list of the scores (each partition's top 5 per practice, merged), and of a
        # pandas table cut into parts: the same rows, index and ranks.
        expected = risk.case_list(one, "practice", 5)
        pd.testing.assert_frame_equal(socialrx_dask.case_list(dd.from_pandas(one, npartitions=4), "practice", 5),
                                      expected)
    assert expected["rank"].max() == 5 and one["charlson_score"].sum() > 0
