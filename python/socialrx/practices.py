"""Practices: each GP practice's referrals, use before and after, cost avoided and its rank.

Service reports count practices ("of the 43 surgeries engaged, 34 had a decrease in surgery
consultations") and name the practice with the greatest cost avoidance. Counts of practices are
counts of organisations, not of people: they are printed as they are. The counts of people
printed beside a practice (its referrals, connected and in-window clients) keep disclosure
control (``socialrx.disclosure``): 1-4 is hidden, and so is what would give it away.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import _core
from ._columns import require_columns
from ._measures import Window, WindowSpec, kind_label, parse_windows, pence_per
from .did import MONEY_KIND, DiDResult
from .disclosure import Registry
from .kind_groups import GroupsOption

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .matching import Match

__all__ = ["PracticesResult", "practice_did", "practices", "rank"]

_MATCHED = {"matched_clients": "matched_clients", "pence_avoided_per_client": "matched_avoided_per_client_pence",
            "pence_avoided_ci_low": "matched_ci_low_pence", "pence_avoided_ci_high": "matched_ci_high_pence",
            "pence_avoided_total": "matched_avoided_pence"}


@dataclass
class PracticesResult:
    """Per practice: referrals, use before and after per kind, cost avoided and ranks.

    Attributes:
        table: one row per practice (index ``practice``): ``referred``, ``connected``,
            ``clients`` (in the window); per kind (and group) ``<kind>_pre``, ``<kind>_post``,
            ``<kind>_change`` (post - pre); with a tariff ``avoided_pence`` (naive, over every
            priced kind), ``avoided_per_client_pence`` and ``rank`` (1: the most avoided, over
            practices with clients in the window); with a match ``matched_clients``,
            ``matched_avoided_per_client_pence`` with ``matched_ci_low_pence`` /
            ``matched_ci_high_pence``, ``matched_avoided_pence`` and ``matched_rank`` (by the
            DiD per matched client).
        kinds: the kinds and groups with columns, in order.
        window: the window either side of the index date.
        level: the matched intervals' coverage.
    """

    table: pd.DataFrame
    kinds: tuple[str, ...]
    window: WindowSpec
    level: float = 0.95

    @property
    def engaged(self) -> pd.DataFrame:
        """The practices with clients in the window (the "surgeries engaged")."""
        return self.table[self.table["clients"] > 0]

    def directions(self) -> pd.DataFrame:
        """Per kind (and group): how many of the engaged practices had ``fewer``, the ``same``
        or ``more`` events after than before, of ``practices``. Counts of practices."""
        engaged = self.engaged
        rows = {kind: {"fewer": int((engaged[f"{kind}_change"] < 0).sum()),
                       "same": int((engaged[f"{kind}_change"] == 0).sum()),
                       "more": int((engaged[f"{kind}_change"] > 0).sum()),
                       "practices": len(engaged)} for kind in self.kinds}
        return pd.DataFrame.from_dict(rows, orient="index", columns=["fewer", "same", "more", "practices"])

    def direction_sentences(self) -> list[str]:
        """"34 of 43 practices had fewer GP surgery consultations (5 the same, 4 more)", per kind."""
        return [f"{row.fewer} of {row.practices} practices had fewer {_in_sentence(kind_label(kind))} "
                f"({row.same} the same, {row.more} more)" for kind, row in self.directions().iterrows()]

    def published(self) -> pd.DataFrame:
        """The league as printed: practices in rank order (by name without a tariff), their
        counts of people as published (<NA> where hidden), money only where the clients it is
        over are published, and ranks among those practices alone (a rank among hidden money
        would bound it)."""
        counts = _published_people(self.table)
        shown = self.table.copy()
        for column in counts.columns:
            shown[column] = counts[column]
        money = [c for c in shown.columns if c.endswith("_pence")]
        shown.loc[shown["clients"].isna(), money] = pd.NA
        if "matched_clients" in shown:
            shown.loc[shown["matched_clients"].isna(), [c for c in money if c.startswith("matched")]] = pd.NA
            shown["matched_rank"] = rank(shown["matched_avoided_per_client_pence"],
                                          shown["matched_avoided_per_client_pence"].notna())
        if "rank" not in shown:
            return shown
        shown["rank"] = rank(shown["avoided_pence"], shown["avoided_pence"].notna() & (self.table["clients"] > 0))
        return shown.sort_values("rank", kind="stable")

    def _sentences(self) -> list[str]:
        """What ``summary()`` says and the notebook shows above the league."""
        engaged = self.engaged
        lines = [f"{len(engaged)} of {len(self.table)} practices with referrals had clients in the "
                 f"{self.window.text} either side of the index date."]
        lines += self.direction_sentences()
        shown = self.published()
        lines += [_top(shown, "avoided_pence", "The practice with the greatest cost avoidance"),
                  _top(shown, "matched_avoided_per_client_pence",
                       "The practice with the greatest matched cost avoidance per matched client")]
        return [line for line in lines if line]

    def summary(self) -> str:
        """"N of M practices had fewer <kind>" per kind and the top practices, as text."""
        return "\n".join(self._sentences())

    def _repr_html_(self) -> str:
        display = _display(self.published())
        body = "".join(f"<tr><th>{html.escape(str(p))}</th>" + "".join(
            f"<td style='text-align:right'>{html.escape(v)}</td>" for v in row) + "</tr>"
            for p, row in zip(display.index, display.to_numpy()))
        header = "".join(f"<th>{html.escape(c)}</th>" for c in ["practice", *display.columns])
        notes = "".join(f"<p>{html.escape(line)}</p>" for line in self._sentences())
        return (f"{notes}<table><caption>Practices, {html.escape(self.window.text)}</caption><tr>{header}</tr>"
                f"{body}</table><p><small>* hidden by disclosure control (a count of 1-4 people, or one that "
                f"would reveal it)</small></p>")

    def __repr__(self) -> str:
        return f"PracticesResult({len(self.engaged)} of {len(self.table)} practices, {self.window.text})"


def _published_people(table: pd.DataFrame) -> pd.DataFrame:
    """Referred, connected, in-window and matched clients per practice through one disclosure
    registry: those not connected and those connected outside the window are differences a
    reader can work out, so they are protected too."""
    registry = Registry()
    keys: dict[str, list[Any]] = {"referred": [], "connected": [], "clients": []}
    for practice, row in table.iterrows():
        referred, connected, clients = (int(row[c]) for c in keys)
        cells = [registry.count((practice, c), v) for c, v in zip(keys, (referred, connected, clients))]
        registry.relate([cells[1], registry.difference((practice, "not connected"), referred - connected)], cells[0])
        registry.relate([cells[2], registry.difference((practice, "outside the window"),
                                                       max(connected - clients, 0))], cells[1])
        for column, cell in zip(keys, cells):
            keys[column].append(cell)
    registry.protect()
    shown = pd.DataFrame({column: pd.array([registry.shown(k) for k in cells], dtype="Int64")
                          for column, cells in keys.items()}, index=table.index)
    if "matched_clients" in table:
        matched = table["matched_clients"].dropna().astype("int64")
        for practice, count in matched.items():
            registry.count((practice, "matched"), int(count))
        registry.protect()
        shown["matched_clients"] = pd.Series({p: registry.shown((p, "matched")) for p in matched.index},
                                             dtype="Int64").reindex(table.index)
    return shown


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Emergency admissions" -> "emergency admissions"; an
    abbreviation stays ("GP home visits", "A&E attendances")."""
    return label if label[1:2].isupper() or not label[1:2].isalpha() else label[:1].lower() + label[1:]


