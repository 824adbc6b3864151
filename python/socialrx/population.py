"""The registered population a service is set against, and the pathway its clients went along.

A registered population table has one row per ``practice`` x ``age_band`` x ``sex`` (and any of
``imd_decile``, ``imd_quintile``, ``ethnicity_group``, ``pcn``) with ``registered``, the people
registered there. Age bands are the 19 five-year bands of the European Standard Population 2013
(``0-4`` ... ``85-89``, ``90+``); IMD decile and quintile 1 are the most deprived.

* :func:`registered_population` checks such a table (practice codes and sex normalised as
  everywhere in socialrx, quintiles made from deciles).
* :func:`read_gp_registrations` reads NHS Digital's "Patients Registered at a GP Practice"
  files (by practice, single year of age or 5-year band, and sex), with IMD attached by LSOA
  through :func:`attach_imd` where the LSOA file and an LSOA to IMD lookup are given.
* :func:`pathway_stages` says which stages of the pathway each client reached: offered (a
  local code; everyone in the clients table), referred (SNOMED CT 871731000000106), declined
  (871711000000103), connected (an index date) and supported to the end (discharged, and where
  a ``discharge_status`` is given, with a completed one). ``socialrx.extracts.gp_coded`` makes
  such a clients table from GP-coded records (its statuses referred, declined, connected).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._codes import practice_codes, sexes
from ._columns import as_days, as_frame, exact_integers, normalised_labels, require_columns, shown
from .extracts._read import Source, read_table

__all__ = ["AGE_BANDS", "GROUPINGS", "PATHWAY_STAGES", "age_bands", "attach_imd", "client_ages", "esp2013",
           "pathway_stages", "read_gp_registrations", "registered_population"]

AGE_BANDS: tuple[str, ...] = (*(f"{age}-{age + 4}" for age in range(0, 90, 5)), "90+")
PATHWAY_STAGES = ("offered", "referred", "declined", "connected", "supported")
# The groupings rates can be given by, the IMD ones ordered from most to least deprived.
GROUPINGS = ("imd_quintile", "imd_decile", "ethnicity_group", "age_band", "sex", "practice", "pcn")
ORDERED_GROUPINGS = ("imd_quintile", "imd_decile", "age_band")
_OPTIONAL = ("imd_decile", "imd_quintile", "ethnicity_group", "pcn")
_TABLE = "population"
_DATA = Path(__file__).parent / "data"


def esp2013() -> pd.Series:
    """The European Standard Population 2013 by age band (sums to 100,000), its source in
    ``.attrs["source"]``."""
    document = json.loads((_DATA / "esp2013.json").read_text(encoding="utf-8"))
    weights = pd.Series(document["weights"], dtype="int64", name="esp2013").reindex(list(AGE_BANDS))
    weights.index.name = "age_band"
    weights.attrs["source"] = document["source"]
    return weights


def age_bands(ages: Any) -> pd.Categorical:
    """Ages in years as ESP2013 bands (missing stays missing; a negative age is a ValueError)."""
    years = np.asarray(pd.to_numeric(pd.Series(ages), errors="coerce"), dtype=float)
    if (years < 0).any():
        raise ValueError(f"age row {int(np.flatnonzero(years < 0)[0])}: a negative age")
    codes = np.where(np.isnan(years), -1, np.minimum(np.nan_to_num(years) // 5, len(AGE_BANDS) - 1)).astype(int)
    return pd.Categorical.from_codes(codes, categories=pd.Index(AGE_BANDS))


def client_ages(clients: pd.DataFrame) -> np.ndarray:
    """Each client's age at referral in years (NaN where unknown): ``age``, or the referral year
    less ``birth_year``."""
    if "age" in clients:
        return pd.to_numeric(clients["age"], errors="coerce").to_numpy(dtype=float)
    if "birth_year" in clients:
        days = as_days(clients["referral_date"], "clients", "referral_date", required=True)
        years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
        return years - pd.to_numeric(clients["birth_year"], errors="coerce").to_numpy(dtype=float)
    raise ValueError("clients: age bands need a column age or birth_year")


def _counts(values: pd.Series, table: str, column: str) -> np.ndarray:
    counts, missing = exact_integers(values, table, column, "count")
    bad = missing | (counts < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{table}.{column} row {row}: {shown(values.iloc[row])} is not a count (a whole number >= 0)")
    return counts


def _deciles(values: pd.Series, table: str, column: str, top: int) -> np.ndarray:
    numbers, missing = exact_integers(values, table, column, "IMD rank")
    bad = missing | (numbers < 1) | (numbers > top)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{table}.{column} row {row}: {shown(values.iloc[row])} is not a whole number 1-{top}")
    return numbers


def imd_quintiles(deciles: np.ndarray) -> np.ndarray:
    """IMD quintiles (1 most deprived) from deciles: 1-2 is 1, ..., 9-10 is 5."""
    return (np.asarray(deciles) + 1) // 2


def registered_population(table: Any) -> pd.DataFrame:
    """A registered population table, checked: ``practice`` (ODS codes normalised), ``age_band``
    (one of ``AGE_BANDS``), ``sex`` (normalised to male / female / ...), ``registered`` (whole
    numbers >= 0) and optionally ``imd_decile`` (1-10), ``imd_quintile`` (1-5, made from the
    decile when absent), ``ethnicity_group`` and ``pcn``. Bad values are errors naming the row."""
    frame = as_frame(table, _TABLE).reset_index(drop=True)
    require_columns(frame, _TABLE, ["practice", "age_band", "sex", "registered"])
    out = pd.DataFrame({"practice": practice_codes(frame["practice"], _TABLE)[0],
                        "age_band": _checked_bands(frame["age_band"]),
                        "sex": sexes(frame["sex"], _TABLE)[0]})
    if "imd_decile" in frame:
        out["imd_decile"] = _deciles(frame["imd_decile"], _TABLE, "imd_decile", 10)
    if "imd_quintile" in frame:
        out["imd_quintile"] = _deciles(frame["imd_quintile"], _TABLE, "imd_quintile", 5)
    elif "imd_decile" in out:
        out["imd_quintile"] = imd_quintiles(out["imd_decile"].to_numpy())
    for column in ("ethnicity_group", "pcn"):
        if column in frame:
            out[column] = frame[column].astype("string")
    out["registered"] = _registered(frame["registered"])
    return out


def _registered(values: pd.Series) -> np.ndarray:
    """Whole counts as int64; fractional ones (a practice's counts shared among IMD deciles) as
    float; missing or negative ones are errors naming the row."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~(numbers >= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{_TABLE}.registered row {row}: {shown(values.iloc[row])} is not a count >= 0")
    return numbers.astype(np.int64) if np.all(numbers == np.floor(numbers)) else numbers


