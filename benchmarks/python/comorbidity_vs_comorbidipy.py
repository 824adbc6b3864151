"""Charlson + Elixhauser from long-format diagnoses: socialrx against comorbidipy.

Both start from the same DataFrame (patient id, clean undotted ICD-10 code; comorbidipy does
not normalise codes) and end with a score per patient. Scores are checked before any time is
reported: identical on every patient except the one documented comorbidipy difference (Quan
2011 AIDS/HIV weight 2 instead of the published 4, data/risk/README.md) and comorbidipy's
clamping of Elixhauser scores at 0 (the same README, point 4). The Elixhauser prefixes that map
to two categories are left out of the codes drawn: comorbidipy 0.5.0 flags only one of them.

    pip install comorbidipy
    python benchmarks/python/comorbidity_vs_comorbidipy.py              # 1M patients x 10 codes
    python benchmarks/python/comorbidity_vs_comorbidipy.py --smoke      # seconds
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from socialrx.risk.comorbidity import charlson, comorbidity_map, elixhauser

DATA = Path(__file__).resolve().parents[2] / "data" / "risk"
T = TypeVar("T")


def import_comorbidipy() -> Any:
    """comorbidipy 0.5.0 imports a warning class that pandas 3 no longer has."""
    common: Any = importlib.import_module("pandas.core.common")  # internals: pandas' stubs leave them out

    if not hasattr(common, "SettingWithCopyWarning"):
        common.SettingWithCopyWarning = getattr(pd.errors, "SettingWithCopyWarning", Warning)
    import comorbidipy

    return comorbidipy


def diagnoses(patients: int, codes_per_patient: int, seed: int) -> pd.DataFrame:
    """Map entries, sub-codes of them and codes matching nothing, uniformly drawn."""
    multi = json.loads((DATA / "elixhauser_icd10_quan2005.json").read_text())["multi_mapped_codes"]["prefixes"]
    entries = sorted({code for name in ("charlson_quan2005", "elixhauser_quan2005")
                      for codes in comorbidity_map(name)["codes"] for code in codes})
    unmatched = [f"{letter}{n:02d}" for letter in "RSTZ" for n in range(100)]
    pool = [c for c in entries + [c + d for c in entries for d in "019"] + unmatched
            if not any(c.startswith(m) for m in multi)]
    rng = np.random.default_rng(seed)
    rows = patients * codes_per_patient
    return pd.DataFrame({"id": np.repeat(np.arange(patients, dtype=np.int64), codes_per_patient),
                         "code": np.array(pool, dtype=object)[rng.integers(0, len(pool), rows)]})


def socialrx_job(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (charlson(table, "quan2011", patient_column="id"),
            elixhauser(table, "van_walraven", patient_column="id"))


def comorbidipy_job(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    comorbidipy = import_comorbidipy()
    return (comorbidipy.comorbidity(table, age=None, score="charlson", weighting="quan"),
            comorbidipy.comorbidity(table, age=None, score="elixhauser", weighting="vw"))


def timed(job: Callable[..., T], *args: Any) -> tuple[float, T]:
    start = time.perf_counter()
    result = job(*args)
    return time.perf_counter() - start, result


def check(ours: tuple[pd.DataFrame, pd.DataFrame], theirs: tuple[pd.DataFrame, pd.DataFrame]) -> str:
    ch, el = (frame.set_index("id") for frame in ours)
    their_ch, their_el = (frame.set_index("id")["comorbidity_score"].reindex(ch.index) for frame in theirs)
    diff = ch["score"] - their_ch
    aids = ch["aids"].to_numpy()
    assert (diff[~aids] == 0).all(), "Charlson differs beyond the AIDS weight"
    assert (diff[aids] == 2).all(), "Charlson AIDS patients differ by other than 2"
    negative = (el["score"] < 0).to_numpy()
    assert (el["score"][~negative] == their_el[~negative]).all(), "Elixhauser differs"
    assert (their_el[negative] == 0).all(), "comorbidipy did not clamp a negative Elixhauser score"
    return (f"{len(ch):,} patients: Charlson identical except {aids.sum():,} with AIDS/HIV "
            f"(documented weight); Elixhauser identical except {negative.sum():,} negative scores "
            f"comorbidipy clamps at 0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--codes", type=int, default=10, help="codes per patient")
    parser.add_argument("--repeat", type=int, default=3, help="socialrx runs (best is reported)")
    parser.add_argument("--smoke", action="store_true", help="20k patients")
    args = parser.parse_args()
    patients = 20_000 if args.smoke else args.patients

    table = diagnoses(patients, args.codes, seed=2024)
    print(f"{len(table):,} diagnosis rows, {patients:,} patients, code dtype {table['code'].dtype}")
    ours_seconds = min(timed(socialrx_job, table)[0] for _ in range(args.repeat))
    _, ours = timed(socialrx_job, table)
    theirs_seconds, theirs = timed(comorbidipy_job, table)
    print(check(ours, theirs))
    print(f"socialrx    {ours_seconds:8.3f} s  (Charlson + Elixhauser, best of {args.repeat})")
    print(f"comorbidipy {theirs_seconds:8.3f} s")
    print(f"ratio       {theirs_seconds / ours_seconds:8.1f}x")


if __name__ == "__main__":
    main()
