"""The evaluation report: one self-contained HTML file for a commissioner.

``write_report(ev, "report.html")`` writes every section that published service evaluations
carry, and what they left out: the reach funnel; who was referred; the support given; client
feedback; outcomes by domain with transition tables; wellbeing; health-service use before and
after, and beside it a matched comparison (difference-in-differences with bootstrap intervals);
cost avoidance by kind and by practice; the net saving per patient; trends (referrals per month,
the recent months against the months before as a rate ratio with its exact interval, and year
on year); the quality of the data given (missing values, unknown codes, repeated ids,
linkage); and the methods and caveats (selection rule, censoring, exclusions, tariff sources
and price year).

Disclosure control: every published count of people or events is registered, with the totals
and the other tables it is tied to, in one :class:`socialrx.disclosure.Registry` for the
whole report (counts 1-4 suppressed, and secondary suppression chosen over all the tables at
once so that no suppressed count can be worked out from the rest); and every figure derived
from a count (a percentage, a rate, a bar) is shown only where the counts behind it are
published. Suppressed cells read ``*``.

Figures are PNG images drawn with matplotlib (Agg, off-screen) and embedded as ``data:`` URIs;
the CSS is inline: the file needs nothing else to display.

The package reads one way: ``_html`` (formatting) → ``_comparison`` (the match and its DiD) →
``_published`` (disclosure control, the figures sections share) → one module per section →
this module, which assembles them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union

from .._measures import Window, parse_windows
from ..disclosure import Registry
from ._comparison import Comparison, comparison_for
from ._cost import cost_section
from ._did import comparison_section
from ._equity import equity_section
from ._feedback import feedback_section
from ._funding import funding_section
from ._header import header_facts, illustrative_banner
from ._html import Report, Section
from ._methods import methods_section
from ._net import net_section
from ._outcomes import outcomes_section
from ._periods import ALL_PERIODS, periods_section
from ._practices import practices_section
from ._published import Builder, disclosure
from ._quality import quality_section
from ._reach import reach_section
from ._referred import referred_section
from ._summary import summary_section
from ._support import support_section
from ._surveys import surveys_section
from ._trends import trends_section
from ._utilisation import utilisation_section
from ._wellbeing import wellbeing_section
from ._workforce import workforce_section

if TYPE_CHECKING:  # the report renders an Evaluation's results; it never builds one
    from ..did import DiDResult
    from ..evaluation import Evaluation
    from ..matching import Match

__all__ = ["DEFAULT_TITLE", "SECTIONS", "Report", "build_report", "write_report"]

ByPeriod = Union[bool, None, Literal["side_by_side", "separate"]]
ServiceCost = Union[int, Mapping[str, int], None]
MatchOption = Union["Match", Literal[False], None]
DEFAULT_TITLE = "Social prescribing service evaluation"
SECTIONS = (
    ("summary", "Summary"),
    ("reach", "Reach"),
    ("referred", "Who was referred"),
    ("equity", "Who is reached"),
    ("support", "Support given"),
    ("feedback", "Client feedback"),
    ("surveys", "Surveys"),
    ("workforce", "Workforce and operations"),
    ("outcomes", "Outcomes by domain"),
    ("wellbeing", "Wellbeing"),
    ("utilisation", "Health service use"),
    ("comparison", "Matched comparison"),
    ("cost", "Cost avoidance"),
    ("practices", "Practice league"),
    ("net", "Net saving"),
    ("funding", "Funding"),
    ("trends", "Trends"),
    ("periods", "Year by year"),
    ("quality", "Data quality"),
    ("methods", "Methods and caveats"),
)
PERIOD_RULE = ("Reporting periods are NHS financial years (April to March) of the index date, or of the referral "
               "date for people who never connected.")


def service_cost_for(service_cost_pence: ServiceCost, period: str | None) -> int | None:
    """The cost of the service in a period: a whole-service cost belongs to all periods together;
    a period's own cost comes from a mapping {"2023/24": pence, ..., "all periods": pence}."""
    if service_cost_pence is None:
        return None
    if isinstance(service_cost_pence, Mapping):
        value = service_cost_pence.get(period or ALL_PERIODS)
        return None if value is None else int(value)
    if period is not None:
        return None
    if int(service_cost_pence) != service_cost_pence:
        raise ValueError("service_cost_pence: must be whole pence")
    return int(service_cost_pence)


def service_costs(ev: Evaluation, service_cost_pence: ServiceCost) -> ServiceCost:
    """The service cost given or, without one, the funding table's: each financial year's
    part (grants apportioned by days) and the total for all periods together."""
    if service_cost_pence is not None or ev.funding_table is None:
        return service_cost_pence
    return {**ev.funding(by="financial_year").per_period(), ALL_PERIODS: ev.funding(by="funder").total_pence}


def assemble(b: Builder, *, title: str, subtitle: str, periods: dict[str, Builder] | None,
             periods_note: str) -> Report:
    """Every section in the order of ``SECTIONS``; year by year only with ``periods``.

    Disclosure control is decided over the whole report: the sections are built once to
    register every count, suppression is chosen over all of them, and they are built again to
    print it (again while a build registers counts the one before did not)."""
    registry = Registry()
    with disclosure(registry):
        while True:
            report = _sections(b, title=title, subtitle=subtitle, periods=periods, periods_note=periods_note)
            if registry.settled:
                report.disclosure = registry.view()
                return report
            registry.protect()


