"""Outcomes across domains (dudley7 and other frameworks) and wellbeing (SWEMWBS, ONS4).

Assessments are long format, one rating of one item at one time point::

    client_id, date, timepoint (baseline / review / final), instrument, item, value

For a domain framework the item is ``<domain>.<indicator>`` (``finance.enough_money``); for a
questionnaire it is the item id (``q1``, ``life_satisfaction``), optionally prefixed with the
instrument (``swemwbs.q1``). Rows of other instruments are ignored.

A client's baseline is the earliest date of a baseline assessment and the follow-up the latest
date of a review or final one; only ratings on those two dates are used, and only clients with
a follow-up after their baseline are paired. Percentages are in percent (81.0) and NaN where
undefined (a base of zero). Clients left out are counted by reason in ``attrs["excluded"]``:
``not_assessed`` (in ``client_ids`` but no row of this instrument), ``baseline_only``,
``follow_up_only``, ``follow_up_not_after_baseline``, ``paired`` (used), and for questionnaires
``incomplete_baseline`` / ``incomplete_follow_up`` (an item missing on that date: a summed
score is not computed; items scored one by one still use the answered items).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import pandas as pd

from . import _core
from ._columns import as_codes, as_days, as_frame, as_ids, require_columns

TIMEPOINTS: tuple[str, ...] = ("baseline", "review", "final")
EMBEDDED_FRAMEWORKS: tuple[str, ...] = ("dudley7", "swemwbs", "ons4")
ASSESSMENT_COLUMNS: tuple[str, ...] = ("client_id", "date", "timepoint", "instrument", "item", "value")
_TABLE = "assessments"


class Framework:
    """An outcome framework: its domains and indicators (or questionnaire items), the rating
    scale, the rule deriving a domain's rating from its indicators, and its thresholds.

    Load one with :func:`load_framework`; the JSON schema is described in
    ``include/socialrx/model/framework.hpp`` and shown by ``data/frameworks/*.json``.
    """

    def __init__(self, core: _core.Framework) -> None:
        self._core = core

    @property
    def id(self) -> str:
        return self._core.id

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def kind(self) -> str:
        """``"domains"`` or ``"questionnaire"``."""
        return self._core.kind

    @property
    def source(self) -> str:
        return self._core.source

    @property
    def rule(self) -> str:
        """The default rule deriving a domain's rating (domain frameworks)."""
        return self._core.rule

    @property
    def rules(self) -> list[str]:
        """The rules a caller may choose instead (``rule=`` of :func:`domain_outcomes`)."""
        return list(self._core.rules)

    @property
    def scale(self) -> dict[int, str]:
        """Every step of the scale, low to high, with its label ('' where unlabelled)."""
        return dict(zip(range(self._core.scale_min, self._core.scale_max + 1), self._core.scale_labels))

    @property
    def domains(self) -> pd.DataFrame:
        """id, name; empty for a questionnaire."""
        return pd.DataFrame([(d.id, d.name) for d in self._core.domains], columns=["id", "name"])

    @property
    def indicators(self) -> pd.DataFrame:
        """item (as written in assessments), domain, id, text, listed."""
        return _indicator_table(self._core)

    @property
    def thresholds(self) -> pd.DataFrame:
        """id, label, applies_to (``domain rating``, ``score`` or an item id), min, max
        (inclusive), source."""
        items = self._core.indicators
        whole = "domain rating" if self.kind == "domains" else "score"
        rows = [(t.id, t.label, whole if t.item < 0 else items[t.item].id,
                 np.nan if t.min is None else t.min, np.nan if t.max is None else t.max, t.source)
                for t in self._core.thresholds]
        return pd.DataFrame(rows, columns=["id", "label", "applies_to", "min", "max", "source"])

    def __repr__(self) -> str:
        count = len(self._core.indicators)
        parts = f"{len(self._core.domains)} domains, {count} indicators" if self.kind == "domains" \
            else f"{count} items"
        return f"<Framework {self.id!r}: {self.name}, {parts}, scale {min(self.scale)}..{max(self.scale)}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        scale = ", ".join(f"{v} {esc(label)}".strip() for v, label in self.scale.items())
        head = [f"<h4>{esc(self.name)} <code>{esc(self.id)}</code></h4>",
                f"<p>Scale: {scale}"]
        if self.kind == "domains":
            head.append(f"; domain rating: {esc(self.rule)} indicator "
                        f"(also allowed: {esc(', '.join(r for r in self.rules if r != self.rule)) or 'none'})")
        else:
            head.append(f"; scoring: {esc(self._core.scoring)}")
        head.append("</p>")
        rows = "".join(
            f"<tr><td><code>{esc(row['item'])}</code></td><td>{esc(row['text'])}</td></tr>"
            for row in self.indicators.to_dict("records"))
        thresholds = "".join(
            f"<li><code>{esc(t['id'])}</code>: {esc(t['label'])} ({esc(t['applies_to'])}"
            f"{_bounds_text(t['min'], t['max'])})</li>"
            for t in self.thresholds.to_dict("records"))
        source = f"<p><small>Source: {esc(self.source)}</small></p>" if self.source else ""
        return ("".join(head) + f"<table><tr><th>item</th><th>wording</th></tr>{rows}</table>"
                + f"<p>Thresholds:</p><ul>{thresholds}</ul>" + source)


def _bounds_text(low: float, high: float) -> str:
    """`` ≥ low``, `` ≤ high``, both or neither (NaN: no bound)."""
    return ("" if np.isnan(low) else f" ≥ {low:g}") + ("" if np.isnan(high) else f" ≤ {high:g}")


FrameworkSource = Union[str, os.PathLike[str], Mapping[str, Any], Framework]


def load_framework(name_or_path: FrameworkSource = "dudley7") -> Framework:
    """Load an outcome framework.

    ``name_or_path`` is a framework built into the library (``"dudley7"``, ``"swemwbs"``,
    ``"ons4"``), a JSON file path, the JSON document as a dict, or a ``Framework`` (returned
    as it is). A malformed document is a ``ValueError`` naming the file and the key.
    """
    if isinstance(name_or_path, Framework):
        return name_or_path
    if isinstance(name_or_path, Mapping):
        return Framework(_core.framework_from_json(json.dumps(name_or_path), "framework"))
    if str(name_or_path) in EMBEDDED_FRAMEWORKS:
        return Framework(_core.embedded_framework(str(name_or_path)))
    path = Path(name_or_path)
    if not path.is_file():
        raise ValueError(f"framework: no file {str(path)!r} (give a JSON path, a dict or one of "
                         f"{', '.join(EMBEDDED_FRAMEWORKS)})")
    return Framework(_core.framework_from_json(path.read_text(encoding="utf-8"), path.name))


def domain_outcomes(assessments: pd.DataFrame, client_ids: np.ndarray | None = None,
                    framework: FrameworkSource = "dudley7", *, rule: str | None = None) -> pd.DataFrame:
    """Per domain, over clients rated in that domain at baseline and at follow-up.

    Args:
        assessments: long format ratings (see the module docstring); rows of other
            instruments are ignored.
        client_ids: the clients table's ids. Given, an assessment of anyone else is an error and
            clients never assessed are counted (``not_assessed``); by default, the clients are
            those in the assessments.
        framework: a domain framework (see :func:`load_framework`).
        rule: ``worst`` (dudley7's default), ``best`` or ``mean_rounded_down``: how a domain's
            rating follows from its indicators rated on the same date; must be one the framework
            declares.

    Returns:
        One row per domain: ``domain``, ``name``, ``clients``, ``nm_pre``, ``nm_post`` (not
        managing at baseline / follow-up), ``pct_reduction_not_managing`` = 100 (nm_pre -
        nm_post) / nm_pre, ``m_pre``, ``m_post`` (managing), ``pct_increase_managing`` = 100
        (m_post - m_pre) / m_pre, ``greatest_improvement`` (item ``<domain>.<indicator>``) and
        ``greatest_improvement_text`` (its wording), ``rated_baseline_only`` and
        ``rated_follow_up_only`` (paired clients rated in the domain on one date only).

        The greatest improvement is the indicator with the largest net share improved,
        (improved - worsened) / paired, over clients rated on it on both dates; the first
        listed wins a tie; empty when none was rated on both dates (see
        :func:`indicator_changes`).

        ``attrs``: ``framework``, ``rule``, ``excluded`` (client counts by reason) and
        ``unlisted_indicators`` (items of a known domain the framework does not list: used).

    Raises:
        ValueError: naming table, column and row for a value off the scale or missing, an
            unknown timepoint, an unknown domain, a client not in ``client_ids``, or a second
            rating of an item on the same date.
    """
    prepared = _Prepared(assessments, client_ids, load_framework(framework), "domains")
    result = prepared.run_domains(rule)
    core = prepared.framework
    d = result.domains
    best = [_item_name(core, i) if i >= 0 else "" for i in d["greatest_improvement"]]
    text = [core.indicators[i].text if i >= 0 else "" for i in d["greatest_improvement"]]
    out = pd.DataFrame({
        "domain": [x.id for x in core.domains],
        "name": [x.name for x in core.domains],
        "clients": np.asarray(d["clients"], dtype=np.int64),
        "nm_pre": np.asarray(d["not_managing_pre"], dtype=np.int64),
        "nm_post": np.asarray(d["not_managing_post"], dtype=np.int64),
        "pct_reduction_not_managing": _floats(d["pct_reduction_not_managing"]),
        "m_pre": np.asarray(d["managing_pre"], dtype=np.int64),
        "m_post": np.asarray(d["managing_post"], dtype=np.int64),
        "pct_increase_managing": _floats(d["pct_increase_managing"]),
        "greatest_improvement": best,
        "greatest_improvement_text": text,
        "rated_baseline_only": np.asarray(d["rated_baseline_only"], dtype=np.int64),
        "rated_follow_up_only": np.asarray(d["rated_follow_up_only"], dtype=np.int64),
    })
    out.attrs.update(framework=core.id, rule=result.rule, excluded=dict(result.excluded),
                     unlisted_indicators=prepared.unlisted())
    return out


def transitions(assessments: pd.DataFrame, client_ids: np.ndarray | None = None,
                framework: FrameworkSource = "dudley7", *, rule: str | None = None) -> pd.DataFrame:
    """The full transition table of every domain, long format: one row per domain and pair of
    scale steps (3 x 3 for dudley7), zero counts included.

    Columns: ``domain``, ``before``, ``after`` (scale values), ``before_label``,
    ``after_label``, ``clients``. Arguments and ``attrs`` as for :func:`domain_outcomes`.
    """
    prepared = _Prepared(assessments, client_ids, load_framework(framework), "domains")
    result = prepared.run_domains(rule)
    core = prepared.framework
    steps = np.arange(core.scale_min, core.scale_max + 1)
    counts = result.transitions  # [domain][before][after]
    n_domains, n_steps = counts.shape[0], counts.shape[1]
    before = np.tile(np.repeat(steps, n_steps), n_domains)
    after = np.tile(steps, n_domains * n_steps)
    labels = np.asarray(core.scale_labels, dtype=object)
    out = pd.DataFrame({
        "domain": np.repeat([x.id for x in core.domains], n_steps * n_steps),
        "before": before,
        "after": after,
        "before_label": labels[before - core.scale_min],
        "after_label": labels[after - core.scale_min],
        "clients": counts.reshape(-1).astype(np.int64),
    })
    out.attrs.update(framework=core.id, rule=result.rule, excluded=dict(result.excluded),
                     unlisted_indicators=prepared.unlisted())
    return out


def indicator_changes(assessments: pd.DataFrame, client_ids: np.ndarray | None = None,
                      framework: FrameworkSource = "dudley7") -> pd.DataFrame:
    """Per indicator, over paired clients rated on it at baseline and at follow-up.

    Columns: ``domain``, ``item``, ``text``, ``listed`` (False: met in the data only),
    ``paired``, ``improved`` (follow-up rating higher), ``worsened``, ``net_improved`` = 100
    (improved - worsened) / paired (NaN when none are paired): the measure behind
    ``greatest_improvement``. ``attrs`` as for :func:`domain_outcomes`.
    """
    prepared = _Prepared(assessments, client_ids, load_framework(framework), "domains")
    result = prepared.run_domains(None)
    out = _indicator_table(prepared.framework).drop(columns="id")
    changes = result.indicators
    out["paired"] = changes["paired"]
    out["improved"] = changes["improved"]
    out["worsened"] = changes["worsened"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["net_improved"] = np.where(out["paired"] > 0, 100.0 * (out["improved"] - out["worsened"])
                                       / out["paired"].clip(lower=1), np.nan)
    out.attrs.update(framework=prepared.framework.id, rule=result.rule, excluded=dict(result.excluded),
                     unlisted_indicators=prepared.unlisted())
    return out


def wellbeing(assessments: pd.DataFrame, client_ids: np.ndarray | None = None, *,
              instruments: Sequence[FrameworkSource] = ("swemwbs", "ons4")) -> pd.DataFrame:
    """Wellbeing questionnaires before and after, over paired clients.

    Args:
        assessments: long format ratings (see the module docstring).
        client_ids: as for :func:`domain_outcomes`.
        instruments: questionnaire frameworks; those with no row in ``assessments`` are left
            out of the result.

    Returns:
        Columns ``instrument``, ``measure``, ``label``, ``clients``, ``before``, ``after``,
        ``pct_fewer``, ``n_before``, ``n_after``. Per instrument, mean scores first
        (``mean_score``, the SWEMWBS metric score after the Rasch conversion; for ONS4, whose
        items are never summed, ``mean_<item>``), ``before``/``after`` the means and
        ``pct_fewer``/``n_*`` empty; then one ``share_<threshold>`` row per threshold
        (``share_poor_wellbeing``; ``share_low_life_satisfaction``, ...,
        ``share_high_anxiety``) with ``before``/``after`` the percentage of clients within it,
        ``n_before``/``n_after`` their numbers and ``pct_fewer`` = 100 (n_before - n_after) /
        n_before. ``attrs["excluded"]`` maps each instrument to its exclusion counts; a
        SWEMWBS questionnaire missing an item is not scored and is counted there.
    """
    rows: list[dict[str, Any]] = []
    excluded: dict[str, dict[str, int]] = {}
    frame = as_frame(assessments, _TABLE)
    for source in instruments:
        prepared = _Prepared(frame, client_ids, load_framework(source), "questionnaire")
        if prepared.empty:
            continue
        result = prepared.run_questionnaire()
        core = prepared.framework
        excluded[core.id] = dict(result.excluded)
        for item, clients, mean_pre, mean_post in result.scores:
            name = "score" if item < 0 else core.indicators[item].id
            label = ("mean metric score" if core.conversion else "mean score") if item < 0 \
                else f"mean {name.replace('_', ' ')}"
            rows.append(dict(instrument=core.id, measure=f"mean_{name}", label=label, clients=clients,
                             before=_float(mean_pre), after=_float(mean_post), pct_fewer=np.nan,
                             n_before=pd.NA, n_after=pd.NA))
        for threshold, (clients, pre, post, pct_fewer) in zip(core.thresholds, result.thresholds):
            rows.append(dict(instrument=core.id, measure=f"share_{threshold.id}", label=threshold.label,
                             clients=clients, before=_share(pre, clients), after=_share(post, clients),
                             pct_fewer=_float(pct_fewer), n_before=pre, n_after=post))
    columns = ["instrument", "measure", "label", "clients", "before", "after", "pct_fewer", "n_before",
               "n_after"]
    out = pd.DataFrame(rows, columns=columns).astype(
        {"clients": np.int64, "before": float, "after": float, "pct_fewer": float, "n_before": "Int64",
         "n_after": "Int64"})
    out.attrs["excluded"] = excluded
    return out


class _Prepared:
    """One instrument's rows of the assessments, checked and turned into engine columns."""

    def __init__(self, assessments: Any, client_ids: np.ndarray | None, framework: Framework,
                 kind: str) -> None:
        if framework.kind != kind:
            wanted = "a domain framework" if kind == "domains" else "a questionnaire"
            raise ValueError(f"framework: {framework.id} is not {wanted}")
        frame = as_frame(assessments, _TABLE)
        require_columns(frame, _TABLE, ASSESSMENT_COLUMNS)
        instrument = frame["instrument"]
        if instrument.isna().any():
            row = int(np.flatnonzero(instrument.isna().to_numpy())[0])
            raise ValueError(f"{_TABLE}.instrument row {row}: missing instrument")
        rows = np.flatnonzero((instrument.astype(str).str.strip() == framework.id).to_numpy())
        self.empty = len(rows) == 0
        self.source_row = rows.astype(np.int64)
        # Whole columns are converted so that errors name the caller's rows.
        ids = as_ids(frame["client_id"], _TABLE, "client_id")[rows]
        self.client, self.clients = self._client_index(ids, client_ids)
        self.date = as_days(frame["date"], _TABLE, "date", required=True)[rows]
        timepoint, _ = as_codes(frame["timepoint"], _TABLE, "timepoint", TIMEPOINTS, dtype=np.uint8)
        self.timepoint = timepoint[rows]
        self.value = _values(frame["value"])[rows]
        self.framework, self.item = self._items(frame["item"].iloc[rows], framework._core)

    def _client_index(self, ids: np.ndarray, client_ids: np.ndarray | None) -> tuple[np.ndarray, int]:
        if client_ids is None:
            known = pd.Index(np.unique(ids))
        else:
            known = pd.Index(as_ids(pd.Series(np.asarray(client_ids)), "clients", "client_id"))
            if not known.is_unique:
                row = int(np.flatnonzero(known.duplicated())[0])
                raise ValueError(f"clients.client_id row {row}: duplicate id {known[row]}")
        position = known.get_indexer(ids)
        if (position < 0).any():
            row = int(np.flatnonzero(position < 0)[0])
            raise ValueError(f"{_TABLE}.client_id row {self.source_row[row]}: client id {ids[row]} is "
                             "not in the clients table")
        return position.astype(np.int32), len(known)

    def _items(self, items: pd.Series, core: Any) -> tuple[Any, np.ndarray]:
        codes, uniques = pd.factorize(items)
        if (codes < 0).any():
            row = int(np.flatnonzero(codes < 0)[0])
            raise ValueError(f"{_TABLE}.item row {self.source_row[row]}: missing item")
        names = [str(u).strip() for u in uniques]
        extended, resolved = _core.resolve_items(core, names)
        unknown = resolved[codes] < 0
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise ValueError(f"{_TABLE}.item row {self.source_row[row]}: "
                             f"{_unknown_item(core, names[codes[row]])}")
        return extended, np.ascontiguousarray(resolved[codes], dtype=np.int32)

    def unlisted(self) -> list[str]:
        return [_item_name(self.framework, i) for i, x in enumerate(self.framework.indicators) if not x.listed]

    def run_domains(self, rule: str | None) -> Any:
        return _core.domain_outcomes(self.framework, self.client, self.date, self.timepoint, self.item,
                                     self.value, self.source_row, self.clients, rule)

    def run_questionnaire(self) -> Any:
        return _core.questionnaire_outcomes(self.framework, self.client, self.date, self.timepoint,
                                            self.item, self.value, self.source_row, self.clients)


def _unknown_item(core: Any, item: str) -> str:
    if core.kind == "questionnaire":
        known = ", ".join(x.id for x in core.indicators)
        return f"unknown {core.id} item {item!r} (items: {known})"
    domains = ", ".join(d.id for d in core.domains)
    domain, dot, indicator = item.partition(".")
    if not dot or not indicator:
        return f"item {item!r} is not <domain>.<indicator> (domains: {domains})"
    return f"unknown domain {domain!r} in item {item!r} (domains: {domains})"


def _item_name(core: Any, index: int) -> str:
    indicator = core.indicators[index]
    return indicator.id if indicator.domain < 0 else f"{core.domains[indicator.domain].id}.{indicator.id}"


def _indicator_table(core: Any) -> pd.DataFrame:
    rows = [(_item_name(core, i), core.domains[x.domain].id if x.domain >= 0 else "", x.id, x.text, x.listed)
            for i, x in enumerate(core.indicators)]
    return pd.DataFrame(rows, columns=["item", "domain", "id", "text", "listed"])


def _values(values: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    missing = values.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise ValueError(f"{_TABLE}.value row {row}: missing value (leave out the row of an unanswered item)")
    unreadable = np.isnan(numeric)
    if unreadable.any():
        row = int(np.flatnonzero(unreadable)[0])
        raise ValueError(f"{_TABLE}.value row {row}: {values.iloc[row]!r} is not a number")
    return numeric


def _float(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _floats(values: Sequence[float | None]) -> np.ndarray:
    return np.array([_float(v) for v in values], dtype=float)


def _share(count: int, clients: int) -> float:
    return 100.0 * count / clients if clients else np.nan
