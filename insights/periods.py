"""Reporting periods: calendar months or quarters, as [start, end) date ranges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PERIOD_KINDS = ("month", "quarter")
MONTHS_PER = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive: the first day of the next period
    label: str


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after day's month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_start(day: dt.date, kind: str) -> dt.date:
    month = day.month if kind == "month" else (day.month - 1) // 3 * 3 + 1
    return dt.date(day.year, month, 1)


def period_label(start: dt.date, kind: str) -> str:
    if kind == "month":
        return f"{start:%Y-%m}"
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def recent_periods(*, kind: str, count: int, today: dt.date) -> list[Period]:
    """The last `count` periods of a kind, oldest first, the one containing `today` last."""
    if kind not in PERIOD_KINDS:
        raise ValueError(f"unknown period kind {kind!r}; expected month or quarter")
    step = MONTHS_PER[kind]
    current = period_start(today, kind)
    periods = []
    for back in range(count - 1, -1, -1):
        start = add_months(current, -back * step)
        periods.append(Period(start, add_months(start, step), period_label(start, kind)))
    return periods
