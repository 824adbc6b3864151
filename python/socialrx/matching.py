"""A matched comparison group: referred clients against non-referred patients.

Clients were referred *because* their use of urgent care was high, so a fall afterwards is
expected with no effect at all. Matching finds, for each connected client, comparison patients
who looked the same at the client's index date:

1. Every comparison patient gets a pseudo index date, drawn (seeded, per patient id) from the
   index dates of the clients who can be matched, so that calendar time matches.
2. Covariates are measured at the (pseudo) index date: ``age`` (in whole years: index year -
   ``birth_year``; a table with only ``age`` has it shifted from the referral year to the index
   year for clients, and taken as it stands for comparison patients), ``female`` (``sex`` is
   female / f, or NHS code 2), ``deprivation_decile``, ``prior_<kind>``: events of each kind
   in the look-back window [index - D, index), ``baseline_<kind>``: events of each kind per D
   days before the look-back, over [index - 3D, index - D) where the data cover it and
   [index - 2D, index - D) where they do not (the default takes the kinds that occur in each),
   and ``comorbidity`` (Charlson, Quan 2011 weights, over diagnoses dated before the index
   date) when diagnoses are given. Any other numeric column of both tables can be named too.

   Why the baseline: clients are referred at the end of a spell of high use, so their look-back
   is high for a reason that passes, while comparison patients with the same look-back counts
   are mostly people whose use is always high. Matched on the look-back alone, the controls'
   use stays high while the clients' falls back to their usual level, and the DiD overstates
   the fall. Use before the look-back tells the two apart.
3. A logistic regression of client (1) against comparison patient (0) on the covariates gives
   the propensity score; each client is matched to its k nearest comparison patients on the
   logit of the score, within a caliper of ``caliper`` x SD of the logit (the SD pooled over
   the two groups: sqrt((var_t + var_c) / 2)), optionally only within exact strata. Without
   replacement matching is greedy, clients taken in descending score; with replacement a
   patient may serve several clients. See ``socialrx/evaluate/matching.hpp`` for tie rules.

Nothing is dropped silently: every client left unmatched is listed by :meth:`Match.unmatched`
with its reason: ``not_connected`` (no index date), ``lookback_before_data`` (the look-back
window, or with ``baseline_<kind>`` covariates the D days before it, starts before
``data_start``, so prior use cannot be measured in full),
``no_comparison_in_stratum`` or ``no_match_within_caliper``. A missing covariate value is an
error naming the table, column and row; default covariates whose columns a table lacks are
left out and listed in ``Match.notes``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import _core
from ._columns import NO_DATE, as_days, as_frame, as_ids, require_columns, whole_number
from ._measures import EVENT_KINDS
from .did import DiDResult, PersonCounts
from .did import did as did_estimate
from .kind_groups import GroupsOption
from .risk.comorbidity import charlson

if TYPE_CHECKING:
    from .evaluation import Evaluation

__all__ = ["Match", "match", "look_back_counts", "UNMATCHED_REASONS"]

_PRIOR, _BASELINE = "prior_", "baseline_"
UNMATCHED_REASONS = ("not_connected", "lookback_before_data", "no_comparison_in_stratum",
                     "no_match_within_caliper")
_STATUS = tuple(_core.MATCH_STATUSES)  # engine codes: matched, no_match..., no_comparison...
_FEMALE = {"female", "f", "woman", "2"}
_NS_PER_DAY = 86_400 * 1_000_000_000


class Match:
    """Matched sets of clients and comparison patients, with the propensity model and balance.

    Built by :func:`match`. Rows of the internal arrays: eligible clients first (in clients
    table order), then every comparison patient (in comparison table order).
    """

    def __init__(self, ev: Evaluation, *, client_rows: np.ndarray, reasons: np.ndarray,
                 pseudo_index_date: np.ndarray, person_id: np.ndarray, names: list[str],
                 x: np.ndarray, result: dict[str, Any], options: dict[str, Any],
                 notes: list[str]) -> None:
        self.evaluation = ev
        self.options = options
        self.notes = notes
        self._client_rows = client_rows          # eligible clients' rows in ev.clients
        self._reasons = reasons                  # per client row: reason code, -1 when matched
        self._pseudo = pseudo_index_date         # per comparison row, int32 days
        self._person_id = person_id              # eligible clients, then comparison patients
        self._names = names
        self._x = x                              # [person][covariate], row-major
        self._result = result
        self._client_id = ev.client_columns["client_id"]
        self._comparison_id = ev.comparison_ids

    # ----------------------------------------------------------------- matched sets
    def matches(self) -> pd.DataFrame:
        """One row per (client, comparison patient) pair: ``client_id``, ``comparison_id``,
        ``set_id`` (0, 1, ... in clients table order) and ``weight`` = 1 / (comparison patients
        in the set), so that each set weighs as much as its one client."""
        r = self._result
        sizes = np.diff(r["set_begin"])
        set_id = np.repeat(np.arange(len(sizes)), sizes)
        return pd.DataFrame({
            "client_id": self._client_id[self._client_rows[r["set_treated"]]][set_id],
            "comparison_id": self._comparison_id[r["control"]],
            "set_id": set_id,
            "weight": 1.0 / sizes[set_id],
        })

    def did(self, *, windows: Any = (6, 12), bootstrap: int = 2000, level: float = 0.95, seed: int = 1,
            threads: int = 0, progress: bool | None = None, clients: Any = None,
            groups: GroupsOption = None) -> DiDResult:
        """Difference-in-differences of the matched sets per window and event kind (and in
        money), with bootstrap intervals over matched sets; see ``socialrx.did.did``.
        ``clients`` (client ids) restricts it to those clients' sets, e.g. one practice's;
        ``groups`` adds groups of kinds, each from its people's summed counts."""
        matches = self.matches()
        if clients is not None:
            matches = matches[matches["client_id"].isin(as_ids(pd.Series(clients), "did", "clients"))]
        return did_estimate(self.evaluation, matches, self.comparison_index_dates(), windows=windows,
                            bootstrap=bootstrap, level=level, seed=seed, threads=threads, progress=progress,
                            groups=groups)

    def weights(self) -> pd.DataFrame:
        """Matching weights (effect on the treated) of everyone with a non-zero one:
        ``person_id``, ``group`` (client / comparison), ``weight``: a matched client 1, a
        comparison patient the sum of its weights over the sets it is in."""
        weight = self._result["weight"]
        keep = weight > 0
        return pd.DataFrame({
            "person_id": self._person_id[keep],
            "group": self._groups()[keep],
            "weight": weight[keep],
        })

    def unmatched(self) -> pd.DataFrame:
        """Every client left unmatched: ``client_id`` and ``reason`` (one of
        ``UNMATCHED_REASONS``), in clients table order."""
        rows = np.flatnonzero(self._reasons >= 0)
        return pd.DataFrame({
            "client_id": self._client_id[rows],
            "reason": pd.Categorical.from_codes(self._reasons[rows], categories=pd.Index(UNMATCHED_REASONS)),
        })

    def comparison_index_dates(self) -> pd.DataFrame:
        """Every comparison patient's ``patient_id`` and ``pseudo_index_date`` (datetime64)."""
        nanoseconds = self._pseudo.astype(np.int64) * _NS_PER_DAY
        return pd.DataFrame({"patient_id": self._comparison_id,
                             "pseudo_index_date": nanoseconds.view("datetime64[ns]")})

    # ----------------------------------------------------------------- model and balance
    def balance(self) -> pd.DataFrame:
        """Standardised mean differences, (mean_t - mean_c) / sqrt((var_t + var_c) / 2), per
        covariate: before matching over every eligible client and comparison patient; after,
        over the matched ones with the matching weights. Columns: ``covariate``,
        ``smd_before``, ``smd_after``, ``client_mean_before``, ``comparison_mean_before``,
        ``client_mean_after``, ``comparison_mean_after``."""
        b = self._result["balance"]
        return pd.DataFrame({
            "covariate": self.covariate_names,
            "smd_before": b["smd_before"],
            "smd_after": b["smd_after"],
            "client_mean_before": b["treated_mean_before"],
            "comparison_mean_before": b["control_mean_before"],
            "client_mean_after": b["treated_mean_after"],
            "comparison_mean_after": b["control_mean_after"],
        })

    @property
    def covariate_names(self) -> list[str]:
        return list(self._names)

    def covariates(self) -> pd.DataFrame:
        """The model's data: ``person_id``, ``treated`` (1 client, 0 comparison) and one column
        per covariate, eligible clients first."""
        frame = pd.DataFrame(self._x, columns=self._names)
        frame.insert(0, "treated", (np.arange(len(self._x)) < len(self._client_rows)).astype(np.int8))
        frame.insert(0, "person_id", self._person_id)
        return frame

    def _groups(self) -> np.ndarray:
        return np.where(np.arange(len(self._x)) < len(self._client_rows), "client", "comparison")

    def coefficients(self) -> pd.DataFrame:
        """The propensity model: ``term`` (intercept, then the covariates), ``coefficient``
        (log odds of being a client) and ``std_error``."""
        r = self._result
        return pd.DataFrame({
            "term": ["intercept", *self.covariate_names],
            "coefficient": np.concatenate([[r["intercept"]], r["coefficients"]]),
            "std_error": r["standard_errors"],
        })

    def propensity(self) -> pd.DataFrame:
        """Per eligible person: ``person_id``, ``group``, ``logit`` and ``score`` (probability)."""
        logit = self._result["logit"]
        return pd.DataFrame({
            "person_id": self._person_id,
            "group": self._groups(),
            "logit": logit,
            "score": 1.0 / (1.0 + np.exp(-logit)),
        })

    def summary(self) -> pd.Series:
        """Counts: clients, eligible, matched, unmatched by reason, comparison patients in the
        pool and used, matched sets short of k; the caliper on the logit scale."""
        r = self._result
        reasons = pd.Series(self._reasons[self._reasons >= 0]).map(dict(enumerate(UNMATCHED_REASONS)))
        counts = reasons.value_counts()
        sizes = np.diff(r["set_begin"])
        out = {
            "clients": len(self._client_id),
            "eligible_clients": len(self._client_rows),
            "matched_clients": len(sizes),
            **{f"unmatched_{reason}": int(counts.get(reason, 0)) for reason in UNMATCHED_REASONS},
            "comparison_pool": len(self._comparison_id),
            "comparison_used": int(np.count_nonzero(r["weight"][len(self._client_rows):])),
            "sets_short_of_k": int(np.count_nonzero(sizes < self.options["k"])),
            "k": self.options["k"],
            "caliper_sd": self.options["caliper"],
            "caliper_logit": r["caliper"],
        }
        return pd.Series(out, name="match", dtype=object)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                       f"<td style='text-align:right'>{html.escape(_fmt(v))}</td></tr>"
                       for k, v in self.summary().items())
        bal = self.balance()
        rows = "".join(f"<tr><td>{html.escape(c)}</td><td>{b:+.3f}</td><td>{a:+.3f}</td></tr>"
                       for c, b, a in zip(bal["covariate"], bal["smd_before"], bal["smd_after"]))
        return (f"<table><caption>Matched comparison</caption>{body}</table>"
                f"<table><caption>Balance (standardised mean differences)</caption>"
                f"<tr><th>covariate</th><th>before</th><th>after</th></tr>{rows}</table>")

    def __repr__(self) -> str:
        s = self.summary()
        return (f"Match({s['matched_clients']} of {s['clients']} clients matched 1:{s['k']} "
                f"from {s['comparison_pool']} comparison patients)")


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)


