"""socialrx.out_of_core: events streamed from Parquet, within a memory limit they exceed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import FIGURES, assert_not_partitioned, assert_same_result

import socialrx
from socialrx import partitioned as p
from socialrx.out_of_core import Evaluation, in_runs

COPIES = 80  # the events file holds the small service's events this many times over
HEADROOM = 100 << 20  # bytes the limited process may map beyond what it holds once warmed up


@pytest.fixture(scope="module")
def service() -> socialrx.SyntheticService:
    return socialrx.synthetic(n_clients=300, n_comparison=900, seed=7)


def test_the_same_figures_as_in_memory(service, tmp_path):
    tables = dict(clients=service.clients, comparison=service.comparison, tariff="example",
                  assessments=service.assessments, feedback=service.feedback)
    one = socialrx.Evaluation(events=service.events, **tables)
    for i in range(3):  # three files, in row groups smaller than a batch
        pq.write_table(pa.Table.from_pandas(service.events.iloc[i::3], preserve_index=False),
                       tmp_path / f"part-{i}.parquet", row_group_size=5_000)
    streamed = Evaluation(events=tmp_path, batch_rows=7_000, **tables)
    assert (streamed.data_start, streamed.data_end) == (one.data_start, one.data_end)
    for by in (None, "practice", "age_band", "financial_year", "referral_reasons"):
        pd.testing.assert_frame_equal(streamed.utilisation(by=by), one.utilisation(by=by))
        pd.testing.assert_frame_equal(streamed.cost_avoidance(by=by), one.cost_avoidance(by=by))
    pd.testing.assert_frame_equal(streamed.exclusions(), one.exclusions())
    pd.testing.assert_frame_equal(streamed.outcomes(), one.outcomes())
    pd.testing.assert_frame_equal(streamed.feedback_summary(), one.feedback_summary())


def test_evaluation_given_parquet_events_streams_them(service, tmp_path):
    service.events.to_parquet(tmp_path / "events.parquet", index=False)
    options = dict(clients=service.clients, comparison=service.comparison, tariff="example")
    expected = socialrx.Evaluation(events=service.events, **options).cost_avoidance(by="practice")
    for events in (tmp_path, tmp_path / "events.parquet", ds.dataset(tmp_path)):
        streamed = socialrx.Evaluation(events=events, **options)
        assert isinstance(streamed, Evaluation)
        pd.testing.assert_frame_equal(streamed.cost_avoidance(by="practice"), expected)


def test_no_parquet_is_a_value_error(tmp_path):
    (tmp_path / "events.parquet").write_text("not parquet")
    with pytest.raises(ValueError, match="events: not a readable Parquet dataset"):
        Evaluation(clients=pd.DataFrame({"client_id": [1], "referral_date": ["2020-01-01"],
                                         "index_date": [None]}), events=tmp_path / "events.parquet")


_LIMITED = textwrap.dedent("""
    import json, resource, sys
    import pandas as pd
    import socialrx
    from socialrx.out_of_core import Evaluation

    folder, headroom = sys.argv[1], int(sys.argv[2])
    clients = pd.read_parquet(f"{folder}/clients.parquet")
    comparison = pd.read_parquet(f"{folder}/comparison.parquet")
    options = dict(clients=clients, comparison=comparison, tariff="example", data_start="2019-04-01",
                   data_end="2025-03-31", batch_rows=200_000)

    def figures(events):
        evaluation = Evaluation(events=events, **options)
        use = evaluation.utilisation(by="practice")
        cost = evaluation.cost_avoidance()
        return {"pre": use["pre"].tolist(), "post": use["post"].tolist(), "clients": use["clients"].tolist(),
                "avoided_pence": [int(x) for x in cost["avoided_pence"].fillna(0)],
                "events": int(evaluation.exclusions().query("reason == 'pre'")["count"].sum())}

    figures(f"{folder}/small.parquet")  # warm up: the libraries' pools and threads made
    with open("/proc/self/status") as status:
        mapped = next(int(line.split()[1]) << 10 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (mapped + headroom, mapped + headroom))
    result = figures(f"{folder}/big.parquet")
    try:
        pd.read_parquet(f"{folder}/big.parquet")
        result["in_memory"] = "read"
    except MemoryError:  # pyarrow's ArrowMemoryError is one
        result["in_memory"] = "out of memory"
    print(json.dumps(result))
