"""Per-segment KPIs over time (see the package docstring for membership over time)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.utils import timezone

from communications.models import Message
from enablement.models import Enrollment
from insights.periods import Period, add_months, recent_periods
from insights.selectors.base import (
    in_list,
    insight_segments,
    local_midnight,
    median,
    read_sql,
    sql_date,
    sql_datetime,
)
from partners.models import (
    Contact,
    Partner,
    PartnerCertification,
    PerformanceRecord,
)
from segments.models import Membership, MembershipEvent, Segment

KPI_COLUMNS = [
    "segment_id",
    "segment",
    "period",
    "period_start",
    "members",
    "joins",
    "leaves",
    "revenue",
    "revenue_12m_total",
    "revenue_12m_median",
    "growth_pct",
    "deals_won",
    "enablement_completion_pct",
    "active_certifications",
    "messages_sent",
    "open_rate_pct",
    "click_rate_pct",
]

_KPI_SQL = """
WITH periods (period_start, period_end, window_start, start_at, end_at) AS (
    VALUES {periods}
),
events AS (
    SELECT segment_id, partner_id, kind, at,
           LEAD(at) OVER (PARTITION BY segment_id, partner_id ORDER BY at, id) AS next_at
    FROM {event} WHERE segment_id IN {segment_ids}
),
spans AS (
    SELECT segment_id, partner_id, at AS joined_at, next_at AS left_at
    FROM events WHERE kind = 'joined'
    UNION ALL
    SELECT m.segment_id, m.partner_id, m.joined_at, NULL
    FROM {membership} m
    WHERE m.segment_id IN {segment_ids} AND NOT EXISTS (
        SELECT 1 FROM {event} e WHERE e.segment_id = m.segment_id AND e.partner_id = m.partner_id
    )
),
members AS (
    SELECT DISTINCT s.segment_id, p.period_start, p.period_end, p.window_start, p.end_at,
           s.partner_id
    FROM spans s JOIN periods p
      ON s.joined_at < p.end_at AND (s.left_at IS NULL OR s.left_at >= p.end_at)
),
performance AS (
    SELECT m.segment_id, m.period_start, m.partner_id,
           COALESCE(SUM(r.revenue) FILTER (WHERE r.month >= m.period_start), 0) AS revenue,
           COALESCE(SUM(r.revenue), 0) AS revenue_12m,
           COALESCE(SUM(r.deals_won) FILTER (WHERE r.month >= m.period_start), 0) AS deals_won
    FROM members m
    LEFT JOIN {record} r ON r.partner_id = m.partner_id
         AND r.month >= m.window_start AND r.month < m.period_end
    GROUP BY m.segment_id, m.period_start, m.partner_id
),
performance_totals AS (
    SELECT segment_id, period_start, COUNT(*) AS members, SUM(revenue) AS revenue,
           SUM(revenue_12m) AS revenue_12m_total,
           {median_revenue_12m} AS revenue_12m_median,
           SUM(deals_won) AS deals_won
    FROM performance GROUP BY segment_id, period_start
),
certifications AS (
    SELECT m.segment_id, m.period_start, COUNT(c.id) AS active_certifications
    FROM members m JOIN {certification} c ON c.partner_id = m.partner_id
         AND c.earned_at < m.period_end
         AND (c.expires_at IS NULL OR c.expires_at >= m.period_end)
    GROUP BY m.segment_id, m.period_start
),
enablement AS (
    SELECT m.segment_id, m.period_start,
           COUNT(n.id) AS enrollments,
           COUNT(n.id) FILTER (WHERE n.completed_at < m.end_at) AS completed
    FROM members m
    JOIN {contact} ct ON ct.partner_id = m.partner_id
    JOIN {enrollment} n ON n.contact_id = ct.id AND n.enrolled_at < m.end_at
    GROUP BY m.segment_id, m.period_start
),
messages AS (
    SELECT m.segment_id, m.period_start,
           COUNT(g.id) AS messages_sent,
           COUNT(g.id) FILTER (WHERE g.opened_at IS NOT NULL) AS opened,
           COUNT(g.id) FILTER (WHERE g.clicked_at IS NOT NULL) AS clicked
    FROM members m JOIN periods p ON p.period_start = m.period_start
    JOIN {message} g ON g.partner_id = m.partner_id AND g.status = 'sent'
         AND g.sent_at >= p.start_at AND g.sent_at < p.end_at
    GROUP BY m.segment_id, m.period_start
),
changes AS (
    SELECT e.segment_id, p.period_start,
           COUNT(*) FILTER (WHERE e.kind = 'joined') AS joins,
           COUNT(*) FILTER (WHERE e.kind = 'left') AS leaves
    FROM {event} e JOIN periods p ON e.at >= p.start_at AND e.at < p.end_at
    WHERE e.segment_id IN {segment_ids}
    GROUP BY e.segment_id, p.period_start
),
grid AS (
    SELECT s.id AS segment_id, p.period_start FROM {segment} s CROSS JOIN periods p
    WHERE s.id IN {segment_ids}
)
SELECT g.segment_id, g.period_start,
       COALESCE(t.members, 0) AS members,
       COALESCE(ch.joins, 0) AS joins, COALESCE(ch.leaves, 0) AS leaves,
       COALESCE(t.revenue, 0) AS revenue,
       COALESCE(t.revenue_12m_total, 0) AS revenue_12m_total,
       COALESCE(t.revenue_12m_median, 0) AS revenue_12m_median,
       COALESCE(t.deals_won, 0) AS deals_won,
       COALESCE(en.enrollments, 0) AS enrollments, COALESCE(en.completed, 0) AS completed,
       COALESCE(c.active_certifications, 0) AS active_certifications,
       COALESCE(ms.messages_sent, 0) AS messages_sent,
       COALESCE(ms.opened, 0) AS opened, COALESCE(ms.clicked, 0) AS clicked
