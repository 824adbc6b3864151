"""socialrx.dask on a two-worker local cluster: every figure equals the single-machine one."""

from __future__ import annotations

import pandas as pd
import pytest

import socialrx

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
socialrx_dask = pytest.importorskip("socialrx.dask")
# The tables start in this process as pandas, so the graph carries them (data read by the
# workers from Parquet would not be).
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=1000, n_comparison=2000, seed=11)


@pytest.fixture(scope="module")
def both(service):
    """The single-machine evaluation, and socialrx.dask's over shuffled tables in partitions
    that are not by person, on two worker processes: the person tables sent to every part, and
    co-partitioned by person."""
    tables = dict(assessments=service.assessments, interventions=service.interventions, feedback=service.feedback)
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example", **tables)

    def scattered(frame: pd.DataFrame, parts: int):
        return dd.from_pandas(frame.sample(frac=1, random_state=4), npartitions=parts, sort=False)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
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


def test_pandas_input_and_the_default_scheduler(service):
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              data_start="2020-01-01", data_end="2024-12-31")
    many = socialrx_dask.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                                    data_start="2020-01-01", data_end="2024-12-31", partitions=3)
    pd.testing.assert_frame_equal(many.utilisation(by="locality"), one.utilisation(by="locality"))
