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
from socialrx.out_of_core import Evaluation

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
