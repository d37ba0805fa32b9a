"""Thin Celery tasks of the partners app."""

from celery import shared_task

from partners import services, tiers
from partners.models import TierChangeSource


@shared_task(acks_late=True)
def partners_rollup_performance_task() -> int:
    """Monthly: move every partner with performance records to the new 12-month window."""
    return services.partners_rollup_performance(partner_ids=None)


@shared_task(acks_late=True)
def tiers_evaluate_task() -> dict[str, int]:
    """Daily: move partners to the tier they qualify for, or queue the moves for approval
    (settings.PRM_TIER_CHANGES_REQUIRE_APPROVAL); safe to run twice."""
    return tiers.tiers_evaluate(source=TierChangeSource.SCHEDULE)
