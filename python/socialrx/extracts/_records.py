"""Readers of records about the service's clients: GP-system coded records and case-management
exports shaped like the PRSB Social Prescribing Information Standard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .. import _core
from .._columns import NO_DATE
from ._extract import Extract, finished
from ._ledger import Ledger
from ._read import (
    CodeMap,
    Source,
    as_datetimes,
    chosen_maps,
    days,
    map_codes,
    normalised_code,
    open_extract,
    person_days,
    shipped_map,
)

INTERVENTION_KINDS: tuple[str, ...] = tuple(_core.INTERVENTION_KINDS)
_CODED = "gp_coded"
# What a GP code can say about a client; "reason:<name>" adds a referral reason.
_CODED_TARGETS = ("referral", "declined", "offered", "support_started")
_REASON = "reason:"


def _check_targets(code_map: CodeMap, extract: str, allowed: Sequence[str], prefix: str = "") -> None:
    wrong = sorted(t for t in set(code_map.targets.values())
                   if t not in allowed and not (prefix and t.startswith(prefix)))
    if wrong:
        also = f" or {prefix}<name>" if prefix else ""
        raise ValueError(f"{extract}: code_map for {code_map.column} maps to {', '.join(map(repr, wrong))} "
                         f"(expected one of: {', '.join(allowed)}{also})")


def _earliest(person: np.ndarray, day_numbers: np.ndarray, target: np.ndarray, names: list[str]) -> pd.DataFrame:
    """Per person (index) and target (columns) the earliest day, NO_DATE where there is none."""
    frame = pd.DataFrame({"person": person, "day": day_numbers, "target": target})
    table = frame.groupby(["person", "target"])["day"].min().unstack(fill_value=NO_DATE)
    return table.reindex(columns=range(len(names)), fill_value=NO_DATE).set_axis(names, axis=1)


def _reasons(earliest: pd.DataFrame) -> pd.Series:
    """Each person's coded referral reasons, ``;``-separated in name order (one pass per reason,
    not per person)."""
    joined = pd.Series("", index=earliest.index, dtype=object)
    for column in sorted(c for c in earliest.columns if c.startswith(_REASON)):
        name = column[len(_REASON):]
        joined = joined + np.where(earliest[column] != NO_DATE, name + ";", "")
    return joined.str.rstrip(";").replace("", None).astype("string")


def _dates_or_missing(day_numbers: pd.Series) -> np.ndarray:
    values = as_datetimes(day_numbers.to_numpy(np.int32)).copy()
    values[day_numbers.to_numpy() == NO_DATE] = np.datetime64("NaT")
    return values


def _coded_clients(earliest: pd.DataFrame) -> pd.DataFrame:
    referral = earliest["referral"].where(earliest["referral"] != NO_DATE, earliest["declined"])
    started = earliest["support_started"]
    status = np.where(started != NO_DATE, "connected",
                      np.where(earliest["declined"] != NO_DATE, "declined", "referred"))
    clients = pd.DataFrame({"client_id": earliest.index.to_numpy(np.int64),
                            "referral_date": _dates_or_missing(referral), "index_date": _dates_or_missing(started),
                            "status": status, "referral_reasons": _reasons(earliest).to_numpy()})
    if (earliest["offered"] != NO_DATE).any():
        clients["offered_date"] = _dates_or_missing(earliest["offered"])
    return clients


def gp_coded(records: Source, code_map: Any = None, *, columns: dict[str, str] | None = None,
             date_format: str | None = None, pseudonymise_key: bytes | None = None) -> Extract:
    """GP-system coded records (``person_id, date, snomed_code``) as the service's clients.

    Built in (``maps/gp_snomed.json``): 871731000000106 |Referral to social prescribing
    service| gives the referral date, 871711000000103 |Social prescribing declined| the status
    declined. Local codes come from ``code_map`` ({code: target}) with targets ``referral``,
    ``declined``, ``offered`` (an ``offered_date`` column), ``support_started`` (the index
    date: status connected) and ``reason:<name>`` (a referral reason).

    A client is a person with a referral or declined code: the earliest referral gives
    ``referral_date`` (the earliest declined code where there is no referral), the earliest
    support start ``index_date``; status is connected (support started), else declined, else
    referred. Codes of people who are no client, and codes no map knows (a GP extract holds
    many), are counted in the account and left out.
    """
    table, ledger = open_extract(records, _CODED, columns, ["person_id", "date", "snomed_code"], coded=["snomed_code"])
    maps = chosen_maps(_CODED, {"snomed_code": shipped_map("gp_snomed")}, code_map)
    _check_targets(maps["snomed_code"], _CODED, _CODED_TARGETS, _REASON)
    person, day_numbers = person_days(table, ledger, pseudonymise_key, "date", date_format)
    target, names = map_codes(table, ledger, maps["snomed_code"])
    names = [*names, *(t for t in _CODED_TARGETS if t not in names)]
    coded = ledger.undecided() & (target >= 0)
    earliest = _earliest(person[coded], day_numbers[coded], target[coded], names)
    is_client = (earliest["referral"] != NO_DATE) | (earliest["declined"] != NO_DATE)
    earliest = earliest[is_client]
    no_client = pd.Index(earliest.index).get_indexer(person) < 0
    ledger.drop(coded & no_client, "no referral or declined code for the person")
    ledger.map_each(np.where(coded, target, -1), names)
    return finished(ledger, maps, clients=_coded_clients(earliest))


# ------------------------------------------------------------------------- PRSB-shaped exports
_PRSB_CLIENT_COLUMNS = ("sex", "birth_year", "age", "practice", "locality", "referral_source", "carer",
                        "deprivation_decile")
_SUPPORT_COLUMNS = ("organisation", "sector", "cost_pence")
_OUTCOME_COLUMNS = ("timepoint", "instrument", "item", "value")


def _support_type_map() -> CodeMap:
    kinds = {normalised_code(kind): kind for kind in INTERVENTION_KINDS}
    return CodeMap("support_type", "Support offered", "socialrx intervention kinds; local names from code_map",
                   kinds, {})


def _first_referrals(table: pa.Table, ledger: Ledger, key: bytes | None, date_format: str | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Person, referral day and the rows kept: each person's earliest referral (re-referrals
    are merged into it)."""
    person, referred = person_days(table, ledger, key, "referral_date", date_format)
    rows = np.flatnonzero(ledger.undecided())
    earliest_first = rows[np.lexsort((rows, referred[rows], person[rows]))]
    repeat = np.zeros(len(person), bool)
    repeat[earliest_first[pd.Series(person[earliest_first]).duplicated().to_numpy()]] = True
    ledger.merge(repeat, "re-referral (the earliest referral kept)")
    return person, referred, ledger.map(ledger.undecided(), "client")


