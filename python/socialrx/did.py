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

import html
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from . import _core
from ._columns import NO_DATE, as_days, as_frame, as_ids, require_columns, whole_number
from ._measures import EVENT_KINDS, Window, WindowSpec, kind_label, parse_windows, percent_change, whole_pence
from .kind_groups import GroupsOption, resolve_groups

__all__ = ["DiDResult", "DiDSummary", "PersonCounts", "count_per_person", "did"]

MONEY_KIND = "all_kinds_pence"
# Replicates x sets (summed over windows) above which a progress bar is shown by default:
# about a second or more of work.
_PROGRESS_WORK = 10**8
_BATCHES = 50
# The money columns of the estimates, which a group's row takes from its own money estimate.
_PENCE_COLUMNS = ("did_pence_per_client", "ci_low_pence", "ci_high_pence", "did_pence_total")


class DiDResult:
    """The matched difference-in-differences of one run of :func:`did`, in the manner of a
    statsmodels results object: ``table`` (tidy, one sign convention), ``summary()`` (text and
    HTML), ``plot()`` (a forest plot); ``estimates`` keeps the estimator's own table.

    Attributes:
        estimates: one row per window and kind (and money), with the columns :func:`did`
            documents (negative DiD: fewer events).
        windows: the windows, as :func:`did` parsed them.
        level: coverage of the bootstrap percentile intervals.
        replicates: bootstrap replicates run (0: point estimates, no intervals).
        seed: the seed of the bootstrap's random streams.
    """

    def __init__(self, estimates: pd.DataFrame, *, windows: Sequence[WindowSpec], level: float,
                 replicates: int, seed: int | None) -> None:
        self.estimates = estimates
        self.windows = tuple(windows)
        self.level = level
        self.replicates = replicates
        self.seed = seed

    @property
    def table(self) -> pd.DataFrame:
        """One row per window and kind, then the money row (``kind`` ``all_kinds_pence``), with
        **avoided > 0 a saving**: fewer events, or less money, than the clients would have had
        without the service. The interval of an avoided figure is the DiD's, negated and so
        swapped (its low is minus the DiD's high).

        Columns: ``window``, ``kind``, ``matched_clients`` (sets counting in the window),
        ``controls`` (their control rows); the matched clients' own ``events_before_per_client``,
        ``events_after_per_client`` and ``naive_change_pct``; ``events_avoided_per_client``
        with ``events_avoided_ci_low`` / ``events_avoided_ci_high``; ``did_pct`` (DiD as a %
        of the counterfactual) with ``did_pct_ci_low`` / ``did_pct_ci_high``;
        ``pence_avoided_per_client`` with ``pence_avoided_ci_low`` / ``pence_avoided_ci_high``
        and ``pence_avoided_total`` (over the matched clients).

        Events columns are NaN on the money row, which the pence columns carry. Pence are whole
        (Int64, rounded half away from zero), <NA> for unpriced kinds. The ``_pct`` columns keep
        their natural sign, as % changes do everywhere: negative is a fall.
        """
        e = self.estimates
        money = (e["kind"] == MONEY_KIND).to_numpy()

        def events(values: pd.Series) -> np.ndarray:
            return np.where(money, np.nan, values.to_numpy(dtype=float))

        return pd.DataFrame({
            "window": e["window"].to_numpy(),
            "kind": e["kind"].to_numpy(),
            "matched_clients": e["clients"].to_numpy(),
            "controls": e["controls"].to_numpy(),
            "events_before_per_client": events(e["naive_pre_per_client"]),
            "events_after_per_client": events(e["naive_post_per_client"]),
            "naive_change_pct": e["naive_change_pct"].to_numpy(),
            "events_avoided_per_client": events(_avoided(e["did_per_client"])),
            "events_avoided_ci_low": events(_avoided(e["ci_high"])),
            "events_avoided_ci_high": events(_avoided(e["ci_low"])),
            "did_pct": e["did_pct"].to_numpy(),
            "did_pct_ci_low": e["ci_low_pct"].to_numpy(),
            "did_pct_ci_high": e["ci_high_pct"].to_numpy(),
            "pence_avoided_per_client": _whole_pence(_avoided(e["did_pence_per_client"])),
            "pence_avoided_ci_low": _whole_pence(_avoided(e["ci_high_pence"])),
            "pence_avoided_ci_high": _whole_pence(_avoided(e["ci_low_pence"])),
            "pence_avoided_total": (-e["did_pence_total"]).array,
        })

    def summary(self) -> DiDSummary:
        """The run's settings and, per window, each kind's naive change, DiD % and what was
        avoided per client, with intervals: ``print()`` it for text; a notebook shows HTML."""
        table = self.table
        blocks = [self._block(spec, table[table["window"] == spec.label]) for spec in self.windows]
        return DiDSummary(_TITLE, self._settings(blocks), blocks, _SIGN_NOTE)

    def plot(self, window: Window | None = None, ax: Any = None) -> Any:
        """A forest plot: per kind (and window, unless one is chosen), the DiD % with its
        interval as a horizontal bar beside the matched clients' naive % change; a line at 0.
        Draws on ``ax`` when given, else on a new pyplot figure. Returns the matplotlib Axes."""
        from . import _plots  # the one upward import: the result hands itself to the plotting module

        specs = self.windows if window is None else parse_windows(window)
        unknown = {s.label for s in specs} - {s.label for s in self.windows}
        if unknown:
            raise ValueError(f"DiDResult.plot: window {sorted(unknown)[0]} is not one of this result's "
                             f"({', '.join(s.label for s in self.windows)})")
        rows = self.table[self.table["window"].isin([s.label for s in specs])]
        several = len(specs) > 1
        labels = [_kind_label(k) + (f" ({w})" if several else "") for w, k in zip(rows["window"], rows["kind"])]
        series = {
            "clients' own change (naive)": (rows["naive_change_pct"], None, None),
            f"DiD, {_level_text(self.level)} interval": (rows["did_pct"], rows["did_pct_ci_low"],
                                                            rows["did_pct_ci_high"]),
        }
        title = _TITLE + ("" if several else f", {specs[0].text}")
        return _plots.forest(labels, series, title, "% change in use (negative: a fall)", ax=ax)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        clients = _most(self.estimates["clients"])
        windows = ", ".join(spec.label for spec in self.windows)
        return (f"DiDResult({windows}: {clients:,} matched clients, {self.replicates:,} bootstrap "
                f"replicates, {_level_text(self.level)} intervals)")

    def _settings(self, blocks: list[_Block]) -> list[tuple[str, str]]:
        def per_window(counts: dict[str, int]) -> str:
            return ", ".join(f"{count:,} ({window})" for window, count in counts.items())

        return [
            ("Method", "nearest-neighbour propensity matching + difference-in-differences"),
            ("Matched clients", per_window({b.window: b.clients for b in blocks})),
            ("Controls", per_window({b.window: b.controls for b in blocks})),
            ("Bootstrap replicates", f"{self.replicates:,}" + ("" if self.replicates else " (no intervals)")),
            ("Interval level", f"{_level_text(self.level)} (bootstrap percentile, resampling matched sets)"),
            ("Seed", "not recorded" if self.seed is None else str(self.seed)),
            ("Windows", ", ".join(f"{spec.text} ({spec.label}, {spec.days} days)" for spec in self.windows)),
        ]

    def _block(self, spec: WindowSpec, rows: pd.DataFrame) -> _Block:
        """One window's rows as text cells; brackets hold the interval."""
        interval = f"[{_level_text(self.level)} CI]"
        header = ("kind", "naive\nchange", f"DiD %\n{interval}", f"events avoided\nper client {interval}",
                  f"avoided per client\n{interval}", "avoided\nin total")
        cells = [(
            _kind_label(str(r.kind)),
            _cell(r.naive_change_pct, _signed_percent),
            _cell(r.did_pct, _signed_percent, r.did_pct_ci_low, r.did_pct_ci_high),
            _cell(r.events_avoided_per_client, _event_rate, r.events_avoided_ci_low, r.events_avoided_ci_high),
            _cell(r.pence_avoided_per_client, _pounds, r.pence_avoided_ci_low, r.pence_avoided_ci_high),
            _cell(r.pence_avoided_total, _pounds),
        ) for r in rows.itertuples()]
        return _Block(spec.label, spec.text, _most(rows["matched_clients"]), _most(rows["controls"]), header, cells)


