"""Claim: ready messages taken by one worker, FOR UPDATE SKIP LOCKED, with retry backoff."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from communications.dispatch.common import HALTED_CAMPAIGN_STATUSES, setting
from communications.models import (
    Message,
    MessageStatus,
    OccurrenceStatus,
)


def retry_delay(*, attempts: int) -> dt.timedelta:
    """How long a message waits after its `attempts`-th failed attempt: exponential."""
    base = float(setting("PRM_MESSAGE_RETRY_BACKOFF_SECONDS", 60))
    cap = float(setting("PRM_MESSAGE_RETRY_BACKOFF_MAX_SECONDS", 3600))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def messages_ready(*, now: dt.datetime | None = None) -> QuerySet[Message]:
    """Queued messages that may be sent now: never tried, or their backoff since the last
    claim has passed; none of a paused or cancelled campaign or a cancelled occurrence."""
    now = now or timezone.now()
    max_attempts = int(setting("PRM_MESSAGE_MAX_ATTEMPTS", 5))
    ready = Q(attempts=0) | Q(claimed_at__isnull=True)
    for attempts in range(1, max_attempts + 1):
        ready |= Q(attempts=attempts, claimed_at__lte=now - retry_delay(attempts=attempts))
    return (
        Message.objects.filter(status=MessageStatus.QUEUED)
        .filter(ready)
        .exclude(campaign__status__in=HALTED_CAMPAIGN_STATUSES)
        .exclude(occurrence__status=OccurrenceStatus.CANCELLED)
    )


def messages_claim(*, batch_size: int, now: dt.datetime | None = None) -> list[int]:
    """Take up to batch_size ready messages for this worker, in one short transaction:
    FOR UPDATE SKIP LOCKED (workers never wait for or share a message), then queued ->
    sending with claimed_at and attempts + 1. Returns their ids."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            messages_ready(now=now)
            .order_by("occurrence_id", "id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return []
        claimed = Message.objects.filter(id__in=ids, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if claimed != len(ids):  # only without row locks (SQLite): keep what we updated
            ids = list(
                Message.objects.filter(
                    id__in=ids, status=MessageStatus.SENDING, claimed_at=now
                ).values_list("id", flat=True)
            )
    return ids