""")


def test_events_larger_than_the_memory_limit(service, tmp_path):
    events = pa.Table.from_pandas(service.events, preserve_index=False)
    pq.write_table(events, tmp_path / "small.parquet")
    with pq.ParquetWriter(tmp_path / "big.parquet", events.schema) as writer:
        for _ in range(COPIES):
            writer.write_table(events)
    service.clients.to_parquet(tmp_path / "clients.parquet")
    service.comparison.to_parquet(tmp_path / "comparison.parquet")
    # In memory the big events take 17 bytes a row as pandas (id, datetime, kind code).
    assert 17 * COPIES * len(service.events) > HEADROOM
    environment = {**os.environ, "PYTHONPATH": str(Path(socialrx.__file__).parents[1]), "MALLOC_ARENA_MAX": "2",
                   "ARROW_DEFAULT_MEMORY_POOL": "system"}
    run = subprocess.run([sys.executable, "-c", _LIMITED, str(tmp_path), str(HEADROOM)], capture_output=True,
                         text=True, env=environment, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout)
    assert got["in_memory"] == "out of memory"  # the whole table does not fit under the limit
    one = socialrx.Evaluation(clients=service.clients, events=service.events, comparison=service.comparison,
                              tariff="example", data_start="2019-04-01", data_end="2025-03-31")
    # Every event is there COPIES times: each count and pence COPIES times the small one's; the
    # clients (counted once, not per batch) the same.
    use, cost = one.utilisation(by="practice"), one.cost_avoidance()
    assert got["pre"] == (COPIES * use["pre"]).tolist() and got["post"] == (COPIES * use["post"]).tolist()
    assert got["clients"] == use["clients"].tolist()
    assert got["avoided_pence"] == [COPIES * int(x) for x in cost["avoided_pence"].fillna(0)]
    assert got["events"] == COPIES * int(one.exclusions().query("reason == 'pre'")["count"].sum())
    assert np.sum(got["pre"]) > 0


@pytest.fixture(scope="module")
def both(service, tmp_path_factory: pytest.TempPathFactory) -> tuple[socialrx.Evaluation, Evaluation]:
    """The evaluation of every table in memory, and out of core with the events in Parquet."""
    path = tmp_path_factory.mktemp("events") / "events.parquet"
    service.events.to_parquet(path, index=False)
    tables = dict(clients=service.clients, comparison=service.comparison, tariff="example",
                  kind_groups={"urgent": ["ae_attendance", "emergency_admission"]},
                  **{name: getattr(service, name) for name in ("assessments", "interventions", "feedback", "funding",
                                                               "surveys", "meetings")})
    return socialrx.Evaluation(events=service.events, **tables), Evaluation(events=path, batch_rows=7_000, **tables)


@pytest.mark.parametrize("figure", FIGURES)
def test_every_other_figure(both, figure: str) -> None:
    one, streamed = both
    assert_same_result(FIGURES[figure](streamed), FIGURES[figure](one), figure)


def test_equity(tmp_path) -> None:
    service = socialrx.synthetic(n_clients=300, n_comparison=300, seed=7, access_gap=0.5)
    service.events.to_parquet(tmp_path / "events.parquet", index=False)
    expected, streamed = (socialrx.Evaluation(clients=service.clients, events=events).equity(
        population=service.population) for events in (service.events, tmp_path / "events.parquet"))
    assert_same_result(streamed, expected)
    assert (expected.table["people"] > 0).all()  # every quintile's rate compared is a real one


def test_what_needs_every_event_says_what_to_do_instead(both) -> None:
    assert_not_partitioned(both[1])


HAND_RANGE = dict(data_start="2020-04-01", data_end="2024-03-31")


def hand_events() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Client 1 (index 2022-03-10) and 2 (index 2022-06-01), both covered by a 12-month (365-day)
    window in the data range; 99 a comparison patient."""
    clients = pd.DataFrame({"client_id": [1, 2], "referral_date": ["2022-03-01", "2022-05-20"],
                            "index_date": ["2022-03-10", "2022-06-01"]})
    events = pd.DataFrame([
        (1, "2021-03-10", "ae_attendance"),        # pre: index - 365 days, the window's first day
        (1, "2021-03-09", "ae_attendance"),        # a day before the window
        (1, "2021-12-01", "ae_attendance"),        # pre
        (1, "2022-05-01", "emergency_admission"),  # post
        (2, "2022-01-01", "ae_attendance"),        # pre
        (2, "2023-06-01", "ae_attendance"),        # post: index + 365 days, the window's last day
        (99, "2022-01-01", "ae_attendance"),       # a comparison patient's
        (1, "2030-01-01", "ae_attendance"),        # after the data
    ], columns=["person_id", "date", "kind"]).assign(date=lambda f: pd.to_datetime(f["date"]))
    return clients, events, pd.DataFrame({"patient_id": [99]})


