"""Review time in business days (Monday to Friday)."""

from __future__ import annotations

import datetime as dt


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    """`start` moved on by `days` business days, keeping its time of day: Friday 15:00 + 2 →
    Tuesday 15:00; a start on a weekend counts from the next Monday 00:00."""
    moment = start
    if moment.weekday() >= 5:
        moment = (moment + dt.timedelta(days=7 - moment.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    remaining = days
    while remaining > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment
