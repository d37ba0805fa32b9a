"""Shared pieces of the insights reads: raw SQL into a DataFrame, the few spellings that differ
between PostgreSQL and SQLite, the segments reported on.

Each insights query is one SQL text for both engines. Where they differ it takes a fragment
from here: lists of ids as IN-lists (not = ANY(array)), dates and times as parameters adapted
by the connection (SQLite stores naive UTC text), the median as percentile_cont on PostgreSQL
and as `prm_median`, an aggregate registered on every SQLite connection, on SQLite.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from typing import Any

import pandas as pd
from django.db import connection
from django.utils import timezone

from segments.models import Segment


def read_sql(sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """A query's rows as a DataFrame, read through Django's connection (pandas.read_sql
    wants SQLAlchemy for anything but SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def sql_date(day: dt.date) -> Any:
    """A date as a parameter of raw SQL: as is for PostgreSQL, ISO text for SQLite."""
    return connection.ops.adapt_datefield_value(day)


def sql_datetime(moment: dt.datetime) -> Any:
    """An aware datetime as a parameter of raw SQL: as is for PostgreSQL; for SQLite the naive
    UTC text that Django stores, so that comparisons with stored values are text comparisons
    of the same format."""
    return connection.ops.adapt_datetimefield_value(moment)


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """`(%(name_0)s, %(name_1)s, …)` and its parameters, for `column IN …` (PostgreSQL plans
    it as = ANY of an array; SQLite has no arrays). At least one value is needed."""
    params = {f"{name}_{index}": value for index, value in enumerate(values)}
    if not params:
        raise ValueError(f"{name}: an IN-list needs at least one value")
    return "(" + ", ".join(f"%({key})s" for key in params) + ")", params


def median(expression: str) -> str:
    """The SQL aggregate of the median (percentile_cont(0.5): the middle value, or the mean of
    the two middle ones; nulls ignored) of an expression."""
    if connection.vendor == "postgresql":
        return f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression})"
    return f"prm_median({expression})"


class _Median:
    """prm_median() for SQLite, which has no ordered-set aggregates."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return float(statistics.median(self.values)) if self.values else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    """connection_created receiver: give a new SQLite connection the aggregates insights'
    SQL uses."""
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("prm_median", 1, _Median)


def insight_segments(*, segment_ids: list[int] | None = None) -> pd.DataFrame:
    """Active segments (or the given ones): id, slug, name, member_count, ordered by name."""
    segments = Segment.objects.order_by("name", "id")
    segments = (
        segments.filter(pk__in=segment_ids)
        if segment_ids is not None
        else segments.filter(is_active=True)
    )
    rows = list(segments.values("id", "slug", "name", "member_count"))
    return pd.DataFrame(rows, columns=["id", "slug", "name", "member_count"])
