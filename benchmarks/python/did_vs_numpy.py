"""Bootstrap of the matched difference-in-differences: socialrx against vectorised numpy.

The setting is "match 10k clients against a 1M pool": a synthetic service is matched with
socialrx, then both contenders start from the same per-person pre/post counts and matched
sets, build one row per set (DiD and counterfactual post for every kind and money) and draw
2,000 bootstrap replicates of the sets, ending with percentile intervals. numpy resamples a
batch of replicates at once from an index matrix, two ways: a fancy-indexed gather and sum,
and times-drawn counts (bincount) multiplied into the rows by BLAS. Point
estimates are checked equal, and the intervals close (the random draws differ), before any
time is reported.

    python benchmarks/python/did_vs_numpy.py            # ~10k matched sets from a 1M pool
    python benchmarks/python/did_vs_numpy.py --smoke    # seconds, for CI
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import numpy as np

import socialrx
from socialrx import _core
from socialrx.did import _people, _sets, did
from socialrx.evaluation import EVENT_KINDS
from socialrx.matching import match

WINDOWS = (6, 12)
T = TypeVar("T")
Sums = Callable[[np.ndarray, np.ndarray], np.ndarray]


def gather_sums(rows: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Per replicate, the sum of the drawn sets' rows: a fancy-indexed gather."""
    return rows[draws].sum(axis=1)