def _money(pence: Any) -> str:
    return "-" if pd.isna(pence) else _core.format_pounds(int(pence))


def _count(value: Any) -> str:
    return "*" if pd.isna(value) else f"{int(value):,}"


def _top(shown: pd.DataFrame, column: str, lead: str) -> str:
    """The practice with the greatest ``column`` among those whose money is published."""
    if column not in shown or shown[column].isna().all():
        return ""
    values = shown[column].astype("Float64")
    practice: Any = values.idxmax()
    row = shown.loc[practice]
    return (f"{lead}: {practice}, {_money(row[column])} (from {_count(row['referred'])} referrals, of which "
            f"{_count(row['connected'])} supported)")


def _display(shown: pd.DataFrame) -> pd.DataFrame:
    """The league's printed columns as text."""
    columns = {"rank": lambda v: "" if pd.isna(v) else str(int(v)), "referred": _count, "connected": _count,
               "clients": _count, "avoided_pence": _money, "avoided_per_client_pence": _money,
               "matched_clients": _count, "matched_avoided_per_client_pence": _money}
    return pd.DataFrame({c.replace("_pence", "").replace("_", " "): shown[c].map(show)
                         for c, show in columns.items() if c in shown}, index=shown.index)


def practices(ev: Evaluation, *, window: Window = 12, match: Match | None = None, groups: GroupsOption = None,
              bootstrap: int = 2000, level: float = 0.95, seed: int = 1) -> PracticesResult:
    """Each practice's referrals, use before and after, cost avoided (naive with a tariff,
    matched DiD with ``match``) and ranks, over one window.

    Args:
        ev: an Evaluation whose clients have a ``practice`` column, with events.
        window: months (12) or days ("365d") either side of the index date.
        match: ``ev.match(...)``: adds each practice's DiD over its own matched sets.
        groups: groups of kinds as ``Evaluation.utilisation`` takes them.
        bootstrap, level, seed: the matched DiD's intervals, as ``Match.did``.
    """
    require_columns(ev.clients, "clients", ["practice"])
    specs = parse_windows(window)
    if len(specs) != 1:
        raise ValueError(f"practices.window: one window, got {window!r}")
    spec = specs[0]
    reach = ev.reach(by="practice").set_index("practice")[["referred", "connected"]]
    use = ev.utilisation(spec.argument, by="practice", groups=groups)
    table = reach.join(use.groupby("practice", observed=True)["clients"].first()).fillna({"clients": 0})
    table = table.astype({"clients": "int64"})
    kinds = tuple(dict.fromkeys(use["kind"]))
    wide = use.pivot(index="practice", columns="kind", values=["pre", "post", "change"])
    for kind in kinds:
        for side in ("pre", "post", "change"):
            table[f"{kind}_{side}"] = wide[(side, kind)].reindex(table.index).fillna(0).astype("int64")
    if ev.tariff is not None:
        costs = ev.cost_avoidance(spec.argument, by="practice")
        table["avoided_pence"] = costs.groupby("practice", observed=True)["avoided_pence"].sum().reindex(
            table.index).fillna(0).astype("Int64")
        table["avoided_per_client_pence"] = pd.array(
            [pence_per(a, n) for a, n in zip(table["avoided_pence"], table["clients"])], dtype="Int64")
        table["rank"] = rank(table["avoided_pence"], table["clients"] > 0)
    if match is not None:
        found = practice_did(ev, match, list(table.index), windows=[spec.argument], bootstrap=bootstrap,
                             level=level, seed=seed)
        matched = pd.DataFrame({p: _money_row(result, spec) for p, result in found.items()}).T
        for source, column in _MATCHED.items():
            values = matched[source] if source in matched else pd.Series(dtype="Int64")
            table[column] = values.reindex(table.index).astype("Int64")
        table["matched_rank"] = rank(table["matched_avoided_per_client_pence"], table["matched_clients"].notna())
    table.index.name = "practice"
    return PracticesResult(table=table, kinds=kinds, window=spec, level=level)


