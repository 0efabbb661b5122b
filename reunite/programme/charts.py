"""The programme page's charts: SVG drawn on the server by matplotlib, read without JavaScript.

Each chart has a text table under it on the page (the same figures), so a screen reader
loses nothing. Figures are built with `matplotlib.figure.Figure`, never pyplot, whose global
state is not safe across a web server's threads.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence

from django.utils import formats
from django.utils.translation import gettext as _
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Okabe and Ito's palette: told apart by people with any common colour-vision deficiency.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
WIDTH, HEIGHT = 7.2, 3.2
# matplotlib writes a <style> block; the image is served on its own, but nothing in it
# needs that block (it only sets line joins), so it is dropped and no policy must allow it.
_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def _svg(figure: Figure) -> bytes:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return _STYLE.sub("", out.getvalue()).encode()


def _figure(title: str, height: float = HEIGHT) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, height))
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def chart_months(
    *,
    title: str,
    months: Sequence[dt.date],
    series: dict[str, Sequence[int]],
    line: tuple[str, Sequence[int]] | None = None,
) -> bytes:
    """Bars side by side for each month, one colour per series; `line` (a label and one
    value a month) is drawn over them in black with dots, so it reads without colour."""
    figure, axes = _figure(title)
    count = max(len(series), 1)
    width = 0.8 / count
    positions = range(len(months))
    for i, (label, values) in enumerate(series.items()):
        axes.bar(
            [p + (i - (count - 1) / 2) * width for p in positions],
            values,
            width=width,
            label=label,
            color=COLOURS[i % len(COLOURS)],
        )
    if line is not None:
        axes.plot(list(positions), line[1], color="#000000", marker="o", label=line[0])
    axes.set_xticks(list(positions))
    axes.set_xticklabels(
        [formats.date_format(m, "M y") for m in months], rotation=45, ha="right", fontsize=8
    )
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Under the plot, clear of the bars (and of the month labels).
    axes.legend(
        fontsize=8,
        frameon=False,
        ncols=min(count + (line is not None), 3),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
    )
    return _svg(figure)


def chart_bars(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    unit: str = "",
    missing: str = "",
) -> bytes:
    """Horizontal bars, one a label; a value of None is said in words (`missing`)."""
    figure, axes = _figure(title, height=0.5 + 0.45 * max(len(labels), 2))
    shown = [v or 0 for v in values]
    rows = list(range(len(labels)))[::-1]
    axes.barh(rows, shown, color=COLOURS[0], height=0.6)
    axes.set_yticks(rows)
    axes.set_yticklabels(labels, fontsize=9)
    top = max([*shown, 1])
    for row, value in zip(rows, values, strict=True):
        words = (missing or _("too few to show")) if value is None else _number(value, unit)
        axes.text(value or 0, row, f" {words}", va="center", fontsize=8)
    axes.set_xlim(0, top * 1.3)
    return _svg(figure)


def _number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.0%}"
    if unit == "days":
        return _("%(days)s days") % {"days": formats.number_format(value, 1)}
    return f"{value:g}"