_TITLE = "Matched difference-in-differences"
_NOTE_WIDTH = 100
_SIGN_NOTE = ("Avoided > 0 is a saving: fewer events, or less money, than the matched comparison "
             "says the clients would have had without the service. % changes keep their natural "
             "sign (negative: a fall). Naive: the matched clients' own before/after change, "
             "regression to the mean included. DiD %: relative to the counterfactual (the "
             "clients' before level plus the controls' change). n/a: not applicable (events on "
             "the money row, money for an unpriced kind) or undefined.")


@dataclass(frozen=True)
class _Block:
    """One window's table of the summary, as text cells."""

    window: str
    text: str
    clients: int
    controls: int
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]

    @property
    def caption(self) -> str:
        return f"{self.text} ({self.window}): {self.clients:,} matched clients, {self.controls:,} controls"


class DiDSummary:
    """A :class:`DiDResult`'s summary: ``print()`` gives aligned text, a notebook shows HTML."""

    def __init__(self, title: str, settings: list[tuple[str, str]], blocks: list[_Block], note: str) -> None:
        self.title, self.settings, self.blocks, self.note = title, settings, blocks, note

    def as_text(self) -> str:
        tables = [_aligned(block.header, block.rows) for block in self.blocks]
        label_width = max(len(label) for label, _ in self.settings)
        settings = [f"{label:<{label_width}}  {value}" for label, value in self.settings]
        width = max(len(line) for line in [*settings, *(row for table in tables for row in table)])
        lines = [self.title.center(width).rstrip(), "=" * width, *settings, "=" * width]
        for block, table in zip(self.blocks, tables):
            header = len(table) - len(block.rows)
            lines += ["", block.caption, "-" * width, *table[:header], "-" * width, *table[header:]]
        lines += ["=" * width, textwrap.fill(self.note, min(width, _NOTE_WIDTH))]
        return "\n".join(lines)

    def as_html(self) -> str:
        settings = "".join(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                           f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
                           for label, value in self.settings)
        tables = "".join(_html_table(block) for block in self.blocks)
        return (f"<table><caption>{html.escape(self.title)}</caption>{settings}</table>{tables}"
                f"<p><small>{html.escape(self.note)}</small></p>")

    __str__ = as_text
    __repr__ = as_text

    def _repr_html_(self) -> str:
        return self.as_html()


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Header lines (a header cell may break with "\\n"), then rows: the first column
    left-aligned, numbers right-aligned."""
    broken = [cell.split("\n") for cell in header]
    depth = max(len(lines) for lines in broken)
    header_rows = [tuple(([""] * (depth - len(lines)) + lines)[i] for lines in broken) for i in range(depth)]
    widths = [max(len(cell) for cell in column) for column in zip(*header_rows, *rows)]
    return ["  ".join([row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]).rstrip()
            for row in (*header_rows, *rows)]


def _html_table(block: _Block) -> str:
    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(f"<{tag} style='text-align:{'left' if i == 0 else 'right'}'>"
                       f"{html.escape(cell).replace(chr(10), '<br>')}</{tag}>" for i, cell in enumerate(row))

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in block.rows)
    return (f"<table><caption>{html.escape(block.caption)}</caption>"
            f"<tr>{cells('th', block.header)}</tr>{body}</table>")


def _avoided(did: pd.Series) -> pd.Series:
    """A DiD as avoided (> 0 a saving); 0 - x rather than -x, so that no zero reads "-0"."""
    return 0.0 - did


def _most(counts: pd.Series) -> int:
    """The largest count; 0 for a window without rows (no kind had events)."""
    return int(counts.to_numpy().max(initial=0))


def _whole_pence(values: pd.Series) -> Any:
    """Whole pence as Int64 (half away from zero, as everywhere), <NA> where missing."""
    return pd.array([whole_pence(v) for v in values], dtype="Int64")


def _kind_label(kind: str) -> str:
    return "all priced kinds (money)" if kind == MONEY_KIND else kind_label(kind)


def _level_text(level: float) -> str:
    return f"{100 * level:g}%"


def _signed_percent(value: float) -> str:
    return f"{value:+.1f}%"


def _event_rate(value: float) -> str:
    return f"{value:,.3f}"


def _pounds(pence: Any) -> str:
    return _core.format_pounds(int(pence))


def _cell(value: Any, show: Callable[[Any], str], low: Any = None, high: Any = None) -> str:
    """A value, with its interval in brackets when there is one; n/a when it is missing."""
    if pd.isna(value):
        return "n/a"
    if low is None or pd.isna(low) or pd.isna(high):
        return show(value)
    return f"{show(value)} [{show(low)}, {show(high)}]"


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
        from tqdm.auto import tqdm  # type: ignore[import-untyped]  # optional, without stubs
    except ImportError:
        return _TextBar(total)
    return tqdm(total=total, desc="bootstrap", unit="replicate", file=sys.stderr)


def _people(ev: Any, matches: pd.DataFrame, pseudo: pd.DataFrame) -> tuple[dict[str, Any], np.ndarray,
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


def _in_canonical_order(client_id: np.ndarray, comparison_id: np.ndarray, set_code: np.ndarray,
                        client_row: np.ndarray, control_person: np.ndarray,
                        weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The match rows sorted by client id, then comparison id, with the sets numbered in that
    order: the engine sums each set's controls and resamples the sets in an order that no
    table's row order (nor the caller's set labels) can change, to the last bit."""
    order = np.lexsort((comparison_id, client_id))
    codes, _ = pd.factorize(set_code[order], sort=False)
    treated = np.empty(codes.max() + 1 if len(codes) else 0, np.int32)
    treated[codes] = client_row[order]
    return codes.astype(np.int32), treated, control_person[order], weight[order]


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
        seed: int = 1, threads: int = 0, progress: bool | None = None, groups: GroupsOption = None) -> DiDResult:
    """Difference-in-differences per window and event kind, and in money, with bootstrap
    percentile intervals; with ``groups``, per group of kinds too.

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
        groups: groups of kinds as ``Evaluation.utilisation`` takes them (``True``: the shipped
            groups and the evaluation's ``kind_groups``). A group's row, after the kinds', is
            estimated from each person's counts summed over its kinds (its events columns) and
            from each person's pence summed over its priced kinds (its pence columns), with
            intervals from the same bootstrap of matched sets: never by adding the kinds'.

    Returns:
        A :class:`DiDResult`: ``table`` (avoided > 0 a saving), ``summary()``, ``plot()``.
        Its ``estimates`` have one row per window and kind with events,
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
    if ev.data_start is None or ev.data_end is None:
        raise ValueError("data_start/data_end: needed to decide which windows the data cover")
    matches = as_frame(matches, "matches")
    require_columns(matches, "matches", ["client_id", "comparison_id", "set_id", "weight"])
    pseudo = as_frame(comparison_index_dates, "comparison_index_dates")

    view, others, client_row, control_person = _people(ev, matches, pseudo)
    set_code, _ = _sets(matches, client_row)
    weight = pd.to_numeric(matches["weight"], errors="coerce").to_numpy(dtype=float)
    set_code, treated, control_person, weight = _in_canonical_order(
        as_ids(matches["client_id"], "matches", "client_id"), as_ids(matches["comparison_id"], "matches",
                                                                     "comparison_id"),
        set_code, client_row, control_person, weight)
    # Every person's counts once (a sum over parts of the events for a partitioned evaluation);
    # the kinds, groups of kinds and money are all estimated from them.
    counted = ev._per_person(partial(count_per_person, people=view, others=others, windows=[s.days for s in specs],
                                     data_start=ev.data_start, data_end=ev.data_end), threads)

    def estimate(counts: np.ndarray, tariff: Any) -> tuple[dict[str, np.ndarray], dict[str, Any], bool]:
        """The engine's estimates and intervals over ``counts`` (and whether it priced any)."""
        engine = _core.DidBootstrap.from_counts(
            np.ascontiguousarray(counts.transpose(1, 2, 3, 0)), counted.included, treated,
            control_person.astype(np.int32), set_code, weight, tariff, seed)
        estimates = engine.estimates()
        work = bootstrap * int(estimates["sets"].sum())
        _run(engine, bootstrap, threads, work >= _PROGRESS_WORK if progress is None else bool(progress))
        return estimates, engine.intervals(level), engine.priced

    estimates, intervals, priced = estimate(counted.counts, ev.tariff)
    frame = _frame(specs, estimates, intervals, priced, ev.tariff, level)
    group_rows = [_group_rows(specs, name, kinds, counted.counts, estimate, ev.tariff, level)
                  for name, kinds in resolve_groups(groups, getattr(ev, "kind_groups", None)).items()]
    if group_rows:
        frame = _with_groups(frame, group_rows)
    return DiDResult(frame, windows=specs, level=level, replicates=int(intervals["replicates"]), seed=seed)


