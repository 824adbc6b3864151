"""socialrx.dask given the events as a Parquet path: the tasks read the files themselves."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import socialrx

distributed = pytest.importorskip("distributed")
socialrx_dask = pytest.importorskip("socialrx.dask")


def test_parquet_path_gives_the_single_machine_figures(tmp_path):
    service = socialrx.synthetic(n_clients=200, n_comparison=400, seed=3)
    events = pa.Table.from_pandas(service.events, preserve_index=False)
    share = -(-events.num_rows // 3)
    for i in range(3):  # three files of many row groups
        pq.write_table(events.slice(i * share, share), tmp_path / f"part-{i}.parquet", row_group_size=3_000)
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") \
            as cluster, distributed.Client(cluster):
        for shuffle in (False, True):
            many = socialrx_dask.Evaluation(clients=service.clients, events=tmp_path, comparison=service.comparison,
                                            tariff="example", copartition=shuffle, partitions=3)
            assert (many.data_start, many.data_end) == (one.data_start, one.data_end)  # the files' own range
            for by in (None, "practice"):
                pd.testing.assert_frame_equal(many.cost_avoidance(by=by), one.cost_avoidance(by=by))
            pd.testing.assert_frame_equal(many.exclusions(), one.exclusions())