def _prsb_clients(table: pa.Table, ledger: Ledger, key: bytes | None, date_format: str | None) -> pd.DataFrame:
    person, referred, kept = _first_referrals(table, ledger, key, date_format)
    columns = {"client_id": person[kept], "referral_date": as_datetimes(referred[kept])}
    for source, name in (("first_contact_date", "index_date"), ("discharge_date", "discharge_date")):
        if source in table.column_names:
            columns[name] = _dates_or_missing(pd.Series(days(table, "prsb.referrals", source, date_format)[kept]))
        elif name == "index_date":
            columns[name] = np.full(int(kept.sum()), np.datetime64("NaT"), "datetime64[s]")
    clients = pd.DataFrame(columns)
    for name in (*_PRSB_CLIENT_COLUMNS, "needs"):
        if name in table.column_names:
            clients["referral_reasons" if name == "needs" else name] = table[name].to_pandas()[kept].to_numpy()
    given = (table["status"].to_pandas()[kept].fillna("referred").to_numpy() if "status" in table.column_names
             else "referred")
    clients["status"] = np.where(clients["index_date"].notna(), "connected", given)
    return clients


@dataclass(frozen=True)
class _ClientRows:
    """A table of rows about the clients (support given, outcomes measured), read and linked:
    rows of people who are no client are dropped."""

    table: pa.Table
    ledger: Ledger
    person: np.ndarray
    day_numbers: np.ndarray

    @staticmethod
    def read(source: Source, extract: str, columns: dict[str, str] | None, required: Sequence[str],
             clients: pd.DataFrame, key: bytes | None, date_format: str | None) -> _ClientRows:
        table, ledger = open_extract(source, extract, columns, ["person_id", "date", *required],
                                     coded=["support_type"], shared_columns=True)
        person, day_numbers = person_days(table, ledger, key, "date", date_format)
        ledger.drop(pd.Index(clients["client_id"]).get_indexer(person) < 0, "person not among the referrals")
        return _ClientRows(table, ledger, person, day_numbers)

    def frame(self, kept: np.ndarray, derived: dict[str, Any], passed_on: Sequence[str]) -> pd.DataFrame:
        """The kept rows as client_id, date, the ``derived`` columns and those ``passed_on``."""
        return pd.DataFrame({
            "client_id": self.person[kept], "date": as_datetimes(self.day_numbers[kept]), **derived,
            **{name: self.table[name].to_pandas()[kept].to_numpy() for name in passed_on
               if name in self.table.column_names}})


