"""Thin Celery tasks of the deals app: the work is in deals.services."""

from __future__ import annotations

from celery import shared_task

from deals.services import deals_expire_due, deals_mark_overdue, deals_remind_expiring
from deals.stats import deal_stats_refresh_all


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deals_sla_sweep_task() -> dict[str, int]:
    """Mark overdue reviews, remind partners of protection ending soon, expire what ended.
    Safe to run twice: each step touches only rows it has not handled yet."""
    return {
        "overdue": len(deals_mark_overdue()),
        "reminded": len(deals_remind_expiring()),
        "expired": len(deals_expire_due()),
    }


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def deal_stats_refresh_all_task() -> dict[str, int]:
    """Daily: every partner's 12-month deal figures, a chunk per transaction (the window
    rolls, protections end); the partners whose figures moved go to the segments' change
    path. Safe to run twice: a second run finds nothing moved."""
    return deal_stats_refresh_all()
