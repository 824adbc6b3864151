"""Optional dependencies: each is imported where it is first needed, and its absence is an
ImportError that says which extra brings it in."""

from __future__ import annotations

import importlib
from types import ModuleType

REPORT_INSTALL = "pip install 'socialrx[report]'"


def require(module: str, needed_for: str, *, extra: str = "report") -> ModuleType:
    """``module`` of ``extra``, or an ImportError naming that extra and what needs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        package = module.split(".")[0]
        install = REPORT_INSTALL if extra == "report" else f"pip install 'socialrx[{extra}]'"
        raise ImportError(f"{needed_for} with {package}, which is not installed: {install}",
                          name=package) from error


def require_matplotlib() -> ModuleType:
    """matplotlib (the report's figures), or an ImportError naming the ``report`` extra."""
    return require("matplotlib", "socialrx's report draws its figures")
