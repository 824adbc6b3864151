"""What a part of the events costs beyond its own events: the people checked, placed and indexed
again for every part (``_core.count_utilisation``, as each part was counted before) against once
for all the parts (``_core.UtilisationCounter``, as ``socialrx.partitioned.EventCounter`` counts
now).

The people are those of a national-scale population (1.5% of patients clients, numbered with
the comparison pool in one interleaved range, as ``socialrx.synthetic_parquet`` numbers them),
each part 100,000 events of theirs; counted by the whole service (two windows) and per person
(matching and the DiD). Best of 5 rounds of 20 parts each, the two ways alternated, one thread.

    PYTHONPATH=python python benchmarks/python/placed_people.py
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from socialrx import _core

PATIENTS = (1_000_000, 3_000_000)  # 1/60 and 1/20 of England
PART_EVENTS = 100_000
WINDOWS = [182, 365]
DATA = (17_987, 20_178)  # 2019-04-01 to 2025-03-31, as days since 1970


def people(patients: int, random: np.random.Generator) -> dict[str, Any]:
    """Clients and comparison pool, ids 1..patients shuffled between them."""
    ids = random.permutation(np.arange(1, patients + 1, dtype=np.int64))
    clients = np.sort(ids[: patients * 3 // 200])
    index = random.integers(DATA[0] + 400, DATA[1] - 400, len(clients)).astype(np.int32)
    return {"client_id": clients, "referral_date": index - 10, "index_date": index,
            "discharge_date": np.empty(0, np.int32), "group": np.empty(0, np.int32), "groups": 1,
            "other_ids": np.sort(ids[len(clients):]), "data_start": DATA[0], "data_end": DATA[1],
            "windows": WINDOWS}


def best_ms(*counts: Callable[[], Any]) -> list[float]:
    """Each count's best of 5 rounds of 20 parts, in milliseconds a part, the rounds alternated."""
    rounds: list[list[float]] = [[] for _ in counts]
    for _ in range(5):
        for count, seconds in zip(counts, rounds):
            started = time.perf_counter()
            for _ in range(20):
                count()
            seconds.append((time.perf_counter() - started) / 20 * 1e3)
    return [min(seconds) for seconds in rounds]


def main() -> None:
    random = np.random.default_rng(1)
    for patients in PATIENTS:
        who = people(patients, random)
        everyone = np.concatenate([who["client_id"], who["other_ids"]])
        part: dict[str, Any] = {"person_id": random.choice(everyone, PART_EVENTS),
                                "date": random.integers(DATA[0], DATA[1], PART_EVENTS).astype(np.int32),
                                "kind": random.integers(0, 4, PART_EVENTS).astype(np.uint8)}
        for per_person in (False, True):
            counter = _core.UtilisationCounter(**who, per_person=per_person)
            again, once = best_ms(partial(_core.count_utilisation, **who, **part, threads=1, per_person=per_person),
                                  partial(counter.count, **part, threads=1))
            print(f"{patients:>9,} patients ({len(who['client_id']):,} clients), "
                  f"{'per person' if per_person else 'by service'}: placed each part {again:6.2f} ms, "
                  f"placed once {once:6.2f} ms a part of {PART_EVENTS:,} events ({again / once:.1f}x)")


if __name__ == "__main__":
    main()
