"""Shared pieces of the insights reads: the database check, raw SQL into a DataFrame,
the segments reported on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.db import connection
from django.utils import timezone

from segments.models import Segment


def insights_supported() -> bool:
    """Insights' SQL (arrays, FILTER, percentile_cont) needs PostgreSQL; the embedded SQLite
    quick start shows a notice instead."""
    return connection.vendor == "postgresql"


def read_sql(sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """A query's rows as a DataFrame, read through Django's connection (pandas.read_sql
    wants SQLAlchemy for anything but SQLite)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


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
