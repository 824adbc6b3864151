#!/usr/bin/env python3
"""The CLI's table reader on fuzz bytes, then socialrx.Evaluation on what it read.

Input: a format byte, then the clients file, optionally followed by SEPARATOR and the events
file. The format byte picks CSV, gzipped CSV or Parquet (the bytes as they are, a hostile
file). Tables that read are evaluated: utilisation and exclusions over 6 and 12 months.
"""

from __future__ import annotations

import gzip

import _harness

import socialrx
from socialrx import _tables

FORMATS = ((".csv", bytes), (".csv.gz", gzip.compress), (".parquet", bytes))
SEPARATOR = b"\n\0events\0\n"  # not in a seed's CSV or Parquet bytes


def read(data: bytes, table: str, suffix: str, encode: object) -> object:
    path = _harness.scratch_file(table + suffix, encode(data))  # type: ignore[operator]
    return _tables.read_table(path, table)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    suffix, encode = FORMATS[data[0] % len(FORMATS)]
    clients_file, _, events_file = data[1:].partition(SEPARATOR)
    clients = read(clients_file, "clients", suffix, encode)
    events = read(events_file, "events", suffix, encode) if events_file else None
    evaluation = socialrx.Evaluation(clients=clients, events=events, threads=1)
    if events is not None:
        evaluation.utilisation()
        evaluation.exclusions()


if __name__ == "__main__":
    _harness.fuzz(test_one_input)
