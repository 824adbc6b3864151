"""Support given, client feedback, and disclosure control for published count tables.

Interventions are one row per thing done for or with a client::

    client_id, date, kind, organisation, sector, cost_pence

``kind`` is one of ``INTERVENTION_KINDS``, ``sector`` one of ``SECTORS``. ``organisation`` and
``sector`` may be empty except on an outward referral, which must say where the client went.
``cost_pence`` is whole pence (empty: 0); instead of it, ``cost_pounds`` may give pounds as text
("£1,234.56"), read exactly to whole pence. Without either column spend is not recorded: the
spend figures are <NA> (NaN in ``support_summary``) with ``cost`` "not recorded", never £0, and
``phb_breaches`` is an error. An intervention for a client in no clients table, or
dated before the client's referral, is a ``ValueError`` naming the table, column and row.

Money columns (optional):

* ``funded_by``: ``service`` (the service's own money; also an empty cell or no column) or
  ``external`` (money secured from others for the client, such as a charity's grant for a
  fridge freezer): :func:`spend` keeps the two apart.
* ``category``: on a ``personal_health_budget`` row, what the budget bought ("transport",
  "tablet computer"); on a ``benefit_award`` row, the benefit ("Personal Independence
  Payment"). Empty: "not recorded". See :func:`phb_summary` and :func:`income_gained`.
* ``annual_value_pence``: on a ``benefit_award`` row (and only there), the award's value to the
  client in whole pence a year. A benefit award is income the client gained, not spend and
  never NHS cost avoided: its cost must be empty or 0, it is left out of the support engine
  (so it ends no length of support), and it counts only in :func:`income_gained` and in the
  interventions and clients of :func:`spend`.

Definitions:

* contacts: ``contact_phone`` and ``contact_visit`` interventions, on any date; per-client
  figures are over connected clients (those with an index date).
* length of support: discharge date - index date; for a connected client not yet discharged,
  the date of their last intervention on or after the index date - index date. A connected
  client with neither has no length (``support_not_recorded``).
* personal health budgets: a client breaches the cap when their ``personal_health_budget``
  spend in total is more than the cap (a spend of exactly the cap does not breach).

Feedback is one row per returned form: ``client_id, date, stars (1-5), impact (none / some /
significant), connected_to_services (yes/no)``; an empty answer is left out of that measure's
denominator and counted in ``not_answered``. The seed report's "96% report an impact (of which
28% significant)" reads two ways, so both are given: ``significant_impact`` is over everyone
who answered the impact question, ``significant_of_impact`` over those reporting an impact.

Every figure can be cut by a grouping of the clients (``group=``): ``"financial_year"``,
``"quarter"`` or ``"month"`` of the index date ("not connected" for clients without one; see
``socialrx.periods``) or any clients column (``practice``, ...; a categorical column keeps its
categories' order, empty ones included). Percentages are in percent (60.0), NaN where the base is 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import (
    NO_DATE,
    as_codes,
    as_days,
    as_frame,
    as_ids,
    client_columns,
    decoded,
    exact_integers,
    normalised_labels,
    pounds_as_pence,
    require_columns,
)
from .periods import PERIOD_GROUPINGS, period_labels

BENEFIT_AWARD = "benefit_award"
# The engine's kinds, then the benefit award, which only Python reads (see the docstring).
INTERVENTION_KINDS: tuple[str, ...] = (*_core.INTERVENTION_KINDS, BENEFIT_AWARD)
FUNDED_BY: tuple[str, ...] = ("service", "external")
SECTORS: tuple[str, ...] = tuple(_core.SECTORS)
IMPACTS: tuple[str, ...] = tuple(_core.IMPACTS)
FEEDBACK_MEASURES: tuple[str, ...] = tuple(_core.FEEDBACK_MEASURES)
INTERVENTION_COLUMNS: tuple[str, ...] = ("client_id", "date", "kind", "organisation", "sector", "cost_pence")
FEEDBACK_COLUMNS: tuple[str, ...] = ("client_id", "stars", "impact", "connected_to_services")
PHB_CAP_PENCE = 10_000
SIX_MONTHS_DAYS: int = _core.window_days(6)
TOTAL = "total"
NOT_RECORDED = "not recorded"
_MONEY_MEASURES = ("spend_pence", "phb_pence", "phb_breaches")
_ENGINE_KINDS = len(_core.INTERVENTION_KINDS)
_BENEFIT = INTERVENTION_KINDS.index(BENEFIT_AWARD)
_PHB = INTERVENTION_KINDS.index("personal_health_budget")

Table = TypeVar("Table", pd.DataFrame, pd.Series)
Grouping = Union[str, None]
_TABLE = "interventions"
_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0"}


@dataclass(frozen=True)
class _Clients:
    ids: np.ndarray
    index_date: np.ndarray
    columns: dict[str, np.ndarray]
    group: np.ndarray  # int32 code per client; empty for one group
    labels: list[str]
    name: str | None


def _clients(clients: object, group: Grouping) -> _Clients:
    frame = as_frame(clients, "clients").reset_index(drop=True)
    columns = client_columns(frame)
    codes, labels = _client_groups(frame, columns["index_date"], group)
    return _Clients(columns["client_id"], columns["index_date"], columns, codes, labels, group)


def _client_groups(frame: pd.DataFrame, index_date: np.ndarray, group: Grouping) -> tuple[np.ndarray, list[str]]:
    if group is None:
        return np.empty(0, np.int32), ["all"]
    if group in PERIOD_GROUPINGS:
        return as_codes(period_labels(index_date, by=group), "clients", group)
    if group not in frame.columns:
        raise ValueError(f"group: {group!r} is neither one of {', '.join(PERIOD_GROUPINGS)} nor a clients column "
                         f"({', '.join(map(str, frame.columns))})")
    labels = frame[group]
    return as_codes(labels if isinstance(labels.dtype, pd.CategoricalDtype) else labels.astype("string"),
                    "clients", group)


def _codes_or_missing(values: pd.Series, column: str, categories: list[str] | None, missing: int,
                      dtype: type) -> tuple[np.ndarray, list[str]]:
    """Category codes where a label is given and ``missing`` where it is empty."""
    empty = values.isna().to_numpy()
    if categories is None:
        categories = ([str(c) for c in values.cat.categories] if isinstance(values.dtype, pd.CategoricalDtype)
                      else sorted(values[~empty].astype(str).unique()))
    if not empty.any():
        return as_codes(values, _TABLE, column, categories, dtype=dtype)
    if empty.all():
        return np.full(len(values), missing, dtype), categories
    filled = values.astype(object).where(~empty, categories[0])  # overwritten below
    codes, labels = as_codes(filled, _TABLE, column, categories, dtype=dtype)
    codes[empty] = missing
    return codes, labels


def _support(interventions: object, clients: _Clients, cap_pence: int) -> tuple[dict[str, Any], list[str]]:
    frame = as_frame(interventions, _TABLE).reset_index(drop=True)
    require_columns(frame, _TABLE, ["client_id", "date", "kind", "sector"])
    kind, _ = as_codes(frame["kind"], _TABLE, "kind", list(INTERVENTION_KINDS), dtype=np.uint8)
    sector, _ = _codes_or_missing(frame["sector"], "sector", list(SECTORS), _core.NO_SECTOR, np.uint8)
    organisation, organisations = (
        _codes_or_missing(frame["organisation"], "organisation", None, _core.NO_ORGANISATION, np.int32)
        if "organisation" in frame else (np.full(len(frame), _core.NO_ORGANISATION, np.int32), []))
    cost = _cost_in_pence(frame)
    rows = _core.client_rows(clients.ids, as_ids(frame["client_id"], _TABLE, "client_id"), _TABLE)
    dates = as_days(frame["date"], _TABLE, "date", required=True)
    money = _money(frame, kind, cost)
    _check_awards(rows, dates, money["benefit"], clients)
    kept = slice(None) if not money["benefit"].any() else np.flatnonzero(~money["benefit"])
    with _rows_as_given(kept):
        raw = _core.summarise_support(
            rows[kept], dates[kept], kind[kept], organisation[kept], sector[kept],
            (np.zeros(len(frame), np.int64) if cost is None else cost)[kept],
            clients.columns["referral_date"], clients.index_date, clients.columns["discharge_date"],
            clients.group, len(clients.labels), len(organisations), int(cap_pence))
    return {**raw, **money, "cost_recorded": cost is not None, "rows": rows, "kind": kind,
            "cost": np.zeros(len(frame), np.int64) if cost is None else cost}, organisations


@contextmanager
def _rows_as_given(kept: np.ndarray | slice) -> Iterator[None]:
    """The engine's errors name the row of the table as given, not of the rows it was handed
    (the table without its benefit awards)."""
    try:
        yield
    except ValueError as error:
        if isinstance(kept, slice):
            raise
        message = re.sub(rf"\b({_TABLE}\.\w+ row )(\d+)", lambda m: f"{m.group(1)}{kept[int(m.group(2))]}",
                         str(error))
        raise ValueError(message) from None


def _money(frame: pd.DataFrame, kind: np.ndarray, cost: np.ndarray | None) -> dict[str, Any]:
    """The money columns per row: ``benefit`` (a benefit award), ``external`` (paid by others),
    ``category`` (text, "not recorded" where empty) and ``annual_pence`` (0 but on awards)."""
    benefit = kind == _BENEFIT
    if cost is not None and (cost[benefit] != 0).any():
        column = "cost_pence" if "cost_pence" in frame else "cost_pounds"
        raise ValueError(f"{_TABLE}.{column} row {_first(benefit & (cost != 0))}: a benefit_award is income the "
                         f"client gained, not spend; give its value a year in annual_value_pence")
    category = np.full(len(frame), NOT_RECORDED, dtype=object)
    if "category" in frame:
        text = decoded(frame["category"], _TABLE, "category").astype("string").str.strip()
        given = (text.notna() & (text != "")).to_numpy(dtype=bool)
        category[given] = text[given].to_numpy(dtype=object)
    return {"benefit": benefit, "external": _funded_by(frame), "category": category,
            "annual_pence": _annual_values(frame, benefit)}


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _funded_by(frame: pd.DataFrame) -> np.ndarray:
    """True where others paid (``funded_by`` external); the service otherwise."""
    if "funded_by" not in frame:
        return np.zeros(len(frame), bool)
    labels = normalised_labels(decoded(frame["funded_by"], _TABLE, "funded_by")).astype("string")
    unknown = (labels.notna() & ~labels.isin(FUNDED_BY)).to_numpy(dtype=bool)
    if unknown.any():
        row = _first(unknown)
        raise ValueError(f"{_TABLE}.funded_by row {row}: unknown value {frame['funded_by'].iloc[row]!r} "
                         f"(expected one of: {', '.join(FUNDED_BY)})")
    return (labels == "external").fillna(False).to_numpy(dtype=bool)


def _annual_values(frame: pd.DataFrame, benefit: np.ndarray) -> np.ndarray:
    """Each benefit award's ``annual_value_pence``: required on awards, empty elsewhere."""
    if "annual_value_pence" not in frame:
        if benefit.any():
            raise ValueError(f"{_TABLE}: benefit_award rows need the column annual_value_pence (row {_first(benefit)})")
        return np.zeros(len(frame), np.int64)
    pence, missing = exact_integers(frame["annual_value_pence"], _TABLE, "annual_value_pence", "value")
    for bad, problem in ((benefit & (missing | (pence < 0)), "an award needs its value a year, whole pence >= 0"),
                         (~benefit & ~missing, "only a benefit_award carries an annual value")):
        if bad.any():
            raise ValueError(f"{_TABLE}.annual_value_pence row {_first(bad)}: {problem}")
    return np.where(missing, 0, pence)


