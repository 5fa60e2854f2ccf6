"""Pure scoring rules: confidence intervals, robust timing summaries, badge levels, size classes.

No torch and no Django here, so every rule that turns numbers into a badge is unit-tested
without a model.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

LEVELS = ("gold", "silver", "bronze", "none", "fail", "info")

# Size bands by parameter count: the size badge, and the catalog's size filter and labels.
SIZE_CLASSES = (
    ("tiny", 0),
    ("small", 100_000_000),
    ("medium", 1_000_000_000),
    ("large", 7_000_000_000),
)


def wilson_interval(successes: int, trials: int, *, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion: sound for small samples and extreme rates."""
    if trials <= 0:
        return 0.0, 0.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def level_for(value: float, thresholds: Mapping[str, float], *, higher_is_better: bool = True) -> str:
    """The best level whose threshold `value` reaches; "none" when it reaches none of them.

    `thresholds` maps gold/silver/bronze to a bound: a lower bound when higher is better
    (accuracy), an upper bound otherwise (latency).
    """
    for level in ("gold", "silver", "bronze"):
        bound = thresholds.get(level)
        if bound is None:
            continue
        if (value >= bound) if higher_is_better else (value <= bound):
            return level
    return "none"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (`fraction` in [0, 1]) of a non-empty sample."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of an empty sample")
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def timing_summary(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p10, p90 and relative spread of repeated timings: the median resists the outliers a
    busy machine produces, the spread says how much to trust it."""
    median = statistics.median(seconds)
    p10, p90 = percentile(seconds, 0.1), percentile(seconds, 0.9)
    return {
        "median": median,
        "p10": p10,
        "p90": p90,
        "spread": (p90 - p10) / median if median > 0 else 0.0,
        "n": float(len(seconds)),
    }


def size_class(parameters: int) -> str:
    found = SIZE_CLASSES[0][0]
    for name, lower in SIZE_CLASSES:
        if parameters >= lower:
            found = name
    return found


def human_count(value: float) -> str:
    """1234 -> 1.2K, 22_700_000 -> 22.7M, as model cards write parameter counts."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            text = f"{value / scale:.1f}".rstrip("0").rstrip(".")
            return f"{text}{unit}"
    return f"{value:g}"


def human_bytes(value: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"