def match(ev: Evaluation, *, covariates: Sequence[str] | None = None, k: int = 1,
          caliper: float | None = 0.2, replace: bool = False, exact: Sequence[str] = (),
          seed: int = 1, lookback_months: float = 12, diagnoses: Any = None,
          threads: int = 0) -> Match:
    """Match connected clients to comparison patients on the propensity score.

    Args:
        ev: an Evaluation with clients, events, a comparison table and data_start/data_end.
        covariates: names to use (see the module doc); None: the default set.
        k: comparison patients per client (1:k).
        caliper: width in SDs of the logit; None for no caliper.
        replace: whether a comparison patient may be matched to several clients.
        exact: columns of both tables (e.g. ``("practice",)``, ``("sex",)``) to match exactly on.
        seed: pseudo index dates; the same seed gives the same matches for any thread count.
        lookback_months: the window for prior utilisation (12 -> 365 days), D above; the
            default covariates need 2D days of data before the index date.
        diagnoses: optional long table (``patient_id``, ``code``, optional ``date``) for the
            ``comorbidity`` covariate.
        threads: engine threads (0: all).
    """
    k, threads = whole_number(k, "match.k", 1), whole_number(threads, "match.threads", 0)
    seed = whole_number(seed, "match.seed", 0)
    if caliper is not None and not (isinstance(caliper, (int, float)) and np.isfinite(caliper) and caliper > 0):
        raise ValueError(f"match.caliper: must be a positive number of SDs or None, got {caliper!r}")
    if ev.comparison is None:
        raise ValueError("comparison: matching needs a comparison table of non-referred patients")
    if ev.data_start is None or ev.data_end is None:
        raise ValueError("data_start/data_end: needed to decide whose look-back the data cover")
    if isinstance(exact, str):
        exact = (exact,)
    lookback = int(_core.window_days(float(lookback_months)))
    threads = threads or ev.threads

    cc = ev.client_columns
    index = cc["index_date"]
    connected = index != NO_DATE
    # baseline_<kind> covariates need the D days before the look-back too.
    baseline = covariates is None or any((_use_kind(str(n)) or ("",))[0] == _BASELINE for n in covariates)
    history = 2 * lookback if baseline else lookback
    covered = connected & (index.astype(np.int64) - history >= ev.data_start)
    reasons = np.where(~connected, UNMATCHED_REASONS.index("not_connected"),
                       np.where(~covered, UNMATCHED_REASONS.index("lookback_before_data"), -1)).astype(np.int8)
    client_rows = np.flatnonzero(covered)
    if len(client_rows) == 0:
        need = ("the look-back and the baseline before it need (name covariates without "
                "baseline_<kind> to match on the look-back alone)" if baseline else "the look-back needs")
        raise ValueError(f"clients.index_date: no connected client has the {history} days of data "
                         f"before its index date that {need}")
    comparison_id = ev.comparison_ids
    pseudo = _core.pseudo_index_dates(comparison_id, index[client_rows], seed, threads)

    people = _People(ev, client_rows, comparison_id, pseudo, comparison=ev.comparison,
                     data_start=ev.data_start, data_end=ev.data_end)
    names, x, notes = _covariate_matrix(people, covariates, lookback, baseline, diagnoses, threads)
    stratum = _strata(people, exact)
    # With the person ids, the engine fits and matches in id order: no table's row order can
    # change the pairs, even where two logits tie.
    result = _core.propensity_match(x, len(client_rows), stratum, k,
                                    np.inf if caliper is None else float(caliper), bool(replace), threads,
                                    id=people.ids)
    status = result["status"]
    unmatched = status != 0
    reasons[client_rows[unmatched]] = np.where(
        status[unmatched] == _STATUS.index("no_comparison_in_stratum"),
        UNMATCHED_REASONS.index("no_comparison_in_stratum"),
        UNMATCHED_REASONS.index("no_match_within_caliper"))
    options = {"covariates": names, "k": k, "caliper": caliper, "replace": bool(replace),
               "exact": tuple(exact), "seed": seed, "lookback_days": lookback, "history_days": history}
    return Match(ev, client_rows=client_rows, reasons=reasons, pseudo_index_date=pseudo,
                 person_id=people.ids, names=names, x=x, result=result, options=options, notes=notes)


