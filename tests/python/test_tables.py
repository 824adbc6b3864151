"""socialrx._tables: Parquet files read block by block into the frame's own columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from socialrx._tables import read_table

DAY = 86_400_000_000_000  # nanoseconds a day


def events_file(path) -> None:
    """Five events in row groups of two, each group with its own dictionary of kinds:
    group 1 {gp_surgery, ae_attendance}, group 2 {bed_days, gp_surgery}, group 3 {outpatient};
    the first missing count is in group 2, after a group read whole."""
    kinds = [["gp_surgery", "ae_attendance"], ["bed_days", "gp_surgery"], ["outpatient"]]
    batches = [pa.record_batch({
        "person_id": pa.array(ids, pa.int64()),
        "date": pa.array([d * DAY for d in days], pa.timestamp("ns")),
        "kind": pa.array(kind).dictionary_encode(),
        "count": pa.array(count, pa.int64()),
    }) for ids, days, kind, count in [([7, 3], [18_000, 18_001], kinds[0], [1, 2]),
                                      ([9, 7], [18_002, 18_003], kinds[1], [None, 1]),
                                      ([3], [18_004], kinds[2], [1])]]
    pq.write_table(pa.Table.from_batches(batches), path, row_group_size=2)


def check_events(frame: pd.DataFrame) -> None:
    assert frame["person_id"].tolist() == [7, 3, 9, 7, 3]
    assert frame["person_id"].dtype == np.int64
    # day 18000 is 2019-04-14 (18000 = 49 years of 1970-2018 (17897 days) + 103 days into 2019)
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["date"].tolist() == list(pd.date_range("2019-04-14", periods=5))
    # categories in the order first met, across the groups' dictionaries; codes in the smallest type
    assert list(frame["kind"].cat.categories) == ["gp_surgery", "ae_attendance", "bed_days", "outpatient"]
    assert frame["kind"].cat.codes.tolist() == [0, 1, 2, 0, 3] and frame["kind"].cat.codes.dtype == np.int8
    # a whole-number column with a missing value is float, as pyarrow makes it, the rows before it kept
    assert frame["count"].dtype == np.float64
    assert frame["count"].fillna(-1).tolist() == [1, 2, -1, 1, 1]


def test_row_groups_with_their_own_dictionaries_read_as_one_frame(tmp_path):
    events_file(tmp_path / "events.parquet")
    frame = read_table(tmp_path / "events.parquet", "events")
    check_events(frame)
    # as pyarrow reads the whole file at once
    pd.testing.assert_frame_equal(frame, pq.read_table(tmp_path / "events.parquet").to_pandas())


def test_text_columns_pandas_wrote_are_read_as_from_csv(tmp_path):
    """pandas writes its text columns as large_string: kinds are labels and ISO dates dates, as
    they are from a CSV file."""
    events = pd.DataFrame({"person_id": [1, 2, 1], "date": ["2021-12-01", "2022-02-01", None],
                           "kind": ["ae_attendance", "gp_surgery", "ae_attendance"]})
    # the missing date in the second row group, after a group of dates read whole
    events.to_parquet(tmp_path / "events.parquet", index=False, row_group_size=2)
    assert pa.types.is_large_string(pq.read_schema(tmp_path / "events.parquet").field("kind").type)
    frame = read_table(tmp_path / "events.parquet", "events")
    assert isinstance(frame["kind"].dtype, pd.CategoricalDtype)
    assert frame["kind"].tolist() == ["ae_attendance", "gp_surgery", "ae_attendance"]
    assert frame["date"].tolist()[:2] == [pd.Timestamp("2021-12-01"), pd.Timestamp("2022-02-01")]
    assert pd.isna(frame["date"].iloc[2])


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_an_empty_table_keeps_its_columns(tmp_path, suffix):
    path = tmp_path / f"events.{suffix}"
    if suffix == "csv":
        path.write_text("person_id,date,kind\n")
    else:
        pq.write_table(pa.table({"person_id": pa.array([], pa.int64()), "date": pa.array([], pa.string()),
                                 "kind": pa.array([], pa.string())}), path)
    frame = read_table(path, "events")
    assert list(frame.columns) == ["person_id", "date", "kind"] and len(frame) == 0
