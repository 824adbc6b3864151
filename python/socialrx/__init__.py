"""socialrx: evaluate social prescribing services.

Reach, outcomes across domains, health-service use before and after support, cost avoidance
in exact pence, and synthetic services with a known true effect. Tables go in as pandas
DataFrames (or Arrow tables) and results come out as DataFrames.
"""

from __future__ import annotations

try:
    from . import _core
except ImportError as error:  # pragma: no cover - only without a build
    raise ImportError(
        "socialrx's compiled core (socialrx._core) is missing: install the package with "
        "'pip install .' from the source tree, which builds it"
    ) from error

EVENT_KINDS: tuple[str, ...] = tuple(_core.EVENT_KINDS)

__all__ = ["EVENT_KINDS"]
__version__ = "0.1.0"
