"""Disclosure control and the figures the report's sections share.

Every published count of people or events is a cell of the report's
:class:`socialrx.disclosure.Registry`, named by a key: counts 1-4 are suppressed, and secondary
suppression is decided over every table of the report at once (see :mod:`socialrx.disclosure`).
The :class:`Builder` asks the evaluation for each figure once and builds the published tables
that several sections render.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._measures import EVENT_KINDS, Window, WindowSpec, percent_change
from ..disclosure import THRESHOLD, Registry
from ..disclosure import Key as Key  # re-exported: the sections name their counts by it
from ..kind_groups import resolve_groups
from ..outcomes import transitions
from ..practices import PracticesResult
from ..summary import Headline
from ..summary import headline as headline_of
from ..tariff import Tariff
from ._comparison import Comparison, Interval
from ._html import count_text, missing, percent_fewer, percent_text, share_of

if TYPE_CHECKING:  # the report renders an Evaluation's results; it never builds one
    from ..evaluation import Evaluation

TOTAL = "total"
_ACTIVE: ContextVar[Registry] = ContextVar("socialrx report disclosure registry")


@contextmanager
def disclosure(registry: Registry) -> Iterator[Registry]:
    """Every count published inside the block is registered with, and read back from, ``registry``
    (one per report, so suppression is decided over the whole report)."""
    token = _ACTIVE.set(registry)
    try:
        yield registry
    finally:
        _ACTIVE.reset(token)


def _publish(register: Callable[[Registry], Any]) -> Any:
    """Register counts with the report's registry; outside a report, with a registry of their own
    protected at once (disclosure control of that table alone)."""
    registry = _ACTIVE.get(None)
    if registry is not None:
        return register(registry)
    registry = Registry(threshold=THRESHOLD)
    result = register(registry)
    registry.protect()
    return result


def _shown(registry: Registry, key: Key) -> Any:
    value = registry.shown(key)
    return pd.NA if value is None else value


def published_count(value: Any, key: Key, *, people: bool = True) -> Any:
    """A single count, as published (``pd.NA`` where suppressed); ``key`` names the quantity, so a
    count printed in several places is one cell of the report's disclosure control."""
    if missing(value):
        return pd.NA
    return _publish(lambda registry: _shown(registry, registry.count(key, int(value), people=people)))


def published_series(counts: pd.Series, *, name: Hashable, total: str | None = TOTAL, total_key: Key | None = None,
                     people: bool = True) -> pd.Series:
    """Counts ``(name, label)`` with their total (entry ``total``, dropped with ``total=None``),
    which is the quantity ``total_key`` where it is printed elsewhere too."""
    def register(registry: Registry) -> pd.Series:
        keys = [registry.count((name, label), int(v), people=people) for label, v in counts.items()]
        labels = list(counts.index)
        if total is not None:
            grand = registry.count(total_key or (name, TOTAL), int(counts.sum()), people=people)
            registry.relate(keys, grand)
            keys, labels = [*keys, grand], [*labels, total]
        values = pd.array([_shown(registry, k) for k in keys], dtype="Int64")
        return pd.Series(values, index=pd.Index(labels, dtype=object), name=counts.name)
    return _publish(register)


def published_table(counts: pd.DataFrame, *, name: Hashable, margins: bool = True,
                    margin_name: Hashable = None) -> pd.DataFrame:
    """Cells ``(name, row, column)`` with, under ``margins``, a ``total`` row and column; the
    column totals are ``(margin_name, total, column)`` where other tables print them too."""
    def register(registry: Registry) -> pd.DataFrame:
        rows, columns = list(counts.index), list(counts.columns)
        matrix = counts.to_numpy(dtype="int64")
        keys = [[registry.count((name, r, c), int(matrix[i, j])) for j, c in enumerate(columns)]
                for i, r in enumerate(rows)]
        if margins:
            keys = _margins(registry, keys, name, margin_name if margin_name is not None else name, rows, columns)
            rows, columns = [*rows, TOTAL], [*columns, TOTAL]
        values = [[_shown(registry, k) for k in row] for row in keys]
        return pd.DataFrame(values, index=pd.Index(rows, dtype=object), columns=pd.Index(columns, dtype=object),
                            dtype="Int64")
    return _publish(register)


