"""Disclosure control and the figures the report's sections share.

Every published count of people or events passes through :func:`socialrx.support.suppress`
(counts 1-4 suppressed, with secondary suppression so totals cannot reveal them). The
:class:`Builder` asks the evaluation for each figure once and keeps the published tables that
several sections render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._measures import Window, WindowSpec, percent_change
from ..outcomes import transitions
from ..summary import Headline
from ..summary import headline as headline_of
from ..support import suppress
from ..tariff import Tariff
from ._comparison import Comparison, Interval
from ._html import count_text, missing, percent_fewer, percent_text, share_of

if TYPE_CHECKING:  # the report renders an Evaluation's results; it never builds one
    from ..evaluation import Evaluation

THRESHOLD = 5


def published_count(value: Any) -> Any:
    """A single standalone count (no table around it): 1-4 suppressed."""
    if missing(value):
        return pd.NA
    value = int(value)
    return pd.NA if 0 < value < THRESHOLD else value


def published_series(counts: pd.Series, *, total: str | None = "total") -> pd.Series:
    """``suppress`` on a Series; the total entry renamed (or dropped with ``total=None``)."""
    published, _ = suppress(counts.astype("int64"), threshold=THRESHOLD, margins=total is not None)
    if total is not None and total != "total":
        published = published.rename(index={"total": total})
    return published


def published_table(counts: pd.DataFrame, *, margins: bool = True) -> pd.DataFrame:
    published, _ = suppress(counts.astype("int64"), threshold=THRESHOLD, margins=margins)
    return published


def published_rows(counts: pd.DataFrame, total: str) -> pd.DataFrame:
    """Row by row disclosure control for rows that do not add up (different questions,
    different indicators): each row is suppressed as a Series with its own total."""
    rows = []
    for key, row in counts.iterrows():
        published = published_series(row, total=total)
        published.name = key
        rows.append(published)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=[*counts.columns, total])


def did_publishable(rows: pd.DataFrame) -> list[bool]:
    """Kinds whose per-client rates may be published: the counts behind them (rate x people,
    clients and comparison patients, before and after) pass disclosure control."""
    clients = rows["clients"].astype("int64")
    controls = rows["controls"].astype("int64")
    events = pd.DataFrame({
        "clients before": (rows["naive_pre_per_client"] * clients).round(),
        "clients after": (rows["naive_post_per_client"] * clients).round(),
        "comparison before": (rows["control_pre_per_client"] * controls).round(),
        "comparison after": (rows["control_post_per_client"] * controls).round(),
    }).fillna(0).astype("int64")
    published = published_table(events, margins=False)
    people = published_series(clients, total=None)
    return [not (published.loc[k].isna().any() or missing(people[k])) for k in rows.index]


def connected_display(published: pd.DataFrame, *, reasons_total: Any = None) -> pd.DataFrame:
    """Published referred and connected counts as shown, with the shares; ``reasons_total`` is the
    denominator where the rows do not add up to all referrals (a client may give several reasons)."""
    total = published.loc["all referrals", "referred"] if "all referrals" in published.index else reasons_total
    return pd.DataFrame({
        "referred": [count_text(v) for v in published["referred"]],
        "connected": [count_text(v) for v in published["connected"]],
        "% connected": [percent_text(share_of(c, r)) for c, r in zip(published["connected"], published["referred"])],
        "% of referrals": [percent_text(share_of(r, total)) for r in published["referred"]],
    }, index=published.index)


def effect_interval(row: dict[str, Any]) -> Interval:
    """A headline effects row's value with its interval."""
    return row["value"], row["ci_low"], row["ci_high"]


