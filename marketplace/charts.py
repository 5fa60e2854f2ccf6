"""A scatter chart of quality against parameter count, laid out on the server as SVG coordinates.

No JavaScript: the template draws the points, and the same rows are printed as a table beside it.
Parameter counts span orders of magnitude, so the x axis is logarithmic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 20, 52  # margins for axis labels


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    parameters: int
    score: float


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int


def compact_count(value: int) -> str:
    for divisor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= divisor:
            number = value / divisor
            return (
                f"{number:.0f}{suffix}" if number >= 10 else f"{number:.1f}".rstrip("0").rstrip(".") + suffix
            )
    return str(value)


def quality_vs_size(rows: list[dict[str, Any]]) -> Chart | None:
    """The chart of the rows that have both a score (0..1) and a parameter count; None if none do."""
    plotted = [r for r in rows if r.get("score") is not None and r.get("parameter_count")]
    if not plotted:
        return None
    logs = [math.log10(r["parameter_count"]) for r in plotted]
    low, high = math.floor(min(logs)), math.ceil(max(logs))
    if high == low:
        high = low + 1
    left, right, top, bottom = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x_of(log_value: float) -> float:
        return round(left + (log_value - low) / (high - low) * (right - left), 1)

    def y_of(score: float) -> float:
        return round(bottom - max(0.0, min(1.0, score)) * (bottom - top), 1)

    points = [
        Point(
            x=x_of(log_value),
            y=y_of(float(r["score"])),
            label=f"{r['namespace_slug']}/{r['name']}",
            parameters=int(r["parameter_count"]),
            score=float(r["score"]),
        )
        for r, log_value in zip(plotted, logs, strict=True)
    ]
    x_ticks = [Tick(x_of(e), compact_count(10**e)) for e in range(low, high + 1)]
    y_ticks = [Tick(y_of(s / 4), f"{s / 4:.2f}") for s in range(5)]
    return Chart(WIDTH, HEIGHT, points, x_ticks, y_ticks, left, right, top, bottom)
