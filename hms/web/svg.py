"""Trend charts drawn on the server as SVG: the numbers here, the drawing in a template
(patients/_trend_chart.html). No script and no style attributes (the Content Security Policy
forbids inline style): positions are SVG attributes, colours are classes in hms.css.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

WIDTH, HEIGHT = 320, 140
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 24  # room for the axis labels
LABEL_GAP = 12  # the least distance between two labels of the value axis


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: Decimal
    at: datetime.datetime
    flag: str

    @property
    def cx(self) -> str:
        return f"{self.x:.1f}"

    @property
    def cy(self) -> str:
        return f"{self.y:.1f}"

    @property
    def abnormal(self) -> bool:
        return self.flag not in ("", "N")

    @property
    def label(self) -> str:
        local = timezone.localtime(self.at)
        return f"{local:%d %b %Y %H:%M}"

    @property
    def value_text(self) -> str:
        return _number(self.value)


@dataclass(frozen=True)
class TrendChart:
    title: str
    unit: str
    points: list[ChartPoint]
    band: tuple[float, float] | None  # y of the reference range's top and its height
    reference_text: str
    y_labels: list[tuple[str, str]]  # (y, text)
    x_labels: list[tuple[str, str]]  # (x, text)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    bottom_edge: int = HEIGHT - BOTTOM

    @property
    def plot_width(self) -> int:
        return self.right_edge - self.left

    @property
    def band_y(self) -> str:
        return f"{self.band[0]:.1f}" if self.band else ""

    @property
    def band_height(self) -> str:
        return f"{self.band[1]:.1f}" if self.band else ""

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def latest(self) -> ChartPoint:
        return self.points[-1]

    @property
    def summary(self) -> str:
        """What the chart shows, in words (its accessible name)."""
        latest = self.latest
        count = f"{len(self.points)} value{'s' if len(self.points) != 1 else ''}"
        words = f"{self.title}: {count}, latest {_number(latest.value)} {self.unit}"
        if self.reference_text:
            words += f" (reference {self.reference_text} {self.unit})"
        return words.replace("  ", " ").strip()


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def trend_chart(
    *,
    title: str,
    unit: str,
    points: Sequence[tuple[datetime.datetime, Decimal]],
    reference: tuple[Decimal | None, Decimal | None] | None = None,
    flags: Sequence[str] = (),
) -> TrendChart:
    """A chart of `points` (time, value), oldest first, with the reference range (low, high) shaded."""
    values = [value for _, value in points]
    low_ref, high_ref = reference if reference is not None else (None, None)
    bounds = values + [v for v in (low_ref, high_ref) if v is not None]
    lowest, highest = min(bounds), max(bounds)
    if lowest == highest:
        lowest, highest = lowest - 1, highest + 1
    margin = (highest - lowest) / 10
    lowest, highest = lowest - margin, highest + margin
    plot_top, plot_bottom = TOP, HEIGHT - BOTTOM
    plot_left, plot_right = LEFT, WIDTH - RIGHT

    def y_of(value: Decimal) -> float:
        share = float((value - lowest) / (highest - lowest))
        return plot_bottom - share * (plot_bottom - plot_top)

    times = [at for at, _ in points]
    first, last = min(times), max(times)
    span = (last - first).total_seconds()

    def x_of(at: datetime.datetime) -> float:
        if span == 0:
            return (plot_left + plot_right) / 2
        return plot_left + (at - first).total_seconds() / span * (plot_right - plot_left)

    padded_flags = list(flags) + [""] * (len(points) - len(flags))
    chart_points = [
        ChartPoint(x=x_of(at), y=y_of(value), value=value, at=at, flag=flag)
        for (at, value), flag in zip(points, padded_flags, strict=False)
    ]
    band = None
    reference_text = ""
    if low_ref is not None or high_ref is not None:
        top = y_of(high_ref) if high_ref is not None else plot_top
        bottom = y_of(low_ref) if low_ref is not None else plot_bottom
        band = (max(top, plot_top), max(min(bottom, plot_bottom) - max(top, plot_top), 0))
        if low_ref is not None and high_ref is not None:
            reference_text = f"{_number(low_ref)}–{_number(high_ref)}"
        elif low_ref is not None:
            reference_text = f"≥ {_number(low_ref)}"
        else:
            reference_text = f"≤ {_number(high_ref)}"  # type: ignore[arg-type]
    # The axis names the reference range's ends (else the highest and lowest values), never two
    # labels on top of each other.
    marks = [v for v in (high_ref, low_ref) if v is not None] or [max(values), min(values)]
    y_labels: list[tuple[str, str]] = []
    placed: list[float] = []
    for mark in marks:
        y = y_of(mark)
        if all(abs(y - other) >= LABEL_GAP for other in placed):
            placed.append(y)
            y_labels.append((f"{y:.1f}", _number(mark)))
    first_local, last_local = timezone.localtime(first), timezone.localtime(last)
    x_labels = [(str(plot_left), f"{first_local:%d %b %Y}")]
    if first_local.date() != last_local.date():
        x_labels.append((str(plot_right), f"{last_local:%d %b %Y}"))
    return TrendChart(
        title=title,
        unit=unit,
        points=chart_points,
        band=band,
        reference_text=reference_text,
        y_labels=y_labels,
        x_labels=x_labels,
    )
