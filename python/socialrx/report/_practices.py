"""Practice league: practices ranked by cost avoided, and how many had fewer events of each kind.

Counts of practices are counts of organisations, printed as they are (never through the
disclosure registry, which would treat "42 of 43" as people); the counts of people beside a
practice are the ones "Who was referred" and "Cost avoidance" publish, keyed the same.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import _plots
from .._measures import kind_label
from ..practices import rank
from ._cost import ALL_PRACTICES, practice_did, published_practice_clients, published_practice_reach
from ._html import (
    DASH,
    Section,
    count_text,
    html_figure,
    html_table,
    missing,
    money_text,
    notice,
    paragraph,
    with_interval,
)
from ._published import Builder

_LEAGUE_SIZE = 20  # the figure shows the top practices; the table lists them all


def practices_section(b: Builder) -> Section:
    section = Section("practices", "Practice league")
    if not (b.by_practice and b.has_events):
        section.parts.append(notice("The practice league needs a practice column in the clients table and events."))
        return section
    result = b.practices()
    section.parts.append(paragraph(
        f"Per GP practice, over the {result.window.text} either side of the index date. Counts of practices are "
        "counts of organisations, not people, and are shown as they are; the counts of people beside a practice "
        "keep disclosure control, and its money is shown only where its clients are."))
    section.parts.append(_directions(result.directions()))
    section.parts.append(paragraph(" ".join(f"{line}." for line in result.direction_sentences())))
    if "rank" not in result.table:
        section.parts.append(notice("Ranking practices by cost avoided needs a tariff (Evaluation(tariff=...))."))
        return section
    league = _league(b, result.table)
    section.parts.append(html_table(league.drop(columns="_pence"), "Practices ranked by naive cost avoided",
                                    note="Rank 1: the greatest naive cost avoided. The matched DiD per practice "
                                         "rests on few matched sets: read its interval before its point estimate."))
    shown = league[league["_pence"].notna()].head(_LEAGUE_SIZE)
    if len(shown):
        section.parts.append(_figure(shown, result.window.text))
        top = shown.index[0]
        section.parts.append(paragraph(
            f"The practice with the greatest naive cost avoidance: {top}, {league.loc[top, 'naive avoided']} (from "
            f"{league.loc[top, 'referred']} referrals, of which {league.loc[top, 'connected']} supported)."))
    return section


def _directions(directions: pd.DataFrame) -> str:
    """Practices with fewer, the same or more events of each kind (and group): counts of
    organisations, printed without suppression."""
    frame = directions.apply(lambda column: column.map(lambda n: f"{int(n):,}"))
    frame.index = [kind_label(kind) for kind in directions.index]
    return html_table(frame, "Practices with fewer, the same or more events after than before (naive)")


def _league(b: Builder, table: pd.DataFrame) -> pd.DataFrame:
    """The league as printed, in rank order: the practices' published people, naive money where
    their clients are published, the matched DiD where its matched clients are."""
    reach = published_practice_reach(b)
    clients = published_practice_clients(b, table["clients"])
    did = practice_did(b, list(table.index)) or {}
    hidden = pd.Series([missing(clients[p]) or table.loc[p, "clients"] == 0 for p in table.index], index=table.index)
    # Ranked among the practices whose money is printed: a rank among hidden money would bound it.
    ranks = rank(table["avoided_pence"], ~hidden)
    rows = {}
    for practice in ranks.sort_values(kind="stable").index:
        row = table.loc[practice]
        record: dict[str, Any] = {
            "rank": DASH if missing(ranks[practice]) else _ordinal(int(ranks[practice])),
            "referred": count_text(reach["referred"].get(practice, pd.NA)),
            "connected": count_text(reach["connected"].get(practice, pd.NA)),
            "in window": count_text(clients[practice]),
            "naive avoided": DASH if hidden[practice] else money_text(row["avoided_pence"]),
            "naive per client": DASH if hidden[practice] else money_text(row["avoided_per_client_pence"]),
            "_pence": pd.NA if hidden[practice] else row["avoided_pence"],
        }
        if did:
            matched, interval = did.get(practice, (pd.NA, None))
            record["matched DiD per client"] = (DASH if interval is None or missing(matched)
                                                else with_interval(*interval, money_text))
        rows[practice] = record
    return pd.DataFrame.from_dict(rows, orient="index").drop(index=ALL_PRACTICES, errors="ignore")


def _ordinal(rank: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st: a rank reads as a place, not as a count of people."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


def _figure(shown: pd.DataFrame, window: str) -> str:
    pounds = [float(p) / 100 for p in shown["_pence"]]
    return html_figure(
        _plots.grouped_bars(list(shown.index), {"naive cost avoided": pounds},
                            f"Practices ranked by naive cost avoided, {window}", "naive cost avoided (£)",
                            horizontal=True),
        "practice_league", f"The {len(shown)} practices with the greatest naive cost avoided (practices whose "
                           "clients are suppressed left out).")
