"""Difference-in-differences over matched sets: the honest figure beside the naive one.

Clients selected for high use fall back towards their usual level whatever the service does
(regression to the mean). Matched comparison patients, selected the same way at a pseudo index
date, fall back too; the difference between the two changes is the service's effect:

    DiD per client = mean over sets of [(post - pre) of the client
                                        - weighted mean (post - pre) of its controls]

``did_pct`` is DiD relative to the counterfactual post level (treated pre + control change):
the share of the events the clients would have had without the service that they did not
have. ``did_pct_of_pre`` relates DiD to the treated pre level, in the units of the naive %
change. Bootstrap intervals resample matched sets; replicate b draws from a random stream keyed
by (seed, b), so the numbers are the same for any thread count and batching.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._columns import NO_DATE, as_days, as_frame, as_ids, require_columns, whole_number
from ._measures import EVENT_KINDS, Window, parse_windows, percent_change

__all__ = ["DiDResult", "did"]

MONEY_KIND = "all_kinds_pence"
# Replicates x sets (summed over windows) above which a progress bar is shown by default:
# about a second or more of work.
_PROGRESS_WORK = 10**8
_BATCHES = 50


class DiDResult:
    """The matched difference-in-differences of one run of :func:`did`.

    ``estimates`` holds the estimator's own table, one row per window and kind (and money),
    with the columns :func:`did` documents.
    """

    def __init__(self, estimates: pd.DataFrame) -> None:
        self.estimates = estimates

    def __repr__(self) -> str:
        windows = list(dict.fromkeys(self.estimates["window"]))
        clients = int(self.estimates["clients"].max()) if len(self.estimates) else 0
        return f"DiDResult(windows={windows}, matched clients={clients:,})"


class _TextBar:
    """A one-line progress bar on stderr, for when tqdm is not installed."""

    def __init__(self, total: int, width: int = 30) -> None:
        self.total, self.done, self.width = total, 0, width
        self._draw()

    def update(self, n: int) -> None:
        self.done += n
        self._draw()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()

    def _draw(self) -> None:
        filled = self.width * self.done // max(self.total, 1)
        sys.stderr.write(f"\rbootstrap [{'#' * filled}{'.' * (self.width - filled)}] "
                         f"{self.done}/{self.total} replicates")
        sys.stderr.flush()


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _TextBar(total)
    return tqdm(total=total, desc="bootstrap", unit="replicate", file=sys.stderr)


def _people(ev: Any, matches: pd.DataFrame, pseudo: pd.DataFrame) -> tuple[dict[str, np.ndarray], np.ndarray,
                                                                          np.ndarray, np.ndarray]:
    """Clients, then the matched comparison patients at their pseudo index dates, as one
    clients view for per-person counting; the pool's other patients; each match row's client
    and control positions in that view."""
    clients = ev.client_columns
    client_ids = clients["client_id"]
    client_row = pd.Index(client_ids).get_indexer(as_ids(matches["client_id"], "matches", "client_id"))
    if (client_row < 0).any():
        row = int(np.flatnonzero(client_row < 0)[0])
        raise ValueError(f"matches.client_id row {row}: {matches['client_id'].iloc[row]!r} is not a client")
    comparison_id = as_ids(matches["comparison_id"], "matches", "comparison_id")
    controls, control_position = np.unique(comparison_id, return_inverse=True)

    require_columns(pseudo, "comparison_index_dates", ["patient_id", "pseudo_index_date"])
    pseudo_ids = as_ids(pseudo["patient_id"], "comparison_index_dates", "patient_id")
    found = pd.Index(pseudo_ids).get_indexer(controls)
    if (found < 0).any():
        missing = controls[np.flatnonzero(found < 0)[0]]
        raise ValueError(f"comparison_index_dates: no pseudo_index_date for matched patient {missing}")
    dates = as_days(pseudo["pseudo_index_date"], "comparison_index_dates", "pseudo_index_date",
                    required=True)[found]

    discharge = clients["discharge_date"]
    view = {
        "client_id": np.concatenate([client_ids, controls]),
        "referral_date": np.concatenate([clients["referral_date"], dates]),
        "index_date": np.concatenate([clients["index_date"], dates]),
        "discharge_date": discharge if len(discharge) == 0 else np.concatenate(
            [discharge, np.full(len(controls), NO_DATE, np.int32)]),
    }
    pool = ev.comparison_ids
    others = pool[~np.isin(pool, controls)]
    return view, others, client_row, len(client_ids) + control_position


def _sets(matches: pd.DataFrame, client_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Set codes 0.. per match row and each set's client row; a set has one client."""
    if matches["set_id"].isna().any():
        raise ValueError(f"matches.set_id row {int(np.flatnonzero(matches['set_id'].isna())[0])}: missing")
    codes, _ = pd.factorize(matches["set_id"], sort=True)
    treated = np.full(codes.max() + 1 if len(codes) else 0, -1, np.int64)
    treated[codes] = client_row
    mismatch = treated[codes] != client_row
    if mismatch.any():
        row = int(np.flatnonzero(mismatch)[0])
        raise ValueError(f"matches.set_id row {row}: set {matches['set_id'].iloc[row]!r} has more than one client")
    return codes.astype(np.int32), treated.astype(np.int32)


