"""The report's figures: matplotlib figures drawn off-screen (Agg), returned as PNG bytes.

Every function takes published values only (disclosure control already applied): a suppressed
value arrives as ``None``/NaN/<NA> and is drawn as a gap marked ``*``, never as its value.
Figures are made with ``matplotlib.figure.Figure`` directly, so drawing a report never changes
the pyplot backend of the session (a notebook keeps its inline plots). Only ``forest``, behind a
result's ``plot()``, draws on pyplot, and only when given no Axes: a notebook then shows it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np
import pandas as pd

from ._optional import require_matplotlib

BLUE, ORANGE, GREY, GREEN, RED, PALE = "#1f5f8b", "#e07b39", "#9aa5ad", "#3b8f5a", "#b8403a", "#d9e2e8"
STEP_COLOURS = (RED, "#e9b949", GREEN)  # not managing, getting support, managing
SUPPRESSED_NOTE = "* suppressed (disclosure control)"


def _figure(width: float = 7.2, height: float = 3.4) -> Any:
    require_matplotlib()  # every figure starts here: without matplotlib, say how to install it
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=110)
    figure.patch.set_facecolor("white")
    return figure


def _png(figure: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", facecolor="white")
    return buffer.getvalue()


def _values(values: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Floats with hidden values as 0, and the mask of hidden values."""
    out = np.array([np.nan if v is None or v is pd.NA or _isnan(v) else float(v) for v in values], float)
    hidden = np.isnan(out)
    return np.where(hidden, 0.0, out), hidden


def _isnan(value: Any) -> bool:
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


def _tidy(axes: Any) -> None:
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    axes.tick_params(labelsize=8)


def _note(figure: Any, hidden: bool) -> None:
    if hidden:
        figure.text(0.99, 0.005, SUPPRESSED_NOTE, ha="right", va="bottom", fontsize=7, color="#555")


def funnel(labels: Sequence[str], values: Sequence[Any], title: str) -> bytes:
    """Horizontal bars, first stage on top, each labelled with its count."""
    counts, hidden = _values(values)
    figure = _figure(7.2, 0.45 * len(labels) + 1.0)
    axes = figure.add_subplot()
    y = np.arange(len(labels))[::-1]
    axes.barh(y, counts, color=[BLUE if i == 0 else ORANGE for i in range(len(labels))], height=0.65)
    top = counts.max() if len(counts) and counts.max() > 0 else 1
    for yi, count, gone in zip(y, counts, hidden):
        axes.text(count + top * 0.01, yi, "*" if gone else f"{count:,.0f}", va="center", fontsize=8)
    axes.set_yticks(y, labels)
    axes.set_xlim(0, top * 1.15)
    axes.set_title(title, fontsize=10, loc="left")
    _tidy(axes)
    _note(figure, bool(hidden.any()))
    return _png(figure)


def grouped_bars(categories: Sequence[str], series: dict[str, Sequence[Any]], title: str, ylabel: str = "",
                 *, horizontal: bool = False, percent: bool = False, width: float = 7.2,
                 height: float = 3.2, colours: Sequence[str] = (BLUE, ORANGE, GREEN, GREY)) -> bytes:
    """Bars per category, one colour per series; hidden values are gaps marked '*'."""
    figure = _figure(width, height if not horizontal else max(height, 0.32 * len(categories) * max(1, len(series)) + 1))
    axes = figure.add_subplot()
    n = max(1, len(series))
    step = 0.8 / n
    positions = np.arange(len(categories))
    any_hidden = False
    for i, (name, values) in enumerate(series.items()):
        heights, hidden = _values(values)
        any_hidden |= bool(hidden.any())
        offset = positions - 0.4 + step * (i + 0.5)
        if horizontal:
            axes.barh(-offset, heights, height=step * 0.95, label=name, color=colours[i % len(colours)])
            for o, gone in zip(offset, hidden):
                if gone:
                    axes.text(0, -o, " *", va="center", fontsize=8)
        else:
            axes.bar(offset, heights, width=step * 0.95, label=name, color=colours[i % len(colours)])
            for o, gone in zip(offset, hidden):
                if gone:
                    axes.text(o, 0, "*", ha="center", va="bottom", fontsize=9)
    if horizontal:
        axes.set_yticks(-positions, categories)
        axes.set_xlabel(ylabel, fontsize=8)
        if percent:
            axes.xaxis.set_major_formatter(_percent_formatter())
    else:
        axes.set_xticks(positions, categories, rotation=30 if max(map(len, categories), default=0) > 8 else 0,
                        ha="right" if max(map(len, categories), default=0) > 8 else "center")
        axes.set_ylabel(ylabel, fontsize=8)
        if percent:
            axes.yaxis.set_major_formatter(_percent_formatter())
    if len(series) > 1:
        axes.legend(fontsize=8, frameon=False)
    axes.set_title(title, fontsize=10, loc="left")
    _tidy(axes)
    _note(figure, any_hidden)
    return _png(figure)