def _check_awards(rows: np.ndarray, dates: np.ndarray, benefit: np.ndarray, clients: _Clients) -> None:
    """A benefit award dated before its client's referral is an error, as the engine finds
    for the rows it reads."""
    early = benefit & (dates < clients.columns["referral_date"][rows])
    if early.any():
        row = _first(early)
        raise ValueError(f"{_TABLE}.date row {row}: dated {np.datetime64(int(dates[row]), 'D')}, before the "
                         f"client's referral on {np.datetime64(int(clients.columns['referral_date'][rows[row]]), 'D')}")


def _cost_in_pence(frame: pd.DataFrame) -> np.ndarray | None:
    """Each intervention's cost in whole pence (empty: 0), from ``cost_pence`` or ``cost_pounds``;
    None when the table has neither, so that spend is reported as not recorded rather than 0."""
    if "cost_pence" in frame and "cost_pounds" in frame:
        raise ValueError(f"{_TABLE}: both cost_pence and cost_pounds are given; keep one")
    if "cost_pence" in frame:
        pence, missing = exact_integers(frame["cost_pence"], _TABLE, "cost_pence", "cost")
    elif "cost_pounds" in frame:
        pence, missing = pounds_as_pence(frame["cost_pounds"], _TABLE, "cost_pounds")
    else:
        return None
    return np.where(missing, 0, pence)


