"""A line chart's geometry for the reports, drawn on the server as SVG (no JavaScript):
the scale («nice» ticks covering the data, zero included), the points in the SVG's
coordinates and the labels. Pure: numbers in, a LineChart out; the template draws it with
a <title>/<desc> and a viewBox so it shrinks on a phone and prints as it is.

Written here rather than taken from a charting library: what a report needs is ~80 lines,
and the libraries looked at (pygal) embed their own JavaScript and styles by default."""
import math
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 90, 16, 16, 40  # room for the amounts and the dates
MAX_X_LABELS = 6


@dataclass(frozen=True)
class Scale:
    low: Decimal
    high: Decimal
    ticks: tuple


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    points: tuple  # (x, y) in SVG units
    scale: Scale
    y_ticks: tuple  # (y, value)
    x_labels: tuple  # (x, label)
    zero_y: float | None  # the zero line when the data crosses it

    @property
    def empty(self):
        return not self.points

    @property
    def polyline(self):
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in self.points)


def nice_step(span, count=4):
    """A step of 1, 2 or 5 × 10^n giving about `count` intervals over `span` (> 0)."""
    raw = Decimal(span) / count
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover (raw ≤ 10 × power always)


def scale(values, count=4):
    """Ticks from a multiple of the step at or below min(values, 0) to one at or above
    max(values, 0); a flat series gets a span around its value."""
    low, high = min(min(values), 0), max(max(values), 0)
    if low == high:
        high = low + 1 if low == 0 else low + abs(low)
    step = nice_step(high - low, count)
    start, end = math.floor(low / step) * step, math.ceil(high / step) * step
    ticks = tuple(Decimal(start) + i * step for i in range(int((end - start) / step) + 1))
    return Scale(Decimal(start), Decimal(end), ticks)


def line(series, width=WIDTH, height=HEIGHT):
    """series: [(label, value)] in order (e.g. a day and its closing balance)."""
    if not series:
        return LineChart(width, height, (), Scale(Decimal(0), Decimal(1), (Decimal(0), Decimal(1))), (), (), None)
    values = [Decimal(v) for _, v in series]
    s = scale(values)
    inner_w, inner_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def y(value):
        return TOP + inner_h * float((s.high - value) / (s.high - s.low))

    def x(i):
        return LEFT + (inner_w / 2 if len(series) == 1 else inner_w * i / (len(series) - 1))

    every = max(1, math.ceil(len(series) / MAX_X_LABELS))
    labels = tuple((x(i), label) for i, (label, _) in enumerate(series) if i % every == 0 or i == len(series) - 1)
    return LineChart(width, height, tuple((x(i), y(v)) for i, v in enumerate(values)), s,
                     tuple((y(t), t) for t in s.ticks), labels, y(Decimal(0)) if s.low < 0 < s.high else None)


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: tuple  # (x, y, width, height, label, value) in SVG units
    scale: Scale
    y_ticks: tuple
    zero_y: float

    @property
    def empty(self):
        return not self.bars


def bars(series, width=WIDTH, height=HEIGHT):
    """series: [(label, value)] in order (e.g. a month and its commissions); a negative
    value hangs below the zero line."""
    values = [Decimal(v) for _, v in series] or [Decimal(0)]
    s = scale(values)
    inner_w, inner_h = width - LEFT - RIGHT, height - TOP - BOTTOM

    def y(value):
        return TOP + inner_h * float((s.high - value) / (s.high - s.low))

    slot = inner_w / max(1, len(series))
    zero = y(Decimal(0))
    drawn = tuple((LEFT + slot * (i + 0.15), min(y(v), zero), slot * 0.7, abs(zero - y(v)), label, v)
                  for i, ((label, _), v) in enumerate(zip(series, values, strict=False)))
    return BarChart(width, height, drawn, s, tuple((y(t), t) for t in s.ticks), zero)