def _margins(registry: Registry, keys: list[list[Key]], name: Hashable, margin_name: Hashable,
             rows: list[Any], columns: list[Any]) -> list[list[Key]]:
    """Row totals, column totals and the grand total, each tied to what it adds up."""
    def total(key: Key, parts: list[Key]) -> Key:
        registry.count(key, sum(registry.cells[k].value for k in parts))
        registry.relate(parts, key)
        return key

    row_totals = [total((name, r, TOTAL), keys[i]) for i, r in enumerate(rows)]
    column_totals = [total((margin_name, TOTAL, c), [row[j] for row in keys]) for j, c in enumerate(columns)]
    grand = total((margin_name, TOTAL, TOTAL), column_totals)
    registry.relate(row_totals, grand)
    return [*(row + [t] for row, t in zip(keys, row_totals)), [*column_totals, grand]]


def published_parts(parts: dict[Key, int], whole: tuple[Key, int], *, rest: Key | None = None) -> dict[Key, Any]:
    """Counts of people that are parts of a count of people ``whole`` (key, value), as published.

    What is left of the whole is a count a reader can work out from them, so it is tied to
    them and protected too: ``rest`` names it where it is printed elsewhere; otherwise it is a
    difference never printed."""
    def register(registry: Registry) -> dict[Key, Any]:
        whole_key, whole_value = whole
        registry.count(whole_key, whole_value)
        keys = [registry.count(key, int(value)) for key, value in parts.items()]
        left = whole_value - sum(parts.values())
        left_key = (registry.count(rest, left) if rest is not None
                    else registry.difference((whole_key, "rest", tuple(parts)), left))
        registry.relate([*keys, left_key], whole_key)
        return {key: _shown(registry, key) for key in keys}
    return _publish(register)


def tie_same(key: Key, elsewhere: Key) -> None:
    """Tell the report's disclosure control that ``key`` is the quantity another section prints
    as ``elsewhere``, where both are registered and agree, so neither reveals the other."""
    registry = _ACTIVE.get(None)
    if registry is None or key not in registry.cells or elsewhere not in registry.cells:
        return
    if registry.cells[key].value == registry.cells[elsewhere].value:
        registry.relate([key], elsewhere)


def tie_sum(parts: Sequence[Key], total: Key) -> None:
    """Tell the report's disclosure control that ``parts`` one section prints add up to ``total``
    another prints, where all are registered and they agree, so a reader cannot solve for a
    hidden part from the rest and the total."""
    registry = _ACTIVE.get(None)
    if registry is None or any(k not in registry.cells for k in (*parts, total)):
        return
    if sum(registry.cells[k].value for k in parts) == registry.cells[total].value:
        registry.relate(list(parts), total)


def published_rows(counts: pd.DataFrame, total: str, *, name: Hashable) -> pd.DataFrame:
    """Rows that do not add up to one another (different questions, different indicators): each
    row its own series ``(name, row)`` with its total."""
    rows = []
    for key, row in counts.iterrows():
        published = published_series(row, name=(name, key), total=total)
        published.name = key
        rows.append(published)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=[*counts.columns, total])