def _check_cap(cap_pence: int) -> int:
    if isinstance(cap_pence, bool) or not float(cap_pence).is_integer() or cap_pence < 0:
        raise ValueError(f"cap_pence: must be whole pence >= 0, got {cap_pence!r}")
    return int(cap_pence)


def _percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    part, whole = np.asarray(part, float), np.asarray(whole, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, 100.0 * part / np.maximum(whole, 1), np.nan)


def _with_group(frame: pd.DataFrame, clients: _Clients, group_index: np.ndarray) -> pd.DataFrame:
    """Prefix the group's label column, named after the grouping (none for one group)."""
    if clients.name is not None:
        frame.insert(0, clients.name, np.asarray(clients.labels, dtype=object)[group_index])
    return frame


def _group_of_clients(clients: _Clients) -> np.ndarray:
    return clients.group if len(clients.group) else np.zeros(len(clients.ids), np.int32)


# ------------------------------------------------------------------------------- support
def support_summary(interventions: object, clients: object, *, phb_cap_pence: int = PHB_CAP_PENCE,
                    group: Grouping = None) -> pd.DataFrame:
    """The support headline figures, one row per measure (per group).

    Columns: [group], ``measure``, ``value`` (float; counts and pence are whole numbers),
    ``clients`` (the clients the measure is over; <NA> for totals over interventions).
    Measures: ``referred``, ``connected``; ``contacts`` (total over connected clients),
    ``contacts_per_client`` and ``contacts_median`` (over connected clients);
    ``support_days_mean``, ``support_days_median``, ``support_over_6_months`` (more than 183
    days), over connected clients with a length; ``support_discharged``,
    ``support_ongoing`` (measured to the last intervention) and ``support_not_recorded``
    (connected, no length), which with them add up to ``connected``; ``outward_referrals``
    (over the clients with one); ``spend_pence`` (every kind); ``phb_pence`` and
    ``phb_breaches`` (over clients with a personal health budget), ``phb_cap_pence``. The money
    measures are NaN when the interventions record no cost.
    """
    cap = _check_cap(phb_cap_pence)
    people = _clients(clients, group)
    raw, _ = _support(interventions, people, cap)
    groups = _group_of_clients(people)
    connected = people.index_date != NO_DATE
    end = np.asarray(_core.SUPPORT_ENDS, dtype=object)[raw["support_end"]]
    length = raw["length_days"]
    outward = INTERVENTION_KINDS.index("outward_referral")
    budget = INTERVENTION_KINDS.index("personal_health_budget")
    breached = np.zeros(len(people.ids), bool)
    breached[raw["phb_breaches"]] = True
    rows = []
    for g in range(len(people.labels)):
        mine = groups == g
        on = mine & connected
        measured = on & (length >= 0)
        contacts, days = raw["contacts"][on], length[measured]
        n_on, n_measured = int(on.sum()), int(measured.sum())
        rows += [(g, name, value, base) for name, value, base in [
            ("referred", mine.sum(), mine.sum()),
            ("connected", n_on, mine.sum()),
            ("contacts", contacts.sum(), n_on),
            ("contacts_per_client", contacts.mean() if n_on else np.nan, n_on),
            ("contacts_median", np.median(contacts) if n_on else np.nan, n_on),
            ("support_days_mean", days.mean() if n_measured else np.nan, n_measured),
            ("support_days_median", np.median(days) if n_measured else np.nan, n_measured),
            ("support_over_6_months", (days > SIX_MONTHS_DAYS).sum(), n_measured),
            ("support_discharged", (on & (end == "discharged")).sum(), n_on),
            ("support_ongoing", (on & (end == "last_intervention")).sum(), n_on),
            ("support_not_recorded", (on & (end == "no_support_recorded")).sum(), n_on),
            ("outward_referrals", raw["interventions_by_kind"][g, outward], raw["clients_by_kind"][g, outward]),
            ("spend_pence", raw["pence_by_kind"][g].sum(), None),
            ("phb_pence", raw["pence_by_kind"][g, budget], raw["clients_by_kind"][g, budget]),
            ("phb_breaches", (mine & breached).sum(), raw["clients_by_kind"][g, budget]),
            ("phb_cap_pence", cap, None),
        ]]
    row_group, measure, value, base = zip(*rows)
    values = np.asarray(value, dtype=float)
    if not raw["cost_recorded"]:
        values[np.isin(measure, _MONEY_MEASURES)] = np.nan
    frame = pd.DataFrame({"measure": list(measure), "value": values,
                          "clients": pd.array([None if b is None else int(b) for b in base], dtype="Int64")})
    return _with_group(frame, people, np.asarray(row_group))