class _People:
    """Eligible clients then comparison patients: ids, (pseudo) index dates, source rows; with
    the evaluation's tables and data period that matching needs, as checked by :func:`match`."""

    def __init__(self, ev: Evaluation, client_rows: np.ndarray, comparison_id: np.ndarray, pseudo: np.ndarray, *,
                 comparison: pd.DataFrame, data_start: int, data_end: int) -> None:
        self.ev = ev
        self.client_rows = client_rows
        self.clients = ev.clients
        self.comparison = comparison
        self.data_start, self.data_end = data_start, data_end
        self.n_clients = len(client_rows)
        self.ids = np.concatenate([ev.client_columns["client_id"][client_rows], comparison_id])
        self.index = np.concatenate([ev.client_columns["index_date"][client_rows], pseudo])

    def both(self, column: str) -> tuple[pd.Series, pd.Series] | None:
        """The column from both tables (clients restricted to the eligible), or None when a
        table lacks it."""
        if column not in self.clients.columns or column not in self.comparison.columns:
            return None
        return self.clients[column].iloc[self.client_rows], self.comparison[column]

    def numbers(self, column: str, values: tuple[pd.Series, pd.Series]) -> np.ndarray:
        """Both parts as floats; a missing or non-numeric value is an error."""
        numeric = np.concatenate([pd.to_numeric(v, errors="coerce").to_numpy(dtype=float) for v in values])
        self.refuse(column, values, ~np.isfinite(numeric), "a number is required for matching")
        return numeric

    def labels(self, column: str, values: tuple[pd.Series, pd.Series],
               purpose: str) -> tuple[np.ndarray, np.ndarray]:
        """Both parts as codes into their distinct labels (strings), factorised per table
        (categoricals by their codes, without a string per row); a missing label is an error."""
        missing = np.concatenate([v.isna().to_numpy() for v in values])
        self.refuse(column, values, missing, f"missing value (needed for {purpose})")
        parts = [pd.factorize(v) for v in values]
        names = np.concatenate([np.asarray(uniques, dtype=object).astype(str) for _, uniques in parts])
        unified, labels = pd.factorize(names)
        first = len(parts[0][1])
        codes = np.concatenate([unified[:first][parts[0][0]], unified[first:][parts[1][0]]])
        return codes, np.asarray(labels, dtype=str)

    def refuse(self, column: str, values: tuple[pd.Series, pd.Series], bad: np.ndarray,
               problem: str) -> None:
        """A ValueError naming the table and row of the first bad person, if any."""
        if not bad.any():
            return
        at = int(np.flatnonzero(bad)[0])
        if at < self.n_clients:
            table, row, value = "clients", int(self.client_rows[at]), values[0].iloc[at]
        else:
            table, row = "comparison", at - self.n_clients
            value = values[1].iloc[row]
        raise ValueError(f"{table}.{column} row {row}: {problem}, got {value!r}")

    def index_year(self) -> np.ndarray:
        return _calendar_year(self.index)


