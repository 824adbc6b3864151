"""The report's HTML: formatting of published values, tables, figures, sections and the page.

Everything here renders values it is given; nothing computes a figure. A missing value (a
suppressed count, or a figure that is undefined) renders as ``*`` for a count and ``–`` for
anything else.
"""

from __future__ import annotations

import base64
import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import _core
from .._measures import per_client, percent_change, readable, whole_pence
from ..disclosure import PublishedView

STAR = "*"
DASH = "–"




FEEDBACK_LABELS = {
    "four_or_five_stars": "Rated the service 4 or 5 stars (of 5)",
    "reported_impact": "Said the service had an impact on them",
    "significant_impact": "Said the impact was significant (of all answering)",
    "significant_of_impact": "Said the impact was significant (of those reporting one)",
    "connected_to_services": "Said they were connected to suitable services and activities",
}


SUPPRESSION_NOTE = ("* suppressed: a count of 1 to 4, or a count hidden so that the others cannot reveal one. "
                    "Percentages and rates are shown only where the counts behind them are published.")


def missing(value: Any) -> bool:
    """None, <NA> or NaN: a hidden count or an undefined figure."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _finite(value: Any) -> bool:
    return not missing(value) and math.isfinite(float(value))


def _minus(text: str) -> str:
    """A typographic minus sign for negative numbers."""
    return text.replace("-", "−")


def count_text(value: Any) -> str:
    """A published count: '*' where suppressed."""
    return STAR if missing(value) else f"{int(value):,}"


def percent_text(value: Any, digits: int = 0) -> str:
    return f"{float(value):.{digits}f}%" if _finite(value) else DASH


def signed_percent(value: Any, digits: int = 0) -> str:
    """A change, always with its sign: +7%, −43%."""
    return _minus(f"{float(value):+.{digits}f}%") if _finite(value) else DASH


def money_text(pence: Any) -> str:
    """Whole pence as pounds and pence, through the core's one formatting of money."""
    return DASH if missing(pence) else _minus(_core.format_pounds(int(pence)))


def number_text(value: Any, digits: int = 2) -> str:
    return _minus(f"{float(value):,.{digits}f}") if _finite(value) else DASH


def share_of(part: Any, whole: Any) -> float:
    """100 x part / whole, only where both are published and whole > 0."""
    if missing(part) or missing(whole) or float(whole) <= 0:
        return float("nan")
    return 100.0 * float(part) / float(whole)


def day_text(day: int | None) -> str:
    """A day number (days since 1970-01-01) as an ISO date; '?' where unknown."""
    return "?" if day is None else str(np.datetime64(int(day), "D"))


def esc(text: Any) -> str:
    """Text made safe inside HTML."""
    return html.escape(str(text))


def pence_or_na(value: Any) -> Any:
    """Whole pence (rounded half away from zero, as the core rounds money), <NA> where missing."""
    pence = whole_pence(value)
    return pd.NA if pence is None else pence


def with_interval(point: Any, low: Any, high: Any, fmt: Callable[[Any], str], level: float | None = None) -> str:
    """``point (low to high)``, or with ``level`` ``point (95% CI low to high)``; the point alone
    where the interval is missing."""
    text = fmt(point)
    if not (missing(low) or missing(high)):
        coverage = "" if level is None else f"{level:.0%} CI "
        text += f" ({coverage}{fmt(low)} to {fmt(high)})"
    return text


def percent_fewer(before: Any, after: Any) -> float:
    """100 x (before - after) / before over published counts; NaN where either is hidden."""
    return -percent_change(before, after)


def per_client_text(count: Any, clients: Any) -> str:
    """Events per client to two places; a dash where either count is hidden or there are no clients."""
    return number_text(per_client(count, clients))


def wrapped(text: str, width: int = 18) -> str:
    """Text broken into lines of at most ``width`` characters, for a figure's axis labels."""
    words, lines, line = str(text).split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


def html_table(frame: pd.DataFrame, caption: str | None = None, *, note: str | None = None,
           cls: str = "", text: Sequence[str] = ()) -> str:
    """A display frame (strings; labels in the index) as an HTML table; ``text`` names the
    columns to align left."""
    frame = frame.copy()
    frame.index = [readable(i) if isinstance(i, str) else i for i in frame.index]
    frame.columns = [str(c) for c in frame.columns]
    frame.index.name = None
    body = frame.to_html(escape=True, border=0, classes=["sxr-table", cls] if cls else ["sxr-table"],
                         na_rep=DASH, index=True)
    if text:
        body = align_left(body, [i for i, c in enumerate(frame.columns) if c in set(text)])
    parts = ['<div class="sxr-tablewrap">']
    if caption:
        parts.append(f'<p class="sxr-caption">{esc(caption)}</p>')
    parts.append(body)
    if note:
        parts.append(f'<p class="sxr-note">{esc(note)}</p>')
    parts.append("</div>")
    return "".join(parts)


