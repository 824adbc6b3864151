"""socialrx: evaluate social prescribing services.

Reach, outcomes across domains, health-service use before and after support, cost avoidance
in exact pence, and synthetic services with a known true effect. Tables go in as pandas
DataFrames (or Arrow tables) and results come out as DataFrames.
"""

from __future__ import annotations

try:
    from . import _core as _core  # re-exported: socialrx._core is part of the typed surface
except ImportError as error:  # pragma: no cover - only without a build
    raise ImportError(
        "socialrx's compiled core (socialrx._core) is missing: install the package with "
        "'pip install .' from the source tree, which builds it"
    ) from error

from . import extracts, linkage, population, risk
from ._version import __version__
from .evaluation import EVENT_KINDS, Evaluation, WindowSpec
from .outcomes import Framework, domain_outcomes, load_framework, transitions, wellbeing
from .summary import Headline, headline
from .support import feedback_summary, outward_referrals, phb_breaches, spend, support_summary, suppress
from .synthetic import PartitionedParquet, SyntheticService, synthetic, synthetic_parquet
from .tariff import Tariff, load_tariff, tariff_table
from .trends import PeriodComparison, RateRatio, TrendResult, rate_ratio

__all__ = [
    "EVENT_KINDS",
    "__version__",
    "Evaluation",
    "Framework",
    "Headline",
    "PartitionedParquet",
    "PeriodComparison",
    "RateRatio",
    "SyntheticService",
    "Tariff",
    "TrendResult",
    "WindowSpec",
    "domain_outcomes",
    "extracts",
    "feedback_summary",
    "headline",
    "load_framework",
    "linkage",
    "population",
    "load_tariff",
    "risk",
    "outward_referrals",
    "phb_breaches",
    "rate_ratio",
    "spend",
    "suppress",
    "support_summary",
    "synthetic",
    "synthetic_parquet",
    "tariff_table",
    "transitions",
    "wellbeing",
]
