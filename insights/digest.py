"""What the weekly digest says: per segment its members and the week's joins and leaves, the
12-month revenue and its change against the previous month, partners at risk and the
next-quarter forecast; the biggest movers first."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from django.db.models import Count, Q
from django.utils import timezone

from insights import selectors
from insights.forecasting import forecast_start, quarter_label
from partners.models import Partner
from segments.models import MembershipEvent, MembershipEventKind

TOP_CHANGES = 5


def digest_context(*, today: dt.date) -> dict[str, Any]:
    """The digest's figures as template context: week_label, rows (one per segment), top
    (the segments with the largest net change in members this week), at_risk_total."""
    week_start = today - dt.timedelta(days=7)
    kpis = selectors.segment_kpis(period_kind="month", periods=2, today=today)
    latest = selectors.segment_latest_kpis(kpis)
    rows: list[dict[str, Any]] = []
    if not latest.empty:
        ids = latest["segment_id"].tolist()
        since = timezone.make_aware(dt.datetime.combine(week_start, dt.time.min))
        week = (
            MembershipEvent.objects.filter(segment_id__in=ids, at__gte=since)
            .values("segment_id")
            .annotate(
                joined=Count("id", filter=Q(kind=MembershipEventKind.JOINED)),
                left=Count("id", filter=Q(kind=MembershipEventKind.LEFT)),
            )
            .order_by()
        )
        weekly = pd.DataFrame(list(week), columns=["segment_id", "joined", "left"])
        at_risk = selectors.segment_at_risk_counts(segment_ids=ids)
        forecasts = selectors.segment_forecasts(segment_ids=ids, today=today)
        table = latest.merge(weekly, on="segment_id", how="left").merge(
            forecasts[["segment_id", "next_quarter", "backtest_mape_pct"]],
            on="segment_id",
            how="left",
        )
        table[["joined", "left"]] = table[["joined", "left"]].fillna(0).astype(int)
        table["at_risk"] = table["segment_id"].map(at_risk).fillna(0).astype(int)
        table["net_change"] = table["joined"] - table["left"]
        table = table.astype(object).where(table.notna(), None)
        rows = table.to_dict("records")
    top = sorted(
        (row for row in rows if row["net_change"]), key=lambda row: -abs(row["net_change"])
    )[:TOP_CHANGES]
    return {
        "week_label": f"{week_start:%d %b} - {today:%d %b %Y}",
        "quarter_label": quarter_label(forecast_start(today)),
        "rows": rows,
        "top": top,
        "at_risk_total": Partner.objects.filter(is_at_risk=True).count(),
    }