def _percent_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:.0f}%")


def heatmap(labels: Sequence[str], matrix: Sequence[Sequence[Any]], title: str) -> bytes:
    """A square table of counts as shades, each cell labelled; hidden cells grey with '*'."""
    values = np.array([_values(row)[0] for row in matrix], float)
    hidden = np.array([_values(row)[1] for row in matrix], bool)
    figure = _figure(6.4, 5.2)
    axes = figure.add_subplot()
    shown = np.ma.masked_array(values, hidden)
    from matplotlib import colormaps

    axes.imshow(shown, cmap=colormaps["Blues"].with_extremes(bad=PALE))
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            text = "*" if hidden[i, j] else f"{values[i, j]:,.0f}"
            dark = not hidden[i, j] and values[i, j] > 0.6 * max(values.max(), 1)
            axes.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black")
    pretty = [label.replace("_", " ") for label in labels]
    axes.set_xticks(range(len(labels)), pretty, rotation=40, ha="right", fontsize=8)
    axes.set_yticks(range(len(labels)), pretty, fontsize=8)
    axes.set_title(title, fontsize=10, loc="left")
    _note(figure, bool(hidden.any()))
    return _png(figure)


def before_after_steps(domains: Sequence[str], before: Sequence[Sequence[Any]], after: Sequence[Sequence[Any]],
                       steps: Sequence[str], title: str) -> bytes:
    """Per domain, two 100% bars (before, after) split into the scale's steps; a share that
    cannot be published is drawn as a hatched grey remainder."""
    figure = _figure(7.6, 3.8)
    axes = figure.add_subplot()
    x = np.arange(len(domains))
    any_hidden = False
    for side, rows, shift in (("before", before, -0.2), ("after", after, 0.2)):
        bottom = np.zeros(len(domains))
        for s, name in enumerate(steps):
            shares, hidden = _values([row[s] for row in rows])
            any_hidden |= bool(hidden.any())
            axes.bar(x + shift, shares, width=0.36, bottom=bottom, color=STEP_COLOURS[s % 3],
                     label=name if side == "before" else None, edgecolor="white", linewidth=0.5)
            bottom += shares
        rest = np.clip(100.0 - bottom, 0, None)
        if (rest > 0.5).any():
            axes.bar(x + shift, rest, width=0.36, bottom=bottom, color=PALE, hatch="///", edgecolor=GREY,
                     linewidth=0.3, label="suppressed" if side == "before" and not any_hidden else None)
            any_hidden = True
        for xi in x:
            axes.text(xi + shift, 101, "B" if side == "before" else "A", ha="center", fontsize=7, color="#444")
    axes.set_xticks(x, domains, rotation=20, ha="right")
    axes.set_ylim(0, 108)
    axes.yaxis.set_major_formatter(_percent_formatter())
    axes.set_ylabel("% of clients (B = baseline, A = follow-up)", fontsize=8)
    axes.legend(fontsize=8, frameon=False, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.28))
    axes.set_title(title, fontsize=10, loc="left")
    _tidy(axes)
    _note(figure, any_hidden)
    return _png(figure)


# name -> (points, interval lows or None, interval highs or None)
EstimateSeries = dict[str, tuple[Sequence[Any], Optional[Sequence[Any]], Optional[Sequence[Any]]]]


def estimates(labels: Sequence[str], series: EstimateSeries, title: str, xlabel: str, *,
              money: bool = False) -> bytes:
    """Point estimates with optional intervals, one row per label, one marker per series
    (e.g. the naive before/after change and the matched difference-in-differences)."""
    figure = _figure(7.2, _estimates_height(len(labels), len(series)))
    _draw_estimates(figure.add_subplot(), labels, series, title, xlabel, money=money)
    return _png(figure)


def forest(labels: Sequence[str], series: EstimateSeries, title: str, xlabel: str, *, ax: Any = None) -> Any:
    """The same drawing on ``ax``, or on a new pyplot figure (so that a notebook shows it, as
    pandas' and statsmodels' plots are shown); returns the Axes. For result objects' plot()."""
    if ax is None:
        require_matplotlib()
        from matplotlib import pyplot

        _, ax = pyplot.subplots(figsize=(7.2, _estimates_height(len(labels), len(series))))
    return _draw_estimates(ax, labels, series, title, xlabel)


def _estimates_height(rows: int, series: int) -> float:
    return 0.26 * rows * (1 + 0.25 * max(0, series - 1)) + 1.3