@dataclass(frozen=True)
class PersonCounts:
    """Events per person over some of the events: ``counts`` int64 [window][person][kind][pre,
    post] (or the first axes of those), and ``included`` int64 [window][person], 1 where the
    data cover the person's window. ``included`` follows from the people's dates alone, the
    same for every part of the events: ``add_events`` adds two parts' counts, keeping it once.
    """

    counts: np.ndarray
    included: np.ndarray

    def add_events(self, other: PersonCounts) -> PersonCounts:
        if not np.array_equal(self.included, other.included):
            raise ValueError("add_events: the parts were counted over different people")
        return PersonCounts(self.counts + other.counts, self.included)


def count_per_person(events: dict[str, Any], threads: int, *, people: dict[str, Any],
                     others: np.ndarray, windows: Sequence[int], data_start: int,
                     data_end: int) -> PersonCounts:
    """The :class:`PersonCounts` of ``people`` (the clients columns the engine takes) over
    ``events``; the events of ``others`` (comparison patients) are counted apart."""
    counts = _core.count_utilisation(
        **people, group=np.empty(0, np.int32), groups=1, other_ids=others, **events, data_start=data_start,
        data_end=data_end, windows=list(windows), threads=threads, per_person=True)
    return PersonCounts(counts.counts, counts.clients_included)