def align_left(body: str, positions: Sequence[int]) -> str:
    """Mark the data cells at ``positions`` (0-based among a row's <td>s) as text."""
    def row(match: re.Match[str]) -> str:
        head, *cells = match.group(0).split("<td>")
        return head + "".join(('<td class="sxr-text">' if i in positions else "<td>") + cell
                              for i, cell in enumerate(cells))
    return re.sub(r"<tr>.*?</tr>", row, body, flags=re.S)


def html_figure(png: bytes, name: str, caption: str) -> str:
    """A PNG embedded as a ``data:`` URI, named for the browser's check that it loaded."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure class="sxr-figure"><img data-figure="{esc(name)}" alt="{esc(caption)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{esc(caption)}</figcaption></figure>')


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def heading(text: str) -> str:
    return f"<h3>{esc(text)}</h3>"


def notice(text: str) -> str:
    """A highlighted note: something is missing from the report, and why."""
    return f'<p class="sxr-unavailable">{esc(text)}</p>'


@dataclass
class Section:
    """One section of the report: an anchor id, a title and its HTML parts in order."""

    id: str
    title: str
    parts: list[str] = field(default_factory=list)

    def html(self) -> str:
        return (f'<section id="{esc(self.id)}" class="sxr-section"><h2>{esc(self.title)}</h2>'
                + "".join(self.parts) + "</section>")


CSS = """
.sxr-report{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1d2a33;max-width:1060px;
  margin:0 auto;padding:0 18px 40px;line-height:1.45;font-size:15px}
.sxr-report h1{font-size:26px;margin:22px 0 4px;color:#123c5a}
.sxr-report h2{font-size:20px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid #1f5f8b;color:#123c5a}
.sxr-report h3{font-size:16px;margin:22px 0 8px;color:#1f5f8b}
.sxr-report .sxr-subtitle{color:#51606b;margin:0 0 8px}
.sxr-report dl.sxr-facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:14px;margin:0 0 14px}
.sxr-report dl.sxr-facts dt{color:#51606b}
.sxr-report dl.sxr-facts dd{margin:0}
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


# Marks each figure the browser has decoded, so a headless render can check none is broken.
LOAD_SCRIPT = """
(function(){function mark(){var imgs=document.querySelectorAll('img[data-figure]');var ok=0;
for(var i=0;i<imgs.length;i++){
if(imgs[i].complete&&imgs[i].naturalWidth>0){imgs[i].setAttribute('data-loaded','1');ok++;}}
document.body.setAttribute('data-figures',String(imgs.length));
document.body.setAttribute('data-figures-loaded',String(ok));}
if(document.readyState==='complete'){mark();}else{window.addEventListener('load',mark);}})();
"""


@dataclass
class Report:
    """A rendered report: its header and sections as HTML; ``save`` writes the self-contained
    file and ``_repr_html_`` shows it in a notebook.

    ``facts`` (what was done: version, data, seed, ...) are shown under the title, then the
    ``banner`` (HTML; a warning that belongs at the top), then the sections."""

    title: str
    subtitle: str
    sections: list[Section]
    facts: list[tuple[str, str]] = field(default_factory=list)
    banner: str = ""
    disclosure: PublishedView | None = None  # every count as published, and the relations between them

    def header(self) -> str:
        facts = "".join(f"<dt>{esc(what)}</dt><dd>{esc(value)}</dd>" for what, value in self.facts)
        return (f'<header id="header"><h1>{esc(self.title)}</h1><p class="sxr-subtitle">{esc(self.subtitle)}</p>'
                f'<dl class="sxr-facts">{facts}</dl>{self.banner}</header>')

    def body(self) -> str:
        nav = "".join(f'<a href="#{esc(s.id)}">{esc(s.title)}</a>' for s in self.sections)
        return (f'<div class="sxr-report">{self.header()}<nav>{nav}</nav>'
                + "".join(s.html() for s in self.sections) + "</div>")

    def html(self) -> str:
        return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>"
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