def multiplicity_sums(rows: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """The same sums as times-drawn counts (bincount) times the rows: one BLAS product."""
    count, sets = draws.shape
    offsets = (np.arange(count) * sets)[:, None]
    times = np.bincount((draws + offsets).ravel(), minlength=count * sets).reshape(count, sets)
    return times.astype(float) @ rows


def numpy_bootstrap(counts: np.ndarray, included: np.ndarray, treated: np.ndarray, control: np.ndarray,
                    control_set: np.ndarray, weight: np.ndarray, unit: np.ndarray, replicates: int,
                    level: float, seed: int, sums_of: Sums = gather_sums, batch: int = 50) -> dict[str, np.ndarray]:
    """The same estimator as socialrx's engine, vectorised: [window][outcome] arrays."""
    money = np.einsum("wpks,k->wps", counts, unit)[:, :, None, :]
    y = np.concatenate([counts, money], axis=2).astype(float)  # [window][person][outcome][side]
    n_sets, outcomes = len(treated), y.shape[2]
    out = {name: np.full((len(counts), outcomes), np.nan) for name in ("did", "low", "high")}
    for w in range(len(counts)):
        covered = included[w].astype(bool)
        kept = np.where(covered[control], weight, 0.0)
        weight_sum = np.bincount(control_set, kept, minlength=n_sets)
        change = y[w, control, :, 1] - y[w, control, :, 0]  # [control row][outcome]
        control_change = np.stack([np.bincount(control_set, kept * change[:, o], minlength=n_sets)
                                   for o in range(outcomes)], axis=1)
        counting = covered[treated] & (weight_sum > 0)
        control_change = control_change[counting] / weight_sum[counting, None]
        t = y[w, treated[counting]]
        d = t[:, :, 1] - t[:, :, 0] - control_change
        rows = np.concatenate([d, t[:, :, 0] + control_change], axis=1)  # [set][did | cf]
        sets = len(rows)
        out["did"][w] = d.mean(axis=0)
        rng = np.random.default_rng([seed, w])
        draws = np.empty((replicates, outcomes))
        for first in range(0, replicates, batch):
            count = min(batch, replicates - first)
            sums = sums_of(rows, rng.integers(0, sets, size=(count, sets)))
            draws[first:first + count] = sums[:, :outcomes] / sets
        out["low"][w], out["high"][w] = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return out


def best_of(repeats: int, job: Callable[[], T]) -> tuple[float, T]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=14_000, help="referred (about 70%% connect)")
    parser.add_argument("--comparison", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="socialrx threads (0: all)")
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.comparison, args.replicates, args.repeats = 1500, 20_000, 200, 1

    s = socialrx.synthetic(n_clients=args.clients, n_comparison=args.comparison, seed=7, true_effect=0.2)
    ev = socialrx.Evaluation(clients=s.clients, events=s.events, comparison=s.comparison, tariff="example",
                             data_start=s.data_start, data_end=s.data_end)
    start = time.perf_counter()
    m = match(ev, seed=1)
    matches, pseudo = m.matches(), m.comparison_index_dates()
    print(f"{len(s.clients):,} clients, {len(s.comparison):,} comparison patients, {len(s.events):,} events; "
          f"matched {matches['set_id'].nunique():,} sets in {time.perf_counter() - start:.2f} s")

    # Shared inputs: per-person counts of clients and matched patients, and the sets.
    view, others, client_row, control = _people(ev, matches, pseudo)
    control_set, treated = _sets(matches, client_row)
    control = control.astype(np.int32)
    weight = matches["weight"].to_numpy(float)
    events, tariff = ev.event_columns, ev.tariff
    assert events is not None and tariff is not None and ev.data_start is not None and ev.data_end is not None
    counts = _core.count_utilisation(
        client_id=view["client_id"], referral_date=view["referral_date"], index_date=view["index_date"],
        discharge_date=view["discharge_date"], group=np.empty(0, np.int32), groups=1, other_ids=others,
        person_id=events["person_id"], date=events["date"], kind=events["kind"], data_start=ev.data_start,
        data_end=ev.data_end, windows=[_core.window_days(w) for w in WINDOWS], threads=args.threads,
        per_person=True)
    unit = np.zeros(len(EVENT_KINDS), np.int64)
    for kind, (pence, _) in tariff.unit_costs.items():
        unit[EVENT_KINDS.index(kind)] = pence

    def ours() -> tuple[dict[str, Any], dict[str, Any]]:
        engine = _core.DidBootstrap(counts, treated, control, control_set, weight, tariff, 1)
        engine.run(args.replicates, args.threads)
        return engine.estimates(), engine.intervals(0.95)

    def theirs(sums_of: Sums) -> dict[str, np.ndarray]:
        return numpy_bootstrap(counts.counts, counts.clients_included, treated, control, control_set, weight,
                               unit, args.replicates, 0.95, 1, sums_of)

    ours_s, (estimates, intervals) = best_of(args.repeats, ours)
    peers: dict[str, float] = {}
    for name, sums_of in (("gather", gather_sums), ("multiplicity", multiplicity_sums)):
        peers[name], peer = best_of(args.repeats, partial(theirs, sums_of))
        np.testing.assert_allclose(estimates["did"], peer["did"], rtol=1e-12, atol=1e-9)
        width = peer["high"] - peer["low"]
        for bound, peer_bound in (("did_low", "low"), ("did_high", "high")):
            close = np.abs(intervals[bound] - peer[peer_bound]) <= 0.2 * width + 1e-12
            assert close[np.isfinite(width)].all(), bound
    end_to_end_s, _ = best_of(args.repeats, lambda: did(ev, matches, pseudo, windows=WINDOWS,
                                                       bootstrap=args.replicates, threads=args.threads,
                                                       progress=False))

    sets = int(estimates["sets"].max())
    print(f"{args.replicates:,} replicates x {sets:,} sets x {len(WINDOWS)} windows")
    print(f"socialrx DidBootstrap (threads={args.threads}):  best {ours_s:.3f} s of {args.repeats}")
    print(f"numpy, rows[draws].sum (gather):        best {peers['gather']:.3f} s of {args.repeats}"
          f"  ratio {peers['gather'] / ours_s:.1f}x")
    print(f"numpy, bincount(draws) @ rows (BLAS):   best {peers['multiplicity']:.3f} s of {args.repeats}"
          f"  ratio {peers['multiplicity'] / ours_s:.1f}x")
    print(f"socialrx did() end to end from the Evaluation (counting included): {end_to_end_s:.3f} s")


if __name__ == "__main__":
    main()
