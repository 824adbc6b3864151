"""Windowed utilisation + cost avoidance: socialrx against an idiomatic pandas implementation.

Both start from the same DataFrames (clients, shuffled events) and end with the same table:
pre and post counts and pence avoided per window and event kind; conversions are timed.
The two results are checked equal before any time is reported.

    python benchmarks/python/utilisation_vs_pandas.py                 # 1M people, 50M+ events
    python benchmarks/python/utilisation_vs_pandas.py --smoke         # seconds, for CI
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

import socialrx

WINDOWS = (6, 12)


def pandas_job(clients: pd.DataFrame, events: pd.DataFrame, data_start: pd.Timestamp,
               data_end: pd.Timestamp, unit_costs: pd.Series) -> pd.DataFrame:
    """What an analyst would write: merge events onto index dates, mask windows, group by kind."""
    connected = clients.loc[clients["index_date"].notna(), ["client_id", "index_date"]]
    in_range = events[(events["date"] >= data_start) & (events["date"] <= data_end)]
    merged = in_range.merge(connected, left_on="person_id", right_on="client_id", how="inner")
    offset = (merged["date"] - merged["index_date"]).dt.days
    tables = []
    for months in WINDOWS:
        days = round(months * 365.25 / 12)
        span = pd.Timedelta(days=days)
        covered = (merged["index_date"] - span >= data_start) & (merged["index_date"] + span <= data_end)
        pre = merged[covered & (offset >= -days) & (offset < 0)].groupby("kind", observed=True).size()
        post = merged[covered & (offset > 0) & (offset <= days)].groupby("kind", observed=True).size()
        table = pd.DataFrame({"pre": pre, "post": post}).fillna(0).astype("int64")
        table["avoided_pence"] = (table["pre"] - table["post"]) * unit_costs.reindex(table.index)
        table["window"] = f"{months}m"
        tables.append(table.reset_index())
    return pd.concat(tables, ignore_index=True)


PHASES: list[tuple[float, float]] = []  # socialrx's runs: (tables checked and converted, counting)


def socialrx_job(clients: pd.DataFrame, events: pd.DataFrame, data_start: pd.Timestamp,
                 data_end: pd.Timestamp, comparison: pd.DataFrame) -> pd.DataFrame:
    start = time.perf_counter()
    ev = socialrx.Evaluation(clients=clients, events=events, comparison=comparison, tariff="example",
                             data_start=data_start, data_end=data_end)
    checked = time.perf_counter()
    table = ev.cost_avoidance(windows=WINDOWS)
    PHASES.append((checked - start, time.perf_counter() - checked))
    return table


def timed(job: Callable[..., pd.DataFrame], *args: Any) -> tuple[float, pd.DataFrame]:
    start = time.perf_counter()
    result = job(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--comparison", type=int, default=1_000_000)
    parser.add_argument("--min-events", type=int, default=50_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.comparison, args.min_events, args.repeats = 20_000, 20_000, 0, 1

    data = socialrx.synthetic(n_clients=args.clients, n_comparison=args.comparison, seed=7)
    events = data.events
    while len(events) < args.min_events:  # repeat the table: both contenders count every copy
        events = pd.concat([events, data.events], ignore_index=True)
    events = events.sample(frac=1.0, random_state=1, ignore_index=True)  # unsorted, as extracts come
    print(f"{len(data.clients):,} clients, {len(data.comparison):,} comparison patients, "
          f"{len(events):,} events (shuffled)")
    unit_costs = socialrx.tariff_table(socialrx.load_tariff()).set_index("kind")["unit_cost_pence"]

    ours, theirs = [], []
    for _ in range(args.repeats):
        seconds, ours_table = timed(socialrx_job, data.clients, events, data.data_start, data.data_end,
                                    data.comparison)
        ours.append(seconds)
        seconds, pandas_table = timed(pandas_job, data.clients, events, data.data_start, data.data_end,
                                      unit_costs)
        theirs.append(seconds)

    merged = ours_table.merge(pandas_table, on=["window", "kind"], suffixes=("", "_pandas"))
    for column in ("pre", "post", "avoided_pence"):
        assert (merged[column].astype("int64") == merged[f"{column}_pandas"]).all(), column
    assert len(merged) == len(pandas_table) == (ours_table["pre"] + ours_table["post"] > 0).sum()

    best_ours, best_theirs = min(ours), min(theirs)
    print(f"socialrx (end to end from DataFrames): best {best_ours:.3f} s of {args.repeats}")
    tables, counting = PHASES[ours.index(best_ours)]
    print(f"  of which Evaluation(...) {tables:.3f} s (tables checked, dates to days), "
          f"cost_avoidance {counting:.3f} s")
    print(f"pandas merge + groupby:                best {best_theirs:.3f} s of {args.repeats}")
    print(f"ratio pandas / socialrx: {best_theirs / best_ours:.1f}x  "
          f"({len(events) / best_ours / 1e6:.0f}M events/s end to end)")


if __name__ == "__main__":
    main()
