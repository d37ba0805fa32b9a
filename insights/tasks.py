"""Thin Celery tasks of insights; both are safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from insights import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RETRY)
def partners_at_risk_refresh_task() -> dict[str, int]:
    """Daily: recompute every partner's at-risk flag (segments re-check the flipped ones)."""
    return services.partners_at_risk_refresh()


@shared_task(acks_late=True, max_retries=0)
def weekly_digest_task() -> int:
    """Weekly: e-mail the segment digest to the channel managers (not retried: a retry after a
    partial send would mail some managers twice)."""
    return services.weekly_digest_send()
