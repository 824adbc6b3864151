"""Client feedback: the shares answering yes, star ratings and the impact reported."""

from __future__ import annotations

import pandas as pd

from .. import _plots
from .._columns import normalised_labels
from .._measures import readable
from ._html import (
    FEEDBACK_LABELS,
    Section,
    count_text,
    html_figure,
    html_table,
    notice,
    percent_text,
    share_of,
)
from ._published import (
    Builder,
    published_series,
)


def feedback_section(b: Builder) -> Section:
    ev = b.ev
    section = Section("feedback", "Client feedback")
    if ev.feedback is None:
        section.parts.append(notice("No feedback table was given."))
        return section
    fb = b.published_feedback()
    shown = pd.DataFrame({
        "answered": [count_text(v) for v in fb["answered"]],
        "yes": [count_text(v) for v in fb["yes"]],
        "%": [percent_text(share_of(y, a)) for y, a in zip(fb["yes"], fb["answered"])],
    }, index=[FEEDBACK_LABELS.get(m, readable(m)) for m in fb.index])
    section.parts.append(html_table(shown, "Feedback from clients",
                                    note="answered: the forms with an answer to that question (the denominator)."))
    stars = pd.to_numeric(ev.feedback["stars"], errors="coerce").dropna().astype(int)
    star_counts = published_series(pd.Series([int((stars == s).sum()) for s in range(1, 6)],
                                             index=[f"{s} star{'s' if s > 1 else ''}" for s in range(1, 6)]),
                                   name=b.key("stars"))
    impact = normalised_labels(ev.feedback["impact"])
    impact_counts = published_series(pd.Series({level: int((impact == level).sum())
                                                for level in ("none", "some", "significant")}),
                                     name=b.key("impact"))
    b.tie_feedback()
    section.parts += ['<div class="sxr-grid">', _forms_table(star_counts, "Star ratings"),
                      _forms_table(impact_counts.rename(lambda i: i if i == "total" else f"impact: {i}"),
                                   "Impact on the client"), "</div>"]
    inner = star_counts.drop(index="total")
    section.parts.append(html_figure(
        _plots.grouped_bars(list(inner.index), {"% of forms": [share_of(v, star_counts["total"]) for v in inner]},
                            "How clients rated the service", "% of forms", percent=True),
        "stars", "Star ratings given by clients."))
    return section


def _forms_table(published: pd.Series, caption: str) -> str:
    """Published counts of forms by answer, with each one's share of the total."""
    return html_table(pd.DataFrame({"forms": [count_text(v) for v in published],
                                    "%": [percent_text(share_of(v, published["total"])) for v in published]},
                                   index=published.index), caption)
