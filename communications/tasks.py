"""Thin Celery tasks: load by id, call one service, enqueue what follows. All are safe to run
twice (acks_late: a task of a killed worker runs again; the per-message state decides)."""

from __future__ import annotations

import math
import smtplib

from celery import shared_task
from django.conf import settings
from django.db import transaction

from communications import dispatch, notices, scheduling


def _enqueue_senders(*, ready: int) -> int:
    """Start up to PRM_MESSAGE_SEND_PARALLELISM sender chains for `ready` messages; each
    chain claims batch after batch until nothing is ready."""
    batch_size = int(getattr(settings, "PRM_MESSAGE_BATCH_SIZE", 200))
    parallelism = int(getattr(settings, "PRM_MESSAGE_SEND_PARALLELISM", 4))
    chains = min(parallelism, math.ceil(ready / batch_size)) if ready > 0 else 0
    for _ in range(chains):
        transaction.on_commit(lambda: messages_send_batch_task.delay())
    return chains


@shared_task(acks_late=True)
def occurrences_tick_task() -> dict:
    """Beat, every minute: create the occurrences that are due, then freeze every pending
    occurrence whose time has come (including segment-join ones after their delay)."""
    created = scheduling.occurrences_create_due()
    due = sorted(set(created) | set(dispatch.occurrences_due_ids()))
    for occurrence_id in due:
        occurrence_freeze_task.delay(occurrence_id)
    return {"created": len(created), "freezing": len(due)}


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def occurrence_freeze_task(occurrence_id: int) -> dict:
    """Freeze one occurrence's recipients, then start senders for what was queued."""
    result = dispatch.occurrence_freeze(occurrence_id=occurrence_id)
    result["senders"] = _enqueue_senders(ready=result.get("queued", 0))
    return result


@shared_task(acks_late=True, max_retries=0)
def messages_send_batch_task(batch_size: int | None = None) -> dict:
    """Claim and send one batch; enqueue the next one while messages are ready."""
    result = dispatch.messages_send_batch(batch_size=batch_size)
    if result["claimed"] and result["ready_remaining"]:
        messages_send_batch_task.apply_async(kwargs={"batch_size": batch_size})
    return result


@shared_task(acks_late=True)
def messages_sweep_task(older_than_seconds: float | None = None) -> dict:
    """Beat, every minute: queue again the messages of lost workers, complete finished
    occurrences, and start senders when ready messages (retries whose backoff passed, swept
    ones) wait with none in flight."""
    result = dispatch.messages_sweep(older_than_seconds=older_than_seconds)
    result["senders"] = _enqueue_senders(ready=result["ready_waiting"])
    return result


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deal_notices_task(notice: str, deal_ids: list[int], reason: str = "") -> dict:
    """Write a deal notice for these registrations' partners (inbox, and e-mail queued for
    the dispatcher), then start senders. Safe to run twice: nothing is written twice."""
    result = notices.deal_notices_create(notice=notice, deal_ids=deal_ids, reason=reason)
    result["senders"] = _enqueue_senders(ready=result["queued"])
    return result


@shared_task(
    acks_late=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def deals_overdue_notify_task(deal_ids: list[int]) -> dict:
    """E-mail the channel managers of registrations found overdue for review. Retried when
    the mail server fails (a manager already sent to may then get theirs twice)."""
    return notices.deals_overdue_notify(deal_ids=deal_ids)