def _calendar_year(days: np.ndarray) -> np.ndarray:
    """The calendar year of each day number, through a table over the days' range (converting
    every value to datetime64[Y] is much slower)."""
    first = int(days.min())
    table = np.arange(first, int(days.max()) + 1).astype("datetime64[D]").astype("datetime64[Y]")
    return table.astype(np.int64)[days - first] + 1970


def _covariate_matrix(people: _People, names: Sequence[str] | None, lookback: int, baseline: bool,
                      diagnoses: Any, threads: int) -> tuple[list[str], np.ndarray, list[str]]:
    """The covariates' names, a row-major [person][covariate] float matrix, and notes."""
    use = _prior_use(people, lookback, baseline, threads)
    notes: list[str] = []
    if names is None:
        names = ["age", "female", "deprivation_decile",
                 *(f"{prefix}{kind}" for prefix, parts in use.items()
                   for kind, seen in zip(EVENT_KINDS, np.logical_or.reduce([p.any(axis=0) for p in parts]))
                   if seen)]
        if diagnoses is not None:
            names.append("comorbidity")
        available = [n for n in names if _use_kind(n) is not None or n == "comorbidity"
                     or _base_source(people, n) is not None]
        notes += [f"{n}: left out (a table has no column for it)" for n in names if n not in available]
        names = available
    if not names:
        raise ValueError("match.covariates: no covariates to match on")
    if len(set(names)) != len(names):
        raise ValueError(f"match.covariates: repeated names in {list(names)}")
    x = np.empty((len(people.ids), len(names)))
    for j, name in enumerate(names):
        if _use_kind(name) is not None:
            continue
        if name == "comorbidity":
            if diagnoses is None:
                raise ValueError("match.covariates: comorbidity needs diagnoses=")
            x[:, j] = _comorbidity(people, diagnoses, threads)
        else:
            x[:, j] = _base_covariate(people, name)
    for prefix, parts in use.items():  # a block per table: each person's counts read once
        found = [(j, at[1]) for j, at in enumerate(map(_use_kind, names)) if at and at[0] == prefix]
        if not found:
            continue
        columns, kinds = (_index(list(v)) for v in zip(*found))
        x[:people.n_clients, columns] = parts[0][:, kinds]
        x[people.n_clients:, columns] = parts[1][:, kinds]
    return list(names), x, notes


