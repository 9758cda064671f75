"""domain/charts.py: the reports' line chart (scales, empty data, one point, negatives)."""
from decimal import Decimal

from portal.domain import charts


def test_the_scale_covers_the_data_and_zero_with_nice_steps():
    s = charts.scale([Decimal("1000000"), Decimal("998885")])
    assert s.low == 0 and s.high >= Decimal("1000000")
    steps = {b - a for a, b in zip(s.ticks, s.ticks[1:], strict=False)}
    assert steps == {Decimal("500000")} or steps == {Decimal("200000")} or steps == {Decimal("250000")}
    assert s.ticks[0] == s.low and s.ticks[-1] == s.high
    assert charts.nice_step(37) == 10 and charts.nice_step(7) == 2 and charts.nice_step(150) == 50


def test_negative_values_reach_below_zero_and_draw_the_zero_line():
    chart = charts.line([("01/05", Decimal("-250")), ("02/05", Decimal("900"))])
    assert chart.scale.low < 0 < chart.scale.high
    assert chart.scale.low <= Decimal("-250") and chart.scale.high >= Decimal("900")
    top, bottom = charts.TOP, chart.height - charts.BOTTOM
    assert all(top <= y <= bottom for _, y in chart.points)
    assert chart.points[0][1] > chart.zero_y > chart.points[1][1]  # SVG's y grows downwards


def test_points_span_the_width_in_order_and_the_highest_value_is_highest():
    series = [(f"{d:02d}/05", Decimal(v)) for d, v in ((1, 100), (2, 400), (3, 250))]
    chart = charts.line(series)
    xs = [x for x, _ in chart.points]
    assert xs[0] == charts.LEFT and xs[-1] == chart.width - charts.RIGHT and xs == sorted(xs)
    assert min(chart.points, key=lambda p: p[1]) == chart.points[1]
    assert chart.zero_y is None  # nothing below zero: the axis' bottom is zero
    assert chart.polyline.count(",") == 3


def test_empty_data_and_a_single_point():
    empty = charts.line([])
    assert empty.empty and empty.points == () and empty.x_labels == ()
    one = charts.line([("03/05", Decimal("5000"))])
    assert not one.empty and len(one.points) == 1
    assert one.points[0][0] == charts.LEFT + (one.width - charts.LEFT - charts.RIGHT) / 2
    assert one.x_labels == ((one.points[0][0], "03/05"),)
    flat = charts.line([("03/05", Decimal(0)), ("04/05", Decimal(0))])
    assert flat.scale.high > flat.scale.low == 0


def test_many_days_get_at_most_a_handful_of_date_labels_the_last_included():
    chart = charts.line([(f"d{i}", Decimal(i)) for i in range(60)])
    assert len(chart.x_labels) <= charts.MAX_X_LABELS + 1 and chart.x_labels[-1][1] == "d59"


def test_bars_stand_on_the_zero_line_and_negatives_hang_below():
    chart = charts.bars([("05/2026", Decimal("1200")), ("06/2026", Decimal("-300")), ("07/2026", Decimal(0))])
    assert len(chart.bars) == 3 and not chart.empty
    up, down, flat = chart.bars
    assert abs(up[1] + up[3] - chart.zero_y) < 1e-6 and down[1] == chart.zero_y and flat[3] == 0
    assert up[3] > down[3] > 0  # 1,200 is taller than 300
    assert up[0] < down[0] < flat[0] and up[4] == "05/2026"
    assert charts.bars([]).empty
