"""Thin Celery tasks of the partners app."""

from celery import shared_task

from partners import services


@shared_task(acks_late=True)
def partners_rollup_performance_task() -> int:
    """Monthly: move every partner with performance records to the new 12-month window."""
    return services.partners_rollup_performance(partner_ids=None)
