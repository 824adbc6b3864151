#!/usr/bin/env python3
"""socialrx.load_tariff and socialrx.load_framework on a JSON file of fuzz bytes.

The first byte picks the loader; the rest is the file. A tariff that loads is repriced to
every year of its own uprating index.
"""

from __future__ import annotations

import _harness

import socialrx


def load_tariff(path: object) -> None:
    tariff = socialrx.load_tariff(path)
    for year in tariff.uprating_index:
        with _harness.input_errors():
            socialrx.load_tariff(tariff, price_year=year)


LOADERS = (load_tariff, socialrx.load_framework)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    loader = LOADERS[data[0] % len(LOADERS)]
    loader(_harness.scratch_file("document.json", data[1:]))


if __name__ == "__main__":
    _harness.fuzz(test_one_input)