@pytest.mark.parametrize("ids, dates, kinds", [
    (pa.int64(), pa.date32(), pa.string()),
    (pa.int32(), pa.timestamp("ns"), pa.dictionary(pa.int32(), pa.string())),
    (pa.uint16(), pa.timestamp("ms"), pa.dictionary(pa.int8(), pa.string())),
])
def test_arrow_columns_are_counted_as_they_are(tmp_path, ids, dates, kinds):
    clients, events, pool = hand_events()
    table = pa.table({"person_id": pa.array(events["person_id"]).cast(ids),
                      "date": pa.array(events["date"]).cast(dates), "kind": pa.array(events["kind"]).cast(kinds)})
    assert p.arrow_event_columns(table) is not None  # handed to the engine, not through pandas
    for i, rows in enumerate(((0, 3), (3, 8))):
        pq.write_table(table.slice(rows[0], rows[1] - rows[0]), tmp_path / f"part-{i}.parquet")
    streamed = Evaluation(clients=clients, events=tmp_path, comparison=pool, batch_rows=2, threads=2, **HAND_RANGE)
    got = streamed.utilisation(windows=12).set_index("kind")
    # A&E pre 3 (client 1's 2021-03-10 and Dec, client 2's Jan), post 1; the admission post.
    assert got.loc["ae_attendance", ["pre", "post"]].tolist() == [3, 1]
    assert got.loc["emergency_admission", ["pre", "post"]].tolist() == [0, 1]
    one = socialrx.Evaluation(clients=clients, events=events, comparison=pool, **HAND_RANGE)
    pd.testing.assert_frame_equal(streamed.exclusions(windows=12), one.exclusions(windows=12))


def test_a_part_of_several_chunks_is_gathered_into_arrays_the_thread_reuses():
    _, events, _ = hand_events()
    table = pa.Table.from_pandas(events, preserve_index=False)
    chunked = pa.concat_tables([table.slice(0, 3), table.slice(3)])
    fresh = p.arrow_event_columns(chunked)
    first = p.arrow_event_columns(chunked, reuse=True)
    for name in ("person_id", "date_ticks", "kind"):
        np.testing.assert_array_equal(first[name], fresh[name])
        np.testing.assert_array_equal(first[name], p.arrow_event_columns(table)[name])
    second = p.arrow_event_columns(pa.concat_tables([table.slice(0, 5), table.slice(5)]), reuse=True)
    assert np.shares_memory(first["person_id"], second["person_id"])  # the same memory, written again
    assert not np.shares_memory(fresh["person_id"], p.arrow_event_columns(chunked)["person_id"])


def test_columns_arrow_does_not_vouch_for_go_the_general_way():
    _, events, _ = hand_events()
    table = pa.Table.from_pandas(events, preserve_index=False)
    assert p.arrow_event_columns(table) is not None
    assert p.arrow_event_columns(table.append_column("count", pa.array([1] * 8))) is None
    assert p.arrow_event_columns(table.set_column(1, "date", pa.array(events["date"].astype(str)))) is None
    missing = pa.array([None] + [pd.Timestamp("2022-01-01")] * 7, pa.timestamp("ns"))
    assert p.arrow_event_columns(table.set_column(1, "date", missing)) is None
    assert p.arrow_event_columns(table.set_column(2, "kind", pa.array(["dentist"] + ["gp_surgery"] * 7))) is None
    assert p.arrow_event_columns(table.set_column(1, "date", pa.array([pd.Timestamp("2200-01-01")] * 8))) is None


@pytest.mark.parametrize("row, column, value", [
    (3, "kind", "dentist"), (2, "date", None), (4, "date", pd.Timestamp("2200-01-01")), (1, "person_id", 5)])
def test_a_bad_value_is_named_as_on_one_machine(tmp_path, row, column, value):
    clients, events, pool = hand_events()
    events[column] = events[column].astype(object)
    events.loc[row, column] = value
    if column == "date":
        events["date"] = pd.to_datetime(events["date"])
    events.to_parquet(tmp_path / "events.parquet", index=False)
    with pytest.raises(ValueError) as expected:
        socialrx.Evaluation(clients=clients, events=events, comparison=pool, **HAND_RANGE).utilisation(windows=12)
    with pytest.raises(ValueError) as got:
        Evaluation(clients=clients, events=tmp_path, comparison=pool, **HAND_RANGE).utilisation(windows=12)
    assert str(got.value) == str(expected.value)
    assert f"row {row}" in str(got.value)


def test_runs_fill_up_to_the_limit_and_a_larger_item_stands_alone():
    # 3 + 3 = 6 fills a run; 5 + 1 = 6 another; the next 1 would make 10 with the 9, which stands alone.
    runs = list(in_runs([3, 3, 5, 1, 1, 9], lambda size: size, 6))
    assert runs == [[3, 3], [5, 1], [1], [9]]
