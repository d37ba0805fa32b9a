"""The scheduler's bookkeeping: due segments and runs stuck "running"."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    Segment,
)
from segments.services.ordering import segments_evaluation_order

logger = logging.getLogger(__name__)


def segments_claim_due(*, now: dt.datetime | None = None) -> list[int]:
    """Ids of active dynamic segments due for their scheduled run, in dependency order; each
    is pushed one interval ahead so a second tick does not enqueue it again."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Segment.objects.dynamic()
            .filter(Q(next_evaluation_at__lte=now) | Q(next_evaluation_at__isnull=True))
            .select_for_update(skip_locked=True)
            .values_list("id", "refresh_interval_minutes")
        )
        for segment_id, interval in due:
            Segment.objects.filter(pk=segment_id).update(
                next_evaluation_at=now + dt.timedelta(minutes=interval)
            )
    ordered = segments_evaluation_order(segment_ids=[segment_id for segment_id, _ in due])
    return [segment.id for segment in ordered]


def evaluation_runs_sweep_stuck(*, older_than_minutes: int | None = None) -> int:
    """Mark runs left "running" by a lost worker as failed, so nothing looks in progress forever."""
    minutes = (
        settings.PRM_SEGMENT_STUCK_RUN_MINUTES if older_than_minutes is None else older_than_minutes
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    return EvaluationRun.objects.filter(
        status=EvaluationStatus.RUNNING, started_at__lt=cutoff
    ).update(
        status=EvaluationStatus.FAILED,
        error=f"no result after {minutes} minutes: the worker was lost",
        finished_at=timezone.now(),
    )