def _index(positions: list[int]) -> slice | list[int]:
    """A slice where the positions run consecutively (a view, not a copy), else the list."""
    if positions == list(range(positions[0], positions[0] + len(positions))):
        return slice(positions[0], positions[0] + len(positions))
    return positions


def _use_kind(name: str) -> tuple[str, int] | None:
    """(prefix, kind position) of a prior_<kind> or baseline_<kind> name, else None."""
    for prefix in (_PRIOR, _BASELINE):
        if name.startswith(prefix) and name[len(prefix):] in EVENT_KINDS:
            return prefix, EVENT_KINDS.index(name[len(prefix):])
    return None


def _base_source(people: _People, name: str) -> tuple[pd.Series, pd.Series] | None:
    if name == "age":
        return people.both("birth_year") or people.both("age")
    if name == "female":
        return people.both("sex")
    return people.both(name)


def _base_covariate(people: _People, name: str) -> np.ndarray:
    values = _base_source(people, name)
    if values is None:
        raise ValueError(f"match.covariates: {name!r} needs a column in both the clients and "
                         "the comparison table (or is prior_<kind> / baseline_<kind> / comorbidity)")
    if name == "female":
        return _female(people, values)
    if name == "age" and people.both("birth_year") is not None:
        return people.index_year() - people.numbers("birth_year", values)
    if name == "age":
        age = people.numbers("age", values)
        referral = people.ev.client_columns["referral_date"][people.client_rows]
        age[:people.n_clients] += people.index_year()[:people.n_clients] - _calendar_year(referral)
        return age
    return people.numbers(name, values)


