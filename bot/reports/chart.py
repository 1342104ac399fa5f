"""The report's chart: touchpoints per week by department, and follow-ups kept on time vs late, as a PNG.

`render_chart(ChartSpec(...))` is the whole interface: the caller (the report) counts, this module only
draws. matplotlib is imported inside the functions that draw, never when `bot.reports` is imported, so
`/log` and a fresh `serve` worker never pay for it (tests/reports/test_chart.py checks). It draws on a
`Figure` with the non-GUI Agg canvas and no pyplot, so there is no global figure state to share between
threads and no display is ever looked for.

Made for Slack's preview: 800×500 px at 100 dpi, no text under 10 pt, the Okabe–Ito palette (safe for
the common kinds of colour blindness) with late follow-ups hatched as well as coloured. A period without
a touchpoint is drawn as a picture that says so, never as empty axes.
"""

from __future__ import annotations

import io
import math
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["ChartSpec", "build_figure", "render_chart"]

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 5.0, 100  # 800 × 500 px: what Slack shows without opening the image
TITLE_PT, TEXT_PT = 12, 10

# Okabe & Ito, "Color Universal Design" (2008), without its black (kept for text), in the order departments
# take them (by touchpoints, most first); yellow last because it is faint on white.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442")
OTHER_COLOUR = "#999999"
ON_TIME_COLOUR, LATE_COLOUR = "#0072B2", "#D55E00"
LATE_HATCH = "///"
OTHER_DEPARTMENTS = "Other departments"

NO_TOUCHPOINTS = "No touchpoints in this period"
NO_FOLLOW_UPS = "No follow-ups fell due in this period"
# Above this many weeks, bar totals would overlap; the axis still reads.
MOST_WEEKS_LABELLED = 13
MOST_TICK_LABELS = 10
LEGEND_LABEL_CHARS = 20
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class ChartSpec:
    """What the chart shows, counted by the caller; every series has one value per week in `week_starts`.

    title: says the period and the filter, e.g. "Touchpoints 2 Nov – 29 Nov 2026 · Finance".
    week_starts: the first day of each week shown, oldest first.
    touchpoints_by_department: per department, the touchpoints logged in each week (stacked).
    follow_ups_on_time / follow_ups_late: of the follow-ups that fell due in each week, those kept on time
    and those that were not (done late, or still open past due).
    """

    title: str
    week_starts: Sequence[date]
    touchpoints_by_department: Mapping[str, Sequence[int]]
    follow_ups_on_time: Sequence[int]
    follow_ups_late: Sequence[int]

    def __post_init__(self) -> None:
        weeks = len(self.week_starts)
        series = {f"touchpoints of {name!r}": counts for name, counts in self.touchpoints_by_department.items()}
        series |= {"follow_ups_on_time": self.follow_ups_on_time, "follow_ups_late": self.follow_ups_late}
        for name, counts in series.items():
            if len(counts) != weeks:
                raise ValueError(f"{name} has {len(counts)} values for {weeks} weeks")
            if any(count < 0 for count in counts):
                raise ValueError(f"{name} has a negative count")

    @property
    def touchpoints(self) -> int:
        return sum(sum(counts) for counts in self.touchpoints_by_department.values())

    @property
    def follow_ups(self) -> int:
        return sum(self.follow_ups_on_time) + sum(self.follow_ups_late)


def render_chart(spec: ChartSpec, *, image_format: str = "png") -> bytes:
    """The chart as an image file's bytes: PNG by default (what Slack previews), or e.g. "svg"."""
    figure = build_figure(spec)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=image_format, dpi=DPI)
    return buffer.getvalue()


