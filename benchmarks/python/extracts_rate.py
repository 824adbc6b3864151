"""Rows per second of the NHS extract readers, beside what reading the file alone costs.

For each reader (ecds, gp_appointments, apc_spells, ambulance, nhs111) this makes one synthetic
extract of ``--rows`` rows (its codes drawn from the shipped code maps, a few unknown and
missing), then times the reader, best of ``--repeat``, with and without ``pseudonymise_key``
(person ids then NHS numbers as text), from three sources: an Arrow table whose codes are
dictionary-encoded (as Parquet stores them), the same table with plain strings, and a Parquet
file. Wall and CPU time (all threads of this process) are printed as rows/s.

The peer, timed in the same run over the same file and codes: ``pq.read_table`` of the Parquet
file, plus a pandas ``isin`` filter of the frame's code columns against the same known codes
(the least any reader must do: read the rows and keep the ones whose codes are known). The
ratio is the reader's wall time over the peer's.

``--linkage`` times ``linkage.pseudonymise_valid`` alone over the NHS numbers as text, at
``--rows`` and a fifth of it (the same people, so fewer rows per number), against Python's own
way: ``pd.factorize`` of the text, then ``hmac.digest`` of each distinct number.

    PYTHONPATH=python python benchmarks/python/extracts_rate.py              # 5M rows per reader
    PYTHONPATH=python python benchmarks/python/extracts_rate.py --rows 500000 --repeat 2
    PYTHONPATH=python python benchmarks/python/extracts_rate.py --readers apc_spells --spells multi --key no
    PYTHONPATH=python python benchmarks/python/extracts_rate.py --linkage
"""

from __future__ import annotations

import argparse
import hmac
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from socialrx import extracts, linkage
from socialrx.extracts._read import normalised_code

KEY = b"a benchmark key of thirty-two bytes!"
PEOPLE = 200_000
FIRST_DAY = np.datetime64("2022-04-01", "D")
DAYS = 730
MAPS = {"attendance_category": "ecds_attendance_category", "appointment_mode": "gp_appointment_mode",
        "appointment_status": "gp_appointment_status", "admission_method": "admission_method",
        "outcome": "ambulance_outcome"}


@dataclass(frozen=True)
class Reader:
    """One reader, its date column and its coded columns with the codes drawn for them."""

    name: str
    read: Callable[..., Any]
    date: str
    codes: dict[str, list[str]]


READERS = [
    Reader("ecds", extracts.ecds, "arrival_date", {"attendance_category": ["1", "2", "3", "4", "9"]}),
    Reader("gp_appointments", extracts.gp_appointments, "appointment_date", {
        "appointment_mode": ["Face-to-Face", "Telephone", "Home Visit", "Video Conference/Online", "Unknown"],
        "appointment_status": ["Attended", "Attended", "Attended", "DNA", "Cancelled by Patient"]}),
    Reader("apc_spells", extracts.apc_spells, "admission_date", {"admission_method": ["21", "22", "11", "31", "2A"]}),
    Reader("ambulance", extracts.ambulance, "incident_date", {"outcome": ["Hear and Treat", "See and Treat",
                                                                          "See and Convey", "Other"]}),
    Reader("nhs111", extracts.nhs111, "call_date", {}),
]


