"""The report's header: what was done (version, data range, seed, bootstrap, tariff), and the
banner when the prices are the illustrative example's."""

from __future__ import annotations

from .._version import __version__
from ..tariff import ILLUSTRATIVE_WARNING, is_illustrative
from ._comparison import Comparison
from ._html import day_text, esc
from ._published import Builder

Facts = list[tuple[str, str]]


def header_facts(b: Builder) -> Facts:
    """(what, value) pairs shown right under the title."""
    tariff = f"{b.tariff.name}, prices of {b.tariff.price_year}" if b.ev.tariff is not None else "none given"
    return [("socialrx", __version__),
            ("Data", f"{day_text(b.ev.data_start)} – {day_text(b.ev.data_end)}"),
            ("Seed", _seed_text(b.comparison)),
            ("Bootstrap replicates", _replicates_text(b.comparison)),
            ("Tariff", tariff)]


def _seed_text(comparison: Comparison) -> str:
    """The seed of the matching and of the bootstrap, one number where they are the same."""
    if comparison.match is None:
        return f"{comparison.seed} (no matched comparison)"
    matching = int(comparison.match.options["seed"])
    if matching == comparison.bootstrap_seed:
        return f"{matching} (matching and bootstrap)"
    return f"{matching} (matching), {comparison.bootstrap_seed} (bootstrap)"


def _replicates_text(comparison: Comparison) -> str:
    return f"{comparison.replicates:,}" if comparison.available else "none (no matched comparison)"


def illustrative_banner(b: Builder) -> str:
    """The warning at the top of a report priced with the illustrative example tariff."""
    if b.ev.tariff is None or not is_illustrative(b.tariff):
        return ""
    return (f'<p class="sxr-callout sxr-warning"><strong>Illustrative prices.</strong> '
            f"{esc(ILLUSTRATIVE_WARNING)}</p>")