def _run(engine: Any, bootstrap: int, threads: int, show: bool) -> None:
    """All replicates, in batches when a bar reports progress (batching changes no number)."""
    if not show:
        engine.run(bootstrap, threads)
        return
    bar = _progress_bar(bootstrap)
    try:
        step = max(1, -(-bootstrap // _BATCHES))
        for first in range(0, bootstrap, step):
            count = min(step, bootstrap - first)
            engine.run(count, threads)
            bar.update(count)
    finally:
        bar.close()


def did(ev: Any, matches: pd.DataFrame, comparison_index_dates: pd.DataFrame, *,
        windows: Window | Sequence[Window] = (6, 12), bootstrap: int = 2000, level: float = 0.95,
        seed: int = 1, threads: int = 0, progress: bool | None = None) -> DiDResult:
    """Difference-in-differences per window and event kind, and in money, with bootstrap
    percentile intervals.

    Args:
        ev: the ``Evaluation`` whose clients, events, comparison pool and tariff are used.
        matches: one row per (client, control): ``client_id``, ``comparison_id``, ``set_id``
            (one client per set), ``weight`` (> 0; renormalised within each set).
        comparison_index_dates: ``patient_id``, ``pseudo_index_date`` of every matched patient.
        windows: months (6) or days ("90d") either side of the index date.
        bootstrap: replicates; 0 gives point estimates only (NaN intervals).
        level: coverage of the percentile intervals.
        seed: the same seed gives the same intervals for any ``threads`` and batching.
        threads: 0 takes the evaluation's setting (0 there: all hardware threads).
        progress: a bar on stderr (tqdm when installed); None shows it for long runs only.

    Returns:
        A :class:`DiDResult`. Its ``estimates`` have one row per window and kind with events,
        and per window an ``all_kinds_pence`` row
        (priced kinds, when the evaluation has a tariff). Columns: ``window``, ``window_days``,
        ``kind``, ``clients`` (sets counting in the window), ``controls`` (their control rows),
        ``sets_client_censored`` / ``sets_controls_censored`` / ``controls_censored`` (left out
        because the data do not cover the window), ``naive_pre_per_client``,
        ``naive_post_per_client``, ``naive_change_pct`` (the matched clients' own before/after),
        ``control_pre_per_client``, ``control_post_per_client``, ``did_per_client``, ``ci_low``,
        ``ci_high``, ``did_pct``, ``ci_low_pct``, ``ci_high_pct``, ``did_pct_of_pre``,
        ``did_pence_per_client``, ``ci_low_pence``, ``ci_high_pence`` (per client),
        ``did_pence_total`` (over the clients; whole pence), ``level``, ``replicates``.
        Per-client columns without ``pence`` in their name count events on kind rows and pence
        on the ``all_kinds_pence`` row; pence columns are <NA>/NaN for unpriced kinds.
        Negative DiD means fewer events (a saving) relative to the comparison.
    """
    bootstrap = whole_number(bootstrap, "did.bootstrap", 0)
    seed = whole_number(seed, "did.seed", 0, 2**64)
    threads = whole_number(threads, "did.threads", 0) or ev.threads
    if not 0 < level < 1:
        raise ValueError(f"did.level: must be between 0 and 1, got {level!r}")
    specs = parse_windows(windows)
    if ev.event_columns is None:
        raise ValueError("events: this evaluation was given no events table")
    if ev.data_start is None or ev.data_end is None:
        raise ValueError("data_start/data_end: needed to decide which windows the data cover")
    matches = as_frame(matches, "matches")
    require_columns(matches, "matches", ["client_id", "comparison_id", "set_id", "weight"])
    pseudo = as_frame(comparison_index_dates, "comparison_index_dates")

    view, others, client_row, control_person = _people(ev, matches, pseudo)
    set_code, treated = _sets(matches, client_row)
    weight = pd.to_numeric(matches["weight"], errors="coerce").to_numpy(dtype=float)
    counts = _core.count_utilisation(
        **view, group=np.empty(0, np.int32), groups=1, other_ids=others, **ev.event_columns,
        data_start=ev.data_start, data_end=ev.data_end, windows=[s.days for s in specs],
        threads=threads, per_person=True)
    engine = _core.DidBootstrap(counts, treated, control_person.astype(np.int32), set_code, weight,
                                ev.tariff, seed)
    estimates = engine.estimates()
    work = bootstrap * int(estimates["sets"].sum())
    _run(engine, bootstrap, threads, work >= _PROGRESS_WORK if progress is None else bool(progress))
    return DiDResult(_frame(specs, estimates, engine.intervals(level), engine.priced, ev.tariff, level))


def _frame(specs: list[Any], e: dict[str, np.ndarray], ci: dict[str, Any], priced: bool, tariff: Any,
           level: float) -> pd.DataFrame:
    """Rows window x (kinds with events, then money) from the engine's [window][outcome] arrays."""
    money = _core.DID_MONEY
    used = np.nansum(e["treated_pre"] + e["treated_post"] + e["control_pre"] + e["control_post"], axis=0)
    outcomes = [int(k) for k in np.flatnonzero(used[:money] > 0)] + ([money] if priced else [])
    unit = np.full(money + 1, np.nan)
    unit[money] = 1.0  # the money row is already in pence
    for kind, (pence, _) in (tariff.unit_costs.items() if tariff is not None else ()):
        unit[EVENT_KINDS.index(kind)] = pence
    w = np.repeat(np.arange(len(specs)), len(outcomes))
    o = np.tile(np.asarray(outcomes, dtype=np.int64), len(specs))
    sets = e["sets"][w]
    frame = pd.DataFrame({
        "window": [specs[i].label for i in w],
        "window_days": np.array([specs[i].days for i in w], dtype=np.int64),
        "kind": [MONEY_KIND if k == money else EVENT_KINDS[k] for k in o],
        "clients": sets,
        "controls": e["controls"][w],
        "sets_client_censored": e["sets_client_censored"][w],
        "sets_controls_censored": e["sets_controls_censored"][w],
        "controls_censored": e["controls_censored"][w],
        "naive_pre_per_client": e["treated_pre"][w, o],
        "naive_post_per_client": e["treated_post"][w, o],
        "naive_change_pct": percent_change(e["treated_pre"][w, o], e["treated_post"][w, o]),
        "control_pre_per_client": e["control_pre"][w, o],
        "control_post_per_client": e["control_post"][w, o],
        "did_per_client": e["did"][w, o],
        "ci_low": ci["did_low"][w, o],
        "ci_high": ci["did_high"][w, o],
        "did_pct": e["did_pct"][w, o],
        "ci_low_pct": ci["did_pct_low"][w, o],
        "ci_high_pct": ci["did_pct_high"][w, o],
        "did_pct_of_pre": e["did_pct_of_pre"][w, o],
        "did_pence_per_client": e["did"][w, o] * unit[o],
        "ci_low_pence": ci["did_low"][w, o] * unit[o],
        "ci_high_pence": ci["did_high"][w, o] * unit[o],
    })
    # Whole pence: the engine's exact sum for money; a kind's sum x its unit cost otherwise.
    total = np.where(o == money, e["did_pence_total"][w], np.round(e["did"][w, o] * sets * unit[o]))
    total[sets == 0] = np.nan
    frame["did_pence_total"] = pd.array(np.where(np.isfinite(total), total, 0).astype(np.int64), dtype="Int64")
    frame.loc[~np.isfinite(total), "did_pence_total"] = pd.NA
    frame["level"] = level
    frame["replicates"] = int(ci["replicates"])
    return frame
