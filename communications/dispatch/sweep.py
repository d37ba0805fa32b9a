"""Sweep: messages of lost workers back to the queue; finished occurrences done."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import Exists, OuterRef
from django.utils import timezone

from communications.dispatch.claim import messages_ready
from communications.dispatch.common import setting
from communications.models import (
    CampaignOccurrence,
    Message,
    MessageStatus,
    OccurrenceStatus,
)

logger = logging.getLogger(__name__)


def occurrences_complete() -> int:
    """Frozen occurrences with nothing queued or sending any more become done."""
    unfinished = Message.objects.filter(occurrence_id=OuterRef("pk"))
    return (
        CampaignOccurrence.objects.filter(status=OccurrenceStatus.FROZEN)
        .exclude(Exists(unfinished.filter(status=MessageStatus.QUEUED)))
        .exclude(Exists(unfinished.filter(status=MessageStatus.SENDING)))
        .update(status=OccurrenceStatus.DONE)
    )


def messages_sweep(*, older_than_seconds: float | None = None) -> dict:
    """Messages left "sending" longer than PRM_MESSAGE_SENDING_TIMEOUT_SECONDS belong to a
    lost worker: queue them again (their attempt counts), or fail them once attempts are
    used up. Also completes finished occurrences. Returns counts and whether messages are
    ready with none in flight (ready_waiting, up to what the senders take at once: the task
    then starts senders)."""
    if older_than_seconds is None:
        older_than_seconds = float(setting("PRM_MESSAGE_SENDING_TIMEOUT_SECONDS", 600))
    cutoff = timezone.now() - dt.timedelta(seconds=older_than_seconds)
    max_attempts = int(setting("PRM_MESSAGE_MAX_ATTEMPTS", 5))
    note = (
        f"the worker sending it was lost (no result after {older_than_seconds:g} s); "
        "it may have been delivered"
    )
    stuck = Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=cutoff)
    failed = stuck.filter(attempts__gte=max_attempts).update(
        status=MessageStatus.FAILED, last_error=note
    )
    requeued = stuck.update(status=MessageStatus.QUEUED, last_error=note)
    if requeued or failed:
        logger.warning("swept %s stuck message(s) back to the queue, %s failed", requeued, failed)
    completed = occurrences_complete()
    waiting = 0
    if not Message.objects.filter(status=MessageStatus.SENDING).exists():
        limit = int(setting("PRM_MESSAGE_BATCH_SIZE", 200)) * int(
            setting("PRM_MESSAGE_SEND_PARALLELISM", 4)
        )
        waiting = len(messages_ready().values_list("id", flat=True)[:limit])
    return {
        "requeued": requeued,
        "failed": failed,
        "occurrences_done": completed,
        "ready_waiting": waiting,
    }