def _draw_estimates(axes: Any, labels: Sequence[str], series: EstimateSeries, title: str, xlabel: str, *,
                    money: bool = False) -> Any:
    """Per series, its points as markers and its intervals (where given) as horizontal bars,
    the series side by side on each label's row; a line at 0."""
    y = np.arange(len(labels))[::-1].astype(float)
    colours = (ORANGE, BLUE, GREEN)
    markers = ("s", "o", "D")
    n = len(series)
    for i, (name, (points, low, high)) in enumerate(series.items()):
        values, hidden = _values(points)
        offset = y + (0.18 * (n - 1) / 2 - 0.18 * i)
        keep = ~hidden
        if low is not None and high is not None:
            lo, lo_hidden = _values(low)
            hi, hi_hidden = _values(high)
            bars = keep & ~lo_hidden & ~hi_hidden
            axes.hlines(offset[bars], lo[bars], hi[bars], color=colours[i % 3], linewidth=1.6)
        axes.plot(values[keep], offset[keep], markers[i % 3], color=colours[i % 3], label=name, markersize=5)
    axes.axvline(0, color="#333", linewidth=0.8)
    axes.set_yticks(y, [label.replace("_", " ") for label in labels])
    axes.set_xlabel(xlabel, fontsize=8)
    if money:
        from matplotlib.ticker import FuncFormatter

        axes.xaxis.set_major_formatter(FuncFormatter(
            lambda value, _: f"{'−' if value < 0 else ''}£{abs(value):,.0f}"))
    axes.legend(fontsize=8, frameon=False, loc="best")
    axes.set_title(title, fontsize=10, loc="left")
    _tidy(axes)
    return axes


def balance(covariates: Sequence[str], before: Sequence[Any], after: Sequence[Any], title: str) -> bytes:
    """Standardised mean differences before and after matching (a 'love plot')."""
    figure = _figure(6.4, 0.34 * len(covariates) + 1.3)
    axes = figure.add_subplot()
    y = np.arange(len(covariates))[::-1]
    b, _ = _values(before)
    a, _ = _values(after)
    axes.plot(np.abs(b), y, "s", color=ORANGE, label="all comparison patients")
    axes.plot(np.abs(a), y, "o", color=BLUE, label="matched")
    axes.axvline(0.1, color=GREY, linestyle="--", linewidth=0.8)
    axes.set_yticks(y, [c.replace("_", " ") for c in covariates])
    axes.set_xlabel("|standardised mean difference| (dashed: 0.1)", fontsize=8)
    axes.legend(fontsize=8, frameon=False)
    axes.set_title(title, fontsize=10, loc="left")
    _tidy(axes)
    return _png(figure)


SERIES_COLOURS = {"recent": ORANGE, "before": BLUE, "": GREY}  # the periods a trend compares


def series(labels: Sequence[str], values: Sequence[Any], compared: Sequence[str], title: str, ylabel: str) -> bytes:
    """A count per period as bars, those compared ("recent", "before") coloured; hidden values
    are gaps marked '*'."""
    figure = _figure(7.2, 3.2)
    _draw_series(figure.add_subplot(), labels, values, compared, title, ylabel)
    _note(figure, bool(_values(values)[1].any()))
    return _png(figure)


def series_on(labels: Sequence[str], values: Sequence[Any], compared: Sequence[str], title: str, ylabel: str, *,
              ax: Any = None) -> Any:
    """The same drawing on ``ax``, or on a new pyplot figure; returns the Axes (for plot())."""
    if ax is None:
        require_matplotlib()
        from matplotlib import pyplot

        _, ax = pyplot.subplots(figsize=(7.2, 3.2))
    return _draw_series(ax, labels, values, compared, title, ylabel)


def _draw_series(axes: Any, labels: Sequence[str], values: Sequence[Any], compared: Sequence[str], title: str,
                 ylabel: str) -> Any:
    heights, hidden = _values(values)
    positions = np.arange(len(labels))
    axes.bar(positions, heights, width=0.8, color=[SERIES_COLOURS.get(c, GREY) for c in compared])
    for x in positions[hidden]:
        axes.text(x, 0, "*", ha="center", va="bottom", fontsize=9)
    step = max(1, len(labels) // 12)  # at most about a dozen tick labels
    axes.set_xticks(positions[::step], list(labels)[::step], rotation=30, ha="right")
    axes.set_ylabel(ylabel, fontsize=8)
    from matplotlib.patches import Patch

    axes.legend(handles=[Patch(color=SERIES_COLOURS[c], label=f"{c} (compared)") for c in ("before", "recent")],
                fontsize=8, frameon=False)
    axes.set_title(title, fontsize=9, loc="left")
    _tidy(axes)
    return axes