def _group_rows(specs: list[Any], name: str, kinds: Sequence[str], counts: np.ndarray,
                estimate: Callable[[np.ndarray, Any], tuple[dict[str, np.ndarray], dict[str, Any], bool]],
                tariff: Any, level: float) -> pd.DataFrame:
    """A group's rows per window, as counting its events alone gives them: its events estimated
    from each person's counts of its kinds added as one kind, its pence from each person's
    counts of its kinds alone (pence summed over the group's priced kinds)."""
    codes = [EVENT_KINDS.index(k) for k in kinds]
    as_one, subset = np.zeros_like(counts), np.zeros_like(counts)
    as_one[:, :, codes[0]] = counts[:, :, codes].sum(axis=2)
    subset[:, :, codes] = counts[:, :, codes]
    rows = _frame(specs, *estimate(as_one, None)[:2], False, None, level)
    rows = rows[rows["kind"] == kinds[0]].assign(kind=name)
    priced = tariff is not None and any(k in tariff.unit_costs for k in kinds)
    money = _frame(specs, *estimate(subset, tariff), tariff, level) if priced else None
    for column in _PENCE_COLUMNS:
        values = np.full(len(rows), np.nan) if money is None else (
            money[money["kind"] == MONEY_KIND].set_index("window")[column].reindex(rows["window"]).to_numpy())
        rows[column] = pd.array(values, dtype="Int64") if column == "did_pence_total" else values
    return rows


def _with_groups(frame: pd.DataFrame, group_rows: list[pd.DataFrame]) -> pd.DataFrame:
    """The kinds' rows, then the groups', then the money row, per window."""
    combined = pd.concat([frame, *group_rows], ignore_index=True)
    window = pd.Categorical(combined["window"], categories=list(dict.fromkeys(frame["window"])))
    place = np.where(combined["kind"] == MONEY_KIND, 2, np.where(combined["kind"].isin(EVENT_KINDS), 0, 1))
    order = np.lexsort((np.arange(len(combined)), place, window.codes))
    return combined.iloc[order].reset_index(drop=True)


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
