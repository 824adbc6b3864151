"""Optional dependencies: each is imported where it is first needed, and its absence is an
ImportError that says which extra brings it in."""

from __future__ import annotations

import importlib
from types import ModuleType

REPORT_INSTALL = "pip install 'socialrx[report]'"


def require_matplotlib() -> ModuleType:
    """matplotlib (the report's figures), or an ImportError naming the ``report`` extra."""
    try:
        return importlib.import_module("matplotlib")
    except ImportError as error:
        raise ImportError(
            f"socialrx's report draws its figures with matplotlib, which is not installed: {REPORT_INSTALL}",
            name="matplotlib",
        ) from error
