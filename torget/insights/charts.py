"""The geometry of the dashboard's small charts, drawn as inline SVG by the templates.

No JavaScript and no chart library: a bar is a rectangle whose width is a share. Every chart
also has its figures in a table next to it, and each SVG carries a text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Goal against practice: one horizontal bar per unit, in a 200 × 28 viewBox.
BAR_WIDTH = 200
# Monthly trend: one vertical bar per month, in a 24-unit-wide slot, 0–100 % on 120 units.
TREND_SLOT = 24
TREND_HEIGHT = 120
TREND_TOP = 8
TREND_LEFT = 36
MIN_SLOTS = 12
# Beyond two years of bars, only January and the first bar are labelled (the table has all).
MAX_LABELLED = 24


@dataclass(frozen=True)
class GoalBar:
    """A unit's share answered within its goal (a bar) against the goal (a marker line)."""

    practice_width: float | None
    goal_x: float


def goal_bar(share: float | None, goal_percent: int) -> GoalBar:
    width = None if share is None else round(max(0.0, min(share, 1.0)) * BAR_WIDTH, 1)
    goal = round(max(0, min(goal_percent, 100)) / 100 * BAR_WIDTH, 1)
    return GoalBar(practice_width=width, goal_x=goal)


@dataclass(frozen=True)
class TrendBar:
    x: float
    y: float
    height: float
    label_x: float
    label: str
    year_label: str
    has_data: bool


@dataclass(frozen=True)
class Trend:
    width: float
    height: float
    bars: list[TrendBar]
    gridlines: list[tuple[float, str]]  # (y, "50 %")
    baseline_y: float


def trend(points: Sequence[tuple[str, str, float | None]]) -> Trend:
    """Bars of shares (0–1, None for a month without judged questions), each labelled with its
    month and, at the first bar and every January, the year."""
    bars = []
    crowded = len(points) > MAX_LABELLED
    for i, (label, year_label, share) in enumerate(points):
        if crowded and not year_label:
            label = ""
        value = 0.0 if share is None else max(0.0, min(share, 1.0))
        height = round(value * TREND_HEIGHT, 1)
        x = TREND_LEFT + i * TREND_SLOT + 4
        bars.append(
            TrendBar(
                x=x,
                y=round(TREND_TOP + TREND_HEIGHT - height, 1),
                height=height,
                label_x=x + (TREND_SLOT - 8) / 2,
                label=label,
                year_label=year_label,
                has_data=share is not None,
            )
        )
    gridlines = [
        (TREND_TOP + TREND_HEIGHT - fraction * TREND_HEIGHT, f"{int(fraction * 100)} %")
        for fraction in (0.0, 0.5, 1.0)
    ]
    return Trend(
        # At least a year's width, so that a short period is not drawn huge.
        width=TREND_LEFT + max(len(bars), MIN_SLOTS) * TREND_SLOT + 4,
        height=TREND_TOP + TREND_HEIGHT + 30,
        bars=bars,
        gridlines=gridlines,
        baseline_y=TREND_TOP + TREND_HEIGHT,
    )
