"""Trends: referrals per month with the recent change as a rate ratio, and year on year.

Every count is published through the report's disclosure control: each month's referrals is a
part of its financial year's referrals (the Reach section's table), and each financial year's
clients and events are parts of the whole service's (the Health service use section's), so no
hidden count can be worked out from a total printed elsewhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import _plots
from .._measures import WindowSpec, kind_label, percent_change
from ..periods import NOT_CONNECTED, RULES, period_labels
from ..summary import HEADLINE_KINDS
from ..trends import TrendResult, rate_ratio
from ._html import (
    DASH,
    SUPPRESSION_NOTE,
    Section,
    count_text,
    heading,
    html_figure,
    html_table,
    missing,
    notice,
    number_text,
    paragraph,
    per_client_text,
    signed_percent,
    with_interval,
)
from ._published import TOTAL, Builder, Key, published_parts

LAST_MONTHS = 3
YEAR = "financial_year"


def trends_section(b: Builder) -> Section:
    section = Section("trends", "Trends")
    section.parts.extend(_referrals_by_month(b))
    section.parts.append(heading("Year on year"))
    section.parts.append(paragraph(
        f"Referrals go {RULES['referral_date']}; health service use goes {RULES['index_date']}. A year the data "
        "end within is a part year and is not compared."))
    section.parts.append(_reach_by_year(b))
    if b.has_events:
        section.parts.append(_use_by_year(b, b.last))
    return section


# ----------------------------------------------------------------- referrals per month
def _referrals_by_month(b: Builder) -> list[str]:
    try:
        result = b.ev.trend("referrals", by="month", last=LAST_MONTHS)
    except ValueError as error:
        return [notice(f"No trend of referrals is shown: {error}.")]
    table = result.table
    counts = _published_months(b, table)
    headline, detail = result.summary().splitlines()
    hidden = any(missing(count) for count, which in zip(counts, table["compared"]) if which)
    statement = (headline if not hidden
                 else f"The last {LAST_MONTHS} months against the {LAST_MONTHS} before are not compared here: a "
                      "month's count is suppressed")
    return [
        paragraph(f"Referrals per month. The last {LAST_MONTHS} complete months are compared with the "
                  f"{LAST_MONTHS} before as a rate ratio with its exact 95% interval (the conditional binomial "
                  "method): an interval that includes 1 means the change may be chance."),
        html_figure(_plots.series(list(table["month"]), counts, list(table["compared"]), "Referrals per month",
                                  "referrals"), "trend_referrals",
                    f"Referrals per month: the last {LAST_MONTHS} complete months and the {LAST_MONTHS} before "
                    "them in colour."),
        paragraph(f"{statement}. {detail}"),
    ]


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[D]").astype(np.int64).astype(np.int32)


def _parts(name: Key, counts: dict[str, int], whole: Key) -> dict[str, Any]:
    """``counts`` published as ``(name, label)``, parts of the count ``whole`` (their sum)."""
    published = published_parts({(name, label): value for label, value in counts.items()},
                                (whole, sum(counts.values())))
    return {label: published[(name, label)] for label in counts}


def _published_months(b: Builder, table: pd.DataFrame) -> list[Any]:
    """Each month's referrals as published: the months of a financial year are parts of that
    year's referrals in the Reach section's table."""
    years = period_labels(_days(table["start"]), by=YEAR).astype(str).to_numpy()
    b.published_connected(YEAR)
    shown: dict[str, Any] = {}
    for year in dict.fromkeys(years):
        months = table[years == year]
        shown.update(_parts(b.key("trend", "referrals", "month"),
                            {str(m): int(c) for m, c in zip(months["month"], months["count"])},
                            (b.key("reach", YEAR), year, TOTAL)))
    return [shown[m] for m in table["month"]]


# ----------------------------------------------------------------- year on year
def _year_trend(b: Builder) -> TrendResult | None:
    try:
        return b.ev.trend("referrals", by=YEAR, last=1)
    except ValueError:  # fewer than two complete years: no year is compared
        return None


def _reach_by_year(b: Builder) -> str:
    published = b.published_connected(YEAR).drop(index="all referrals")
    years = _year_trend(b)
    complete = set() if years is None else set(years.table.loc[years.table["complete"], YEAR])
    rows, before = {}, None
    for year, row in published.iterrows():
        change = DASH
        if year in complete and before is not None and not missing(before) and not missing(row["referred"]):
            ratio = rate_ratio(int(row["referred"]), int(before))
            change = with_interval(ratio.ratio, ratio.low, ratio.high, number_text, ratio.level)
        rows[f"{year}{'' if year in complete else ' (part year)'}"] = {
            "referred": count_text(row["referred"]), "connected": count_text(row["connected"]),
            "referrals against the year before (rate ratio)": change}
        before = row["referred"] if year in complete else None
    return html_table(pd.DataFrame(rows).T, "Referrals by NHS financial year of referral, each against the year before",
                      note=SUPPRESSION_NOTE)


def _use_by_year(b: Builder, spec: WindowSpec) -> str:
    """Per financial year of the index date: the clients in the window and each headline kind's
    events per client before and after, each count a part of the whole service's."""
    use = b.ev.utilisation(b.windows, by=YEAR)  # the report's windows: the kinds of its other tables
    use = use[use["window"] == spec.label]
    totals, _ = b.published_utilisation(spec)  # the whole service's counts, which the years' add up to
    b.published_in_window(spec)
    every_year = use.drop_duplicates(YEAR).set_index(YEAR)["clients"]
    clients = _parts(b.key("clients by year", spec.label), {str(y): int(n) for y, n in every_year.items()},
                     b.key("clients", spec.label, "included"))
    years = [y for y, n in every_year.items() if y != NOT_CONNECTED and n > 0]  # a year no window covers: no row
    rows: dict[str, dict[str, str]] = {y: {"clients": count_text(clients[y])} for y in years}
    for kind in (k for k in HEADLINE_KINDS if k in totals.index):
        of_kind = use[use["kind"] == kind].set_index(YEAR)
        pre, post = (_parts(b.key("events by year", spec.label, kind, side),
                            {str(y): int(n) for y, n in of_kind[side].items()},
                            (b.key("events", spec.label), kind, side)) for side in ("pre", "post"))
        for y in years:
            rows[y][kind_label(kind)] = (f"{per_client_text(pre[y], clients[y])} → "
                                         f"{per_client_text(post[y], clients[y])} "
                                         f"({signed_percent(percent_change(pre[y], post[y]))})")
    return html_table(pd.DataFrame(rows).T,
                      f"Events per client, {spec.text} before → after the index date, by NHS financial year of the "
                      "index date (the naive change)", note=SUPPRESSION_NOTE)
