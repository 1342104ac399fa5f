"""The report's chart: a valid PNG at Slack's preview size, honest when empty, and matplotlib off `/log`'s path."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from matplotlib import rc_context
from matplotlib.colors import to_hex
from matplotlib.text import Text

from bot.reports.chart import (
    NO_FOLLOW_UPS,
    NO_TOUCHPOINTS,
    OTHER_COLOUR,
    OTHER_DEPARTMENTS,
    PALETTE,
    ChartSpec,
    build_figure,
    render_chart,
)

WEEKS = [date(2026, 11, 2) + timedelta(weeks=i) for i in range(4)]
TITLE = "Touchpoints 2 Nov – 29 Nov 2026 · Finance"
ROOT = Path(__file__).resolve().parents[2]


def spec(**overrides: object) -> ChartSpec:
    fields: dict[str, object] = {
        "title": TITLE,
        "week_starts": WEEKS,
        "touchpoints_by_department": {"Sales": [3, 5, 0, 2], "Support": [1, 0, 4, 1], "Finance": [0, 0, 0, 0]},
        "follow_ups_on_time": [2, 1, 0, 3],
        "follow_ups_late": [0, 1, 2, 0],
    }
    return ChartSpec(**(fields | overrides))  # type: ignore[arg-type]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def texts(figure: object) -> list[str]:
    return [t.get_text() for t in figure.findobj(Text) if t.get_text()]  # type: ignore[attr-defined]


def svg_of(chart: ChartSpec) -> str:
    with rc_context({"svg.fonttype": "none"}):  # text as text, so the test can read it
        return render_chart(chart, image_format="svg").decode()


def test_the_chart_is_a_png_of_slacks_preview_size() -> None:
    data = render_chart(spec())

    assert png_size(data) == (800, 500)
    assert data.endswith(b"IEND\xaeB`\x82")


def test_the_title_says_the_period_and_the_filter() -> None:
    figure = build_figure(spec())

    assert figure.get_suptitle() == TITLE
    assert TITLE in svg_of(spec())


def test_bars_stack_each_departments_touchpoints_in_its_own_safe_colour() -> None:
    touchpoints_axes, follow_ups_axes = build_figure(spec()).axes

    by_colour: dict[str, list[float]] = {}
    for bar in touchpoints_axes.patches:
        by_colour.setdefault(to_hex(bar.get_facecolor()), []).append(bar.get_height())
    # Most touchpoints first: Sales takes the first colour; Finance, with none, takes no colour and no label.
    assert by_colour == {PALETTE[0].lower(): [3, 5, 0, 2], PALETTE[1].lower(): [1, 0, 4, 1]}
    assert [t.get_text() for t in touchpoints_axes.get_legend().get_texts()] == ["Support", "Sales"]
    assert sum(bar.get_height() for bar in follow_ups_axes.patches) == 2 + 1 + 0 + 3 + 0 + 1 + 2 + 0
    assert [t.get_text() for t in follow_ups_axes.get_legend().get_texts()] == ["Late or overdue", "On time"]
    assert touchpoints_axes.get_ylabel() == "Touchpoints"
    assert (follow_ups_axes.get_ylabel(), follow_ups_axes.get_xlabel()) == ("Follow-ups", "Week starting")
    assert [t.get_text() for t in follow_ups_axes.get_xticklabels()] == ["2 Nov", "9 Nov", "16 Nov", "23 Nov"]


def test_no_text_is_smaller_than_ten_points() -> None:
    for chart in (spec(), spec(touchpoints_by_department={}, follow_ups_on_time=[0] * 4, follow_ups_late=[0] * 4)):
        figure = build_figure(chart)
        figure.draw_without_rendering()
        sizes = {t.get_text(): t.get_fontsize() for t in figure.findobj(Text) if t.get_text()}
        assert sizes and min(sizes.values()) >= 10, sizes


def test_a_period_without_touchpoints_or_follow_ups_says_so_instead_of_blank_axes() -> None:
    empty = spec(touchpoints_by_department={"Sales": [0, 0, 0, 0]}, follow_ups_on_time=[0] * 4, follow_ups_late=[0] * 4)

    figure = build_figure(empty)

    assert figure.axes == []
    assert NO_TOUCHPOINTS in texts(figure)
    assert figure.get_suptitle() == TITLE
    assert png_size(render_chart(empty)) == (800, 500)
    assert NO_TOUCHPOINTS in svg_of(empty)


def test_a_workspace_with_no_weeks_at_all_gets_the_same_picture() -> None:
    figure = build_figure(ChartSpec(TITLE, [], {}, [], []))

    assert NO_TOUCHPOINTS in texts(figure)
    assert png_size(render_chart(ChartSpec(TITLE, [], {}, [], []))) == (800, 500)


def test_each_empty_panel_says_which_figure_is_missing() -> None:
    no_touchpoints = build_figure(spec(touchpoints_by_department={}))
    no_follow_ups = build_figure(spec(follow_ups_on_time=[0] * 4, follow_ups_late=[0] * 4))

    assert NO_TOUCHPOINTS in texts(no_touchpoints.axes[0]) and len(no_touchpoints.axes[0].patches) == 0
    assert len(no_touchpoints.axes[1].patches) == 8
    assert NO_FOLLOW_UPS in texts(no_follow_ups.axes[1]) and len(no_follow_ups.axes[1].patches) == 0


def test_departments_past_the_palette_are_one_grey_bar_of_the_rest() -> None:
    departments = {f"Dept {i}": [10 - i] * 4 for i in range(9)}

    (touchpoints_axes, _) = build_figure(spec(touchpoints_by_department=departments)).axes

    colours = [to_hex(bar.get_facecolor()) for bar in touchpoints_axes.patches[::4]]
    assert colours == [c.lower() for c in PALETTE[:-1]] + [OTHER_COLOUR.lower()]
    other = [bar.get_height() for bar in touchpoints_axes.patches[-4:]]
    assert other == [(10 - 6) + (10 - 7) + (10 - 8)] * 4
    assert touchpoints_axes.get_legend().get_texts()[0].get_text() == OTHER_DEPARTMENTS


def test_names_print_as_typed_even_with_dollars_and_line_breaks() -> None:
    chart = spec(title="Touchpoints · $5k $deals$\nteam", touchpoints_by_department={"$x$ team": [1, 0, 0, 0]})

    svg = svg_of(chart)

    assert "Touchpoints · $5k $deals$ team" in svg
    assert "$x$ team" in svg


def test_a_long_department_name_is_shortened_to_fit_the_picture() -> None:
    name = "W" * 40
    figure = build_figure(spec(touchpoints_by_department={name: [1, 2, 3, 4]}))

    (label,) = figure.axes[0].get_legend().get_texts()
    assert label.get_text().endswith("…") and name.startswith(label.get_text()[:-1])
    assert label.get_window_extent(figure.canvas.get_renderer()).x1 <= figure.bbox.x1


@pytest.mark.parametrize(
    "overrides",
    [{"follow_ups_late": [0, 0, 0]}, {"touchpoints_by_department": {"Sales": [1]}}, {"follow_ups_on_time": [-1] * 4}],
)
def test_series_that_do_not_match_the_weeks_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        spec(**overrides)


IMPORTS_WITHOUT_PLOTTING = """
import io, json, sys
sys.stdin = io.StringIO("/log Acme: call with Dana, follow up friday\\n")
import bot.app, bot.server, bot.reports, bot.reports.chart, bot.reports.chart_data, bot.uploads
import bot.blocks.reports, handlers.reports
from bot.cli import main
code = main(["shell"])
print(json.dumps({"code": code, "plotting": sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib")}))
"""


def test_the_app_the_reports_package_and_a_log_never_import_matplotlib(database_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {"DATABASE_URL": database_url, "DEFAULT_TZ": "UTC", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_WITHOUT_PLOTTING],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "Logged call with" in done.stdout  # the /log really went through the app
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "plotting": []}
