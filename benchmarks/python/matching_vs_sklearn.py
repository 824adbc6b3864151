"""Propensity-score matching: socialrx against numpy + scikit-learn doing the same steps.

Both start from the same DataFrames (clients, comparison pool, shuffled events) and do:
pseudo index dates for the pool drawn from the clients' index dates, prior use per event kind
in the 12 months before the (pseudo) index date, age / sex / deprivation, a logistic
regression (no penalty) for the propensity score, 1:1 nearest-neighbour matching on its logit
without replacement (greedy, highest score first) within 0.2 SD of the logit, and SMDs before
and after. The two draw different pseudo dates (different generators), so matches are not
identical: the check is that both match nearly as many clients and balance every covariate.

    python benchmarks/python/matching_vs_sklearn.py            # 10k clients, 1M-patient pool
    python benchmarks/python/matching_vs_sklearn.py --smoke    # seconds, for CI

Figures, with the command, are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

import socialrx
from socialrx.matching import match

LOOKBACK = 365  # 12 months
KINDS = list(socialrx.EVENT_KINDS)


def days(values: pd.Series) -> np.ndarray:
    return values.to_numpy().astype("datetime64[D]").astype(np.int64)


def smd(x: np.ndarray, treated: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    def moments(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = np.ones(rows.sum()) if weight is None else weight[rows]
        mean = np.average(x[rows], axis=0, weights=w)
        total = w.sum()
        var = (w[:, None] * (x[rows] - mean) ** 2).sum(axis=0) / (total - (w ** 2).sum() / total)
        return mean, var

    (mt, vt), (mc, vc) = moments(treated), moments(~treated)
    return (mt - mc) / np.sqrt((vt + vc) / 2)


def sklearn_job(clients: pd.DataFrame, comparison: pd.DataFrame, events: pd.DataFrame,
                data_start: pd.Timestamp, seed: int) -> dict[str, Any]:
    """What an analyst would write with numpy, pandas and scikit-learn."""
    start = np.datetime64(data_start, "D").astype(np.int64)
    index = days(clients["index_date"].fillna(pd.Timestamp(0)))
    eligible = clients["index_date"].notna().to_numpy() & (index - LOOKBACK >= start)
    client_index = index[eligible]
    rng = np.random.default_rng(seed)
    pseudo = rng.choice(client_index, size=len(comparison))

    ids = np.concatenate([clients["client_id"].to_numpy()[eligible], comparison["patient_id"].to_numpy()])
    person_index = np.concatenate([client_index, pseudo])
    position = pd.Index(ids).get_indexer(events["person_id"].to_numpy())  # hashed: -1 for others
    found = position >= 0
    row = position[found]
    offset = person_index[row] - days(events["date"])[found]
    kind = events["kind"].cat.codes.to_numpy()[found]
    prior = (offset >= 1) & (offset <= LOOKBACK)
    counts = np.bincount(row[prior] * len(KINDS) + kind[prior],
                         minlength=len(ids) * len(KINDS)).reshape(len(ids), len(KINDS))
    counts = counts[:, counts.any(axis=0)]

    year = person_index.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    birth = np.concatenate([clients["birth_year"].to_numpy()[eligible], comparison["birth_year"].to_numpy()])
    female = np.concatenate([(clients["sex"] == "female").to_numpy()[eligible],
                             (comparison["sex"] == "female").to_numpy()])
    decile = np.concatenate([clients["deprivation_decile"].to_numpy()[eligible],
                             comparison["deprivation_decile"].to_numpy()])
    x = np.column_stack([year - birth, female, decile, counts]).astype(float)
    treated = np.arange(len(ids)) < eligible.sum()

    model = LogisticRegression(C=np.inf, max_iter=1000).fit(x, treated)
    logit = model.decision_function(x)
    lt, lc = logit[treated], logit[~treated]
    caliper = 0.2 * np.sqrt((lt.var(ddof=1) + lc.var(ddof=1)) / 2)

    tree = NearestNeighbors(n_neighbors=1).fit(lc[:, None])
    want = 20
    distance, neighbour = tree.kneighbors(lt[:, None], n_neighbors=want)
    used = np.zeros(len(lc), bool)
    match_of = np.full(len(lt), -1)
    for t in np.argsort(-lt, kind="stable"):
        d, n = distance[t], neighbour[t]
        while True:
            free = ~used[n] & (d <= caliper)
            if free.any() or d[-1] > caliper or len(n) >= len(lc):
                break
            d, n = (a[0] for a in tree.kneighbors(lt[t:t + 1, None], n_neighbors=min(4 * len(n), len(lc))))
        if free.any():
            c = n[np.argmax(free)]
            used[c] = True
            match_of[t] = c
    weight = np.zeros(len(ids))
    weight[np.flatnonzero(treated)[match_of >= 0]] = 1.0
    weight[np.flatnonzero(~treated)[used]] = 1.0
    return {"matched": int((match_of >= 0).sum()), "eligible": int(treated.sum()),
            "smd_before": smd(x, treated), "smd_after": smd(x, treated, weight)}


def socialrx_job(data: socialrx.SyntheticService, events: pd.DataFrame, seed: int, threads: int) -> dict[str, Any]:
    ev = socialrx.Evaluation(clients=data.clients, events=events, comparison=data.comparison,
                             data_start=data.data_start, data_end=data.data_end, threads=threads)
    converted = time.perf_counter()
    # The look-back covariates the scikit-learn job has (the default adds the baseline before it).
    m = match(ev, seed=seed, covariates=["age", "female", "deprivation_decile", *(f"prior_{k}" for k in KINDS)])
    s, balance = m.summary(), m.balance()
    return {"matched": int(s["matched_clients"]), "eligible": int(s["eligible_clients"]),
            "smd_before": balance["smd_before"].to_numpy(), "smd_after": balance["smd_after"].to_numpy(),
            "converted": converted}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--comparison", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in seconds")
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.comparison, args.repeats = 1_000, 20_000, 1

    data = socialrx.synthetic(n_clients=args.clients, n_comparison=args.comparison, seed=7)
    events = data.events.sample(frac=1.0, random_state=1, ignore_index=True)
    print(f"{len(data.clients):,} clients, {len(data.comparison):,} comparison patients, "
          f"{len(events):,} events (shuffled)")

    ours, ours_match, theirs = [], [], []
    for repeat in range(args.repeats):
        started = time.perf_counter()
        mine = socialrx_job(data, events, seed=repeat + 1, threads=args.threads)
        finished = time.perf_counter()
        ours.append(finished - started)
        ours_match.append(finished - mine["converted"])
        started = time.perf_counter()
        reference = sklearn_job(data.clients, data.comparison, events, data.data_start, seed=repeat + 1)
        theirs.append(time.perf_counter() - started)
        for name, r in (("socialrx", mine), ("scikit-learn", reference)):
            if not np.all(np.abs(r["smd_after"]) < 0.1):
                raise SystemExit(f"{name}: a covariate is unbalanced after matching: {r['smd_after']}")
        if abs(mine["matched"] - reference["matched"]) > 0.02 * mine["eligible"] + 5:
            raise SystemExit(f"matched counts differ: socialrx {mine['matched']}, scikit-learn {reference['matched']}")
    print(f"eligible clients {mine['eligible']:,}; matched: socialrx {mine['matched']:,}, "
          f"scikit-learn {reference['matched']:,}")
    best, best_match, reference_best = min(ours), min(ours_match), min(theirs)
    print(f"socialrx      {best:8.3f} s  (tables in + match; matching alone {best_match:.3f} s)")
    print(f"scikit-learn  {reference_best:8.3f} s")
    print(f"ratio         {reference_best / best:8.1f}x  (matching alone: {reference_best / best_match:.1f}x)")


if __name__ == "__main__":
    main()
