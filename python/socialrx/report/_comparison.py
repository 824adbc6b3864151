"""The matched comparison behind the report: the match and its difference-in-differences, as
given or made here through the public API, or a note saying why there is none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._measures import Window, WindowSpec
from ..did import MONEY_KIND, DiDResult
from ._html import missing, pence_or_na, signed_percent

if TYPE_CHECKING:
    from ..evaluation import Evaluation

LEVEL = 0.95


@dataclass
class Comparison:
    """The match, its DiD table (``socialrx.did`` columns) and a note saying why either is
    missing; ``level``, ``bootstrap`` and ``seed`` are those the DiD was estimated with."""

    match: Any = None
    did: pd.DataFrame | None = None
    note: str = ""
    level: float = LEVEL
    bootstrap: int = 0
    seed: int = 1
    windows: tuple[Window, ...] = ()

    @property
    def available(self) -> bool:
        return self.did is not None and len(self.did) > 0

    def rows(self, spec: WindowSpec, *, money: bool = False) -> pd.DataFrame | None:
        """One window's DiD rows by kind (``money``: the all-kinds money row instead)."""
        return window_rows(self.did, spec, money=money)

    def did_for(self, client_ids: np.ndarray) -> pd.DataFrame | None:
        """The DiD over the matched sets of some clients (e.g. one practice's), or None where
        none of them was matched."""
        if self.match is None or not self.match.matches()["client_id"].isin(client_ids).any():
            return None
        return self.match.did(windows=self.windows, bootstrap=self.bootstrap, level=self.level, seed=self.seed,
                              progress=False, clients=client_ids).estimates

    def avoided_per_client(self, spec: WindowSpec) -> tuple[Any, Any, Any] | None:
        """The DiD cost avoided per matched client over every priced kind, with its interval."""
        row = self.rows(spec, money=True)
        return None if row is None else avoided_per_client(row.iloc[0])

    def avoided(self, spec: WindowSpec) -> tuple[Any, Any, Any] | None:
        """The DiD cost avoided over all the matched clients, with its interval: (pence, low, high)."""
        rows = self.rows(spec, money=True)
        if rows is None or missing(rows["did_pence_total"].iloc[0]):
            return None
        row = rows.iloc[0]
        clients = float(row["clients"])
        return (-int(row["did_pence_total"]), pence_or_na(-row["ci_high_pence"] * clients),
                pence_or_na(-row["ci_low_pence"] * clients))


def window_rows(table: pd.DataFrame | None, spec: WindowSpec, *, money: bool = False) -> pd.DataFrame | None:
    """One window's rows of a DiD table by kind (``money``: the all-kinds money row instead)."""
    if table is None or not len(table):
        return None
    rows = table[table["window_days"] == spec.days] if "window_days" in table else table[
        table["window"] == spec.label]
    is_money = rows["kind"] == MONEY_KIND
    rows = rows[is_money] if money else rows[~is_money]
    return rows.set_index("kind") if len(rows) else None


def avoided_per_client(row: pd.Series) -> tuple[Any, Any, Any]:
    """A DiD row's cost avoided per matched client, signed as the naive figure (a saving
    positive), with its interval, in whole pence: (point, low, high)."""
    return (pence_or_na(-row["did_pence_per_client"]), pence_or_na(-row["ci_high_pence"]),
            pence_or_na(-row["ci_low_pence"]))


def did_pct_text(row: pd.Series) -> str:
    """DiD as a % of the counterfactual, with its interval."""
    text = signed_percent(row.get("did_pct", np.nan))
    low, high = row.get("ci_low_pct", np.nan), row.get("ci_high_pct", np.nan)
    if not (missing(low) or missing(high)):
        text += f" ({signed_percent(low)} to {signed_percent(high)})"
    return text


def comparison_for(ev: Evaluation, windows: Sequence[Window], match: Any, did: Any, bootstrap: int,
                   seed: int) -> Comparison:
    """Match and estimate the DiD unless given; on failure, a Comparison whose note says why."""
    base: dict[str, Any] = dict(level=LEVEL, bootstrap=bootstrap, seed=seed, windows=tuple(windows))
    if match is False:
        return Comparison(note="The matched comparison was left out of this report (match=False).", **base)
    if isinstance(did, DiDResult):
        did = did.estimates
    if isinstance(did, pd.DataFrame):
        if "level" in did and len(did):
            base["level"] = float(did["level"].iloc[0])
        if "replicates" in did and len(did):
            base["bootstrap"] = int(did["replicates"].iloc[0])
        return Comparison(match=match, did=did, **base)
    if match is None:
        if ev.comparison is None:
            return Comparison(note="No comparison group was given (Evaluation(comparison=...)), so only the naive "
                                   "before/after figures are shown. They include regression to the mean.", **base)
        try:
            match = ev.match(k=1, caliper=0.2, seed=seed)
        except ValueError as error:  # the report still stands without it; say why
            return Comparison(note=f"The matched comparison could not be formed: {error}", **base)
    try:
        table = match.did(windows=tuple(windows), bootstrap=bootstrap, level=LEVEL, seed=seed).estimates
    except ValueError as error:
        return Comparison(match=match, note=f"The difference-in-differences could not be computed: {error}", **base)
    return Comparison(match=match, did=table, **base)
