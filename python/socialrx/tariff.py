"""Tariffs: unit costs per event kind in pence, with their sources and an uprating index."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Union

import pandas as pd

from . import _core

Tariff = _core.Tariff
TariffSource = Union[str, os.PathLike[str], Mapping[str, Any], Tariff]

EXAMPLE_TARIFF = "example"
_EMBEDDED = {EXAMPLE_TARIFF: "tariffs/example_2023-24.json"}


def load_tariff(source: TariffSource = EXAMPLE_TARIFF, *, price_year: str | None = None) -> Tariff:
    """Load a tariff and optionally reprice it to another NHS financial year.

    ``source`` is a JSON file path, the JSON document as a dict, an already loaded ``Tariff``,
    or ``"example"`` for the illustrative tariff built into the library (not a published price).
    ``price_year`` (e.g. ``"2024/25"``) reprices every unit cost with the tariff's uprating index.
    """
    if isinstance(source, Tariff):
        tariff = source
    elif isinstance(source, Mapping):
        tariff = _core.tariff_from_json(json.dumps(source), "tariff")
    elif str(source) in _EMBEDDED:
        tariff = _core.tariff_from_json(_core.embedded_file(_EMBEDDED[str(source)]), str(source))
    else:
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"tariff: no file {str(path)!r} (give a JSON path, a dict or 'example')")
        tariff = _core.tariff_from_json(path.read_text(encoding="utf-8"), path.name)
    return _core.reprice(tariff, price_year) if price_year else tariff


def is_illustrative(tariff: Tariff) -> bool:
    """Whether the tariff is socialrx's illustrative example (not published prices): every output
    that prices an event says so where it does."""
    return "example" in str(tariff.name).lower()


ILLUSTRATIVE_WARNING = ("These unit costs are the illustrative example tariff shipped with socialrx, not published "
                        "prices: load your own tariff for a real evaluation.")


def tariff_table(tariff: Tariff) -> pd.DataFrame:
    """One row per priced kind: kind, unit_cost_pence, source, price_year."""
    rows = [
        {"kind": kind, "unit_cost_pence": pence, "source": source, "price_year": tariff.price_year}
        for kind, (pence, source) in tariff.unit_costs.items()
    ]
    return pd.DataFrame(rows, columns=["kind", "unit_cost_pence", "source", "price_year"])