def nhs_numbers(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct valid NHS numbers (Modulus 11) as text."""
    stems = rng.permutation(np.unique(rng.integers(100_000_000, 1_000_000_000, count * 2)))
    digits = (stems[:, None] // 10 ** np.arange(8, -1, -1)) % 10
    check = (11 - (digits * np.arange(10, 1, -1)).sum(axis=1) % 11) % 11
    valid = check != 10  # a stem whose check digit would be 10 has no valid number
    numbers = stems[valid][:count] * 10 + (check[valid][:count] % 11)
    return numbers.astype("U10")


def extract_table(reader: Reader, rows: int, nhs_number: bool, rng: np.random.Generator, spells: str = "one"
                  ) -> pa.Table:
    """A synthetic extract: people, dates and codes (1 in 1,000 codes missing), dictionary-encoded;
    for ``apc_spells`` one episode per spell in spell order, or (``spells="multi"``) several."""
    who = rng.integers(0, PEOPLE, rows)
    person = pa.array(nhs_numbers(PEOPLE, rng)[who]) if nhs_number else pa.array(who.astype(np.int64) + 1)
    day = FIRST_DAY + rng.integers(0, DAYS, rows)
    columns: dict[str, pa.Array] = {"person_id": person, reader.date: pa.array(day)}
    for column, codes in reader.codes.items():
        index = rng.integers(0, len(codes), rows).astype(np.int32)
        missing = rng.random(rows) < 0.001
        columns[column] = pa.DictionaryArray.from_arrays(pa.array(index, mask=missing), pa.array(codes))
    if reader.name == "apc_spells" and spells == "one":  # one spell per episode, discharged within a fortnight
        columns["discharge_date"] = pa.array(day + rng.integers(0, 14, rows))
        columns["spell_id"] = pa.array(np.arange(rows, dtype=np.int64))
    elif reader.name == "apc_spells":
        return multi_episode_spells(pa.table(columns), rng)
    return pa.table(columns)


def multi_episode_spells(table: pa.Table, rng: np.random.Generator) -> pa.Table:
    """The extract as spells of 2.5 episodes on average (drawn at random) in shuffled rows: each spell's
    episodes share its person, admission day and a scattered 64-bit spell_id, have an
    episode_order, and only the last has the discharge date (as HES records it)."""
    rows = table.num_rows
    spell = np.sort(rng.integers(0, rows * 2 // 5, rows))  # rows of one spell together, then shuffled
    first = np.flatnonzero(np.r_[True, spell[1:] != spell[:-1]])
    opened = np.repeat(first, np.diff(np.r_[first, rows]))
    last = np.r_[first[1:] - 1, rows - 1]
    admitted = table["admission_date"].to_numpy()[opened]
    discharged = np.full(rows, np.datetime64("NaT"), "datetime64[D]")
    discharged[last] = admitted[last] + rng.integers(0, 14, len(last))
    shuffled = rng.permutation(rows)
    return table.set_column(0, "person_id", pa.array(table["person_id"].to_numpy()[opened])).set_column(
        table.column_names.index("admission_date"), "admission_date", pa.array(admitted)).append_column(
        "discharge_date", pa.array(discharged)).append_column(
        "spell_id", pa.array(rng.integers(0, 2**62, rows)[opened])).append_column(
        "episode_order", pa.array((np.arange(rows) - opened + 1).astype(np.int32))).take(shuffled)


def plain(table: pa.Table) -> pa.Table:
    """The table with its dictionary columns as plain strings."""
    return pa.table({name: column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
                     for name, column in zip(table.column_names, table.columns)})


def best(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The fastest wall time of ``repeat`` runs, and the CPU time of that run."""
    times = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(times)


def known_codes(reader: Reader) -> dict[str, list[str]]:
    """The codes of each coded column that its shipped map sends somewhere (the peer keeps
    those rows)."""
    found = {}
    for column, codes in reader.codes.items():
        targets = extracts.shipped_map(MAPS[column]).targets
        found[column] = [code for code in dict.fromkeys(codes) if normalised_code(code) in targets]
    return found


def peer(reader: Reader, path: Path, repeat: int) -> float:
    """Wall time of reading the Parquet file with pyarrow and filtering its codes in pandas."""
    read_wall, _ = best(lambda: pq.read_table(path), repeat)
    frame = pq.read_table(path).to_pandas()
    known = known_codes(reader)

    def keep() -> pd.DataFrame:
        rows = frame[reader.date].notna().to_numpy().copy()
        for column, codes in known.items():
            rows &= frame[column].isin(codes).to_numpy()
        return frame[rows]

    filter_wall, _ = best(keep, repeat)
    return read_wall + filter_wall


def rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds / 1e6:6.1f}M"


