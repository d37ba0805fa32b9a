"""Reads across the apps for the channel manager's dashboard (prm sits above every app)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from communications.selectors import campaign_performance_recent, campaign_status_counts
from enablement.selectors import enablement_completion_overview
from partners.selectors import contact_count, partner_breakdown
from segments.selectors import segment_size_ranking, segment_warnings, segments_size_history

TREND_DAYS = (30, 90)
TREND_SEGMENTS = 5
CACHE_SECONDS = 60


def dashboard_figures(*, trend_days: int = 30, use_cache: bool = True) -> dict[str, Any]:
    """Every figure of the dashboard, each from set-based aggregates (a constant number of
    queries, whatever the number of partners); kept in the cache for a minute."""
    if trend_days not in TREND_DAYS:
        raise ValueError(f"trend_days must be one of {TREND_DAYS}")
    key = f"prm:dashboard:{trend_days}"
    if use_cache:
        figures = cache.get(key)
        if figures is not None:
            return figures
    figures = _compute(trend_days=trend_days)
    if use_cache:
        cache.set(key, figures, getattr(settings, "PRM_DASHBOARD_CACHE_SECONDS", CACHE_SECONDS))
    return figures


def _compute(*, trend_days: int) -> dict[str, Any]:
    segments = segment_size_ranking()
    active_segments = [segment for segment in segments if segment["is_active"]]
    trended = [segment for segment in active_segments if segment["member_count"]][:TREND_SEGMENTS]
    return {
        "partners": partner_breakdown(),
        "contacts": contact_count(),
        "segments": segments,
        "segments_active": len(active_segments),
        "trend_days": trend_days,
        "trend": [
            {"segment": segment, "points": points}
            for segment, points in zip(
                trended,
                segments_size_history(segments=trended, days=trend_days).values(),
                strict=True,
            )
        ],
        "warnings": segment_warnings(),
        "enablement": enablement_completion_overview(),
        "campaigns": campaign_performance_recent(),
        "campaign_status": campaign_status_counts(),
        "computed_at": timezone.now(),
    }