def build_figure(spec: ChartSpec) -> Figure:
    """The chart as a matplotlib Figure on the Agg canvas (render_chart saves it; tests inspect it)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    figure.suptitle(_literal(textwrap.fill(_one_line(spec.title), 80)), fontsize=TITLE_PT, fontweight="bold")
    if not spec.week_starts or (spec.touchpoints == 0 and spec.follow_ups == 0):
        _draw_empty(figure)
        return figure
    touchpoints_axes, follow_ups_axes = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    figure.subplots_adjust(left=0.09, right=0.74, top=0.86, bottom=0.11, hspace=0.3)
    _draw_touchpoints(touchpoints_axes, spec)
    _draw_follow_ups(follow_ups_axes, spec)
    _label_weeks(follow_ups_axes, spec.week_starts)
    _fit_legends(figure)
    return figure


def _draw_empty(figure: Figure) -> None:
    figure.text(0.5, 0.55, NO_TOUCHPOINTS, ha="center", va="center", fontsize=16, color="#333333")
    figure.text(0.5, 0.43, "Touchpoints logged with /log show up here.", ha="center", va="center", fontsize=TEXT_PT)


def _draw_touchpoints(axes: Axes, spec: ChartSpec) -> None:
    weeks = range(len(spec.week_starts))
    axes.set_title("Touchpoints each week, by department", fontsize=TEXT_PT, loc="left")
    axes.set_ylabel("Touchpoints", fontsize=TEXT_PT)
    _style(axes)
    if spec.touchpoints == 0:
        _say_in(axes, NO_TOUCHPOINTS)
        return
    bottoms = [0] * len(spec.week_starts)
    for (name, counts), colour in _departments_coloured(spec.touchpoints_by_department):
        axes.bar(weeks, counts, bottom=bottoms, color=colour, label=_literal(_short(name)), width=0.8)
        bottoms = [b + c for b, c in zip(bottoms, counts, strict=True)]
    if len(bottoms) <= MOST_WEEKS_LABELLED:
        for week, total in zip(weeks, bottoms, strict=True):
            if total:
                axes.text(week, total, str(total), ha="center", va="bottom", fontsize=TEXT_PT)
    axes.set_ylim(0, max(bottoms) * 1.18)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=TEXT_PT, frameon=False, reverse=True)


def _draw_follow_ups(axes: Axes, spec: ChartSpec) -> None:
    weeks = range(len(spec.week_starts))
    axes.set_title("Follow-ups due each week: kept on time vs late", fontsize=TEXT_PT, loc="left")
    axes.set_ylabel("Follow-ups", fontsize=TEXT_PT)
    axes.set_xlabel("Week starting", fontsize=TEXT_PT)
    _style(axes)
    if spec.follow_ups == 0:
        _say_in(axes, NO_FOLLOW_UPS)
        return
    axes.bar(weeks, spec.follow_ups_on_time, color=ON_TIME_COLOUR, label="On time", width=0.8)
    axes.bar(
        weeks,
        spec.follow_ups_late,
        bottom=spec.follow_ups_on_time,
        color=LATE_COLOUR,
        hatch=LATE_HATCH,
        edgecolor="white",
        label="Late or overdue",
        width=0.8,
    )
    totals = [a + b for a, b in zip(spec.follow_ups_on_time, spec.follow_ups_late, strict=True)]
    axes.set_ylim(0, max(totals) * 1.18)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=TEXT_PT, frameon=False, reverse=True)


def _style(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    axes.tick_params(labelsize=TEXT_PT)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _say_in(axes: Axes, text: str) -> None:
    axes.text(0.5, 0.5, text, transform=axes.transAxes, ha="center", va="center", fontsize=TEXT_PT + 1)
    axes.set_ylim(0, 1)
    axes.set_yticks([])


def _fit_legends(figure: Figure) -> None:
    """Shorten a legend label that would run off the picture (wide letters fit fewer than the usual count)."""
    figure.draw_without_rendering()  # places the legends, so their labels' extents are known
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    right = figure.bbox.x1 - 4
    for axes in figure.axes:
        legend = axes.get_legend()
        for text in legend.get_texts() if legend else []:
            label = text.get_text()
            while len(label) > 2 and text.get_window_extent(renderer).x1 > right:
                label = label.removesuffix("…")[:-1].rstrip() + "…"
                text.set_text(label)


def _label_weeks(axes: Axes, week_starts: Sequence[date]) -> None:
    every = max(1, math.ceil(len(week_starts) / MOST_TICK_LABELS))
    ticks = list(range(0, len(week_starts), every))
    axes.set_xticks(ticks, [_day_month(week_starts[i]) for i in ticks])
    axes.set_xlim(-0.6, len(week_starts) - 0.4)


def _departments_coloured(by_department: Mapping[str, Sequence[int]]) -> list[tuple[tuple[str, Any], str]]:
    """Departments with a touchpoint, most first, each with its colour; past the palette, one grey "other"."""
    ranked = sorted(
        ((name, counts) for name, counts in by_department.items() if sum(counts)),
        key=lambda item: (-sum(item[1]), item[0].casefold()),
    )
    if len(ranked) > len(PALETTE):
        kept, rest = ranked[: len(PALETTE) - 1], ranked[len(PALETTE) - 1 :]
        other = [sum(week) for week in zip(*(counts for _, counts in rest), strict=True)]
        return [*zip(kept, PALETTE, strict=False), ((OTHER_DEPARTMENTS, other), OTHER_COLOUR)]
    return list(zip(ranked, PALETTE, strict=False))


def _day_month(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"


def _one_line(text: str) -> str:
    """Names come from people: no control characters or line breaks in a picture's text."""
    return " ".join("".join(c if unicodedata.category(c)[0] != "C" else " " for c in text).split())


def _short(name: str) -> str:
    name = _one_line(name) or "(no department)"
    return name if len(name) <= LEGEND_LABEL_CHARS else name[: LEGEND_LABEL_CHARS - 1] + "…"


def _literal(text: str) -> str:
    """matplotlib reads text between two `$` as TeX; a department called "$$ team" must print as typed."""
    return text.replace("$", r"\$")
