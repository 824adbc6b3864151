"""synthetic_parquet: a population written chunk by chunk as Parquet partitioned by person id."""

from __future__ import annotations

import sys

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from socialrx.partitioned import partition_of
from socialrx.synthetic import PartitionedParquet, synthetic_parquet

PARTITIONS = 4


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> PartitionedParquet:
    # 2,400 patients in chunks of 1,000: chunks of 1,000, 1,000 and 400 patients, of whom 1.5%
    # are clients: 15 + 15 + 6 = 36 clients and 2,364 comparison patients.
    return synthetic_parquet(tmp_path_factory.mktemp("national"), n_patients=2400, partitions=PARTITIONS,
                             seed=7, patients_per_chunk=1000, threads=1)


def read(written: PartitionedParquet, table: str) -> dict[str, np.ndarray]:
    frame = ds.dataset(written.table(table), format="parquet", partitioning="hive").to_table().to_pandas()
    return {column: frame[column].to_numpy() for column in frame.columns}


def test_every_patient_once_with_ids_1_to_n(written: PartitionedParquet) -> None:
    clients, comparison = read(written, "clients"), read(written, "comparison")
    assert written.rows["clients"] == len(clients["client_id"]) == 36
    assert written.rows["comparison"] == len(comparison["patient_id"]) == 2364
    ids = np.concatenate([clients["client_id"], comparison["patient_id"]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(1, 2401))


def test_each_row_in_its_persons_partition(written: PartitionedParquet) -> None:
    for table, column in (("clients", "client_id"), ("comparison", "patient_id"), ("events", "person_id")):
        columns = read(written, table)
        np.testing.assert_array_equal(columns["partition"], partition_of(columns[column], PARTITIONS))
    events = read(written, "events")
    assert written.rows["events"] == len(events["person_id"]) > 0
    assert events["person_id"].min() >= 1 and events["person_id"].max() <= 2400


def test_same_seed_same_events(written: PartitionedParquet, tmp_path) -> None:
    again = synthetic_parquet(tmp_path, n_patients=2400, partitions=PARTITIONS, seed=7, patients_per_chunk=1000,
                              threads=2)
    first, second = read(written, "events"), read(again, "events")
    order_first = np.lexsort((first["date"], first["person_id"]))
    order_second = np.lexsort((second["date"], second["person_id"]))
    for column in ("person_id", "date"):
        np.testing.assert_array_equal(first[column][order_first], second[column][order_second])


def test_bad_share_named() -> None:
    with pytest.raises(ValueError, match="client_share"):
        synthetic_parquet("unused", n_patients=10, client_share=1.0)


def test_row_groups_full_but_the_last_of_each_file(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    # Readers pay for each row group, so only a file's last may be short of the size asked for.
    monkeypatch.setattr(sys.modules["socialrx.synthetic"], "_ROW_GROUP", 1000)  # the module, not the function
    written = synthetic_parquet(tmp_path, n_patients=2400, partitions=PARTITIONS, seed=7, patients_per_chunk=1000,
                                threads=1)
    files = sorted(written.table("events").rglob("*.parquet"))
    assert len(files) == 3 * PARTITIONS  # a file for each chunk in each partition
    for file in files:
        metadata = pq.read_metadata(file)
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert sizes[:-1] == [1000] * (len(sizes) - 1) and 0 < sizes[-1] <= 1000, (file, sizes)