def _female(people: _People, values: tuple[pd.Series, pd.Series]) -> np.ndarray:
    codes, labels = people.labels("sex", values, "matching")
    return np.isin(np.char.lower(np.char.strip(labels)), list(_FEMALE))[codes].astype(np.float64)


def _prior_use(people: _People, lookback: int, baseline: bool,
               threads: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Events per person and kind, [person][kind] for the eligible clients and for the comparison
    patients (two arrays), by covariate prefix: prior_ in the look-back [index - D, index); with
    ``baseline``, baseline_ per D days in [index - 3D, index - D) where the data cover it, else
    in [index - 2D, index - D), which every eligible person has. The counts come from
    :func:`look_back_counts`, over the events at once (over each part of them, added, for a
    partitioned evaluation).
    """
    ev = people.ev
    cc = ev.client_columns
    patients = len(people.ids) - people.n_clients
    # Only the look-back side is wanted: widen the data end so that no one is left out for a
    # follow-up window the data do not cover.
    data_end = max(int(people.data_end), int(people.index.max()) + (3 if baseline else 1) * lookback)
    counted = ev._per_person(partial(
        look_back_counts, clients={name: cc[name] for name in ("client_id", "referral_date", "index_date")},
        comparison_id=people.ids[people.n_clients:], pseudo_index_date=people.index[people.n_clients:],
        windows=[lookback, 2 * lookback, 3 * lookback] if baseline else [lookback],
        data_start=int(people.data_start), data_end=data_end), threads)
    rows = patients + people.client_rows  # eligible clients, after the comparison patients
    # [window][person][kind] per table
    parts = (counted.counts[:, rows], counted.counts[:, :patients])
    prior = tuple(part[0] for part in parts)
    if not baseline:
        return {_PRIOR: prior}
    covered = (counted.included[2, rows] == 1, counted.included[2, :patients] == 1)
    return {_PRIOR: prior,
            _BASELINE: tuple(np.where(c[:, None], (part[2] - part[0]) / 2.0, part[1] - part[0])
                             for part, c in zip(parts, covered))}


def look_back_counts(events: dict[str, np.ndarray], threads: int, *, clients: dict[str, np.ndarray],
                     comparison_id: np.ndarray, pseudo_index_date: np.ndarray, windows: Sequence[int],
                     data_start: int, data_end: int) -> PersonCounts:
    """Every comparison patient's, then every client's events per kind in the windows [index - W,
    index) over ``events``: counts [window][person][kind], included [window][person].

    The windows are counted in one pass over the events. The pass counts the comparison
    patients (their ids the counted people, the clients' counted apart: ids numbered within one
    narrow range per call are looked up directly rather than hashed) and collects the rows of
    the clients' events, which a second call, over those rows alone, counts per client.
    """
    none = np.empty(0, np.int32)

    def count(ids: np.ndarray, referral: np.ndarray, index: np.ndarray, others: np.ndarray,
              counted: dict[str, np.ndarray], collect: bool = False) -> Any:
        return _core.count_utilisation(
            client_id=ids, referral_date=referral, index_date=index, discharge_date=none,
            group=none, groups=1, other_ids=others, person_id=counted["person_id"], date=counted["date"],
            kind=counted["kind"], data_start=data_start, data_end=data_end, windows=list(windows),
            threads=threads, per_person=True, before_only=True, collect_other_rows=collect)

    # Every client row, so that all their events are known; the ineligible ones count nothing.
    patients = count(comparison_id, pseudo_index_date, pseudo_index_date, clients["client_id"], events,
                     collect=True)
    of_clients = count(clients["client_id"], clients["referral_date"], clients["index_date"], np.empty(0, np.int64),
                       {name: column[patients.other_rows] for name, column in events.items()})
    return PersonCounts(np.concatenate([patients.counts[..., 0], of_clients.counts[..., 0]], axis=1),
                        np.concatenate([patients.clients_included, of_clients.clients_included], axis=1))


def _comorbidity(people: _People, diagnoses: Any, threads: int) -> np.ndarray:
    """Charlson score (Quan 2011 weights) over each person's diagnoses dated before the index
    date (all of them when the table has no dates); 0 for people with none."""
    frame = as_frame(diagnoses, "diagnoses")
    id_column = next((c for c in ("patient_id", "person_id", "client_id") if c in frame.columns), None)
    if id_column is None:
        raise ValueError("diagnoses: missing column patient_id")
    require_columns(frame, "diagnoses", [id_column, "code"])
    position = pd.Index(people.ids).get_indexer(as_ids(frame[id_column], "diagnoses", id_column))
    keep = position >= 0
    if "date" in frame.columns:
        date = as_days(frame["date"], "diagnoses", "date", required=True)
        keep &= date < people.index[np.maximum(position, 0)]
    kept = pd.DataFrame({"patient_id": position[keep], "code": frame["code"].to_numpy()[keep]})
    scores = charlson(kept, threads=threads)
    out = np.zeros(len(people.ids))
    out[scores["patient_id"].to_numpy()] = scores["score"].to_numpy(dtype=float)
    return out


def _strata(people: _People, exact: Sequence[str]) -> np.ndarray:
    """One code per person for the combination of the exact-matching columns' labels."""
    if not exact:
        return np.empty(0, np.int32)
    combined = np.zeros(len(people.ids), np.int64)
    for column in exact:
        values = people.both(column)
        if values is None:
            raise ValueError(f"match.exact: {column!r} must be a column of both the clients and the comparison table")
        codes, labels = people.labels(column, values, "exact matching")
        combined = pd.factorize(combined * len(labels) + codes)[0].astype(np.int64)
    return combined.astype(np.int32)
