"""Exactly-once dispatch through real Celery workers on Redis, with a worker killed (SIGKILL)
in the middle of a batch."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from communications import dispatch, tasks
from communications.models import CampaignStatus, Message, MessageStatus
from prm.celery import app
from tests.celery_worker import ROOT, _database_url, wait_until
from tests.communications.factories import CampaignFactory, OccurrenceFactory
from tests.communications.smtp import CountingHandler, smtp_server
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

# The worker runs the test settings with e-mail pointed at this test's SMTP server (the
# settings file sends to memory; a worker process cannot share that with the test).
WORKER_BOOT = """
import os, sys
import django
django.setup()
from django.conf import settings
settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(os.environ["PRM_TEST_SMTP_PORT"])
settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
settings.EMAIL_TIMEOUT = 10
settings.PRM_MESSAGE_RETRY_BACKOFF_SECONDS = 0
from prm.celery import app
app.worker_main(sys.argv[1:])
"""


@contextlib.contextmanager
def worker_sending_to(*, queue: str, smtp_port: int, log_path: Path) -> Iterator[subprocess.Popen]:
    """A `celery worker` (solo pool) on a private queue of Redis, sending to our SMTP port."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PRM_TEST_SMTP_PORT": str(smtp_port),
    }
    command = [
        sys.executable, "-c", WORKER_BOOT, "worker", "-Q", queue, "--pool", "solo",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


@contextlib.contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_dispatch_loses_no_message_and_sends_none_twice(tmp_path):
    # given: 300 queued messages and an SMTP server that takes 20 ms per message
    segment = StaticSegmentFactory()
    partner = PartnerFactory()
    MembershipFactory(segment=segment, partner=partner)
    ContactFactory.create_batch(300, partner=partner)
    campaign = CampaignFactory(include_segments=[segment], status=CampaignStatus.SCHEDULED)
    occurrence = OccurrenceFactory(campaign=campaign, due_at=timezone.now())
    assert dispatch.occurrence_freeze(occurrence_id=occurrence.id)["queued"] == 300
    handler = CountingHandler(keep_messages=False, delay=0.02)
    queue = f"prm-test-{uuid.uuid4().hex[:10]}"
    logs = [tmp_path / "first-worker.log", tmp_path / "second-worker.log"]
    with smtp_server(handler) as server, tasks_sent_to(queue):
        with worker_sending_to(queue=queue, smtp_port=server.port, log_path=logs[0]) as first:
            tasks.messages_send_batch_task.apply_async(kwargs={"batch_size": 50})
            started = wait_until(lambda: handler.total >= 120, timeout=60, interval=0.01)
            assert started, logs[0].read_text()[-3000:]
            # when: the worker is killed mid-batch, with no chance to clean up
            first.kill()
            first.wait()
        delivered_at_kill = set(handler.received)
        stuck = list(Message.objects.filter(status=MessageStatus.SENDING))
        # Delivered by the SMTP server but not yet marked sent: the one window that remains.
        in_window = {m.message_id for m in stuck if m.message_id in delivered_at_kill}
        assert stuck, Counter(Message.objects.values_list("status", flat=True))
        time.sleep(1.1)
        with worker_sending_to(queue=queue, smtp_port=server.port, log_path=logs[1]):
            # and a second worker runs the sweeper, which queues the lost batch again
            tasks.messages_sweep_task.apply_async(kwargs={"older_than_seconds": 1})
            finished = wait_until(
                lambda: not Message.objects.exclude(status=MessageStatus.SENT).exists(),
                timeout=90,
            )
            assert finished, logs[1].read_text()[-3000:]
        # then: every message arrived, none twice (outside the window, which is empty or tiny)
        messages = list(Message.objects.filter(occurrence=occurrence))
        received = dict(handler.received)
        assert len(messages) == 300
        assert {m.status for m in messages} == {MessageStatus.SENT}
        assert set(received) == {m.message_id for m in messages}
        duplicates = {message_id for message_id, count in received.items() if count > 1}
        assert duplicates <= in_window, (duplicates, in_window)
        assert max(received.values()) <= 2
        assert len(in_window) <= 1
        swept = [m for m in messages if m.id in {s.id for s in stuck}]
        assert swept and all(m.attempts == 2 for m in swept)
