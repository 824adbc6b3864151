"""The evaluation report: one self-contained HTML file for a commissioner.

``write_report(ev, "report.html")`` writes every section that published service evaluations carry, and
what they left out: the reach funnel; who was referred; the support given; client feedback;
outcomes by domain with transition tables; wellbeing; health-service use before and after, and
beside it a matched comparison (difference-in-differences with bootstrap intervals); cost
avoidance by kind and by practice; the net saving per patient; and the methods and caveats
(selection rule, censoring, exclusions, tariff sources and price year).

Disclosure control: every published count of people or events passes through
:func:`socialrx.support.suppress` (counts 1-4 suppressed, with secondary suppression so totals
cannot reveal them), and every figure derived from a count (a percentage, a rate, a bar) is
shown only where the counts behind it are published. Suppressed cells read ``*``.

Figures are PNG images drawn with matplotlib (Agg, off-screen) and embedded as ``data:`` URIs;
the CSS is inline: the file needs nothing else to display.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

import numpy as np
import pandas as pd

from . import _core, _plots
from ._columns import normalised_labels
from ._measures import Window, WindowSpec, percent_change, whole_pence
from .did import DiDResult
from .outcomes import indicator_changes, transitions
from .support import suppress
from .tariff import ILLUSTRATIVE_WARNING, is_illustrative

if TYPE_CHECKING:  # the report renders an Evaluation's results; it never builds one
    from .evaluation import Evaluation

__all__ = ["Report", "build_report", "write_report"]

ByPeriod = Union[bool, None, Literal["side_by_side", "separate"]]
ServiceCost = Union[int, Mapping[str, int], None]
STAR = "*"
DASH = "–"
THRESHOLD = 5
DEFAULT_TITLE = "Social prescribing service evaluation"
HEADLINE_KINDS = ("ae_attendance", "emergency_admission", "ambulance_callout", "gp_surgery")
KIND_LABELS = {
    "ae_attendance": "A&E attendances", "emergency_admission": "Emergency admissions",
    "elective_admission": "Elective admissions", "bed_days": "Bed days", "gp_surgery": "GP surgery consultations",
    "gp_telephone": "GP telephone consultations", "gp_home_visit": "GP home visits",
    "ambulance_callout": "Ambulance call-outs", "nhs111_call": "NHS 111 calls", "outpatient": "Outpatient attendances",
}
FEEDBACK_LABELS = {
    "four_or_five_stars": "Rated the service 4 or 5 stars (of 5)",
    "reported_impact": "Said the service had an impact on them",
    "significant_impact": "Said the impact was significant (of all answering)",
    "significant_of_impact": "Said the impact was significant (of those reporting one)",
    "connected_to_services": "Said they were connected to suitable services and activities",
}
SECTIONS = (
    ("summary", "Summary"),
    ("reach", "Reach"),
    ("referred", "Who was referred"),
    ("support", "Support given"),
    ("feedback", "Client feedback"),
    ("outcomes", "Outcomes by domain"),
    ("wellbeing", "Wellbeing"),
    ("utilisation", "Health service use"),
    ("comparison", "Matched comparison"),
    ("cost", "Cost avoidance"),
    ("net", "Net saving"),
    ("periods", "Year by year"),
    ("methods", "Methods and caveats"),
)


# ------------------------------------------------------------------------------ formatting
def _na(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _n(value: Any) -> str:
    """A published count: '*' where suppressed."""
    return STAR if _na(value) else f"{int(value):,}"


def _pct(value: Any, digits: int = 0) -> str:
    return DASH if _na(value) or not math.isfinite(float(value)) else f"{float(value):.{digits}f}%"


def _signed(value: Any, digits: int = 0) -> str:
    if _na(value) or not math.isfinite(float(value)):
        return DASH
    text = f"{float(value):+.{digits}f}%"
    return text.replace("-", "−")


def _money(pence: Any) -> str:
    if _na(pence):
        return DASH
    return _core.format_pounds(int(pence)).replace("-", "−")


def _pounds_rounded(pence: Any) -> str:
    if _na(pence):
        return DASH
    value = float(pence) / 100.0
    return ("−" if value < 0 else "") + f"£{abs(value):,.0f}"


def _num(value: Any, digits: int = 2) -> str:
    return DASH if _na(value) or not math.isfinite(float(value)) else f"{float(value):,.{digits}f}".replace("-", "−")


def _share(part: Any, whole: Any) -> float:
    """100 x part / whole, only where both are published and whole > 0."""
    if _na(part) or _na(whole) or float(whole) <= 0:
        return float("nan")
    return 100.0 * float(part) / float(whole)


def _label(text: Any) -> str:
    return str(text).replace("_", " ")


def _window_label(spec: WindowSpec) -> str:
    return f"{spec.months:g} months" if spec.months is not None else f"{spec.days} days"


def _esc(text: Any) -> str:
    return html.escape(str(text))


def _primary(value: Any) -> Any:
    """A single standalone count (no table around it): 1-4 suppressed."""
    if _na(value):
        return pd.NA
    value = int(value)
    return pd.NA if 0 < value < THRESHOLD else value


def _published_series(counts: pd.Series, *, total: str | None = "total") -> pd.Series:
    """``suppress`` on a Series; the total entry renamed (or dropped with ``total=None``)."""
    published, _ = suppress(counts.astype("int64"), threshold=THRESHOLD, margins=total is not None)
    if total is not None and total != "total":
        published = published.rename(index={"total": total})
    return published


def _published_table(counts: pd.DataFrame, *, margins: bool = True) -> pd.DataFrame:
    published, _ = suppress(counts.astype("int64"), threshold=THRESHOLD, margins=margins)
    return published


def _rows_published(counts: pd.DataFrame, total: str) -> pd.DataFrame:
    """Row by row disclosure control for rows that do not add up (different questions,
    different indicators): each row is suppressed as a Series with its own total."""
    rows = []
    for key, row in counts.iterrows():
        published = _published_series(row, total=total)
        published.name = key
        rows.append(published)
    return pd.DataFrame(rows) if rows else pd.DataFrame(columns=[*counts.columns, total])


# ------------------------------------------------------------------------------ HTML pieces
def _table(frame: pd.DataFrame, caption: str | None = None, *, note: str | None = None,
           cls: str = "", text: Sequence[str] = ()) -> str:
    """A display frame (strings; labels in the index) as an HTML table; ``text`` names the
    columns to align left."""
    frame = frame.copy()
    frame.index = [_label(i) if isinstance(i, str) else i for i in frame.index]
    frame.columns = [str(c) for c in frame.columns]
    frame.index.name = None
    body = frame.to_html(escape=True, border=0, classes=["sxr-table", cls] if cls else ["sxr-table"],
                         na_rep=DASH, index=True)
    if text:
        body = _align_left(body, [i for i, c in enumerate(frame.columns) if c in set(text)])
    parts = ['<div class="sxr-tablewrap">']
    if caption:
        parts.append(f'<p class="sxr-caption">{_esc(caption)}</p>')
    parts.append(body)
    if note:
        parts.append(f'<p class="sxr-note">{_esc(note)}</p>')
    parts.append("</div>")
    return "".join(parts)


def _align_left(body: str, positions: Sequence[int]) -> str:
    """Mark the data cells at ``positions`` (0-based among a row's <td>s) as text."""
    def row(match: re.Match[str]) -> str:
        head, *cells = match.group(0).split("<td>")
        return head + "".join(('<td class="sxr-text">' if i in positions else "<td>") + cell
                              for i, cell in enumerate(cells))
    return re.sub(r"<tr>.*?</tr>", row, body, flags=re.S)


def _figure(png: bytes, name: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure class="sxr-figure"><img data-figure="{_esc(name)}" alt="{_esc(caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{_esc(caption)}</figcaption></figure>')


def _p(text: str) -> str:
    return f"<p>{_esc(text)}</p>"


def _h3(text: str) -> str:
    return f"<h3>{_esc(text)}</h3>"


def _note(text: str) -> str:
    return f'<p class="sxr-unavailable">{_esc(text)}</p>'


SUPPRESSION_NOTE = ("* suppressed: a count of 1 to 4, or a cell hidden so that a total cannot reveal one. "
                    "Percentages and rates are shown only where the counts behind them are published.")


@dataclass
class Section:
    id: str
    title: str
    parts: list[str] = field(default_factory=list)

    def html(self) -> str:
        return (f'<section id="{_esc(self.id)}" class="sxr-section"><h2>{_esc(self.title)}</h2>'
                + "".join(self.parts) + "</section>")


CSS = """
.sxr-report{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2a33;max-width:1060px;
  margin:0 auto;padding:0 18px 40px;line-height:1.45;font-size:15px}
.sxr-report h1{font-size:26px;margin:22px 0 4px;color:#123c5a}
.sxr-report h2{font-size:20px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid #1f5f8b;color:#123c5a}
.sxr-report h3{font-size:16px;margin:22px 0 8px;color:#1f5f8b}
.sxr-report .sxr-subtitle{color:#51606b;margin:0 0 14px}
.sxr-report nav{background:#f2f6f9;border:1px solid #d9e2e8;padding:8px 14px;border-radius:6px;font-size:14px;
  display:flex;flex-wrap:wrap;gap:4px 16px}
.sxr-report nav a{color:#1f5f8b;text-decoration:none;white-space:nowrap}
.sxr-report table.sxr-table td.sxr-text,.sxr-report table.sxr-table th.sxr-text{text-align:left}
.sxr-report table.sxr-table{border-collapse:collapse;font-size:13px;margin:4px 0 6px}
.sxr-report table.sxr-table th,.sxr-report table.sxr-table td{padding:3px 9px;border-bottom:1px solid #e3e9ee;
  text-align:right;vertical-align:top}
.sxr-report table.sxr-table thead th{background:#eef3f7;border-bottom:2px solid #b9c7d2;text-align:right}
.sxr-report table.sxr-table tbody th{text-align:left;font-weight:600;background:#fafcfd}
.sxr-report table.sxr-table tbody tr:last-child.sxr-total th{border-top:2px solid #b9c7d2}
.sxr-report table.sxr-key td{text-align:left}
.sxr-report .sxr-tablewrap{overflow-x:auto;margin:8px 0 14px}
.sxr-report .sxr-caption{font-weight:600;margin:4px 0 2px;font-size:14px}
.sxr-report .sxr-note{font-size:12px;color:#51606b;margin:2px 0}
.sxr-report .sxr-unavailable{background:#fff6e5;border-left:4px solid #e07b39;padding:8px 12px}
.sxr-report .sxr-callout{background:#eef5fb;border-left:4px solid #1f5f8b;padding:8px 12px}
.sxr-report figure.sxr-figure{margin:10px 0 16px}
.sxr-report figure.sxr-figure img{max-width:100%;height:auto;border:1px solid #e3e9ee}
.sxr-report figcaption{font-size:12px;color:#51606b}
.sxr-report .sxr-grid{display:flex;flex-wrap:wrap;gap:4px 22px}
.sxr-report .sxr-period{color:#51606b;font-weight:600}
"""

LOAD_SCRIPT = """
(function(){function mark(){var imgs=document.querySelectorAll('img[data-figure]');var ok=0;
for(var i=0;i<imgs.length;i++){if(imgs[i].complete&&imgs[i].naturalWidth>0){imgs[i].setAttribute('data-loaded','1');ok++;}}
document.body.setAttribute('data-figures',String(imgs.length));document.body.setAttribute('data-figures-loaded',String(ok));}
if(document.readyState==='complete'){mark();}else{window.addEventListener('load',mark);}})();
"""


@dataclass
class Report:
    """A rendered report: its sections as HTML; ``save`` writes the self-contained file and
    ``_repr_html_`` shows it in a notebook."""

    title: str
    subtitle: str
    sections: list[Section]

    def body(self) -> str:
        nav = "".join(f'<a href="#{_esc(s.id)}">{_esc(s.title)}</a>' for s in self.sections)
        return (f'<div class="sxr-report"><h1>{_esc(self.title)}</h1><p class="sxr-subtitle">{_esc(self.subtitle)}</p>'
                f"<nav>{nav}</nav>" + "".join(s.html() for s in self.sections) + "</div>")

    def html(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>{_esc(self.title)}</title><style>{CSS}</style></head><body>"
                f"{self.body()}<script>{LOAD_SCRIPT}</script></body></html>\n")

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(), encoding="utf-8")
        return path

    @property
    def figures(self) -> int:
        return sum(part.count("<img ") for s in self.sections for part in s.parts)

    def _repr_html_(self) -> str:
        return f"<style>{CSS}</style>{self.body()}"

    def __repr__(self) -> str:
        return f"Report({self.title!r}: {len(self.sections)} sections, {self.figures} figures)"


# ------------------------------------------------------------------------------ periods
# ------------------------------------------------------------------------------ the comparison
MONEY_ROW = "all_kinds_pence"
MATCH_OPTIONS = {"k": 1, "caliper": 0.2}


@dataclass
class Comparison:
    """The matched comparison behind the report: the match, its difference-in-differences
    table (``socialrx.did`` columns) and a note saying why either is missing."""

    match: Any = None
    did: pd.DataFrame | None = None
    note: str = ""
    level: float = 0.95
    bootstrap: int = 0
    seed: int = 1
    windows: tuple[Window, ...] = ()
    evaluation: Any = None

    @property
    def available(self) -> bool:
        return self.did is not None and len(self.did) > 0

    def did_for(self, client_ids: np.ndarray) -> pd.DataFrame | None:
        """The DiD over the matched sets of some clients (e.g. one practice's), or None where
        none of them was matched."""
        if self.match is None or not self.match.matches()["client_id"].isin(client_ids).any():
            return None
        return self.match.did(windows=self.windows, bootstrap=self.bootstrap, level=self.level, seed=self.seed,
                              progress=False, clients=client_ids).estimates


def _comparison(ev: Evaluation, windows: Sequence[Window], match: Any, did: Any, bootstrap: int,
                seed: int) -> Comparison:
    """Match and estimate the DiD unless given; on failure, a Comparison whose note says why."""
    level = 0.95
    base = dict(level=level, bootstrap=bootstrap, seed=seed, windows=tuple(windows), evaluation=ev)
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
            match = ev.match(seed=seed, **MATCH_OPTIONS)
        except ValueError as error:  # the report still stands without it; say why
            return Comparison(note=f"The matched comparison could not be formed: {error}", **base)
    try:
        table = match.did(windows=tuple(windows), bootstrap=bootstrap, level=level, seed=seed).estimates
    except ValueError as error:
        return Comparison(match=match, note=f"The difference-in-differences could not be computed: {error}", **base)
    return Comparison(match=match, did=table, **base)


def _did_column(frame: pd.DataFrame, *names: str) -> str | None:
    return next((n for n in names if n in frame.columns), None)


# ------------------------------------------------------------------------------ the builder
class _Builder:
    def __init__(self, ev: Evaluation, *, windows: Sequence[Window], service_cost_pence: int | None,
                 comparison: Comparison, by_practice: bool = True) -> None:
        self.ev = ev
        self.specs = [WindowSpec.parse(w) for w in windows]
        self.windows = [w for w in windows]
        self.service_cost = service_cost_pence
        self.cmp = comparison
        self.by_practice = by_practice and "practice" in ev.clients.columns
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

    def transitions(self) -> pd.DataFrame:
        return self.cached("trans", lambda: transitions(self.ev.assessments,
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
            return pd.DataFrame(columns=["pre", "post"]), _primary(0)
        published = _published_table(rows[["pre", "post"]], margins=False)
        return published, _primary(int(rows["clients"].iloc[0]))

    def published_connected(self, by: str) -> pd.DataFrame:
        """categories x [connected, not connected] + referred (row total), published."""
        reach = self.ev.reach(by=by)
        counts = pd.DataFrame({"connected": reach["connected"].to_numpy(),
                               "not connected": (reach["referred"] - reach["connected"]).to_numpy()},
                              index=reach[by].astype(str).to_numpy())
        published = _published_table(counts)
        return published.rename(columns={"total": "referred"}, index={"total": "all referrals"})

    def did_rows(self, spec: WindowSpec, table: pd.DataFrame | None = None,
                 *, money: bool = False) -> pd.DataFrame | None:
        """One window's DiD rows by kind (``money``: the all-kinds money row instead)."""
        table = self.cmp.did if table is None else table
        if table is None or not len(table):
            return None
        rows = table[table["window_days"] == spec.days] if "window_days" in table else table[
            table["window"] == spec.label]
        is_money = rows["kind"] == MONEY_ROW
        rows = rows[is_money] if money else rows[~is_money]
        return rows.set_index("kind") if len(rows) else None

    # ---------------------------------------------------------------- key figures
    def key_figures(self) -> list[tuple[str, str]]:
        ev, rows = self.ev, []
        referred, connected = self.reach_total()
        p_ref, p_con = _primary(referred), _primary(connected)
        rows.append(("Referred", _n(p_ref)))
        rows.append(("Connected with the service", f"{_n(p_con)} ({_pct(_share(p_con, p_ref))})"))
        if ev.interventions is not None:
            sectors = ev.outward_referrals(by="sector").set_index("sector")["referrals"]
            published = _published_series(sectors)
            voluntary = published.get("voluntary", pd.NA)
            rows.append(("Outward referrals (share to the voluntary sector)",
                         f"{_n(published['total'])} ({_pct(_share(voluntary, published['total']))})"))
        if ev.feedback is not None:
            fb = self.published_feedback()
            for measure in ("four_or_five_stars", "reported_impact", "connected_to_services"):
                if measure in fb.index:
                    row = fb.loc[measure]
                    rows.append((FEEDBACK_LABELS[measure],
                                 f"{_pct(_share(row['yes'], row['answered']))} of {_n(row['answered'])} answering"))
        if self.has_domains():
            summary = self.domain_summary()
            for domain, row in summary.iterrows():
                rows.append((f"{row['name']}: fewer not managing",
                             f"{_pct(row['pct_nm'])} ({_n(row['nm_pre'])} → {_n(row['nm_post'])} of {_n(row['clients'])})"))
        if ev.assessments is not None:
            wb = self.published_wellbeing()
            poor = wb[wb["measure"] == "share_poor_wellbeing"]
            if len(poor):
                row = poor.iloc[0]
                rows.append(("Poor wellbeing (SWEMWBS) before → after",
                             f"{_pct(row['share_before'])} → {_pct(row['share_after'])} (of {_n(row['clients_pub'])})"))
        if self.has_events:
            published, clients = self.published_utilisation(self.last)
            did = self.did_rows(self.last)
            for kind in ("ae_attendance", "emergency_admission"):
                if kind not in published.index:
                    continue
                change = _signed(percent_change(published.loc[kind, "pre"], published.loc[kind, "post"]))
                text = f"naive {change}"
                if did is not None and kind in did.index:
                    text += f"; matched DiD {self.did_pct_text(did.loc[kind])}"
                rows.append((f"{KIND_LABELS[kind]}, {_window_label(self.last)} after vs before", text))
        if self.has_cost:
            costs = self.costs()
            gross = costs[costs["window"] == self.last.label]["avoided_pence"].sum()
            text = f"naive {_money(gross)}"
            rows.append((f"Gross cost avoidance, {_window_label(self.last)} (naive)", _money(gross)))
            per_client = self.did_avoided_per_client(self.last)
            if per_client is not None:
                clients = self.costs()[lambda f: f["window"] == self.last.label]["clients"].max()
                rows.append((f"Cost avoided per client, {_window_label(self.last)}",
                             f"naive {_money(_round_or_na(gross / clients) if clients else pd.NA)}; matched DiD "
                             + _interval(*per_client, _money)))
            if self.service_cost is not None:
                saving = ev.net_saving(int(self.service_cost), window=self.windows[-1])
                text = f"naive {_money(saving['net_per_patient_pence'])}"
                matched = self.did_net_saving()
                if matched is not None:
                    text += f"; matched DiD {_money(matched['net_per_patient'])}"
                text += f" (over {_n(_primary(saving['patients']))} patients)"
                rows.append((f"Net saving per patient, {_window_label(self.last)}", text))
        return rows

    @staticmethod
    def did_pct_text(row: pd.Series) -> str:
        """DiD as a % of the counterfactual, with its interval."""
        text = _signed(row.get("did_pct", np.nan))
        low, high = row.get("ci_low_pct", np.nan), row.get("ci_high_pct", np.nan)
        if not (_na(low) or _na(high)):
            text += f" ({_signed(low)} to {_signed(high)})"
        return text

    def did_avoided(self, spec: WindowSpec, table: pd.DataFrame | None = None) -> tuple[Any, Any, Any] | None:
        """Cost avoided by the DiD over every priced kind (a saving positive, as the naive
        figure), over the matched clients, with its interval: (pence, low, high)."""
        row = self.did_rows(spec, table, money=True)
        if row is None or _na(row["did_pence_total"].iloc[0]):
            return None
        row = row.iloc[0]
        clients = float(row["clients"])
        return (-int(row["did_pence_total"]), _round_or_na(-row["ci_high_pence"] * clients),
                _round_or_na(-row["ci_low_pence"] * clients))

    def did_avoided_per_client(self, spec: WindowSpec) -> tuple[Any, Any, Any] | None:
        row = self.did_rows(spec, money=True)
        if row is None:
            return None
        row = row.iloc[0]
        return (_round_or_na(-row["did_pence_per_client"]), _round_or_na(-row["ci_high_pence"]),
                _round_or_na(-row["ci_low_pence"]))

    def did_net_saving(self) -> dict[str, Any] | None:
        """The net saving with the DiD cost avoided per matched client in place of the naive
        figure, applied to the same patients as the naive net saving."""
        per_client = self.did_avoided_per_client(self.last)
        if per_client is None or self.service_cost is None or _na(per_client[0]):
            return None
        patients = int(self.ev.net_saving(int(self.service_cost), window=self.windows[-1])["patients"])
        result = {}
        for name, value in zip(("", "_low", "_high"), per_client):
            if _na(value):
                continue
            saving = _core.net_saving(int(value) * patients, int(self.service_cost), patients)
            result.update({f"gross{name}": saving.gross, f"net{name}": saving.net,
                           f"net_per_patient{name}": saving.net_per_patient})
            if not name:
                result.update(service_cost=saving.service_cost, patients=saving.patients,
                              gross_per_patient=saving.gross_per_patient)
        return result

    # ---------------------------------------------------------------- pieces shared by sections
    def published_feedback(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            fb = self.ev.feedback_summary().set_index("measure")
            counts = pd.DataFrame({"yes": fb["yes"], "no": fb["answered"] - fb["yes"]})
            return _rows_published(counts, "answered")
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
            frame["pct_nm"] = [_reduction(a, b) for a, b in zip(frame["nm_pre"], frame["nm_post"])]
            frame["pct_m"] = [-_reduction(a, b) for a, b in zip(frame["m_pre"], frame["m_post"])]
            return frame
        return self.cached("domains", compute)

    def published_transition(self, block: pd.DataFrame) -> pd.DataFrame:
        counts = block.pivot(index="before_label", columns="after_label", values="clients")
        order = list(dict.fromkeys(block.sort_values("before")["before_label"]))
        counts = counts.loc[order, order]
        return _published_table(counts)

    def published_wellbeing(self) -> pd.DataFrame:
        def compute() -> pd.DataFrame:
            wb = self.ev.wellbeing()
            out = []
            for _, row in wb.iterrows():
                clients = int(row["clients"])
                record = {"instrument": row["instrument"], "measure": row["measure"], "label": row["label"],
                          "clients_pub": _primary(clients)}
                if row["measure"].startswith("share_"):
                    n_before, n_after = int(row["n_before"]), int(row["n_after"])
                    table = pd.DataFrame({"within": [n_before, n_after],
                                          "outside": [clients - n_before, clients - n_after]},
                                         index=["before", "after"])
                    published = _published_table(table)
                    record.update(n_before=published.loc["before", "within"], n_after=published.loc["after", "within"],
                                  clients_pub=published.loc["before", "total"])
                    record["share_before"] = _share(record["n_before"], record["clients_pub"])
                    record["share_after"] = _share(record["n_after"], record["clients_pub"])
                    record["pct_fewer"] = _reduction(record["n_before"], record["n_after"])
                else:
                    shown = not _na(record["clients_pub"])
                    record.update(mean_before=row["before"] if shown else np.nan,
                                  mean_after=row["after"] if shown else np.nan)
                out.append(record)
            return pd.DataFrame(out)
        return self.cached("wb", compute)


def _round_or_na(value: Any) -> Any:
    pence = whole_pence(value)
    return pd.NA if pence is None else pence


def _interval(point: Any, low: Any, high: Any, fmt: Callable[[Any], str]) -> str:
    text = fmt(point)
    if not (_na(low) or _na(high)):
        text += f" ({fmt(low)} to {fmt(high)})"
    return text


def _reduction(before: Any, after: Any) -> float:
    """100 x (before - after) / before over published counts; NaN where either is hidden."""
    return -percent_change(before, after)


# ------------------------------------------------------------------------------ sections
def _summary_section(b: _Builder) -> Section:
    section = Section("summary", "Summary")
    if b.has_cost and is_illustrative(b.ev.tariff):
        section.parts.append(f'<p class="sxr-callout sxr-warning"><strong>Illustrative prices.</strong> '
                             f"{_esc(ILLUSTRATIVE_WARNING)}</p>")
    key = pd.DataFrame(b.key_figures(), columns=["measure", "value"]).set_index("measure")
    section.parts.append(_table(key, "Key figures", cls="sxr-key"))
    section.parts.append(
        '<p class="sxr-callout">People are referred to a social prescribing or high-intensity-user service '
        "because their needs, and often their use of urgent care, were unusually high. Such use tends to fall "
        "afterwards with no help at all (regression to the mean), so a before/after fall is not by itself the "
        "service's effect. Where a comparison group was given, the matched difference-in-differences beside the "
        "naive figures estimates how much of the fall would have happened anyway.</p>")
    if not b.cmp.available:
        section.parts.append(_note(b.cmp.note or "The matched comparison is not available."))
    return section


def _reach_section(b: _Builder) -> Section:
    ev = b.ev
    section = Section("reach", "Reach")
    referred, connected = b.reach_total()
    stages: list[tuple[str, Any]] = [("Referred", _primary(referred)), ("Connected", _primary(connected))]
    if b.has_events:
        excl = b.exclusions()
        for spec in b.specs:
            rows = excl[(excl["window"] == spec.label) & (excl["table"] == "clients") & (excl["reason"] == "included")]
            stages.append((f"In the {_window_label(spec)} windows", _primary(int(rows["count"].sum()))))
    if b.has_domains():
        paired = b.ev.outcomes().attrs.get("excluded", {}).get("paired")
        if paired is not None:
            stages.append(("Outcomes rated before and after", _primary(int(paired))))
    if ev.feedback is not None:
        stages.append(("Returned a feedback form", _primary(len(ev.feedback))))
    labels, values = zip(*stages)
    section.parts.append(_figure(_plots.funnel(labels, values, "From referral to measured outcome"),
                                 "reach_funnel", "The reach funnel: each stage counts the people it holds."))
    funnel = pd.DataFrame({"people": [_n(v) for v in values],
                           "% of referred": [_pct(_share(v, values[0])) for v in values]}, index=list(labels))
    section.parts.append(_table(funnel, "Reach funnel", note=SUPPRESSION_NOTE))
    years = b.published_connected("financial_year")
    section.parts.append(_h3("Referrals by financial year of referral"))
    shown = _connected_display(years)
    section.parts.append(_table(shown, "Referrals and connections by NHS financial year (April to March)"))
    inner = years.drop(index="all referrals")
    section.parts.append(_figure(
        _plots.grouped_bars(list(inner.index), {"referred": list(inner["referred"]), "connected": list(inner["connected"])},
                            "Referrals and connections by financial year", "people"),
        "reach_by_year", "Referrals and connections by NHS financial year of referral."))
    if "referral_source" in ev.clients.columns:
        section.parts.append(_table(_connected_display(b.published_connected("referral_source")),
                                    "Referrals by source"))
    return section


def _connected_display(published: pd.DataFrame, *, reasons_total: Any = None) -> pd.DataFrame:
    total = published.loc["all referrals", "referred"] if "all referrals" in published.index else reasons_total
    return pd.DataFrame({
        "referred": [_n(v) for v in published["referred"]],
        "connected": [_n(v) for v in published["connected"]],
        "% connected": [_pct(_share(c, r)) for c, r in zip(published["connected"], published["referred"])],
        "% of referrals": [_pct(_share(r, total)) for r in published["referred"]],
    }, index=published.index)


def _referred_section(b: _Builder) -> Section:
    ev = b.ev
    section = Section("referred", "Who was referred")
    panels: list[tuple[str, list[str], list[Any]]] = []
    dimensions = []
    if "age" in ev.clients.columns or "birth_year" in ev.clients.columns:
        dimensions.append(("age_band", "Age at referral"))
    if "sex" in ev.clients.columns:
        dimensions.append(("sex", "Sex"))
    if "carer" in ev.clients.columns:
        dimensions.append(("carer", "Carer"))
    for by, title in dimensions:
        try:
            published = b.published_connected(by)
        except ValueError as error:
            section.parts.append(_note(f"{title}: {error}"))
            continue
        if by == "carer":
            published = published.rename(index={"True": "carer", "False": "not a carer", "true": "carer",
                                                "false": "not a carer"})
        section.parts.append(_table(_connected_display(published), title))
        inner = published.drop(index="all referrals")
        total = published.loc["all referrals", "referred"]
        panels.append((title, list(inner.index), [_share(v, total) for v in inner["referred"]]))
    if panels:
        section.parts.append(_figure(_panels_png(panels), "who_referred",
                                     "Who was referred: the share of all referrals in each group."))
    if "referral_reasons" in ev.clients.columns:
        section.parts.append(_h3("Reasons for referral"))
        referred, _ = b.reach_total()
        published = b.published_connected("referral_reasons").drop(index="all referrals")
        total = _primary(referred)
        section.parts.append(_table(_connected_display(published, reasons_total=total),
                                    "Referral reasons (a client may have several)",
                                    note="% of referrals: of all people referred; the shares add up to more than "
                                         "100% because a referral can give several reasons."))
        order = published["referred"].astype("Float64").fillna(0).sort_values(ascending=False).index
        section.parts.append(_figure(
            _plots.grouped_bars([_label(i) for i in order], {"% of referrals": [_share(published.loc[i, "referred"], total)
                                                                               for i in order]},
                                "Share of referrals giving each reason", "% of referrals", percent=True),
            "reasons", "Share of referrals giving each reason."))
        both = ev.reason_co_occurrence()
        published_both = _published_table(both, margins=False)
        # The table is symmetric: a cell hidden on one side of the diagonal is hidden on both.
        hidden = published_both.isna().to_numpy()
        published_both = published_both.mask(hidden | hidden.T)
        section.parts.append(_figure(
            _plots.heatmap(list(both.index), published_both.to_numpy(dtype=object).tolist(),
                           "Reasons given together (diagonal: the reason at all)"),
            "reason_pairs", "Clients referred for both of two reasons."))
        pair = _top_pair(published_both)
        if pair is not None:
            a, c, count = pair
            section.parts.append(_p(
                f"The reasons most often given together are {_label(a)} and {_label(c)} ({_n(count)} clients; "
                f"{_pct(_share(count, published_both.loc[a, a]))} of those referred for {_label(a)})."))
    if b.by_practice:
        section.parts.append(_h3("Referrals by practice"))
        published = b.published_connected("practice")
        section.parts.append(_table(_connected_display(published), "Referrals by GP practice"))
    return section


def _top_pair(published: pd.DataFrame) -> tuple[str, str, Any] | None:
    best = None
    labels = list(published.index)
    for i, a in enumerate(labels):
        for c in labels[i + 1:]:
            value = published.loc[a, c]
            if not _na(value) and (best is None or value > best[2]):
                best = (a, c, value)
    return best


def _panels_png(panels: list[tuple[str, list[str], list[Any]]]) -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.4, 2.6), dpi=110)
    for i, (title, categories, shares) in enumerate(panels):
        axes = figure.add_subplot(1, len(panels), i + 1)
        values, hidden = _plots._values(shares)
        y = np.arange(len(categories))[::-1]
        axes.barh(y, values, color=_plots.BLUE)
        for yi, v, gone in zip(y, values, hidden):
            axes.text(v + 1, yi, "*" if gone else f"{v:.0f}%", va="center", fontsize=7)
        axes.set_yticks(y, [_label(c) for c in categories], fontsize=8)
        axes.set_xlim(0, 115)
        axes.set_xticks([])
        axes.set_title(title, fontsize=9, loc="left")
        _plots._tidy(axes)
        axes.spines["bottom"].set_visible(False)
    figure.tight_layout()
    return _plots._png(figure)


def _support_section(b: _Builder) -> Section:
    ev = b.ev
    section = Section("support", "Support given")
    if ev.interventions is None:
        section.parts.append(_note("No interventions table was given, so the support given is not reported."))
        return section
    support = ev.support().set_index("measure")
    value = support["value"]
    connected = _primary(int(value["connected"]))
    ends = _published_series(pd.Series({
        "discharged": int(value["support_discharged"]), "still supported": int(value["support_ongoing"]),
        "length not recorded": int(value["support_not_recorded"])}), total="connected")
    enough = not _na(connected)
    measured = int(support.loc["support_days_mean", "clients"])
    show_days = _primary(measured)
    phb_clients = _primary(int(support.loc["phb_pence", "clients"]))
    rows = [
        ("Connected clients", _n(connected)),
        ("Contacts (phone and visits)", _n(_primary(int(value["contacts"])))),
        ("Contacts per client (mean)", _num(value["contacts_per_client"], 1) if enough else DASH),
        ("Contacts per client (median)", _num(value["contacts_median"], 1) if enough else DASH),
        ("Length of support, days (mean)", _num(value["support_days_mean"], 1) if not _na(show_days) else DASH),
        ("Length of support, days (median)", _num(value["support_days_median"], 1) if not _na(show_days) else DASH),
        ("Supported for more than 6 months", _n(_primary(int(value["support_over_6_months"])))),
        ("Discharged", _n(ends["discharged"])),
        ("Still supported (length to the last intervention)", _n(ends["still supported"])),
        ("No length recorded", _n(ends["length not recorded"])),
        ("Clients with a personal health budget", _n(phb_clients)),
        ("Personal health budget cap", _money(value["phb_cap_pence"])),
        ("Clients over the cap", _n(_primary(int(value["phb_breaches"])))),
    ]
    section.parts.append(_table(pd.DataFrame(rows, columns=["measure", "value"]).set_index("measure"),
                                "Support at a glance", cls="sxr-key", note=SUPPRESSION_NOTE))
    breaches = int(value["phb_breaches"])
    if breaches:
        section.parts.append(_note(f"Personal health budgets above the {_money(value['phb_cap_pence'])} cap: "
                                   f"{_n(_primary(breaches))} clients. Ev.phb_breaches() lists them for the service "
                                   "(not published here)."))
    section.parts.append(_h3("Outward referrals"))
    sectors = ev.outward_referrals(by="sector").set_index("sector")["referrals"]
    published = _published_series(sectors)
    shown = pd.DataFrame({"referrals": [_n(v) for v in published],
                          "% of outward referrals": [_pct(_share(v, published["total"])) for v in published]},
                         index=published.index)
    section.parts.append(_table(shown, "Outward referrals by sector"))
    inner = published.drop(index="total")
    section.parts.append(_figure(
        _plots.grouped_bars(list(inner.index), {"referrals": list(inner)}, "Outward referrals by sector", "referrals"),
        "outward_sector", "Outward referrals by sector of the organisation referred to."))
    organisations = ev.outward_referrals(by="organisation").set_index("organisation")["referrals"]
    if len(organisations):
        published = _published_series(organisations.sort_values(ascending=False, kind="stable"))
        shown = pd.DataFrame({"referrals": [_n(v) for v in published],
                              "% of outward referrals": [_pct(_share(v, published["total"])) for v in published]},
                             index=published.index)
        section.parts.append(_table(shown, "Outward referrals by organisation"))
    section.parts.append(_h3("Interventions and spend"))
    spend = ev.spend().set_index("kind")
    interventions = _published_series(spend["interventions"])
    clients = _published_series(spend["clients"])
    rows = {}
    for kind in spend.index:
        hidden = _na(clients[kind])
        pence = spend.loc[kind, "pence"]
        rows[kind] = {"interventions": _n(interventions[kind]), "clients": _n(clients[kind]),
                      "spend": DASH if hidden else _money(pence),
                      "spend per client": DASH if hidden or not clients[kind] else _money(_round_or_na(pence / clients[kind]))}
    rows["total"] = {"interventions": _n(interventions["total"]), "clients": DASH,
                     "spend": _money(spend["pence"].sum()), "spend per client": DASH}
    section.parts.append(_table(pd.DataFrame(rows).T, "Interventions by kind",
                                note="A client can receive several kinds, so clients are not added up. Spend is "
                                     "hidden where its clients are."))
    return section


def _feedback_section(b: _Builder) -> Section:
    ev = b.ev
    section = Section("feedback", "Client feedback")
    if ev.feedback is None:
        section.parts.append(_note("No feedback table was given."))
        return section
    fb = b.published_feedback()
    shown = pd.DataFrame({
        "answered": [_n(v) for v in fb["answered"]],
        "yes": [_n(v) for v in fb["yes"]],
        "%": [_pct(_share(y, a)) for y, a in zip(fb["yes"], fb["answered"])],
    }, index=[FEEDBACK_LABELS.get(m, _label(m)) for m in fb.index])
    section.parts.append(_table(shown, "Feedback from clients", note="answered: the forms with an answer to that "
                                                                      "question (the denominator)."))
    stars = pd.to_numeric(ev.feedback["stars"], errors="coerce").dropna().astype(int)
    star_counts = pd.Series([int((stars == s).sum()) for s in range(1, 6)], index=[f"{s} star{'s' if s > 1 else ''}"
                                                                                  for s in range(1, 6)])
    star_pub = _published_series(star_counts)
    impact = normalised_labels(ev.feedback["impact"])
    impacts = pd.Series({level: int((impact == level).sum()) for level in ("none", "some", "significant")})
    impact_pub = _published_series(impacts)
    section.parts.append('<div class="sxr-grid">')
    section.parts.append(_table(pd.DataFrame({"forms": [_n(v) for v in star_pub],
                                              "%": [_pct(_share(v, star_pub["total"])) for v in star_pub]},
                                             index=star_pub.index), "Star ratings"))
    section.parts.append(_table(pd.DataFrame({"forms": [_n(v) for v in impact_pub],
                                              "%": [_pct(_share(v, impact_pub["total"])) for v in impact_pub]},
                                             index=[f"impact: {i}" if i != "total" else i for i in impact_pub.index]),
                                "Impact on the client"))
    section.parts.append("</div>")
    inner = star_pub.drop(index="total")
    section.parts.append(_figure(
        _plots.grouped_bars(list(inner.index), {"% of forms": [_share(v, star_pub["total"]) for v in inner]},
                            "How clients rated the service", "% of forms", percent=True),
        "stars", "Star ratings given by clients."))
    return section


def _outcomes_section(b: _Builder) -> Section:
    section = Section("outcomes", "Outcomes by domain")
    if not b.has_domains():
        section.parts.append(_note("No dudley7 assessments were given, so outcomes by domain are not reported."))
        return section
    summary = b.domain_summary()
    shown = pd.DataFrame({
        "clients": [_n(v) for v in summary["clients"]],
        "not managing: before": [_n(v) for v in summary["nm_pre"]],
        "after": [_n(v) for v in summary["nm_post"]],
        "% fewer": [_pct(v) for v in summary["pct_nm"]],
        "managing: before": [_n(v) for v in summary["m_pre"]],
        "after ": [_n(v) for v in summary["m_post"]],
        "% more": [_pct(v) for v in summary["pct_m"]],
        "greatest improvement": list(summary["greatest"]),
    }, index=list(summary["name"]))
    section.parts.append(_p("Over clients rated in the domain at baseline and at follow-up (the latest review or "
                            "final rating). A domain's rating is its worst indicator."))
    section.parts.append(_table(shown, "Not managing and managing, before and after", note=SUPPRESSION_NOTE,
                                text=["greatest improvement"]))
    trans = b.transitions()
    steps = list(dict.fromkeys(trans.sort_values("before")["before_label"]))
    before = [[_share(v, row["clients"]) for v in row["before"]] for _, row in summary.iterrows()]
    after = [[_share(v, row["clients"]) for v in row["after"]] for _, row in summary.iterrows()]
    section.parts.append(_figure(
        _plots.before_after_steps(list(summary["name"]), before, after, steps,
                                  "Ratings by domain at baseline (B) and follow-up (A)"),
        "outcomes_before_after", "Share of clients not managing, getting support and managing, before and after."))
    section.parts.append(_h3("Transition tables"))
    section.parts.append(_p("Rows: the rating at baseline; columns: at follow-up. The totals are the before and "
                            "after distributions."))
    section.parts.append('<div class="sxr-grid">')
    for domain, block in trans.groupby("domain", sort=False):
        published = b.published_transition(block)
        shown = published.apply(lambda col: col.map(_n))
        shown.index = ["total" if i == "total" else f"before: {i}" for i in shown.index]
        section.parts.append(_table(shown, summary.loc[domain, "name"]))
    section.parts.append("</div>")
    section.parts.append(_h3("Indicators"))

    changes = indicator_changes(b.ev.assessments, client_ids=b.ev.client_columns["client_id"])
    counts = pd.DataFrame({"improved": changes["improved"], "unchanged": changes["paired"] - changes["improved"]
                           - changes["worsened"], "worsened": changes["worsened"]})
    counts.index = changes["item"]
    published = _rows_published(counts, "clients")
    best = set(summary["greatest"])
    shown = pd.DataFrame({
        "domain": list(changes["domain"].map(_label)),
        "clients": [_n(v) for v in published["clients"]],
        "improved": [_n(v) for v in published["improved"]],
        "unchanged": [_n(v) for v in published["unchanged"]],
        "worsened": [_n(v) for v in published["worsened"]],
        "net % improved": [_pct(_share(i, c) - _share(w, c)) for i, w, c in
                           zip(published["improved"], published["worsened"], published["clients"])],
        "greatest in domain": ["yes" if t in best else "" for t in changes["text"]],
    }, index=list(changes["text"]))
    section.parts.append(_table(shown, "Change in each indicator", text=["domain"],
                                note="net % improved = (improved − worsened) / clients rated on the indicator both "
                                     "times; the greatest in each domain is marked."))
    return section


def _wellbeing_section(b: _Builder) -> Section:
    section = Section("wellbeing", "Wellbeing")
    if b.ev.assessments is None:
        section.parts.append(_note("No assessments were given."))
        return section
    wb = b.published_wellbeing()
    if wb.empty:
        section.parts.append(_note("No SWEMWBS or ONS4 questionnaires were found in the assessments."))
        return section
    means = wb[~wb["measure"].str.startswith("share_")]
    shares = wb[wb["measure"].str.startswith("share_")]
    if len(shares):
        shown = pd.DataFrame({
            "clients": [_n(v) for v in shares["clients_pub"]],
            "before": [f"{_pct(s)} ({_n(n)})" for s, n in zip(shares["share_before"], shares["n_before"])],
            "after": [f"{_pct(s)} ({_n(n)})" for s, n in zip(shares["share_after"], shares["n_after"])],
            "% fewer": [_pct(v) for v in shares["pct_fewer"]],
        }, index=[f"{i.upper()}: {label}" for i, label in zip(shares["instrument"], shares["label"])])
        section.parts.append(_table(shown, "Poor wellbeing and low quality of life, before and after"))
        section.parts.append(_figure(
            _plots.grouped_bars([_wrap(label) for label in shares["label"]],
                                {"before": list(shares["share_before"]), "after": list(shares["share_after"])},
                                "Share of clients below each threshold", "% of clients", percent=True, height=3.6),
            "wellbeing", "Poor wellbeing (SWEMWBS) and low quality of life (ONS4) before and after."))
    if len(means):
        shown = pd.DataFrame({
            "clients": [_n(v) for v in means["clients_pub"]],
            "before": [_num(v) for v in means["mean_before"]],
            "after": [_num(v) for v in means["mean_after"]],
        }, index=[f"{i.upper()}: {label}" for i, label in zip(means["instrument"], means["label"])])
        section.parts.append(_table(shown, "Mean scores", note="SWEMWBS: metric score after the Rasch conversion "
                                                              "(7-35). ONS4 items are 0-10 and never summed; lower "
                                                              "anxiety is better."))
    return section


def _per_client(count: Any, clients: Any) -> str:
    return DASH if _na(count) or _na(clients) or not clients else _num(count / clients)


def _wrap(text: str, width: int = 18) -> str:
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def _utilisation_section(b: _Builder) -> Section:
    section = Section("utilisation", "Health service use")
    if not b.has_events:
        section.parts.append(_note("No events table (or data range) was given, so health service use is not "
                                   "reported."))
        return section
    section.parts.append(_p("Events in the window before the index date (the day support started) and in the "
                            "window after it, over the clients whose data cover both windows. This is the naive "
                            "before/after comparison that service reports usually quote: it includes regression to the mean."))
    for spec in b.specs:
        published, clients = b.published_utilisation(spec)
        did = b.did_rows(spec)
        table = {}
        for kind in published.index:
            pre, post = published.loc[kind, "pre"], published.loc[kind, "post"]
            record = {
                "before": _n(pre), "after": _n(post),
                "naive change": _signed(percent_change(pre, post)),
                "per client before": _per_client(pre, clients),
                "per client after": _per_client(post, clients),
            }
            if did is not None:
                record["matched DiD"] = b.did_pct_text(did.loc[kind]) if kind in did.index else DASH
            table[KIND_LABELS.get(kind, _label(kind))] = record
        caption = f"{_window_label(spec)} ({spec.days} days) either side of the index date: {_n(clients)} clients"
        section.parts.append(_table(pd.DataFrame(table).T, caption, note=SUPPRESSION_NOTE if spec is b.last else None))
    spec = b.last
    published, clients = b.published_utilisation(spec)
    kinds = list(published.index)
    before = [np.nan if _na(published.loc[k, "pre"]) or _na(clients) or not clients
              else published.loc[k, "pre"] / clients for k in kinds]
    after = [np.nan if _na(published.loc[k, "post"]) or _na(clients) or not clients
             else published.loc[k, "post"] / clients for k in kinds]
    section.parts.append(_figure(
        _plots.grouped_bars([KIND_LABELS.get(k, _label(k)) for k in kinds], {"before": before, "after": after},
                            f"Events per client, {_window_label(spec)} before and after", "events per client",
                            horizontal=True),
        "utilisation_rates", f"Events per client in the {_window_label(spec)} before and after the index date."))
    return section


def _comparison_section(b: _Builder) -> Section:
    section = Section("comparison", "Matched comparison")
    section.parts.append(_p(
        "Each connected client is matched to a patient who was not referred, with a similar propensity to be "
        "referred (logistic regression on age, sex, deprivation and use of each service in the year before "
        "the index date and in the one or two years before that; nearest neighbour "
        "on the logit of the score within a caliper), followed over the same windows from a pseudo index date. "
        "The difference-in-differences (DiD) is the clients' change minus their matches' change: the part of the "
        "fall not explained by what happened to similar people anyway. Intervals are bootstrap percentile "
        "intervals over matched sets."))
    if not b.cmp.available:
        section.parts.append(_note(b.cmp.note or "The matched comparison is not available."))
        return section
    match = b.cmp.match
    if match is not None and hasattr(match, "summary"):
        section.parts.extend(_match_parts(match))
    if match is not None and hasattr(match, "balance"):
        section.parts.extend(_balance_parts(match.balance()))
    for spec in b.specs:
        rows = b.did_rows(spec)
        if rows is None:
            continue
        replicates = int(rows["replicates"].iloc[0]) if "replicates" in rows else b.cmp.bootstrap
        section.parts.append(_table(
            _did_display(rows), f"{_window_label(spec)}: the clients' change beside the matched comparison's",
            note=f"clients: matched clients whose data cover the window; change: after vs before. DiD per client: "
                 f"events, clients' change minus comparison's change. DiD %: of the events the clients would have "
                 f"had without the service (their own before plus the comparison's change). Intervals: "
                 f"{b.cmp.level:.0%} bootstrap percentile, {replicates:,} replicates. {SUPPRESSION_NOTE}"))
    rows = b.did_rows(b.last)
    if rows is not None:
        shown = _did_shown(rows)
        kinds = list(rows.index)
        naive = [v if ok else np.nan for v, ok in zip(pd.to_numeric(rows["naive_change_pct"]), shown)]
        comparison = [_reduction(pre, post) * -1 if ok else np.nan for pre, post, ok in
                      zip(rows["control_pre_per_client"], rows["control_post_per_client"], shown)]
        series = {"clients' own change (naive)": (naive, None, None),
                  "comparison group's change": (comparison, None, None),
                  "matched DiD": (_masked(rows["did_pct"], shown), _masked(rows["ci_low_pct"], shown),
                                  _masked(rows["ci_high_pct"], shown))}
        section.parts.append(_figure(
            _plots.estimates([KIND_LABELS.get(k, k) for k in kinds], series,
                             f"Change in use, {_window_label(b.last)} after vs before",
                             "% change (DiD: % of the counterfactual, with interval)"),
            "did_pct", "The clients' own before/after change, the matched comparison group's change, and the "
                       "difference-in-differences with its interval."))
    return section


def _masked(values: Any, keep: Sequence[bool]) -> list[Any]:
    return [float(v) if k and not _na(v) else np.nan for v, k in zip(values, keep)]


def _match_parts(match: Any) -> list[str]:
    summary = match.summary()
    reasons = {"matched": int(summary["matched_clients"])}
    for key, value in summary.items():
        if str(key).startswith("unmatched_"):
            reasons[f"not matched: {_label(str(key)[len('unmatched_'):])}"] = int(value)
    published = _published_series(pd.Series(reasons), total="all clients")
    frame = pd.DataFrame({"clients": [_n(v) for v in published]}, index=list(published.index))
    pool = _primary(int(summary["comparison_pool"]))
    used = _primary(int(summary["comparison_used"]))
    return [_table(frame, "Who was matched", note=f"Comparison pool: {_n(pool)} patients not referred; "
                                                   f"{_n(used)} used as matches. Nobody is dropped silently: "
                                                   "each client not matched is counted by reason.")]


def _did_shown(rows: pd.DataFrame) -> list[bool]:
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
    published = _published_table(events, margins=False)
    people = _published_series(clients, total=None)
    return [not (published.loc[k].isna().any() or _na(people[k])) for k in rows.index]


def _did_display(rows: pd.DataFrame) -> pd.DataFrame:
    shown = _did_shown(rows)
    clients = _published_series(rows["clients"].astype("int64"), total=None)
    controls = _published_series(rows["controls"].astype("int64"), total=None)
    table = {}
    for (kind, row), ok in zip(rows.iterrows(), shown):
        comparison_change = -_reduction(row["control_pre_per_client"], row["control_post_per_client"])
        table[KIND_LABELS.get(kind, _label(kind))] = {
            "clients": _n(clients[kind]), "comparison": _n(controls[kind]),
            "clients' change": _signed(row["naive_change_pct"]) if ok else DASH,
            "comparison's change": _signed(comparison_change) if ok else DASH,
            "DiD per client": _interval(row["did_per_client"], row["ci_low"], row["ci_high"], _num) if ok else DASH,
            "DiD %": _Builder.did_pct_text(row) if ok else DASH,
        }
    return pd.DataFrame(table).T


def _balance_parts(bal: pd.DataFrame) -> list[str]:
    if not isinstance(bal, pd.DataFrame) or bal.empty:
        return []
    frame = bal.set_index("covariate")
    columns = {"smd_before": "SMD: all", "smd_after": "SMD: matched", "client_mean_after": "mean: clients",
               "comparison_mean_after": "mean: matches", "comparison_mean_before": "mean: all comparison"}
    shown = pd.DataFrame({label: [_num(v, 2) if "mean" in name else _num(v, 3) for v in frame[name]]
                          for name, label in columns.items() if name in frame.columns},
                         index=[_label(c) for c in frame.index])
    parts = [_table(shown, "Balance of the matched groups",
                    note="SMD: standardised mean difference, clients vs comparison patients; |SMD| below 0.1 is "
                         "conventionally taken as balanced. Means are over the people matched (clients, matches) "
                         "and over the whole comparison pool.")]
    parts.append(_figure(_plots.balance([_label(c) for c in frame.index], list(frame["smd_before"]),
                                        list(frame["smd_after"]), "Balance before and after matching"),
                         "balance", "Standardised mean differences: all comparison patients vs matched."))
    return parts


def _cost_section(b: _Builder) -> Section:
    section = Section("cost", "Cost avoidance")
    if not b.has_cost:
        section.parts.append(_note("Cost avoidance needs events and a tariff (Evaluation(tariff=...))."))
        return section
    section.parts.append(_p(
        "Naive cost avoidance = (events before − events after) × unit cost, per kind, in exact pence, over the "
        "clients in the window; negative where use rose. The matched DiD prices only the fall beyond what the "
        "matched comparison group shows, per matched client, with its interval."))
    costs = b.costs()
    for spec in b.specs:
        rows = costs[costs["window"] == spec.label].set_index("kind")
        published, clients = b.published_utilisation(spec)
        did = b.did_rows(spec)
        shown = _did_shown(did) if did is not None else []
        ok = dict(zip(did.index, shown)) if did is not None else {}
        n = int(rows["clients"].iloc[0]) if len(rows) else 0
        table = {}
        for kind in rows.index:
            hidden = _na(published.loc[kind, "pre"]) or _na(published.loc[kind, "post"]) or _na(clients)
            avoided = rows.loc[kind, "avoided_pence"]
            record = {"unit cost": _money(rows.loc[kind, "unit_cost_pence"]),
                      "naive avoided": DASH if hidden else _money(avoided),
                      "naive per client": DASH if hidden or _na(avoided) or not n else _money(_round_or_na(avoided / n))}
            if did is not None:
                if kind in did.index and ok.get(kind) and not _na(did.loc[kind, "did_pence_per_client"]):
                    row = did.loc[kind]
                    record["matched DiD per client"] = _interval(
                        _round_or_na(-row["did_pence_per_client"]), _round_or_na(-row["ci_high_pence"]),
                        _round_or_na(-row["ci_low_pence"]), _money)
                else:
                    record["matched DiD per client"] = DASH
            table[KIND_LABELS.get(kind, _label(kind))] = record
        total = {"unit cost": "", "naive avoided": _money(rows["avoided_pence"].sum()),
                 "naive per client": _money(_round_or_na(rows["avoided_pence"].sum() / n)) if n else DASH}
        if did is not None:
            per_client = b.did_avoided_per_client(spec)
            total["matched DiD per client"] = _interval(*per_client, _money) if per_client else DASH
        table["all priced kinds"] = total
        note = ("Per-kind money is hidden where the event counts behind it are suppressed; totals are over every "
                "priced kind.")
        avoided = b.did_avoided(spec)
        if avoided is not None:
            money_row = b.did_rows(spec, money=True).iloc[0]
            note += (f" Matched DiD over the {_n(_primary(int(money_row['clients'])))} matched clients: "
                     f"{_interval(*avoided, _money)}.")
        section.parts.append(_table(pd.DataFrame(table).T, f"{_window_label(spec)}: cost avoidance by kind "
                                                             f"({_n(clients)} clients)", note=note))
    spec = b.last
    rows = costs[costs["window"] == spec.label].set_index("kind")
    published, clients = b.published_utilisation(spec)
    n = int(rows["clients"].iloc[0]) if len(rows) else 0
    kinds = [k for k in rows.index if not _na(rows.loc[k, "avoided_pence"])]
    naive = [np.nan if _na(published.loc[k, "pre"]) or _na(published.loc[k, "post"]) or not n
             else rows.loc[k, "avoided_pence"] / n / 100 for k in kinds]
    series: dict[str, Any] = {"naive before/after": (naive, None, None)}
    did = b.did_rows(spec)
    if did is not None:
        ok = dict(zip(did.index, _did_shown(did)))

        def pick(column: str) -> list[float]:
            return [-float(did.loc[k, column]) / 100 if k in did.index and ok.get(k) and not _na(did.loc[k, column])
                    else np.nan for k in kinds]
        series["matched DiD"] = (pick("did_pence_per_client"), pick("ci_high_pence"), pick("ci_low_pence"))
    section.parts.append(_figure(
        _plots.estimates([KIND_LABELS.get(k, k) for k in kinds], series,
                         f"Cost avoided per client by kind, {_window_label(spec)}", "cost avoided per client (£)",
                         money=True),
        "cost_by_kind", "Cost avoided per client by kind: the naive figure and, where available, the matched DiD "
                        "with its interval."))
    if b.by_practice:
        section.parts.extend(_practice_parts(b))
    section.parts.append(_p(f"Unit costs: {b.ev.tariff.name}, prices of {b.ev.tariff.price_year}; sources in "
                            "Methods and caveats."))
    return section


def _practice_parts(b: _Builder) -> list[str]:
    spec = b.last
    costs = b.costs("practice")
    rows = costs[costs["window"] == spec.label]
    parts = [_h3(f"By practice ({_window_label(spec)})")]
    per_practice = rows.groupby("practice", sort=True, observed=True).agg(
        clients=("clients", "first"), avoided=("avoided_pence", "sum"))
    # The referrals by practice exactly as published in "Who was referred" (one suppression
    # pattern for the same counts, so one table cannot undo the other's suppression).
    reach = b.published_connected("practice").rename(index={"all referrals": "all practices"})
    referred, connected = reach["referred"], reach["connected"]
    clients = _published_series(per_practice["clients"].astype("int64"), total="all practices")
    did = _practice_did(b, spec, list(per_practice.index))
    matched = None if did is None else _published_series(
        pd.Series({p: int(v[3]) for p, v in did.items()}, dtype="int64"), total=None)
    table = {}
    for practice in per_practice.index:
        hidden = _na(clients[practice])
        n = per_practice.loc[practice, "clients"]
        record = {"referred": _n(referred.get(practice, pd.NA)), "connected": _n(connected.get(practice, pd.NA)),
                  "in window": _n(clients[practice]),
                  "naive avoided": DASH if hidden else _money(per_practice.loc[practice, "avoided"]),
                  "naive per client": DASH if hidden or not n else _money(_round_or_na(
                      per_practice.loc[practice, "avoided"] / n))}
        if did is not None:
            value = did.get(practice)
            small = value is None or _na(matched.get(practice, pd.NA))
            record["matched"] = DASH if value is None else _n(matched[practice])
            record["matched DiD per client"] = DASH if small else _interval(*value[:3], _money)
        table[practice] = record
    n_all = per_practice["clients"].sum()
    table["all practices"] = {"referred": _n(referred["all practices"]), "connected": _n(connected["all practices"]),
                              "in window": _n(clients["all practices"]),
                              "naive avoided": _money(per_practice["avoided"].sum()),
                              "naive per client": _money(_round_or_na(per_practice["avoided"].sum() / n_all)) if n_all else DASH}
    if did is not None:
        per_client = b.did_avoided_per_client(spec)
        money_row = b.did_rows(spec, money=True)
        table["all practices"]["matched"] = _n(_primary(int(money_row["clients"].iloc[0]))) if money_row is not None \
            else DASH
        table["all practices"]["matched DiD per client"] = _interval(*per_client, _money) if per_client else DASH
    parts.append(_table(pd.DataFrame(table).T, "Cost avoidance by practice",
                        note="Money is hidden for a practice whose clients are suppressed. The matched DiD per "
                             "practice rests on few matched sets: read its interval before its point estimate."))
    shown = per_practice[[not _na(clients[p]) and per_practice.loc[p, "clients"] > 0 for p in per_practice.index]]
    if len(shown):
        labels = list(shown.index)
        naive = list(shown["avoided"] / shown["clients"] / 100)
        series: dict[str, Any] = {"naive before/after": (naive, None, None)}
        if did is not None:
            values = [did.get(p) if not _na(matched.get(p, pd.NA)) else None for p in labels]
            series["matched DiD"] = tuple([np.nan if v is None or _na(v[i]) else float(v[i]) / 100 for v in values]
                                          for i in range(3))
        parts.append(_figure(
            _plots.estimates(labels, series, f"Cost avoided per client by practice, {_window_label(spec)}",
                             "cost avoided per client (£)", money=True),
            "cost_by_practice", "Cost avoided per client by practice: naive, and matched DiD with its interval "
                                "(practices with suppressed counts left out)."))
    # Practices with a fall / rise in each kind, as service reports count surgeries.
    direction = {}
    for kind, block in rows.groupby("kind", sort=False):
        change = block["post"] - block["pre"]
        direction[KIND_LABELS.get(kind, _label(kind))] = _published_series(pd.Series({
            "fewer": int((change < 0).sum()), "same": int((change == 0).sum()), "more": int((change > 0).sum())}),
            total="practices")
    frame = pd.DataFrame(direction).T.apply(lambda col: col.map(_n))
    parts.append(_table(frame, "Practices with fewer, the same or more events after than before (naive)"))
    best = per_practice[[not _na(clients[p]) for p in per_practice.index]]
    if len(best):
        top = best["avoided"].idxmax()
        parts.append(_p(f"The practice with the greatest naive cost avoidance is {top}: "
                        f"{_money(best.loc[top, 'avoided'])} (from {_n(referred.get(top, pd.NA))} referrals, "
                        f"{_n(connected.get(top, pd.NA))} connected)."))
    return parts


def _practice_did(b: _Builder, spec: WindowSpec, practices: list[str]) -> dict[str, tuple[Any, ...]] | None:
    """Per practice: DiD cost avoided per matched client (point, low, high) and matched clients."""
    if not b.cmp.available or b.did_rows(spec, money=True) is None:
        return None
    labels = b.ev.clients["practice"].astype("string")
    ids = b.ev.client_columns["client_id"]
    out: dict[str, tuple[Any, ...]] = {}
    for practice in practices:
        table = b.cmp.did_for(ids[(labels == practice).fillna(False).to_numpy(dtype=bool)])
        if table is None:
            continue
        row = b.did_rows(spec, table, money=True)
        if row is None:
            continue
        row = row.iloc[0]
        out[practice] = (_round_or_na(-row["did_pence_per_client"]), _round_or_na(-row["ci_high_pence"]),
                         _round_or_na(-row["ci_low_pence"]), int(row["clients"]))
    return out or None


def _tariff_table(b: _Builder) -> str:
    tariff = b.ev.tariff
    table = b.ev.tariff_table().set_index("kind")
    shown = pd.DataFrame({"unit cost": [_money(v) for v in table["unit_cost_pence"]],
                          "source": list(table["source"]), "price year": list(table["price_year"])},
                         index=[KIND_LABELS.get(k, _label(k)) for k in table.index])
    uprating = getattr(tariff, "uprating_source", "") or "none given"
    return _table(shown, f"Tariff: {tariff.name}, prices of {tariff.price_year}", text=["source"],
                  note=f"Uprating index: {uprating}.")


def _net_section(b: _Builder) -> Section:
    section = Section("net", "Net saving")
    if not b.has_cost:
        section.parts.append(_note("The net saving needs events and a tariff."))
        return section
    if b.service_cost is None:
        section.parts.append(_note("No service cost was given for this report (service_cost_pence=...; for one "
                                   "reporting period, a mapping such as {'2023/24': pence}), so the net saving is "
                                   "not reported; the gross cost avoidance is in the section above."))
        return section
    saving = b.ev.net_saving(int(b.service_cost), window=b.windows[-1])
    patients = _primary(int(saving["patients"]))
    shown = {"naive before/after": {
        "gross cost avoidance": _money(saving["gross_pence"]),
        "service cost": _money(saving["service_cost_pence"]),
        "net saving": _money(saving["net_pence"]),
        "patients": _n(patients),
        "gross per patient": DASH if _na(patients) else _money(saving["gross_per_patient_pence"]),
        "net per patient": DASH if _na(patients) else _money(saving["net_per_patient_pence"]),
    }}
    matched = b.did_net_saving()
    if matched is not None:
        shown["matched DiD (interval)"] = {
            "gross cost avoidance": _interval(matched["gross"], matched.get("gross_low"), matched.get("gross_high"),
                                              _money),
            "service cost": _money(matched["service_cost"]),
            "net saving": _interval(matched["net"], matched.get("net_low"), matched.get("net_high"), _money),
            "patients": _n(_primary(matched["patients"])),
            "gross per patient": _money(matched["gross_per_patient"]),
            "net per patient": DASH if _na(patients) else _interval(
                matched["net_per_patient"], matched.get("net_per_patient_low"), matched.get("net_per_patient_high"),
                _money),
        }
    section.parts.append(_table(pd.DataFrame(shown), f"Net saving over {_window_label(b.last)} after the index date",
                                note="Net saving = (gross cost avoidance − service cost) / patients; gross, service "
                                     "cost and net are reported separately; per-patient figures are rounded to whole "
                                     "pence. The matched DiD column applies the DiD cost avoided per matched client "
                                     "to the same patients."))
    return section


def _methods_section(b: _Builder, periods_note: str) -> Section:
    ev = b.ev
    section = Section("methods", "Methods and caveats")
    start = "?" if ev.data_start is None else str(np.datetime64(int(ev.data_start), "D"))
    end = "?" if ev.data_end is None else str(np.datetime64(int(ev.data_end), "D"))
    tables = [("clients", ev.clients), ("events", ev.events), ("assessments", ev.assessments),
              ("interventions", ev.interventions), ("feedback", ev.feedback), ("comparison", ev.comparison)]
    given = pd.DataFrame({"rows": [DASH if t is None else f"{len(t):,} rows" for _, t in tables]},
                         index=[name for name, _ in tables])
    section.parts.append(_h3("Data"))
    section.parts.append(_p(f"Event data cover {start} to {end} (both inclusive). {periods_note}"))
    section.parts.append(_table(given, "Tables given"))
    section.parts.append(_h3("Selection rule and windows"))
    spans = ", ".join(f"{_window_label(s)} = {s.days} days" for s in b.specs)
    section.parts.append(_p(
        f"A window of W months is round(W × 365.25 / 12) days ({spans}). Before = the D days up to the index date "
        "(index − D ≤ date < index); after = the D days following it (index < date ≤ index + D). Events on the "
        "index day itself (usually the first contact) fall in neither and are counted apart. A client counts in "
        "a window only if the data cover both sides of it (data start ≤ index − D and index + D ≤ data end); "
        "clients who never connected have no index date and are not in the utilisation figures. % change = "
        "(after − before) / before, undefined where before is 0."))
    if b.has_events:
        section.parts.append(_h3("Censoring and exclusions"))
        excl = b.exclusions()
        for table_name, title in (("clients", "Clients in each window"), ("events", "Events in each window")):
            block = excl[excl["table"] == table_name]
            columns = {}
            for spec in b.specs:
                counts = block[block["window"] == spec.label].set_index("reason")["count"].astype("int64")
                columns[_window_label(spec)] = _published_series(counts, total="total")
            frame = pd.DataFrame(columns).apply(lambda col: col.map(_n))
            frame.index = [_label(i) for i in frame.index]
            section.parts.append(_table(frame, title, note=(
                "starts before data / ends after data: the window is not covered by the data (censored)."
                if table_name == "clients" else
                "Every event is accounted for: in a window, outside the windows, on the index day, of excluded "
                "or unconnected clients, of comparison patients, or outside the data range.")))
    if ev.assessments is not None and b.has_domains():
        excluded = ev.outcomes().attrs.get("excluded", {})
        if excluded:
            counts = pd.Series({k: int(v) for k, v in excluded.items()}, dtype="int64")
            published = _published_series(counts, total="clients")
            section.parts.append(_table(pd.DataFrame({"clients": [_n(v) for v in published]},
                                                     index=[_label(i) for i in published.index]),
                                        "Outcome ratings: who was paired",
                                        note="Only clients rated at baseline and at a later follow-up are in the "
                                             "outcome figures."))
    if b.has_cost:
        section.parts.append(_h3("Tariff"))
        section.parts.append(_tariff_table(b))
        if is_illustrative(ev.tariff):
            section.parts.append(_note(ILLUSTRATIVE_WARNING))
    section.parts.append(_h3("Matched comparison"))
    if b.cmp.available:
        section.parts.append(_p(
            f"1:1 nearest-neighbour matching on the propensity score with a caliper of 0.2 standard deviations of "
            f"its logit; difference-in-differences per event kind and in money; {b.cmp.level:.0%} percentile "
            f"bootstrap intervals over matched sets ({b.cmp.bootstrap:,} replicates, seeded: the same for any "
            "number of threads)."))
    else:
        section.parts.append(_note(b.cmp.note or "The matched comparison is not available."))
    section.parts.append(_h3("Disclosure control"))
    section.parts.append(_p(
        "Every published count of people or events is disclosure-controlled: counts of 1 to 4 are suppressed "
        "(shown as *), and further cells are suppressed so that no suppressed count can be recovered from a "
        "row or column total. Percentages, rates and money derived from counts are shown only where the counts "
        "behind them are published. Suppression is applied table by table; differencing between separate tables "
        "(e.g. two breakdowns of the same people) is not checked, so review the report before publishing it "
        "beyond the commissioner."))
    section.parts.append(_h3("Caveats"))
    section.parts.append(
        "<ul>"
        "<li>The naive before/after figures include regression to the mean: people are referred at a peak of need "
        "and use, which tends to fall anyway. Controlled studies of high-user case management mostly find small "
        "or no effects; read the matched DiD beside the naive figure.</li>"
        "<li>Matching balances only what is measured; people referred may differ in ways the data do not show.</li>"
        "<li>Cost avoidance prices activity at unit costs; it is not cash released.</li>"
        "<li>Outcome ratings are made with the link worker and are not blinded.</li>"
        "</ul>")
    return section


# ------------------------------------------------------------------------------ periods side by side
def _periods_section(ev: Evaluation, builders: dict[str, _Builder]) -> Section:
    section = Section("periods", "Year by year")
    section.parts.append(_p("The key figures for each reporting period (NHS financial year of the index date; of "
                            "the referral date for people who never connected), side by side."))
    columns: dict[str, dict[str, str]] = {}
    for label, builder in builders.items():
        columns[label] = dict(builder.key_figures())
    order = list(dict.fromkeys(m for col in columns.values() for m in col))
    frame = pd.DataFrame({label: [col.get(m, DASH) for m in order] for label, col in columns.items()}, index=order)
    section.parts.append(_table(frame, "Key figures by period", cls="sxr-key", note=SUPPRESSION_NOTE))
    # Referrals and the naive change in A&E use per period, as a figure.
    labels = [label for label in builders if label != "all periods"]
    referred, connected = [], []
    for label in labels:
        b = builders[label]
        r, c = b.reach_total()
        referred.append(_primary(r))
        connected.append(_primary(c))
    section.parts.append(_figure(
        _plots.grouped_bars(labels, {"referred": referred, "connected": connected}, "Referrals by period", "people"),
        "periods_reach", "Referred and connected in each reporting period."))
    if all(builders[label].has_cost for label in labels):
        gross = []
        for label in labels:
            costs = builders[label].costs()
            gross.append(costs[costs["window"] == builders[label].last.label]["avoided_pence"].sum() / 100)
        section.parts.append(_figure(
            _plots.grouped_bars(labels, {"naive cost avoided (£)": gross},
                                f"Naive cost avoidance by period, {_window_label(builders[labels[0]].last)}", "£"),
            "periods_cost", "Naive cost avoidance in each reporting period."))
    return section


# ------------------------------------------------------------------------------ entry points
def _service_cost_for(service_cost_pence: ServiceCost, period: str | None) -> int | None:
    """The cost of the service in a period: a whole-service cost belongs to all periods together;
    a period's own cost comes from a mapping {"2023/24": pence, ..., "all periods": pence}."""
    if service_cost_pence is None:
        return None
    if isinstance(service_cost_pence, Mapping):
        value = service_cost_pence.get(period or "all periods")
        return None if value is None else int(value)
    if period is not None:
        return None
    if isinstance(service_cost_pence, float) and not service_cost_pence.is_integer():
        raise ValueError("service_cost_pence: must be whole pence")
    return int(service_cost_pence)


def _build(ev: Evaluation, *, windows: Sequence[Window], service_cost_pence: int | None, comparison: Comparison,
           title: str, subtitle: str, periods: dict[str, _Builder] | None, periods_note: str) -> Report:
    b = _Builder(ev, windows=windows, service_cost_pence=service_cost_pence, comparison=comparison)
    sections = [
        _summary_section(b), _reach_section(b), _referred_section(b), _support_section(b), _feedback_section(b),
        _outcomes_section(b), _wellbeing_section(b), _utilisation_section(b), _comparison_section(b),
        _cost_section(b), _net_section(b),
    ]
    if periods:
        sections.append(_periods_section(ev, periods))
    sections.append(_methods_section(b, periods_note))
    return Report(title=title, subtitle=subtitle, sections=sections)


_PERIOD_RULE = ("Reporting periods are NHS financial years (April to March) of the index date, or of the referral "
                "date for people who never connected.")


def build_report(ev: Evaluation, *, windows: Sequence[Window] = (6, 12), by_period: ByPeriod = False,
                 service_cost_pence: ServiceCost = None, match: Any = None, did: Any = None,
                 bootstrap: int = 2000, seed: int = 1, title: str = DEFAULT_TITLE) -> Report:
    """The report as an object (``.html()``, ``.save(path)``, shown in a notebook); see
    :func:`write_report` for the arguments. ``by_period="separate"`` is not possible here (it
    makes several reports): use :func:`write_report` or ``Evaluation.for_period``."""
    if by_period == "separate":
        raise ValueError("by_period: 'separate' makes one report per period; use write_report")
    if by_period not in (False, None, True, "side_by_side"):
        raise ValueError(f"by_period: must be False, 'side_by_side' or 'separate', got {by_period!r}")
    windows = list(windows) if not isinstance(windows, (int, float, str)) else [windows]
    if not windows:
        raise ValueError("windows: at least one window is needed")
    today = _dt.date.today().isoformat()
    subtitle = f"All reporting periods. Produced with socialrx on {today}."
    comparison = _comparison(ev, windows, match, did, bootstrap, seed)
    periods = None
    if by_period in (True, "side_by_side"):
        periods = {}
        for label in ev.reporting_periods():
            sub = ev.for_period(label)
            sub_cmp = _comparison(sub, windows, None if match is not False else False, None, bootstrap, seed) \
                if comparison.available else Comparison(note=comparison.note)
            periods[label] = _Builder(sub, windows=windows, service_cost_pence=_service_cost_for(service_cost_pence,
                                                                                                  label),
                                      comparison=sub_cmp)
        periods["all periods"] = _Builder(ev, windows=windows, service_cost_pence=_service_cost_for(
            service_cost_pence, None), comparison=comparison)
        subtitle = f"All reporting periods ({', '.join(ev.reporting_periods())}) and each side by side. Produced with socialrx on {today}."
    return _build(ev, windows=windows, service_cost_pence=_service_cost_for(service_cost_pence, None),
                  comparison=comparison, title=title, subtitle=subtitle, periods=periods, periods_note=_PERIOD_RULE)


def write_report(ev: Evaluation, path: str | Path, *, windows: Sequence[Window] = (6, 12),
                 by_period: ByPeriod = False, service_cost_pence: ServiceCost = None, match: Any = None,
                 did: Any = None, bootstrap: int = 2000, seed: int = 1,
                 title: str = DEFAULT_TITLE) -> Path | list[Path]:
    """Write the evaluation report as one self-contained HTML file.

    Args:
        ev: the evaluation.
        path: the HTML file to write (its folder is created).
        windows: utilisation windows in months (6, 12) or days ("183d"); the last is the headline.
        by_period: ``False``: one report over every period; ``"side_by_side"``: that report plus
            a section with each reporting period's key figures side by side; ``"separate"``: one
            report per period, written beside ``path`` as ``<stem>_<2023-24><suffix>``. Periods
            are NHS financial years of the index date (of the referral date for people who
            never connected).
        service_cost_pence: the service's cost for the net saving (whole pence), over all
            periods together; or a mapping from period label ("2023/24", and "all periods") to
            that period's cost, for the per-period net saving of ``"separate"`` and
            ``"side_by_side"``.
        match, did: an existing ``ev.match(...)`` result and/or its ``did(...)`` table. By
            default, with a comparison group, the report matches (``k=1, caliper=0.2``) and
            estimates the DiD itself; ``match=False`` leaves the matched comparison out.
        bootstrap, seed: bootstrap replicates and seed of the DiD intervals (and the match).
        title: the report's title.

    Returns:
        The path written, or with ``"separate"`` the list of paths (one per period).
    """
    path = Path(path)
    if by_period == "separate":
        written = []
        for label in ev.reporting_periods():
            sub = ev.for_period(label)
            comparison = _comparison(sub, list(windows), match if match is False else None, None, bootstrap, seed)
            report = _build(sub, windows=list(windows), service_cost_pence=_service_cost_for(service_cost_pence, label),
                            comparison=comparison, title=f"{title}: {label}",
                            subtitle=f"Reporting period {label} (NHS financial year, April to March). Produced with "
                                     f"socialrx on {_dt.date.today().isoformat()}.",
                            periods=None, periods_note=_PERIOD_RULE + f" This report covers {label}.")
            written.append(report.save(path.with_name(f"{path.stem}_{label.replace('/', '-')}{path.suffix}")))
        return written
    report = build_report(ev, windows=windows, by_period=by_period, service_cost_pence=service_cost_pence,
                          match=match, did=did, bootstrap=bootstrap, seed=seed, title=title)
    return report.save(path)