def prsb(referrals: Source, *, support: Source | None = None, outcomes: Source | None = None,
         columns: dict[str, str] | None = None, date_format: str | None = None,
         pseudonymise_key: bytes | None = None, code_map: Any = None) -> Extract:
    """A case-management export shaped like the PRSB Social Prescribing Information Standard.

    The standard's sections map onto socialrx tables so:

    * **Person demographics** and **referral** (``referrals``, one row per referral):
      ``person_id`` -> ``client_id``; ``referral_date``; optional ``referral_source``,
      ``sex``, ``birth_year`` or ``age``, ``practice`` (GP practice), ``locality``, ``carer``,
      ``deprivation_decile`` are passed on. A person referred twice is one client, from the
      earliest referral (the others merged in the account).
    * **What matters to me / needs and concerns**: ``needs`` (``;``-separated, e.g.
      ``isolation;finance``) -> ``referral_reasons``. Free-text "what matters to me" is not
      carried: it is no measure.
    * **Social prescribing contact**: ``first_contact_date`` -> ``index_date`` (status
      connected); ``discharge_date``; without a first contact, ``status`` as exported
      (declined, unable_to_contact), else referred.
    * **Support offered** (``support=``, one row per thing done): ``person_id, date,
      support_type`` -> interventions ``client_id, date, kind`` with ``organisation``,
      ``sector``, ``cost_pence`` passed on; ``support_type`` is a socialrx intervention kind
      or a local name mapped by ``code_map={local name: kind}``; unknown types are counted.
    * **Outcomes measured** (``outcomes=``, long): ``person_id, date, timepoint, instrument,
      item, value`` -> assessments.

    Support and outcome rows of people who are no client are counted and left out. ``columns``
    renames in every table that has the name; the account has one part per table (``prsb.referrals``,
    ``prsb.support``, ``prsb.outcomes``).
    """
    table, ledger = open_extract(referrals, "prsb.referrals", columns, ["person_id", "referral_date"],
                                 shared_columns=True)
    clients = _prsb_clients(table, ledger, pseudonymise_key, date_format)
    maps = chosen_maps("prsb", {"support_type": _support_type_map()}, code_map)
    _check_targets(maps["support_type"], "prsb", INTERVENTION_KINDS)
    tables: dict[str, pd.DataFrame] = {}
    ledgers = []
    if support is not None:
        rows = _ClientRows.read(support, "prsb.support", columns, ["support_type"], clients, pseudonymise_key,
                                date_format)
        target, kinds = map_codes(rows.table, rows.ledger, maps["support_type"])
        kept = rows.ledger.map_each(target, kinds)
        tables["interventions"] = rows.frame(kept, {"kind": np.array(kinds, dtype=object)[target[kept]]},
                                             _SUPPORT_COLUMNS)
        ledgers.append(rows.ledger)
    if outcomes is not None:
        rows = _ClientRows.read(outcomes, "prsb.outcomes", columns, _OUTCOME_COLUMNS, clients, pseudonymise_key,
                                date_format)
        tables["assessments"] = rows.frame(rows.ledger.map(rows.ledger.undecided(), "assessment"), {},
                                           _OUTCOME_COLUMNS)
        ledgers.append(rows.ledger)
    return finished(ledger, maps, name="prsb", also=ledgers, clients=clients, **tables)
