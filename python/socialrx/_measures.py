"""The definitions every published figure shares: windows, % change, whole pence (periods:
``socialrx.periods``).

Each is defined here once; the engines' wrappers, the result objects, the report, the JSON and
the console all take them from here, so no two outputs can disagree on a rounding or a sign.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import pandas as pd

from . import _core

EVENT_KINDS: tuple[str, ...] = tuple(_core.EVENT_KINDS)
Window = Union[int, float, str]

# Event kinds as a reader names them, wherever a kind is shown (report, summaries, plots).
KIND_LABELS = {
    "ae_attendance": "A&E attendances", "emergency_admission": "Emergency admissions",
    "elective_admission": "Elective admissions", "bed_days": "Bed days", "gp_surgery": "GP surgery consultations",
    "gp_telephone": "GP telephone consultations", "gp_home_visit": "GP home visits",
    "ambulance_callout": "Ambulance call-outs", "nhs111_call": "NHS 111 calls", "outpatient": "Outpatient attendances",
    # The groups of kinds shipped in data/kind_groups.json (see socialrx.kind_groups).
    "inpatient": "Inpatient admissions", "gp": "GP contacts", "hospital": "Hospital admissions and A&E attendances",
}


def readable(text: Any) -> str:
    """An identifier as words: ``emergency_admission`` → ``emergency admission``."""
    return str(text).replace("_", " ")


def kind_label(kind: Any) -> str:
    """An event kind as a reader names it: ``ae_attendance`` → ``A&E attendances``."""
    return KIND_LABELS.get(str(kind), readable(kind))


@dataclass(frozen=True)
class WindowSpec:
    """A window either side of the index date: W months is round(W x 365.25 / 12) days."""

    label: str
    months: float | None
    days: int

    @staticmethod
    def parse(window: Window) -> WindowSpec:
        """``6`` or ``6.0`` are months; ``"90d"`` is 90 days."""
        if isinstance(window, str) and window.endswith("d") and window[:-1].isdigit():
            return WindowSpec(window, None, int(window[:-1]))
        try:
            months = float(window)
        except (TypeError, ValueError):
            raise ValueError(f"windows: {window!r} is neither months (6) nor days ('183d')") from None
        if not months > 0:
            raise ValueError(f"windows: a window must be positive, got {window!r}")
        return WindowSpec(f"{months:g}m", months, _core.window_days(months))

    @property
    def argument(self) -> Window:
        """The window as the API takes it back (months as a number, days as ``"90d"``)."""
        return self.label if self.months is None else self.months

    @property
    def text(self) -> str:
        """``"12 months"`` or ``"90 days"``, for sentences."""
        return f"{self.days} days" if self.months is None else f"{self.months:g} months"


def parse_windows(windows: Window | Sequence[Window]) -> list[WindowSpec]:
    """One window or several, checked."""
    if isinstance(windows, (str, int, float)):
        windows = [windows]
    specs = [WindowSpec.parse(w) for w in windows]
    if not specs:
        raise ValueError("windows: at least one window is needed")
    return specs


def percent_change(before: Any, after: Any) -> Any:
    """100 x (after - before) / before; NaN where before is 0 or either is missing (undefined,
    not 0 or inf). Arrays in, an array out; scalars in, a float out."""
    scalar = np.ndim(before) == 0 and np.ndim(after) == 0
    b = _floats(before)
    a = _floats(after)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(b > 0, 100.0 * (a - b) / b, np.nan)
    return float(change) if scalar else change


def _floats(values: Any) -> np.ndarray:
    """Numbers as float64, with pandas' <NA> as NaN."""
    if values is None or values is pd.NA:
        return np.asarray(np.nan)
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)


def per_client(total: Any, clients: Any) -> Any:
    """total / clients; NaN where there are no clients."""
    t = _floats(total)
    n = _floats(clients)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, t / np.maximum(n, 1), np.nan)
    return float(rate) if np.ndim(rate) == 0 else rate


def whole_pence(value: Any) -> int | None:
    """Pence rounded half away from zero, as the C++ money arithmetic rounds (``round()`` in
    Python rounds half to even); None where the value is missing or not finite."""
    if value is None or value is pd.NA:
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return int(math.copysign(math.floor(abs(number) + 0.5), number))


def pence_per(total_pence: int, count: int) -> int | None:
    """Whole pence per person, exactly in integers, rounded half away from zero."""
    if count <= 0:
        return None
    quotient, remainder = divmod(abs(int(total_pence)), int(count))
    quotient += 2 * remainder >= count
    return quotient if total_pence >= 0 else -quotient
