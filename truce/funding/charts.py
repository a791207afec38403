"""Geometry of the server-side SVG bar chart of required against funded.

The template draws what this computes, so the chart needs no script and
prints as it shows; scaling to the largest bar keeps every row comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

BAR_WIDTH = 420  # px of the longest bar
ROW_HEIGHT = 34
LABEL_WIDTH = 220


@dataclass(frozen=True)
class Bar:
    label: str
    currency: str
    required: Decimal
    funded: Decimal
    y: int
    required_w: int
    funded_w: int


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH


def bar_chart(rows: list[tuple[str, str, Decimal, Decimal]]) -> BarChart:
    """Rows of (label, currency, required, funded), each currency on its own scale."""
    peaks: dict[str, Decimal] = {}
    for _label, currency, required, funded in rows:
        peaks[currency] = max(peaks.get(currency, Decimal(0)), required, funded)
    bars = []
    for i, (label, currency, required, funded) in enumerate(rows):
        peak = peaks[currency] or Decimal(1)
        bars.append(
            Bar(
                label=label,
                currency=currency,
                required=required,
                funded=funded,
                y=i * ROW_HEIGHT,
                required_w=int(required / peak * BAR_WIDTH),
                funded_w=int(funded / peak * BAR_WIDTH),
            )
        )
    return BarChart(bars, LABEL_WIDTH + BAR_WIDTH + 160, max(len(bars), 1) * ROW_HEIGHT)