FROM grid g
LEFT JOIN performance_totals t USING (segment_id, period_start)
LEFT JOIN certifications c USING (segment_id, period_start)
LEFT JOIN enablement en USING (segment_id, period_start)
LEFT JOIN messages ms USING (segment_id, period_start)
LEFT JOIN changes ch USING (segment_id, period_start)
ORDER BY g.segment_id, g.period_start
"""


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (part / whole.where(whole > 0) * 100).round(2)


def segment_kpis(
    *,
    segment_ids: list[int] | None = None,
    period_kind: str = "month",
    periods: int = 12,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Per segment and period (oldest first): members at the period's end, joins and leaves in
    it, revenue and deals won in it, the members' 12-month revenue (total, median) at its end
    and the total's growth against the previous period, enablement completion (completed /
    enrolled), active certifications, and the open and click rates of the messages sent in it.
    Two queries, whatever the number of partners."""
    today = today or timezone.localdate()
    spans = recent_periods(kind=period_kind, count=periods, today=today)
    segments = insight_segments(segment_ids=segment_ids)
    if segments.empty:
        return pd.DataFrame(columns=KPI_COLUMNS)
    periods_sql, segments_sql, params = _period_params(spans, segments["id"].tolist())
    sql = _KPI_SQL.format(
        periods=periods_sql,
        segment_ids=segments_sql,
        median_revenue_12m=median("revenue_12m"),
        segment=Segment._meta.db_table,
        event=MembershipEvent._meta.db_table,
        membership=Membership._meta.db_table,
        record=PerformanceRecord._meta.db_table,
        certification=PartnerCertification._meta.db_table,
        contact=Contact._meta.db_table,
        enrollment=Enrollment._meta.db_table,
        message=Message._meta.db_table,
    )
    frame = read_sql(sql, params)
    return _finish_kpis(frame, segments, spans)


def _period_params(spans: list[Period], segment_ids: list[int]) -> tuple[str, str, dict[str, Any]]:
    """The periods as rows of a VALUES list (start, end, the start of the 12 months ending with
    it, and the start and end as local midnights), the segments as an IN-list, and their
    parameters."""
    rows, params = [], {}
    for index, span in enumerate(spans):
        values = {
            f"start_{index}": sql_date(span.start),
            f"end_{index}": sql_date(span.end),
            f"window_{index}": sql_date(add_months(span.end, -12)),
            f"start_at_{index}": sql_datetime(local_midnight(span.start)),
            f"end_at_{index}": sql_datetime(local_midnight(span.end)),
        }
        rows.append("(" + ", ".join(f"%({key})s" for key in values) + ")")
        params.update(values)
    segments_sql, segment_params = in_list("segment", [int(pk) for pk in segment_ids])
    return ", ".join(rows), segments_sql, {**params, **segment_params}


def _finish_kpis(frame: pd.DataFrame, segments: pd.DataFrame, spans: list[Period]) -> pd.DataFrame:
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    labels = {span.start: span.label for span in spans}
    frame["period"] = frame["period_start"].map(labels)
    frame = frame.merge(
        segments[["id", "name"]].rename(columns={"id": "segment_id", "name": "segment"}),
        on="segment_id",
    )
    money = ["revenue", "revenue_12m_total", "revenue_12m_median"]
    frame[money] = frame[money].astype(float).round(2)
    frame = frame.sort_values(["segment", "segment_id", "period_start"], kind="stable")
    previous = frame.groupby("segment_id")["revenue_12m_total"].shift(1)
    frame["growth_pct"] = _percent(frame["revenue_12m_total"] - previous, previous)
    frame["enablement_completion_pct"] = _percent(frame["completed"], frame["enrollments"])
    frame["open_rate_pct"] = _percent(frame["opened"], frame["messages_sent"])
    frame["click_rate_pct"] = _percent(frame["clicked"], frame["messages_sent"])
    integers = ["members", "joins", "leaves", "deals_won", "active_certifications", "messages_sent"]
    frame[integers] = frame[integers].astype(int)
    return frame[KPI_COLUMNS].reset_index(drop=True)


def segment_latest_kpis(kpis: pd.DataFrame) -> pd.DataFrame:
    """The last period of each segment from segment_kpis, one row per segment."""
    if kpis.empty:
        return kpis
    return kpis.groupby("segment_id", sort=False).tail(1).reset_index(drop=True)


def segment_at_risk_counts(*, segment_ids: list[int]) -> dict[int, int]:
    """{segment id: members flagged at risk now}; one query (none for no segments)."""
    if not segment_ids:
        return {}
    ids_sql, params = in_list("segment", [int(pk) for pk in segment_ids])
    sql = f"""
        SELECT m.segment_id, COUNT(*) AS at_risk
        FROM {Membership._meta.db_table} m JOIN {Partner._meta.db_table} p ON p.id = m.partner_id
        WHERE m.segment_id IN {ids_sql} AND p.is_at_risk
        GROUP BY m.segment_id
    """
    frame = read_sql(sql, params)
    return dict(zip(frame["segment_id"], frame["at_risk"].astype(int), strict=True))