def measure(reader: Reader, rows: int, repeat: int, folder: Path, spells: str, keys: list[str]) -> None:
    rng = np.random.default_rng(1)
    for keyed in (key == "yes" for key in keys):
        table = extract_table(reader, rows, keyed, rng, spells)
        path = folder / f"{reader.name}_{keyed}.parquet"
        pq.write_table(table, path)
        peer_wall = peer(reader, path, repeat)
        key = {"pseudonymise_key": KEY} if keyed else {}
        print(f"{reader.name:16} key={'yes' if keyed else 'no ':3} peer (pq.read_table + pandas isin) "
              f"{rate(rows, peer_wall)} rows/s", flush=True)
        for source_name, source in (("arrow dictionary", table), ("arrow strings", plain(table)),
                                    ("parquet path", path)):
            wall, cpu = best(partial(reader.read, source, **key), repeat)
            print(f"{'':16} {source_name:17} wall {rate(rows, wall)} rows/s  cpu {rate(rows, cpu)} rows/s  "
                  f"{wall / peer_wall:4.1f}x the peer's time", flush=True)


def by_python_hmac(numbers: pa.Array) -> np.ndarray:
    """Pseudonyms the standard library's way: each distinct number's HMAC, then one gather."""
    codes, distinct = pd.factorize(numbers.to_numpy(zero_copy_only=False))
    digests = b"".join([hmac.digest(KEY, number.encode("ascii"), "sha256") for number in distinct])
    first_eight = np.frombuffer(digests, dtype=">u8").reshape(-1, 4)[:, 0] & ((1 << 63) - 1)
    return np.asarray(first_eight.astype(np.int64)[codes])


def measure_linkage(rows: int, repeat: int) -> None:
    for count in (rows, rows // 5):
        rng = np.random.default_rng(1)
        numbers = pa.array(nhs_numbers(PEOPLE, rng)[rng.integers(0, PEOPLE, count)])
        peer_wall, peer_cpu = best(partial(by_python_hmac, numbers), repeat)
        wall, cpu = best(partial(linkage.pseudonymise_valid, numbers, key=KEY), repeat)
        if not np.array_equal(linkage.pseudonymise_valid(numbers, key=KEY)[0], by_python_hmac(numbers)):
            raise AssertionError("pseudonymise_valid and Python's hmac disagree")
        print(f"pseudonymise_valid {count:>11,} rows of {PEOPLE:,} people: wall {rate(count, wall)} rows/s  "
              f"cpu {rate(count, cpu)} rows/s; Python's hmac {rate(count, peer_wall)} ({rate(count, peer_cpu)}); "
              f"{wall / peer_wall:5.2f}x its time", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--readers", nargs="*", default=[r.name for r in READERS])
    parser.add_argument("--spells", choices=["one", "multi"], default="one",
                        help="apc_spells: one episode per spell in spell order (default), or spells of 2.5 "
                             "episodes on average with an episode order, scattered spell ids and shuffled rows")
    parser.add_argument("--key", nargs="*", choices=["no", "yes"], default=["no", "yes"],
                        help="without a pseudonymisation key, with one, or both (default)")
    parser.add_argument("--linkage", action="store_true", help="time pseudonymise_valid alone")
    args = parser.parse_args()
    if args.linkage:
        measure_linkage(args.rows, args.repeat)
        return
    print(f"{args.rows:,} rows per extract, best of {args.repeat}; rows/s wall and CPU (all threads)")
    with tempfile.TemporaryDirectory() as folder:
        for reader in READERS:
            if reader.name in args.readers:
                measure(reader, args.rows, args.repeat, Path(folder), args.spells, args.key)


if __name__ == "__main__":
    main()
