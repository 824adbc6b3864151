"""Matching and the DiD on socialrx.dask: the look-back covariates and each matched person's
counts are counted in the parts of the events and added, so the matches, the DiD and its
bootstrap intervals are exactly the single-machine ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import socialrx
from socialrx.did import did

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
socialrx_dask = pytest.importorskip("socialrx.dask")
pytestmark = pytest.mark.filterwarnings("ignore:Sending large graph:UserWarning")


@pytest.fixture(scope="module")
def both():
    """The single-machine evaluation, and socialrx.dask's on two worker processes: the events
    shuffled, in parts that are not by person; the person tables in parts in their own order
    (the order that numbers the matched sets)."""
    service = socialrx.synthetic(n_clients=600, n_comparison=3000, seed=11, true_effect=0.2)
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example")

    def parts(frame: pd.DataFrame, parts: int):
        return dd.from_pandas(frame, npartitions=parts, sort=False)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) \
            as cluster, distributed.Client(cluster):
        yield one, socialrx_dask.Evaluation(clients=parts(service.clients, 2),
                                            events=parts(service.events.sample(frac=1, random_state=4), 5),
                                            comparison=parts(service.comparison, 3), tariff="example")


@pytest.fixture(scope="module")
def matched(both):
    return tuple(evaluation.match(seed=3) for evaluation in both)


def test_matches_and_did_with_its_intervals_are_the_single_machine_ones(matched):
    expected, got = matched
    assert got.summary()["matched_clients"] > 100
    pd.testing.assert_frame_equal(got.covariates(), expected.covariates(), check_exact=True)
    pd.testing.assert_frame_equal(got.matches(), expected.matches(), check_exact=True)
    pd.testing.assert_frame_equal(got.coefficients(), expected.coefficients(), check_exact=True)
    options = dict(windows=(6, 12), bootstrap=200, seed=5, groups=True)
    estimates = got.did(**options).estimates
    pd.testing.assert_frame_equal(estimates, expected.did(**options).estimates, check_exact=True)
    assert np.isfinite(estimates["ci_low"]).all() and (estimates["ci_low"] < estimates["ci_high"]).all()


def test_headline_with_its_did_is_the_single_machine_one(both, matched):
    (one, many), (expected, got) = both, matched
    assert socialrx.headline(many, match=got, bootstrap=100, seed=2).to_json() == \
        socialrx.headline(one, match=expected, bootstrap=100, seed=2).to_json()


def test_a_did_worked_by_hand_from_events_in_two_parts():
    # Client 1 (index 2020-01-01) and its one control, patient 2 (pseudo index 2020-01-01). In
    # the 6-month window (183 days) the client's A&E visits fall 2 -> 1 and the control's stay
    # 1 -> 1: DiD = (1 - 2) - (1 - 1) = -1 visit per client. Each part of the events holds some
    # of each person's visits.
    clients = pd.DataFrame({"client_id": [1], "referral_date": pd.to_datetime(["2019-12-01"]),
                            "index_date": pd.to_datetime(["2020-01-01"])})
    events = pd.DataFrame({"person_id": [1, 2, 1, 1, 2],
                           "date": pd.to_datetime(["2019-10-01", "2019-11-01", "2019-10-02", "2020-03-01",
                                                   "2020-02-01"]),
                           "kind": "ae_attendance"})
    many = socialrx_dask.Evaluation(clients=clients, events=events, comparison=pd.DataFrame({"patient_id": [2]}),
                                    data_start="2019-01-01", data_end="2021-12-31", partitions=2)
    matches = pd.DataFrame({"client_id": [1], "comparison_id": [2], "set_id": [0], "weight": [1.0]})
    pseudo = pd.DataFrame({"patient_id": [2], "pseudo_index_date": pd.to_datetime(["2020-01-01"])})
    row = did(many, matches, pseudo, windows=6, bootstrap=0).estimates.iloc[0]
    assert (row["kind"], row["naive_pre_per_client"], row["naive_post_per_client"]) == ("ae_attendance", 2, 1)
    assert (row["control_pre_per_client"], row["control_post_per_client"], row["did_per_client"]) == (1, 1, -1)