def did_publishable(rows: pd.DataFrame, name: Hashable) -> list[bool]:
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
    published = published_table(events, name=(name, "events"), margins=False)
    people = published_series(clients, name=(name, "clients"), total=None)
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
                 comparison: Comparison, scope: str = "all periods", population: Any = None) -> None:
        self.ev = ev
        self.scope = scope
        self.specs = [WindowSpec.parse(w) for w in windows]
        self.windows = list(windows)
        self.service_cost = service_cost_pence
        self.comparison = comparison
        self.population = population  # the registered population, for "Who is reached"
        self.by_practice = "practice" in ev.clients.columns
        self.has_events = ev.has_events and ev.data_start is not None and ev.data_end is not None
        self.has_cost = self.has_events and ev.tariff is not None
        self._cache: dict[str, Any] = {}

    # ---------------------------------------------------------------- cached figures
    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def published_cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """A published figure, computed again whenever the report's suppression has changed."""
        registry = _ACTIVE.get(None)
        return self.cached(f"{key}@{id(registry)}:{0 if registry is None else registry.generation}", compute)

    def key(self, *parts: Hashable) -> Key:
        """A published quantity's key within this builder's reporting period."""
        return (self.scope, *parts)

    @property
    def last(self) -> WindowSpec:
        return self.specs[-1]

    def utilisation(self) -> pd.DataFrame:
        return self.cached("util", lambda: self.ev.utilisation(self.windows))

    def exclusions(self) -> pd.DataFrame:
        return self.cached("excl", lambda: self.ev.exclusions(self.windows))

    def costs(self, by: str | None = None) -> pd.DataFrame:
        return self.cached(f"cost:{by}", lambda: self.ev.cost_avoidance(self.windows, by=by))

    def subtotals(self, figure: str) -> pd.DataFrame:
        """The rows of the groups of kinds (shipped and the evaluation's own) of ``"utilisation"``
        or ``"cost_avoidance"`` over the report's windows: what the sections add as subtotals."""
        def compute() -> pd.DataFrame:
            rows = getattr(self.ev, figure)(self.windows, groups=True)
            return rows[~rows["kind"].isin(EVENT_KINDS)]
        return self.cached(f"groups:{figure}", compute)

    def practices(self) -> PracticesResult:
        """Each practice's figures over the last window, the matched DiD over its own matched sets
        with the report's comparison settings (``Evaluation.practices``); groups of kinds included."""
        c = self.comparison
        return self.cached("practices", lambda: self.ev.practices(
            window=self.last.argument, match=c.match if c.available else None, groups=True,
            bootstrap=c.replicates, level=c.level, seed=c.bootstrap_seed))

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
        clients = self.published_in_window(spec)
        if rows.empty:
            return pd.DataFrame(columns=["pre", "post"]), clients
        return published_table(rows[["pre", "post"]], name=self.key("events", spec.label), margins=False), clients

    def published_groups(self, spec: WindowSpec) -> pd.DataFrame:
        """groups of kinds x [pre, post] published for one window, each subtotal tied to its
        kinds' counts (call after :meth:`published_utilisation`), so that a subtotal printed
        beside its parts reveals no hidden part."""
        groups = self.subtotals("utilisation")
        rows = groups[groups["window"] == spec.label].set_index("kind")
        kinds_of = resolve_groups(True, self.ev.kind_groups)
        name = self.key("events", spec.label)

        def register(registry: Registry) -> pd.DataFrame:
            shown = {}
            for group, row in rows.iterrows():
                for side in ("pre", "post"):
                    key = registry.count((name, group, side), int(row[side]))
                    parts = [(name, k, side) for k in kinds_of[str(group)]]
                    registry.relate([part for part in parts if part in registry.cells], key)
                    shown[(group, side)] = _shown(registry, key)
            return pd.DataFrame({side: pd.array([shown[(g, side)] for g in rows.index], dtype="Int64")
                                 for side in ("pre", "post")}, index=rows.index)
        return _publish(register)

    def matched_groups(self, spec: WindowSpec) -> pd.DataFrame | None:
        """The DiD rows of the groups of kinds each of whose kinds' DiD counts are published (a
        group's rates from hidden counts would narrow them); None without any."""
        kinds, groups = self.comparison.rows(spec), self.comparison.rows(spec, groups=True)
        if kinds is None or groups is None:
            return None
        shown = dict(zip(kinds.index, did_publishable(kinds, self.key("did", spec.label))))
        defined = resolve_groups(True, self.ev.kind_groups)
        keep = [g for g in groups.index if str(g) in defined and all(shown.get(k, True) for k in defined[str(g)])]
        return groups.loc[keep] if keep else None

    def published_in_window(self, spec: WindowSpec) -> Any:
        """The connected clients included in a window, tied to all connected: those left out
        are a difference a reader can work out."""
        excl = self.exclusions()
        included = excl[(excl["table"] == "clients") & (excl["reason"] == "included")]
        in_window = int(included.loc[included["window"] == spec.label, "count"].sum())
        _, connected = self.reach_total()
        self.published_reach_total()
        shown = published_count(in_window, self.key("clients", spec.label, "included"))
        registry = _ACTIVE.get(None)
        if registry is not None and in_window <= connected:
            outside = registry.difference(self.key("clients", spec.label, "connected, not included"),
                                          connected - in_window)
            registry.relate([self.key("clients", spec.label, "included"), outside],
                            (self.key("reach"), TOTAL, "connected"))
        return shown

    def tie_in_window_by_practice(self, spec: WindowSpec, in_window: pd.Series) -> None:
        """Each practice's clients in the window (published as ``clients, window, practice``)
        tied to its connected clients (the reach by practice): those left out are a difference
        a reader can work out."""
        registry = _ACTIVE.get(None)
        if registry is None:
            return
        reach = self.ev.reach(by="practice").set_index("practice")
        for practice, count in in_window.items():
            connected = int(reach.loc[practice, "connected"]) if practice in reach.index else None
            if connected is None or count > connected:
                continue
            outside = registry.difference(self.key("clients", spec.label, "connected, not included", practice),
                                          connected - int(count))
            registry.relate([(self.key("clients", spec.label, "practice"), practice), outside],
                            (self.key("reach", "practice"), str(practice), "connected"))

    def published_connected(self, by: str) -> pd.DataFrame:
        """categories x [connected, not connected] + referred (row total), published."""
        reach = self.ev.reach(by=by)
        counts = pd.DataFrame({"connected": reach["connected"].to_numpy(),
                               "not connected": (reach["referred"] - reach["connected"]).to_numpy()},
                              index=reach[by].astype(str).to_numpy())
        # Each grouping's column totals are the service's referred and connected, except for
        # reasons, where a client may give several.
        margin = self.key("reach") if by != "referral_reasons" else self.key("reach", by)
        published = published_table(counts, name=self.key("reach", by), margin_name=margin)
        return published.rename(columns={"total": "referred"}, index={"total": "all referrals"})

    def effect_clients(self, row: dict[str, Any]) -> Any:
        """The published clients a headline effects row is over."""
        return published_count(row["clients"], self.key("effect", row["window"], row["kind"], row["figure"],
                                                         row["method"], "clients"))

    def published_reach_total(self) -> tuple[Any, Any]:
        """All referred and connected, as the reach tables print them."""
        referred, connected = self.reach_total()
        return (published_count(referred, (self.key("reach"), TOTAL, TOTAL)),
                published_count(connected, (self.key("reach"), TOTAL, "connected")))

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
            return published_rows(counts, "answered", name=self.key("feedback"))
        return self.published_cached("fb", compute)

    def tie_feedback(self) -> None:
        """The feedback measures are counts of the star and impact answers printed beside them:
        tie each to the answers it adds up (where the two agree; forms without a valid answer
        can leave them apart)."""
        registry = _ACTIVE.get(None)
        if registry is None:
            return

        def measure(name: str, cell: str) -> Key:
            return (self.key("feedback"), name), cell

        def stars(n: int) -> Key:
            return self.key("stars"), f"{n} star{'s' if n > 1 else ''}"

        def impact(level: str) -> Key:
            return self.key("impact"), level

        ties: list[tuple[list[Key], Key]] = [
            ([stars(4), stars(5)], measure("four_or_five_stars", "yes")),
            ([(self.key("stars"), TOTAL)], measure("four_or_five_stars", TOTAL)),
            ([impact("some"), impact("significant")], measure("reported_impact", "yes")),
            ([impact("none")], measure("reported_impact", "no")),
            ([(self.key("impact"), TOTAL)], measure("reported_impact", TOTAL)),
            ([impact("significant")], measure("significant_impact", "yes")),
            ([(self.key("impact"), TOTAL)], measure("significant_impact", TOTAL)),
            ([impact("significant")], measure("significant_of_impact", "yes")),
            ([impact("some")], measure("significant_of_impact", "no")),
        ]
        for parts, total in ties:
            known = all(k in registry.cells for k in (*parts, total))
            if known and sum(registry.cells[k].value for k in parts) == registry.cells[total].value:
                registry.relate(parts, total)

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
        return self.published_cached("domains", compute)

    def published_transition(self, block: pd.DataFrame) -> pd.DataFrame:
        counts = block.pivot(index="before_label", columns="after_label", values="clients")
        order = list(dict.fromkeys(block.sort_values("before")["before_label"]))
        counts = counts.loc[order, order]
        return published_table(counts, name=self.key("transitions", block["domain"].iloc[0]))

    def published_wellbeing(self) -> pd.DataFrame:
        """Per wellbeing measure, its published clients; for a share below a threshold, the
        published counts before and after and the shares; for a mean, the means where the
        clients are published."""
        return self.published_cached("wb", lambda: pd.DataFrame([_published_measure(row, self.key("wellbeing"))
                                                                 for _, row in self.ev.wellbeing().iterrows()]))


def _published_measure(row: pd.Series, name: Key) -> dict[str, Any]:
    clients = int(row["clients"])
    name = (*name, row["instrument"], row["measure"])
    record = {"instrument": row["instrument"], "measure": row["measure"], "label": row["label"],
              "clients_pub": published_count(clients, (name, "before", TOTAL))}
    if not row["measure"].startswith("share_"):
        shown = not missing(record["clients_pub"])
        record.update(mean_before=row["before"] if shown else np.nan, mean_after=row["after"] if shown else np.nan)
        return record
    n_before, n_after = int(row["n_before"]), int(row["n_after"])
    table = pd.DataFrame({"within": [n_before, n_after], "outside": [clients - n_before, clients - n_after]},
                         index=["before", "after"])
    published = published_table(table, name=name)
    record.update(n_before=published.loc["before", "within"], n_after=published.loc["after", "within"],
                  clients_pub=published.loc["before", "total"])
    record["share_before"] = share_of(record["n_before"], record["clients_pub"])
    record["share_after"] = share_of(record["n_after"], record["clients_pub"])
    record["pct_fewer"] = percent_fewer(record["n_before"], record["n_after"])
    return record
