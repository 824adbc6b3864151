"""socialrx.dask given the events as a Parquet path: the tasks read the files themselves."""

from __future__ import annotations

import pickle

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import socialrx

socialrx_dask = pytest.importorskip("socialrx.dask")
# dask.dataframe's own reading and shuffling (copartition=True) still call pandas in a way pandas
# now warns of.
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")


def test_parquet_path_gives_the_single_machine_figures(tmp_path):
    service = socialrx.synthetic(n_clients=200, n_comparison=400, seed=3)
    events = pa.Table.from_pandas(service.events, preserve_index=False)
    share = -(-events.num_rows // 3)
    for i in range(3):  # three files of many row groups
        pq.write_table(events.slice(i * share, share), tmp_path / f"part-{i}.parquet", row_group_size=3_000)
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example")
    for shuffle in (False, True):  # on the default scheduler
        many = socialrx_dask.Evaluation(clients=service.clients, events=tmp_path, comparison=service.comparison,
                                        tariff="example", copartition=shuffle, partitions=3)
        assert (many.data_start, many.data_end) == (one.data_start, one.data_end)  # the files' own range
        for by in (None, "practice"):
            pd.testing.assert_frame_equal(many.cost_avoidance(by=by), one.cost_avoidance(by=by))
        pd.testing.assert_frame_equal(many.exclusions(), one.exclusions())
    # What a task is sent reads the same rows once it has travelled to a worker process.
    many_parts = socialrx_dask.Evaluation(clients=service.clients, events=tmp_path,
                                                 data_start="2020-01-01", data_end="2024-12-31")._parts
    assert len(many_parts) == 1  # the three small files share a task: each task costs the scheduler
    part = many_parts[0][1]
    travelled = pickle.loads(pickle.dumps(part))
    assert [t.equals(u) for t, u in zip(travelled.tables(), part.tables())] == [True] * 3  # a table a file
    assert sum(piece.rows for piece in part.pieces) == events.num_rows