def _sections(b: Builder, *, title: str, subtitle: str, periods: dict[str, Builder] | None,
              periods_note: str) -> Report:
    sections: list[Section] = [
        summary_section(b), reach_section(b), referred_section(b),
        *([equity_section(b)] if b.population is not None else []),  # only against a registered population
        support_section(b), feedback_section(b), surveys_section(b), workforce_section(b),
        outcomes_section(b), wellbeing_section(b), utilisation_section(b), comparison_section(b),
        cost_section(b), practices_section(b), net_section(b), funding_section(b), trends_section(b),
    ]
    if periods:
        sections.append(periods_section(periods))
    sections += [quality_section(b), methods_section(b, periods_note)]
    return Report(title=title, subtitle=subtitle, sections=sections, facts=header_facts(b),
                  banner=illustrative_banner(b))


def _period_builders(ev: Evaluation, windows: list[Window], service_cost_pence: ServiceCost, match: MatchOption,
                     bootstrap: int, seed: int, whole: Builder) -> dict[str, Builder]:
    """One builder per reporting period, each with its own matched comparison where the whole
    service has one, and ``whole`` for all periods together."""
    builders = {}
    for label in ev.reporting_periods():
        sub = ev.for_period(label)
        comparison = (comparison_for(sub, windows, None if match is not False else False, None, bootstrap, seed)
                      if whole.comparison.available else Comparison(note=whole.comparison.note))
        builders[label] = Builder(sub, windows=windows, service_cost_pence=service_cost_for(service_cost_pence, label),
                                  comparison=comparison, scope=label)
    builders[ALL_PERIODS] = whole
    return builders


def _produced() -> str:
    return f"Produced with socialrx on {_dt.date.today().isoformat()}."


def build_report(ev: Evaluation, *, windows: Sequence[Window] = (6, 12), by_period: ByPeriod = False,
                 service_cost_pence: ServiceCost = None, match: MatchOption = None, did: DiDResult | None = None,
                 bootstrap: int = 2000, seed: int = 1, title: str = DEFAULT_TITLE, population: Any = None) -> Report:
    """The report as an object (``.html()``, ``.save(path)``, shown in a notebook); see
    :func:`write_report` for the arguments. ``by_period="separate"`` is not possible here (it
    makes several reports): use :func:`write_report` or ``Evaluation.for_period``."""
    if by_period == "separate":
        raise ValueError("by_period: 'separate' makes one report per period; use write_report")
    if by_period not in (False, None, True, "side_by_side"):
        raise ValueError(f"by_period: must be False, 'side_by_side' or 'separate', got {by_period!r}")
    windows = [spec.argument for spec in parse_windows(windows)]
    service_cost_pence = service_costs(ev, service_cost_pence)
    whole = Builder(ev, windows=windows, service_cost_pence=service_cost_for(service_cost_pence, None),
                    comparison=comparison_for(ev, windows, match, did, bootstrap, seed), population=population)
    if by_period in (True, "side_by_side"):
        periods = _period_builders(ev, windows, service_cost_pence, match, bootstrap, seed, whole)
        subtitle = f"All reporting periods ({', '.join(ev.reporting_periods())}) and each side by side. {_produced()}"
        return assemble(whole, title=title, subtitle=subtitle, periods=periods, periods_note=PERIOD_RULE)
    return assemble(whole, title=title, subtitle=f"All reporting periods. {_produced()}", periods=None,
                    periods_note=PERIOD_RULE)


def write_report(ev: Evaluation, path: str | Path, *, windows: Sequence[Window] = (6, 12),
                 by_period: ByPeriod = False, service_cost_pence: ServiceCost = None, match: MatchOption = None,
                 did: DiDResult | None = None, bootstrap: int = 2000, seed: int = 1,
                 title: str = DEFAULT_TITLE, population: Any = None) -> Path | list[Path]:
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
            ``"side_by_side"``. Without it, the evaluation's funding table gives the cost:
            its total, and each financial year's part of it (see ``socialrx.funding``).
        match, did: an existing ``ev.match(...)`` and, optionally, its ``match.did(...)`` over
            at least these windows (a ``did`` needs the ``match`` it was run on). By default,
            with a comparison group, the report matches (``k=1, caliper=0.2``) and estimates
            the DiD itself; ``match=False`` leaves the matched comparison out. The key figures'
            matched DiD comes from ``socialrx.summary.headline`` over the same match and DiD.
        bootstrap, seed: bootstrap replicates and seed of the DiD intervals (and the match).
        title: the report's title.
        population: a registered population table (see ``socialrx.population``): with it, the
            section "Who is reached" sets referrals against the registered by IMD quintile.

    Returns:
        The path written, or with ``"separate"`` the list of paths (one per period).
    """
    path = Path(path)
    if by_period != "separate":
        report = build_report(ev, windows=windows, by_period=by_period, service_cost_pence=service_cost_pence,
                              match=match, did=did, bootstrap=bootstrap, seed=seed, title=title,
                              population=population)
        return report.save(path)
    windows = [spec.argument for spec in parse_windows(windows)]
    service_cost_pence = service_costs(ev, service_cost_pence)
    written = []
    for label in ev.reporting_periods():
        sub = ev.for_period(label)
        b = Builder(sub, windows=windows, service_cost_pence=service_cost_for(service_cost_pence, label),
                    comparison=comparison_for(sub, windows, match if match is False else None, None, bootstrap, seed),
                    population=population)
        report = assemble(b, title=f"{title}: {label}",
                          subtitle=f"Reporting period {label} (NHS financial year, April to March). {_produced()}",
                          periods=None, periods_note=PERIOD_RULE + f" This report covers {label}.")
        written.append(report.save(path.with_name(f"{path.stem}_{label.replace('/', '-')}{path.suffix}")))
    return written
