"""Thin Celery tasks: ids in, one service call. All are safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from enablement import services

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


@shared_task(**RETRY)
def enrollments_auto_enrol_task(
    segment_id: int, partner_ids: list[int] | None = None, path_ids: list[int] | None = None
) -> int:
    """Enrol the contacts of partners that joined a segment in the paths auto-enrolling from it."""
    return services.enrollments_auto_enrol(
        segment_id=segment_id, partner_ids=partner_ids, path_ids=path_ids
    )


@shared_task(**RETRY)
def engagement_rollup_task(partner_ids: list[int] | None = None) -> int:
    """Roll engagement up into these partners' profiles (None: nightly, every partner)."""
    return services.engagement_rollup(partner_ids=partner_ids)


@shared_task(**RETRY)
def certifications_expiring_task(within_days: int | None = None) -> int:
    """Daily: record a reminder for each partner certification expiring soon (once each)."""
    days = within_days or getattr(settings, "PRM_CERTIFICATION_REMINDER_DAYS", 30)
    return services.certification_reminders_record(within_days=days)
