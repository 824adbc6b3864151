"""Health service use: events before and after the index date, naive beside the matched DiD."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from .._measures import WindowSpec, kind_label, per_client, percent_change
from ..kind_groups import resolve_groups
from ._comparison import did_pct_text
from ._html import (
    DASH,
    SUPPRESSION_NOTE,
    Section,
    count_text,
    html_figure,
    html_table,
    notice,
    paragraph,
    per_client_text,
    signed_percent,
)
from ._published import (
    Builder,
)


def utilisation_section(b: Builder) -> Section:
    section = Section("utilisation", "Health service use")
    if not b.has_events:
        section.parts.append(notice("No events table (or data range) was given, so health service use is not "
                                    "reported."))
        return section
    section.parts.append(paragraph(
        "Events in the window before the index date (the day support started) and in the window after it, over the "
        "clients whose data cover both windows. This is the naive before/after comparison that service reports "
        "usually quote: it includes regression to the mean."))
    section.parts.extend(_use_table(b, spec) for spec in b.specs)
    spec = b.last
    published, clients = b.published_utilisation(spec)
    kinds = list(published.index)
    before = [per_client(published.loc[k, "pre"], clients) for k in kinds]
    after = [per_client(published.loc[k, "post"], clients) for k in kinds]
    section.parts.append(html_figure(
        _plots.grouped_bars([kind_label(k) for k in kinds], {"before": before, "after": after},
                            f"Events per client, {spec.text} before and after", "events per client",
                            horizontal=True),
        "utilisation_rates", f"Events per client in the {spec.text} before and after the index date."))
    return section


def _use_table(b: Builder, spec: WindowSpec) -> str:
    """One window's events before and after per kind, the naive change and the matched DiD."""
    published, clients = b.published_utilisation(spec)
    did, matched_groups = b.comparison.rows(spec), b.matched_groups(spec)
    if did is not None and matched_groups is not None:
        did = pd.concat([did, matched_groups])
    table = {}
    subtotals = b.published_groups(spec)
    for kind in [*published.index, *subtotals.index]:
        counts = published if kind in published.index else subtotals
        pre, post = counts.loc[kind, "pre"], counts.loc[kind, "post"]
        record = {
            "before": count_text(pre), "after": count_text(post),
            "naive change": signed_percent(percent_change(pre, post)),
            "per client before": per_client_text(pre, clients),
            "per client after": per_client_text(post, clients),
        }
        if did is not None:
            record["matched DiD"] = did_pct_text(did.loc[kind]) if kind in did.index else DASH
        table[kind_label(kind) + (SUBTOTAL if kind in subtotals.index else "")] = record
    caption = f"{spec.text} ({spec.days} days) either side of the index date: {count_text(clients)} clients"
    note = f"Subtotals add up the kinds of a group ({groups_text(b)})." if len(subtotals) else ""
    if spec is b.last:
        note = f"{note} {SUPPRESSION_NOTE}".strip()
    return html_table(pd.DataFrame(table).T, caption, note=note or None)


SUBTOTAL = " (subtotal)"


def groups_text(b: Builder) -> str:
    """The groups of kinds the report subtotals, with their kinds, for a table's note."""
    return "; ".join(f"{kind_label(name)}: {', '.join(kind_label(k) for k in kinds)}"
                     for name, kinds in resolve_groups(True, b.ev.kind_groups).items())
