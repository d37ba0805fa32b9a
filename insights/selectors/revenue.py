"""Monthly revenue histories and the forecasts made from them (model in
insights.forecasting)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.utils import timezone

from insights.periods import add_months
from insights.selectors.base import in_list, insight_segments, read_sql, sql_date
from partners.models import (
    PerformanceRecord,
)
from segments.models import Membership


def partner_monthly_revenue(
    *, months: int = 36, until: dt.date, partner_ids: list[int] | None = None
) -> pd.DataFrame:
    """Monthly revenue (key = partner id, month, revenue) from the performance records of the
    `months` months before `until` (a month's first day, exclusive); one query."""
    since = add_months(until, -months)
    records = PerformanceRecord.objects.filter(month__gte=since, month__lt=until)
    if partner_ids is not None:
        records = records.filter(partner_id__in=partner_ids)
    rows = records.order_by().values_list("partner_id", "month", "revenue")
    frame = pd.DataFrame(list(rows), columns=["key", "month", "revenue"])
    frame["revenue"] = frame["revenue"].astype(float)
    return frame


def segment_monthly_revenue(
    *, months: int = 36, until: dt.date, segment_ids: list[int]
) -> pd.DataFrame:
    """Monthly revenue of each segment's current members (key = segment id, month, revenue);
    one GROUP BY query (none for no segments)."""
    if not segment_ids:
        return pd.DataFrame(columns=["key", "month", "revenue"])
    since = add_months(until, -months)
    ids_sql, params = in_list("segment", [int(pk) for pk in segment_ids])
    sql = f"""
        SELECT m.segment_id AS key, r.month, SUM(r.revenue) AS revenue
        FROM {Membership._meta.db_table} m
        JOIN {PerformanceRecord._meta.db_table} r ON r.partner_id = m.partner_id
        WHERE m.segment_id IN {ids_sql} AND r.month >= %(since)s AND r.month < %(until)s
        GROUP BY m.segment_id, r.month
    """
    frame = read_sql(sql, {**params, "since": sql_date(since), "until": sql_date(until)})
    frame["revenue"] = frame["revenue"].astype(float)
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    return frame


def segment_forecasts(
    *, segment_ids: list[int] | None = None, today: dt.date | None = None, months: int = 36
) -> pd.DataFrame:
    """Next-quarter revenue of each segment's current members with its back-test, one row per
    segment (segment_id, segment, and the columns of forecast_next_quarter)."""
    from insights.forecasting import forecast_next_quarter, forecast_start

    start = forecast_start(today or timezone.localdate())
    segments = insight_segments(segment_ids=segment_ids)
    history = segment_monthly_revenue(
        months=months, until=start, segment_ids=segments["id"].tolist()
    )
    result = forecast_next_quarter(history, until=start)
    result = segments[["id", "name"]].merge(result, left_on="id", right_on="key", how="left")
    result = result.drop(columns=["key"]).rename(columns={"id": "segment_id", "name": "segment"})
    return result


def partner_forecasts(
    *, partner_ids: list[int] | None = None, today: dt.date | None = None, months: int = 36
) -> pd.DataFrame:
    """Next-quarter revenue of partners (all with records, or the given ones) with the
    back-test, one row per partner (partner_id, and the columns of forecast_next_quarter)."""
    from insights.forecasting import forecast_next_quarter, forecast_start

    start = forecast_start(today or timezone.localdate())
    history = partner_monthly_revenue(months=months, until=start, partner_ids=partner_ids)
    result = forecast_next_quarter(history, until=start)
    return result.rename(columns={"key": "partner_id"})