def outward_referrals(interventions: object, clients: object,
                      by: Literal["sector", "organisation"] = "sector", *,
                      group: Grouping = None) -> pd.DataFrame:
    """Outward referrals by sector (all four, zeros included) or by organisation (those with
    at least one outward referral).

    Columns: [group], ``sector`` or ``organisation``, ``referrals``, ``pct`` (of the group's
    outward referrals).
    """
    if by not in ("sector", "organisation"):
        raise ValueError(f"by: must be 'sector' or 'organisation', got {by!r}")
    people = _clients(clients, group)
    raw, organisations = _support(interventions, people, PHB_CAP_PENCE)
    counts = raw[f"referrals_by_{by}"]
    labels = np.asarray(SECTORS if by == "sector" else organisations, dtype=object)
    keep = np.arange(len(labels)) if by == "sector" else np.flatnonzero(counts.sum(axis=0))
    g, k = (a.ravel() for a in np.meshgrid(np.arange(counts.shape[0]), keep, indexing="ij"))
    frame = pd.DataFrame({by: labels[k], "referrals": counts[g, k]})
    frame["pct"] = _percent(frame["referrals"], counts.sum(axis=1)[g])
    return _with_group(frame, people, g)


def spend(interventions: object, clients: object, *, group: Grouping = None) -> pd.DataFrame:
    """Interventions, distinct clients and spend in exact pence by kind (every kind), the money
    the service spent kept apart from the grants it secured from others.

    Columns: [group], ``kind``, ``interventions``, ``clients``, ``pence`` (int64, all the money),
    ``service_pence`` (the service's own) and ``external_pence`` (``funded_by`` external: grants
    secured for clients); ``pence`` = ``service_pence`` + ``external_pence``. A benefit award
    spends nothing (its value is the client's income: :func:`income_gained`). When the
    interventions have neither ``cost_pence`` nor ``cost_pounds``, the three money columns are
    <NA> (Int64) and a column ``cost`` says "not recorded".
    """
    people = _clients(clients, group)
    raw, _ = _support(interventions, people, PHB_CAP_PENCE)
    groups, kinds = len(people.labels), len(INTERVENTION_KINDS)
    g, k = (a.ravel() for a in np.meshgrid(np.arange(groups), np.arange(kinds), indexing="ij"))
    awards = raw["benefit"]
    clients_with_award = np.bincount(_group_of_clients(people)[np.unique(raw["rows"][awards])], minlength=groups)
    pence = np.column_stack([raw["pence_by_kind"], np.zeros(groups)]).astype(np.int64)
    external = _by_group_and_kind(raw, people, np.where(raw["external"], raw["cost"], 0))
    frame = pd.DataFrame({
        "kind": np.asarray(INTERVENTION_KINDS, dtype=object)[k],
        "interventions": np.column_stack([raw["interventions_by_kind"],
                                          _by_group_and_kind(raw, people, awards)[:, _BENEFIT]])[g, k],
        "clients": np.column_stack([raw["clients_by_kind"], clients_with_award])[g, k],
        "pence": pence[g, k],
        "service_pence": (pence - external)[g, k],
        "external_pence": external[g, k],
    })
    return _with_group(_money_not_recorded(frame, raw, ["pence", "service_pence", "external_pence"]), people, g)