class Builder:
    """One evaluation's figures for the report, each asked of the public API once, and the
    published (disclosure-controlled) tables the sections share."""

    def __init__(self, ev: Evaluation, *, windows: Sequence[Window], service_cost_pence: int | None,
                 comparison: Comparison) -> None:
        self.ev = ev
        self.specs = [WindowSpec.parse(w) for w in windows]
        self.windows = list(windows)
        self.service_cost = service_cost_pence
        self.comparison = comparison
        self.by_practice = "practice" in ev.clients.columns
        self.has_events = ev.events is not None and ev.data_start is not None and ev.data_end is not None
        self.has_cost = self.has_events and ev.tariff is not None
        self._cache: dict[str, Any] = {}

    # ---------------------------------------------------------------- cached figures
    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def last(self) -> WindowSpec:
        return self.specs[-1]

    def utilisation(self) -> pd.DataFrame:
        return self.cached("util", lambda: self.ev.utilisation(self.windows))

    def exclusions(self) -> pd.DataFrame:
        return self.cached("excl", lambda: self.ev.exclusions(self.windows))

    def costs(self, by: str | None = None) -> pd.DataFrame:
        return self.cached(f"cost:{by}", lambda: self.ev.cost_avoidance(self.windows, by=by))

    @property
    def assessments(self) -> pd.DataFrame:
        """The assessments table, for sections that checked there is one."""
        if self.ev.assessments is None:
            raise ValueError("assessments: this evaluation was given no assessments table")
        return self.ev.assessments

    @property
    def tariff(self) -> Tariff:
        """The tariff, for sections that checked there is one (``has_cost``)."""
        if self.ev.tariff is None:
            raise ValueError("tariff: this evaluation was given no tariff")
        return self.ev.tariff

    def transitions(self) -> pd.DataFrame:
        return self.cached("trans", lambda: transitions(self.assessments,
                                                        client_ids=self.ev.client_columns["client_id"]))

    def has_domains(self) -> bool:
        if self.ev.assessments is None:
            return False
        instruments = self.ev.assessments["instrument"].astype(str).str.strip()
        return bool((instruments == "dudley7").any())

    def reach_total(self) -> tuple[int, int]:
        reach = self.ev.reach()
        return int(reach["referred"].sum()), int(reach["connected"].sum())

    # ---------------------------------------------------------------- published building blocks
    def published_utilisation(self, spec: WindowSpec) -> tuple[pd.DataFrame, Any]:
        """kinds x [pre, post] published for one window, with the clients included."""
        util = self.utilisation()
        rows = util[util["window"] == spec.label].set_index("kind")
        if rows.empty:
            return pd.DataFrame(columns=["pre", "post"]), published_count(0)
        published = published_table(rows[["pre", "post"]], margins=False)
        return published, published_count(int(rows["clients"].iloc[0]))

    def published_connected(self, by: str) -> pd.DataFrame:
        """categories x [connected, not connected] + referred (row total), published."""
        reach = self.ev.reach(by=by)
        counts = pd.DataFrame({"connected": reach["connected"].to_numpy(),
                               "not connected": (reach["referred"] - reach["connected"]).to_numpy()},
                              index=reach[by].astype(str).to_numpy())
        published = published_table(counts)
        return published.rename(columns={"total": "referred"}, index={"total": "all referrals"})

    def net_saving(self) -> pd.Series:
        """The naive net saving over the last window (for a report given the service's cost)."""
        cost = self.service_cost
        if cost is None:
            raise ValueError("service_cost_pence: the net saving needs the service's cost")
        return self.cached("net", lambda: self.ev.net_saving(cost, window=self.last.argument))

    def headline(self) -> Headline:
        """The headline figures over this report's own match and DiD (nothing is matched twice);
        the before/after figures alone where the report has no matched comparison."""
        matched = self.comparison.available
        return self.cached("headline", lambda: headline_of(
            self.ev, windows=self.windows, service_cost_pence=self.service_cost,
            match=self.comparison.match if matched else False, did=self.comparison.result if matched else None))

    def effect(self, spec: WindowSpec, kind: str, figure: str, method: str = "did") -> dict[str, Any] | None:
        """One effects row of the headline (value, interval, population, clients), or None."""
        return self.headline().effect(spec.label, kind, figure, method)

    # ---------------------------------------------------------------- pieces shared by sections
    def published_feedback(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            fb = self.ev.feedback_summary().set_index("measure")
            counts = pd.DataFrame({"yes": fb["yes"], "no": fb["answered"] - fb["yes"]})
            return published_rows(counts, "answered")
        return self.cached("fb", compute)

    def domain_summary(self) -> pd.DataFrame:
        """Per domain, the published transition margins and what follows from them."""
        def compute() -> pd.DataFrame:
            trans = self.transitions()
            outcomes = self.ev.outcomes().set_index("domain")
            rows = []
            for domain, block in trans.groupby("domain", sort=False):
                published = self.published_transition(block)
                steps = [c for c in published.columns if c != "total"]
                first, last = steps[0], steps[-1]
                rows.append({
                    "domain": domain, "name": outcomes.loc[domain, "name"],
                    "clients": published.loc["total", "total"],
                    "nm_pre": published.loc[first, "total"], "nm_post": published.loc["total", first],
                    "m_pre": published.loc[last, "total"], "m_post": published.loc["total", last],
                    "before": [published.loc[s, "total"] for s in steps],
                    "after": [published.loc["total", s] for s in steps],
                    "greatest": outcomes.loc[domain, "greatest_improvement_text"],
                })
            frame = pd.DataFrame(rows).set_index("domain")
            frame["pct_nm"] = [percent_fewer(a, b) for a, b in zip(frame["nm_pre"], frame["nm_post"])]
            frame["pct_m"] = [percent_change(a, b) for a, b in zip(frame["m_pre"], frame["m_post"])]
            return frame
        return self.cached("domains", compute)

    def published_transition(self, block: pd.DataFrame) -> pd.DataFrame:
        counts = block.pivot(index="before_label", columns="after_label", values="clients")
        order = list(dict.fromkeys(block.sort_values("before")["before_label"]))
        counts = counts.loc[order, order]
        return published_table(counts)

    def published_wellbeing(self) -> pd.DataFrame:
        """Per wellbeing measure, its published clients; for a share below a threshold, the
        published counts before and after and the shares; for a mean, the means where the
        clients are published."""
        return self.cached("wb", lambda: pd.DataFrame([_published_measure(row) for _, row in
                                                       self.ev.wellbeing().iterrows()]))


def _published_measure(row: pd.Series) -> dict[str, Any]:
    clients = int(row["clients"])
    record = {"instrument": row["instrument"], "measure": row["measure"], "label": row["label"],
              "clients_pub": published_count(clients)}
    if not row["measure"].startswith("share_"):
        shown = not missing(record["clients_pub"])
        record.update(mean_before=row["before"] if shown else np.nan, mean_after=row["after"] if shown else np.nan)
        return record
    n_before, n_after = int(row["n_before"]), int(row["n_after"])
    table = pd.DataFrame({"within": [n_before, n_after], "outside": [clients - n_before, clients - n_after]},
                         index=["before", "after"])
    published = published_table(table)
    record.update(n_before=published.loc["before", "within"], n_after=published.loc["after", "within"],
                  clients_pub=published.loc["before", "total"])
    record["share_before"] = share_of(record["n_before"], record["clients_pub"])
    record["share_after"] = share_of(record["n_after"], record["clients_pub"])
    record["pct_fewer"] = percent_fewer(record["n_before"], record["n_after"])
    return record
