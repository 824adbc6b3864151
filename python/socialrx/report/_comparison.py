"""The matched comparison behind the report: the match and its difference-in-differences, as
given or made here through the public API, or a note saying why there is none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._measures import EVENT_KINDS, Window, WindowSpec
from ..did import MONEY_KIND, DiDResult
from ._html import missing, signed_percent

if TYPE_CHECKING:
    from ..evaluation import Evaluation
    from ..matching import Match

LEVEL = 0.95
Interval = tuple[Any, Any, Any]


@dataclass
class Comparison:
    """The match, its DiD and a note saying why either is missing; ``seed`` is the report's (of
    the match and bootstrap it makes itself)."""

    match: Match | None = None
    result: DiDResult | None = None
    note: str = ""
    seed: int = 1

    @property
    def available(self) -> bool:
        return self.result is not None and len(self.result.estimates) > 0

    @property
    def did(self) -> pd.DataFrame | None:
        """The estimator's table (``socialrx.did`` columns)."""
        return None if self.result is None else self.result.estimates

    @property
    def level(self) -> float:
        return LEVEL if self.result is None else self.result.level

    @property
    def replicates(self) -> int:
        return 0 if self.result is None else self.result.replicates

    @property
    def bootstrap_seed(self) -> int:
        """The seed of the DiD's bootstrap: a given DiD's own, else the report's."""
        return self.seed if self.result is None or self.result.seed is None else self.result.seed

    def rows(self, spec: WindowSpec, *, money: bool = False, groups: bool = False) -> pd.DataFrame | None:
        """One window's DiD estimates by kind (``money``: the all-kinds money row instead;
        ``groups``: the groups of kinds' rows instead)."""
        return window_rows(self.did, spec, money=money, groups=groups)

    def avoided(self, spec: WindowSpec) -> pd.DataFrame | None:
        """One window's ``DiDResult.table`` rows by kind, money row included (avoided > 0 a saving)."""
        return None if self.result is None else window_table(self.result, spec)

    def avoided_per_client(self, spec: WindowSpec) -> Interval | None:
        """The DiD cost avoided per matched client over every priced kind, with its interval."""
        table = self.avoided(spec)
        return None if table is None or MONEY_KIND not in table.index else pence_avoided(table.loc[MONEY_KIND])


def window_rows(table: pd.DataFrame | None, spec: WindowSpec, *, money: bool = False,
                groups: bool = False) -> pd.DataFrame | None:
    """One window's rows of DiD estimates by kind (``money``: the all-kinds money row instead;
    ``groups``: the groups of kinds' rows instead)."""
    if table is None or not len(table):
        return None
    rows = table[table["window_days"] == spec.days]
    part = "money" if money else "groups" if groups else "kinds"
    is_money = rows["kind"] == MONEY_KIND
    is_kind = rows["kind"].isin(EVENT_KINDS)
    rows = rows[{"money": is_money, "kinds": is_kind, "groups": ~is_money & ~is_kind}[part]]
    return rows.set_index("kind") if len(rows) else None


def window_table(result: DiDResult, spec: WindowSpec) -> pd.DataFrame | None:
    """One window's rows of a DiD's ``table`` (avoided > 0 a saving) by kind."""
    rows = result.table[result.table["window"] == spec.label]
    return rows.set_index("kind") if len(rows) else None


def pence_avoided(row: pd.Series) -> Interval:
    """A ``DiDResult.table`` row's pence avoided per matched client with its interval."""
    return row["pence_avoided_per_client"], row["pence_avoided_ci_low"], row["pence_avoided_ci_high"]


def did_pct_text(row: pd.Series) -> str:
    """DiD as a % of the counterfactual, with its interval."""
    text = signed_percent(row.get("did_pct", np.nan))
    low, high = row.get("ci_low_pct", np.nan), row.get("ci_high_pct", np.nan)
    if not (missing(low) or missing(high)):
        text += f" ({signed_percent(low)} to {signed_percent(high)})"
    return text


def comparison_for(ev: Evaluation, windows: Sequence[Window], match: Match | Literal[False] | None,
                   did: DiDResult | None, bootstrap: int, seed: int) -> Comparison:
    """The caller's match and DiD, or a match and DiD made here (1:1 within 0.2 SD, ``seed``);
    where there can be none, a Comparison whose note says why."""
    if match is False:
        return Comparison(note="The matched comparison was left out of this report (match=False).", seed=seed)
    if did is not None:
        if match is None:
            raise ValueError("did: pass the match it was run on as well (match=)")
        return Comparison(match=match, result=did, seed=seed)
    if match is None:
        if ev.comparison is None:
            return Comparison(note="No comparison group was given (Evaluation(comparison=...)), so only the naive "
                                   "before/after figures are shown. They include regression to the mean.", seed=seed)
        try:
            match = ev.match(k=1, caliper=0.2, seed=seed)
        except ValueError as error:  # the report still stands without it; say why
            return Comparison(note=f"The matched comparison could not be formed: {error}", seed=seed)
    try:
        result = match.did(windows=tuple(windows), bootstrap=bootstrap, level=LEVEL, seed=seed, groups=True)
    except ValueError as error:
        return Comparison(match=match, note=f"The difference-in-differences could not be computed: {error}",
                          seed=seed)
    return Comparison(match=match, result=result, seed=seed)