def rank(values: pd.Series, among: pd.Series) -> pd.Series:
    """1 for the greatest value among ``among`` (ties share the best rank), <NA> elsewhere."""
    ranked = values.astype("Float64").where(among.to_numpy(dtype=bool)).rank(ascending=False, method="min")
    return ranked.astype("Int64")


def _money_row(result: DiDResult, spec: WindowSpec) -> pd.Series:
    table = result.table
    row = table[(table["window"] == spec.label) & (table["kind"] == MONEY_KIND)]
    return row.iloc[0] if len(row) else pd.Series(dtype=object)


def practice_did(ev: Evaluation, match: Match, practices: Sequence[Any], *, windows: Sequence[Window],
                 bootstrap: int, level: float, seed: int) -> dict[Any, DiDResult]:
    """Per practice with matched clients, the DiD over its clients' matched sets alone
    (``Match.did(clients=...)``), with the given settings."""
    labels = ev.clients["practice"].astype("string")
    ids = ev.client_columns["client_id"]
    matched = pd.Index(match.matches()["client_id"])
    found = {}
    for practice in practices:
        own = ids[(labels == str(practice)).fillna(False).to_numpy(dtype=bool)]
        if matched.isin(own).any():
            found[practice] = match.did(windows=tuple(windows), bootstrap=bootstrap, level=level, seed=seed,
                                        progress=False, clients=own)
    return found