def _checked_bands(values: pd.Series) -> pd.Categorical:
    codes = pd.Index(AGE_BANDS).get_indexer(values.astype("string").str.strip().fillna(""))
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(f"{_TABLE}.age_band row {row}: {shown(values.iloc[row])} is not one of "
                         f"{', '.join(AGE_BANDS)}")
    return pd.Categorical.from_codes(codes, categories=pd.Index(AGE_BANDS))


# ----------------------------------------------------------------------------- NHS Digital files
_REGISTRATIONS = "gp_registrations"
_AGE_COLUMNS = ("AGE_GROUP_5", "AGE")
_PRACTICE_COLUMNS = ("ORG_CODE", "PRACTICE_CODE")


def _band_of_label(label: str) -> str | None:
    """The ESP2013 band of an NHS Digital age label: a single year ("37"), a band ("35_39",
    "35-39"), or an open top ("95+", "90+"); None for "ALL" and anything else."""
    text = label.strip().replace("_", "-")
    lower = text.rstrip("+").split("-")[0]
    if not lower.isdigit() or text.upper() == "ALL":
        return None
    return AGE_BANDS[min(int(lower) // 5, len(AGE_BANDS) - 1)]


def read_gp_registrations(source: Source, *, columns: dict[str, str] | None = None, lsoa: Source | None = None,
                          lsoa_imd: Any = None, imd: Literal["split", "practice"] = "split") -> pd.DataFrame:
    """NHS Digital's "Patients Registered at a GP Practice" file by practice, age and sex as a
    registered population (see :func:`registered_population`).

    ``source`` is a CSV/Parquet path or a table with ``ORG_CODE`` (or ``PRACTICE_CODE``),
    ``SEX`` (MALE / FEMALE), ``AGE_GROUP_5`` (``0_4`` ... ``95+``) or ``AGE`` (single years,
    ``95+``, or bands) and ``NUMBER_OF_PATIENTS``; where there is a ``TYPE`` column only its
    ``GP`` rows are practices. Rows for ALL ages or ALL sexes are totals and left out; the
    count of rows read and left out is in ``.attrs["account"]``. ``columns`` renames yours.

    With ``lsoa`` (the file by practice and LSOA: ``PRACTICE_CODE``, ``LSOA_CODE``,
    ``NUMBER_OF_PATIENTS``) and ``lsoa_imd`` (``lsoa_code``, ``imd_decile``), IMD is attached
    by :func:`attach_imd`.
    """
    table = read_table(source, _REGISTRATIONS, columns).to_pandas()
    age_column = next((c for c in _AGE_COLUMNS if c in table), _AGE_COLUMNS[0])
    practice_column = next((c for c in _PRACTICE_COLUMNS if c in table), _PRACTICE_COLUMNS[0])
    require_columns(table, _REGISTRATIONS, [practice_column, "SEX", age_column, "NUMBER_OF_PATIENTS"])
    labels = table[age_column].astype("string")
    band = labels.map(_band_of_label, na_action="ignore")
    keep = band.notna() & ~table["SEX"].astype("string").str.strip().str.upper().eq("ALL")
    if "TYPE" in table:
        keep &= table["TYPE"].astype("string").str.strip().str.upper().eq("GP")
    account = {"rows read": len(table), "left out: totals or not a practice": int((~keep).sum())}
    kept = table[keep.to_numpy(dtype=bool)]
    frame = pd.DataFrame({"practice": kept[practice_column].to_numpy(), "age_band": band[keep].to_numpy(),
                          "sex": kept["SEX"].to_numpy(),
                          "registered": _counts(kept["NUMBER_OF_PATIENTS"].reset_index(drop=True), _REGISTRATIONS,
                                                "NUMBER_OF_PATIENTS")})
    population = registered_population(
        frame.groupby(["practice", "age_band", "sex"], observed=True, as_index=False)["registered"].sum())
    if lsoa is not None or lsoa_imd is not None:
        if lsoa is None or lsoa_imd is None:
            raise ValueError("lsoa, lsoa_imd: IMD by LSOA needs both the practice-by-LSOA file and the lookup")
        population = attach_imd(population, lsoa=lsoa, lsoa_imd=lsoa_imd, method=imd)
    population.attrs["account"] = account
    return population


def _practice_deciles(lsoa: Source, lsoa_imd: Any) -> pd.DataFrame:
    """Patients per practice and IMD decile from the practice-by-LSOA file and the LSOA lookup;
    patients in an LSOA the lookup lacks are counted in ``.attrs["unmatched"]``."""
    counts = read_table(lsoa, "gp_registrations_lsoa", None).to_pandas()
    require_columns(counts, "gp_registrations_lsoa", ["PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS"])
    if "SEX" in counts:  # files by sex carry ALL rows too: the totals, where there are any
        totals = counts["SEX"].astype("string").str.strip().str.upper().eq("ALL").fillna(False)
        counts = counts[totals] if totals.any() else counts
    lookup = as_frame(lsoa_imd, "lsoa_imd")
    require_columns(lookup, "lsoa_imd", ["lsoa_code", "imd_decile"])
    deciles = pd.Series(_deciles(lookup["imd_decile"], "lsoa_imd", "imd_decile", 10),
                        index=lookup["lsoa_code"].astype("string").str.strip().to_numpy())
    decile = counts["LSOA_CODE"].astype("string").str.strip().map(deciles)
    patients = _counts(counts["NUMBER_OF_PATIENTS"].reset_index(drop=True), "gp_registrations_lsoa",
                       "NUMBER_OF_PATIENTS")
    matched = decile.notna().to_numpy()
    frame = pd.DataFrame({"practice": practice_codes(counts["PRACTICE_CODE"], "gp_registrations_lsoa")[0][matched],
                          "imd_decile": decile[matched].astype(int), "patients": patients[matched]})
    shares = frame.groupby(["practice", "imd_decile"], observed=True, as_index=False)["patients"].sum()
    shares.attrs["unmatched"] = int(patients[~matched].sum())
    return shares


def attach_imd(population: pd.DataFrame, *, lsoa: Source, lsoa_imd: Any,
               method: Literal["split", "practice"] = "split") -> pd.DataFrame:
    """The population with ``imd_decile`` and ``imd_quintile`` by where its patients live.

    ``method="split"`` shares each practice's age-sex counts among the IMD deciles of its
    patients' LSOAs in proportion to the patients living there (the age-sex mix taken to be the
    same in each, so ``registered`` becomes fractional); ``"practice"`` gives every patient of a
    practice the decile most of its patients live in. Practices with no patient in a known LSOA
    are left out, with the people in ``.attrs["without_imd"]``.
    """
    if method not in ("split", "practice"):
        raise ValueError(f"method: must be 'split' or 'practice', got {method!r}")
    shares = _practice_deciles(lsoa, lsoa_imd)
    if method == "practice":
        shares = shares.sort_values(["practice", "patients", "imd_decile"], ascending=[True, False, True])
        shares = shares.drop_duplicates("practice").assign(patients=1)
    share = shares["patients"] / shares.groupby("practice", observed=True)["patients"].transform("sum")
    shares = shares.assign(share=share.to_numpy())[["practice", "imd_decile", "share"]]
    base = population.drop(columns=[c for c in ("imd_decile", "imd_quintile") if c in population])
    merged = base.astype({"practice": "string"}).merge(shares.astype({"practice": "string"}), on="practice",
                                                       how="left")
    without = merged["imd_decile"].isna().to_numpy()
    without_imd = float(merged.loc[without, "registered"].sum())
    merged = merged[~without]
    merged["registered"] = merged["registered"] * merged.pop("share")
    merged["imd_decile"] = merged["imd_decile"].astype(int)
    merged["imd_quintile"] = imd_quintiles(merged["imd_decile"].to_numpy())
    result = registered_population(merged.reset_index(drop=True))
    result.attrs["without_imd"] = without_imd
    result.attrs["unmatched_lsoa_patients"] = shares.attrs["unmatched"]
    return result


# ----------------------------------------------------------------------------- pathway
def pathway_stages(clients: pd.DataFrame, *, completed: tuple[str, ...] = ("completed",)) -> pd.DataFrame:
    """Per client (rows as ``clients``), whether it reached each of ``PATHWAY_STAGES``.

    Everyone in the table was offered social prescribing; status ``offered`` is someone offered
    and neither referred nor declining, ``declined`` declined (SNOMED CT 871711000000103) and
    any other status referred (871731000000106); connected: an index date; supported:
    connected and discharged (``discharge_date``), with a ``discharge_status`` in ``completed``
    where that column exists.
    """
    status = (normalised_labels(clients["status"]) if "status" in clients
              else pd.Series("referred", index=clients.index, dtype="string"))
    connected = clients["index_date"].notna().to_numpy(dtype=bool)
    declined = status.eq("declined").fillna(False).to_numpy(dtype=bool) & ~connected
    only_offered = status.eq("offered").fillna(False).to_numpy(dtype=bool) & ~connected
    supported = connected & (clients["discharge_date"].notna().to_numpy(dtype=bool)
                             if "discharge_date" in clients else np.zeros(len(clients), bool))
    if "discharge_status" in clients:
        supported &= normalised_labels(clients["discharge_status"]).isin(completed).fillna(False).to_numpy(bool)
    return pd.DataFrame({"offered": np.ones(len(clients), bool), "referred": ~(declined | only_offered),
                         "declined": declined, "connected": connected, "supported": supported},
                        index=clients.index)