def _by_group_and_kind(raw: dict[str, Any], people: _Clients, values: np.ndarray) -> np.ndarray:
    """Per-row ``values`` added up per client group and kind, exactly (int64)."""
    out = np.zeros((len(people.labels), len(INTERVENTION_KINDS)), np.int64)
    np.add.at(out, (_group_of_clients(people)[raw["rows"]], raw["kind"]), values.astype(np.int64))
    return out


def _money_not_recorded(frame: pd.DataFrame, raw: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """Without a cost column, money is <NA> and said to be not recorded, never 0."""
    if not raw["cost_recorded"]:
        for column in columns:
            frame[column] = pd.array([pd.NA] * len(frame), dtype="Int64")
        frame["cost"] = NOT_RECORDED
    return frame


def _by_category(raw: dict[str, Any], people: _Clients, chosen: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """The ``chosen`` rows per client group and ``category``: rows, distinct clients and the
    sum of ``values`` (int64), in group then category order."""
    rows = raw["rows"][chosen]
    frame = pd.DataFrame({"group": _group_of_clients(people)[rows], "category": raw["category"][chosen],
                          "client": rows, "value": values[chosen].astype(np.int64)})
    out = (frame.groupby(["group", "category"], sort=True)
           .agg(rows=("client", "size"), clients=("client", "nunique"), value=("value", "sum"))
           .reset_index().astype({"rows": np.int64, "clients": np.int64, "value": np.int64}))
    return _with_group(out.drop(columns="group"), people, out["group"].to_numpy())


def phb_summary(interventions: object, clients: object, *, group: Grouping = None) -> pd.DataFrame:
    """What personal health budgets bought: per ``category``, the budget items, the clients and
    the spend in exact pence. Over every category, ``pence`` adds up to the ``phb_pence`` of
    :func:`support_summary` and the personal health budget ``pence`` of :func:`spend`.

    Columns: [group], ``category`` ("not recorded" where empty), ``items``, ``clients``,
    ``pence`` (<NA> with a ``cost`` column "not recorded" when no cost is recorded).
    """
    people = _clients(clients, group)
    raw, _ = _support(interventions, people, PHB_CAP_PENCE)
    frame = _by_category(raw, people, raw["kind"] == _PHB, raw["cost"])
    return _money_not_recorded(frame.rename(columns={"rows": "items", "value": "pence"}), raw, ["pence"])


def income_gained(interventions: object, clients: object, *, group: Grouping = None) -> pd.DataFrame:
    """Income clients gained through benefit awards, per benefit (``category``): the awards,
    the clients and the awards' value a year in exact pence. This is the clients' income: it
    is never spend and never NHS cost avoided.

    Columns: [group], ``benefit`` ("not recorded" where the category is empty), ``awards``,
    ``clients``, ``annual_pence``.
    """
    people = _clients(clients, group)
    raw, _ = _support(interventions, people, PHB_CAP_PENCE)
    frame = _by_category(raw, people, raw["benefit"], raw["annual_pence"])
    return frame.rename(columns={"category": "benefit", "rows": "awards", "value": "annual_pence"})


def phb_breaches(interventions: object, clients: object, cap_pence: int = PHB_CAP_PENCE, *,
                 group: Grouping = None) -> pd.DataFrame:
    """Clients whose personal health budget spend in total is more than ``cap_pence``.

    Columns: [group], ``client_id``, ``phb_pence``, ``over_cap_pence`` (int64), in clients order.
    """
    cap = _check_cap(cap_pence)
    people = _clients(clients, group)
    raw, _ = _support(interventions, people, cap)
    if not raw["cost_recorded"]:
        raise ValueError(f"{_TABLE}: no cost_pence or cost_pounds column, so personal health budget spend is "
                         f"not recorded and breaches of the cap cannot be found")
    rows = raw["phb_breaches"]
    spent = raw["phb_pence"][rows]
    frame = pd.DataFrame({"client_id": people.ids[rows], "phb_pence": spent, "over_cap_pence": spent - cap})
    return _with_group(frame, people, _group_of_clients(people)[rows])


# ------------------------------------------------------------------------------- feedback
def _answers(values: pd.Series, column: str, parse: dict[str, int]) -> np.ndarray:
    """Answers as codes: labels through ``parse`` (case and spaces ignored), empty as not answered."""
    text = normalised_labels(decoded(values, "feedback", column))
    codes = text.map(parse)
    unknown = text.notna().to_numpy() & codes.isna().to_numpy()
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise ValueError(f"feedback.{column} row {row}: unknown answer {values.iloc[row]!r} "
                         f"(expected one of: {', '.join(dict.fromkeys(parse))})")
    return codes.fillna(_core.NOT_ANSWERED).to_numpy(dtype=np.uint8)


def _stars(values: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce")
    given = values.notna().to_numpy()
    number = numeric.to_numpy(dtype=float)
    bad = given & ~np.isin(number, [1, 2, 3, 4, 5])
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"feedback.stars row {row}: {values.iloc[row]!r} is not a whole number of stars 1-5")
    return np.where(given, np.nan_to_num(number), _core.NOT_ANSWERED).astype(np.uint8)


def feedback_summary(feedback: object, clients: object | None = None, *,
                     group: Grouping = None) -> pd.DataFrame:
    """The share answering yes to each feedback measure, with the number who answered.

    Columns: [group], ``measure`` (``FEEDBACK_MEASURES``), ``answered`` (the denominator),
    ``yes``, ``not_answered`` (left out of the denominator), ``pct`` (100 x yes / answered).
    ``group`` needs ``clients``: a form counts in its client's group.
    """
    frame = as_frame(feedback, "feedback").reset_index(drop=True)
    require_columns(frame, "feedback", ["stars", "impact", "connected_to_services"])
    impact = _answers(frame["impact"], "impact", {label: i for i, label in enumerate(IMPACTS)})
    connected = _answers(frame["connected_to_services"], "connected_to_services",
                         {**{yes: 1 for yes in _YES}, **{no: 0 for no in _NO}})
    people = None
    codes = np.empty(0, np.int32)
    if group is not None:
        if clients is None:
            raise ValueError("clients: feedback_summary(group=...) needs the clients table")
        people = _clients(clients, group)
        require_columns(frame, "feedback", ["client_id"])
        rows = _core.client_rows(people.ids, as_ids(frame["client_id"], "feedback", "client_id"), "feedback")
        codes = np.ascontiguousarray(_group_of_clients(people)[rows], dtype=np.int32)
    groups = 1 if people is None else len(people.labels)
    counts = _core.summarise_feedback(_stars(frame["stars"]), impact, connected, codes, groups)
    g, m = (a.ravel() for a in np.meshgrid(np.arange(groups), np.arange(len(FEEDBACK_MEASURES)), indexing="ij"))
    out = pd.DataFrame({
        "measure": np.asarray(FEEDBACK_MEASURES, dtype=object)[m],
        "answered": counts[g, m, 0],
        "yes": counts[g, m, 1],
        "not_answered": counts[g, m, 2],
    })
    out["pct"] = _percent(out["yes"], out["answered"])
    return out if people is None else _with_group(out, people, g)


# ------------------------------------------------------------------------------- disclosure
def _counts(values: np.ndarray, describe: Callable[[tuple[int, ...]], str]) -> np.ndarray:
    numeric = pd.DataFrame(values).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric) | (numeric != np.round(numeric)) | (numeric < 0)
    if bad.any():
        at = tuple(int(i[0]) for i in np.nonzero(bad))
        raise ValueError(f"{describe(at)}: {values[at]!r} is not a count (a whole number >= 0)")
    return numeric.astype(np.int64)


def suppress(table: Table, *, threshold: int = 5, margins: bool = True) -> tuple[Table, Table]:
    """Disclosure control for a published count table: counts 1 to threshold-1 are suppressed.

    Secondary suppression keeps totals from revealing a suppressed cell: a row or column (with
    its total) holding exactly one suppressed cell gets its smallest non-zero published cell
    suppressed too (inner cells before totals, ties to the first), repeated to a fixed point;
    in a 2-D table a suppressed cell that could still be solved by combining several rows and
    columns is also closed off (see ``include/socialrx/model/disclosure.hpp``). 0 is published.
    Totals are computed here and, with ``margins``, returned as a ``"total"`` row and column
    (Series: a ``"total"`` entry), since they are what a reader would add up.

    Returns ``(published, secondary)``: the counts as nullable ``Int64`` with suppressed cells
    ``<NA>``, and a boolean mask of the same shape marking the cells suppressed only to protect
    others (the rest of the ``<NA>`` are primary).
    """
    if isinstance(threshold, bool) or int(threshold) != threshold or threshold < 1:
        raise ValueError(f"threshold: must be a whole number >= 1, got {threshold!r}")
    if isinstance(table, pd.Series):
        counts = _counts(table.to_numpy(dtype=object).reshape(-1, 1),
                         lambda at: f"{table.name or 'series'}[{table.index[at[0]]!r}]")[:, 0]
        raw = _core.disclose_series(counts, int(threshold))
        index = table.index.append(pd.Index([TOTAL]))
        shape, keep = (len(counts) + 1,), (slice(None) if margins else slice(0, len(counts)))
        values = raw["values"].reshape(shape)[keep]
        state = raw["disclosure"].reshape(shape)[keep]
        published = pd.Series(pd.array(values, dtype="Int64"), index=index[keep], name=table.name)
        published[state != 0] = pd.NA
        return published, pd.Series(state == 2, index=index[keep], name=table.name)
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table: expected a pandas DataFrame or Series, got {type(table).__name__}")
    counts = _counts(table.to_numpy(dtype=object),
                     lambda at: f"table[{table.index[at[0]]!r}, {table.columns[at[1]]!r}]")
    rows, columns = counts.shape
    raw = _core.disclose_table(counts.ravel(), rows, columns, int(threshold))
    index, labels = table.index.append(pd.Index([TOTAL])), table.columns.append(pd.Index([TOTAL]))
    keep_rows, keep_columns = (slice(None), slice(None)) if margins else (slice(0, rows), slice(0, columns))
    values = raw["values"].reshape(rows + 1, columns + 1)[keep_rows, keep_columns]
    state = raw["disclosure"].reshape(rows + 1, columns + 1)[keep_rows, keep_columns]
    published = pd.DataFrame(values, index=index[keep_rows], columns=labels[keep_columns]).astype("Int64")
    published = published.mask(state != 0)
    return published, pd.DataFrame(state == 2, index=published.index, columns=published.columns)
