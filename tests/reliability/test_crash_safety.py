"""Crash safety with real Celery workers on Redis: a worker killed with SIGKILL (its whole
process group, the main process and the pool child, as an OOM kill or a lost machine would)
in the middle of a dispatch of 1,000 messages to a real SMTP server, and in the middle of a
segment evaluation over 50,000 partners. A fresh worker, the sweepers and acks_late
redelivery must then finish the work exactly once — but for the one window the dispatch
documents: the message the server had taken when the worker died goes out a second time,
with the same Message-ID. Both kills land at a chosen point (a held SMTP reply, a held row
lock), so that each run tests the same thing."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from communications import dispatch, tasks
from communications.models import (
    CampaignStatus,
    Message,
    MessageStatus,
    OccurrenceStatus,
)
from partners.models import Contact, Partner
from segments import services as segment_services
from segments import tasks as segment_tasks
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    Membership,
    MembershipEvent,
    MembershipEventKind,
)
from segments.rules import compile_rule
from tests.celery_worker import (
    _database_url,
    kill_worker,
    private_queue,
    wait_until,
    worker_process,
)
from tests.communications.factories import CampaignFactory, OccurrenceFactory
from tests.communications.smtp import CountingHandler, smtp_server
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import StaticSegmentFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def broker(queue: str, *, recovering: bool = False) -> dict:
    """Worker settings for Redis: the unacknowledged tasks of this test's workers under keys
    of their own, so that the worker which comes after the crash takes back only theirs
    (never a task of another test's worker on the same Redis database). That worker takes
    a task back once it has been out 8 s (the production default is an hour), and looks
    every second; 8 s is longer than any task it runs here, so it never takes back one of
    its own."""
    options = {
        "unacked_key": f"{queue}:unacked",
        "unacked_index_key": f"{queue}:unacked_index",
        "unacked_mutex_key": f"{queue}:unacked_mutex",
    }
    if recovering:
        options.update(visibility_timeout=8, unacked_restore_interval=1, unacked_restore_throttle=1)
    return {"CELERY_BROKER_TRANSPORT_OPTIONS": options}


def tail(path: Path) -> str:
    return path.read_text()[-4000:] if path.exists() else ""


def task_ids(log_path: Path, task_name: str, event: str) -> list[str]:
    """Ids of the tasks the worker log reports as `event` (received, succeeded)."""
    pattern = rf"Task {re.escape(task_name)}\[([0-9a-f-]+)\] {event}"
    return re.findall(pattern, log_path.read_text())


def in_flight(log_path: Path, task_name: str) -> list[str]:
    """Tasks the (killed) worker had received and never finished."""
    done = set(task_ids(log_path, task_name, "succeeded"))
    return [task for task in task_ids(log_path, task_name, "received") if task not in done]


# ---------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------

SEND_BATCH_TASK = "communications.tasks.messages_send_batch_task"


def queued_occurrence(*, contacts: int):
    """A frozen occurrence with one queued e-mail for each of `contacts` contacts."""
    segment = StaticSegmentFactory()
    partners = PartnerFactory.create_batch(20)
    segment_services.segment_members_add(segment=segment, partner_ids=[p.id for p in partners])
    Contact.objects.bulk_create(
        ContactFactory.build(partner=partners[n % len(partners)]) for n in range(contacts)
    )
    campaign = CampaignFactory(include_segments=[segment], status=CampaignStatus.SCHEDULED)
    occurrence = OccurrenceFactory(campaign=campaign, due_at=timezone.now())
    assert dispatch.occurrence_freeze(occurrence_id=occurrence.id)["queued"] == contacts
    return occurrence


class ReplyHeldHandler(CountingHandler):
    """Takes every message in (counted), and holds back the 250 reply to the `hold_at`-th
    until released: a worker killed meanwhile has handed that message over without learning
    that it was taken."""

    def __init__(self, *, hold_at: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        if self.total == self.hold_at and not self.holding.is_set():
            self.holding.set()
            deadline = time.monotonic() + 60
            while not self.released.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        return reply


def test_a_worker_killed_mid_dispatch_of_1000_messages_delivers_each_exactly_once(tmp_path):
    # given: 1,000 queued e-mails and a real SMTP server that takes 5 ms over each one and
    # holds its reply to the 175th (the middle of the fourth batch of 50)
    occurrence = queued_occurrence(contacts=1000)
    handler = ReplyHeldHandler(hold_at=175, keep_messages=False, delay=0.005)
    logs = [tmp_path / "first-worker.log", tmp_path / "recovery-worker.log"]
    with smtp_server(handler) as server, private_queue("crash") as queue:
        try:
            mail = {**server.email_settings(), "PRM_MESSAGE_BATCH_SIZE": 50}
            first_settings = {**mail, **broker(queue)}
            with worker_process(
                logs[0], queue=queue, pool="prefork", settings=first_settings
            ) as first:
                tasks.messages_send_batch_task.apply_async(kwargs={"batch_size": 50})
                started = wait_until(handler.holding.is_set, timeout=60, interval=0.01)
                assert started, tail(logs[0])
                # when: the worker dies mid-batch, with no chance to clean up or acknowledge
                kill_worker(first)
        finally:
            handler.released.set()
        killed_at = time.monotonic()
        delivered_at_kill = Counter(handler.received)
        stuck = {m.id: m.message_id for m in Message.objects.filter(status=MessageStatus.SENDING)}
        # The documented window: the server has taken a message, but its "sent" mark was
        # not committed when the worker died (here: the worker died waiting for the 250). It
        # goes out again after the sweep, with the same Message-ID. A worker sends one
        # message at a time, so a kill leaves at most one message in the window.
        in_window = {message_id for message_id in stuck.values() if message_id in delivered_at_kill}
        assert delivered_at_kill.total() == 175
        assert len(stuck) == 26 and len(in_window) == 1, (stuck, in_window)
        lost_tasks = in_flight(logs[0], SEND_BATCH_TASK)
        assert len(lost_tasks) == 1, tail(logs[0])

        # and: a fresh worker, with the lease and retry backoff short; once the lease of the
        # killed worker's claims has run out, the sweeper (beat, every minute) runs
        recovery = {
            **mail,
            **broker(queue, recovering=True),
            "PRM_MESSAGE_SENDING_TIMEOUT_SECONDS": 3,
            "PRM_MESSAGE_RETRY_BACKOFF_SECONDS": 0,
        }
        with worker_process(logs[1], queue=queue, pool="prefork", settings=recovery):
            time.sleep(max(0.0, killed_at + 3.1 - time.monotonic()))
            tasks.messages_sweep_task.apply_async()
            settled = wait_until(
                lambda: (
                    not Message.objects.filter(
                        status__in=[MessageStatus.QUEUED, MessageStatus.SENDING]
                    ).exists()
                ),
                timeout=60,
            )
            assert settled, tail(logs[1])
            # the killed worker's task is delivered again (acks_late) and finds nothing to do
            redelivered = wait_until(
                lambda: set(lost_tasks) <= set(task_ids(logs[1], SEND_BATCH_TASK, "succeeded")),
                timeout=30,
            )
            assert redelivered, tail(logs[1])

    # then: every message arrived, none twice outside the window, all marked sent
    messages = list(Message.objects.filter(occurrence=occurrence))
    received = Counter(handler.received)
    assert len(messages) == 1000
    assert Counter(m.status for m in messages) == {MessageStatus.SENT: 1000}
    assert set(received) == {m.message_id for m in messages}
    duplicates = {message_id for message_id, count in received.items() if count > 1}
    assert duplicates == in_window, (duplicates, in_window)
    assert max(received.values()) == 2
    assert received.total() == 1001
    # the swept ones took a second attempt; the rest went out at the first
    attempts = {m.id: m.attempts for m in messages}
    assert all(attempts[message_id] == 2 for message_id in stuck)
    assert Counter(attempts.values()) == {1: 1000 - len(stuck), 2: len(stuck)}
    occurrence.refresh_from_db()
    assert occurrence.status == OccurrenceStatus.DONE


# ---------------------------------------------------------------------------------------
# Segment evaluation
# ---------------------------------------------------------------------------------------

EVALUATE_TASK = "segments.tasks.segment_evaluate_task"
PARTNERS = 50_000
OLD_RULE = {"field": "region", "op": "eq", "value": "emea"}
NEW_RULE = {
    "all": [
        {"field": "region", "op": "in", "value": ["emea", "na"]},
        {"field": "annual_revenue", "op": "gte", "value": 5_000_000},
    ]
}


def insert_partners(count: int) -> None:
    """`count` partners in one INSERT … SELECT: two in five in EMEA, one in five in NA,
    annual revenues spread evenly from 0 to ten million."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO partners_partner (
                name, external_id, partner_type, region, annual_revenue, lifecycle_stage,
                attributes, created_at, updated_at)
            SELECT 'Crash partner ' || i, 'CRASH-' || lpad(i::text, 8, '0'),
                   (ARRAY['reseller', 'var', 'msp', 'referral'])[1 + i %% 4],
                   (ARRAY['na', 'emea', 'apac', 'latam', 'emea'])[1 + (i / 4) %% 5],
                   (i %% 1000) * 10000, 'active', '{}', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [count],
        )


def rule_partner_ids(rule) -> set[int]:
    return set(Partner.objects.filter(compile_rule(rule)).values_list("id", flat=True))


def member_ids(segment) -> set[int]:
    return set(Membership.objects.filter(segment=segment).values_list("partner_id", flat=True))


def blocked_by(pid: int) -> list[int]:
    """The database sessions waiting for a lock that session `pid` holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid]
        )
        return [row[0] for row in cursor.fetchall()]


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def terminate_backend(pid: int) -> None:
    """The database session of a worker this test killed (only if it somehow outlived it)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def analyze(*tables: str) -> None:
    """Statistics for freshly filled tables: autovacuum may be off (it is on the CI machine),
    and without them the planner can take minutes over 50,000 rows instead of a second."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")


def test_a_worker_killed_mid_evaluation_leaves_exact_memberships_and_no_run_running(tmp_path):
    # given: 50,000 partners and a segment evaluated under its old rule
    insert_partners(PARTNERS)
    analyze("partners_partner")
    segment = segment_services.segment_create(
        data={"name": "Crash", "objective": "test", "kind": "dynamic", "rule": OLD_RULE}
    )
    analyze("segments_membership", "segments_membershipevent")
    old_members = member_ids(segment)
    assert old_members == rule_partner_ids(OLD_RULE)
    new_members = rule_partner_ids(NEW_RULE)
    joiners, leavers = new_members - old_members, old_members - new_members
    assert len(joiners) == PARTNERS // 10 and len(leavers) == PARTNERS // 5
    # A barrier that lands the kill mid-statement, deterministically: another session holds
    # an uncommitted membership row of the last partner to join, so the evaluation's
    # INSERT … ON CONFLICT has written the other joiners and waits for that session.
    blocker = psycopg2.connect(_database_url())
    orphan_pid: int | None = None
    logs = [tmp_path / "first-worker.log", tmp_path / "recovery-worker.log"]
    try:
        with blocker.cursor() as cursor:
            cursor.execute(
                "INSERT INTO segments_membership (segment_id, partner_id, joined_at) "
                "VALUES (%s, %s, now())",
                [segment.id, max(joiners)],
            )
            cursor.execute("SELECT pg_backend_pid()")
            blocker_pid = cursor.fetchone()[0]
        with private_queue("crash") as queue:
            first_settings = broker(queue)
            with worker_process(
                logs[0], queue=queue, pool="prefork", settings=first_settings
            ) as first:
                # when: the rule changes (the evaluation goes to the worker) …
                segment = segment_services.segment_update(segment=segment, data={"rule": NEW_RULE})
                mid_statement = wait_until(lambda: blocked_by(blocker_pid), timeout=180)
                assert mid_statement, tail(logs[0])
                (orphan_pid,) = blocked_by(blocker_pid)
                # … and the worker dies mid-evaluation
                kill_worker(first)
            lost_tasks = in_flight(logs[0], EVALUATE_TASK)
            assert len(lost_tasks) == 1, tail(logs[0])
            orphan_run = EvaluationRun.objects.get(segment=segment, segment_version=segment.version)
            assert orphan_run.status == EvaluationStatus.RUNNING
            assert member_ids(segment) == old_members

            # and: a fresh worker takes the lost task back from Redis (acks_late) and runs it;
            # runs count as stuck after 3 s here (30 minutes by default)
            recovery = {**broker(queue, recovering=True), "PRM_SEGMENT_STUCK_RUN_MINUTES": 0.05}
            with worker_process(logs[1], queue=queue, pool="prefork", settings=recovery):
                # The database is still running the dead worker's statement, whose
                # transaction holds the segment's row lock: the new run waits for it.
                rerun_waits = wait_until(lambda: blocked_by(orphan_pid), timeout=180)
                assert rerun_waits, tail(logs[1])
                # Once the statement can go on, it finishes, cannot answer the dead worker
                # and its transaction is rolled back; then the new run goes ahead.
                blocker.rollback()
                rolled_back = wait_until(lambda: not backend_alive(orphan_pid), timeout=180)
                assert rolled_back
                evaluated = wait_until(
                    lambda: set(lost_tasks) <= set(task_ids(logs[1], EVALUATE_TASK, "succeeded")),
                    timeout=180,
                )
                assert evaluated, tail(logs[1])
                # and the sweeper (beat) closes the run the dead worker left "running"
                segment_tasks.evaluation_runs_sweep_task.apply_async()
                swept = wait_until(
                    lambda: (
                        not EvaluationRun.objects.filter(status=EvaluationStatus.RUNNING).exists()
                    ),
                    timeout=30,
                )
                assert swept, tail(logs[1])
    finally:
        blocker.close()
        if orphan_pid is not None and backend_alive(orphan_pid):
            terminate_backend(orphan_pid)

    # then: memberships equal a fresh evaluation of the rule
    assert member_ids(segment) == new_members == rule_partner_ids(NEW_RULE)
    # and no run is left running: the lost one failed, the redelivered one succeeded
    assert not EvaluationRun.objects.filter(status=EvaluationStatus.RUNNING).exists()
    orphan_run.refresh_from_db()
    assert orphan_run.status == EvaluationStatus.FAILED
    rerun = EvaluationRun.objects.get(
        segment=segment, segment_version=segment.version, status=EvaluationStatus.SUCCEEDED
    )
    assert (rerun.joined, rerun.left) == (len(joiners), len(leavers))
    assert rerun.matched == len(new_members)
    # and the history has each join and leave once, written by the run that made it …
    events = list(
        MembershipEvent.objects.filter(segment=segment)
        .order_by("partner_id", "id")
        .values_list("partner_id", "kind", "run_id")
    )
    assert not [event for event in events if event[2] == orphan_run.id]
    assert max(Counter(events).values()) == 1
    by_rerun = {(partner_id, kind) for partner_id, kind, run_id in events if run_id == rerun.id}
    assert by_rerun == {(pid, MembershipEventKind.JOINED) for pid in joiners} | {
        (pid, MembershipEventKind.LEFT) for pid in leavers
    }
    # … and each partner's history alternates, joined first, and ends as it is now
    histories: dict[int, list[str]] = {}
    for partner_id, kind, _run_id in events:
        histories.setdefault(partner_id, []).append(kind)
    joined, left = MembershipEventKind.JOINED, MembershipEventKind.LEFT
    for partner_id, kinds in histories.items():
        alternating = [joined, left] * (len(kinds) // 2) + [joined] * (len(kinds) % 2)
        assert kinds == alternating, (partner_id, kinds)
    assert {pid for pid, kinds in histories.items() if kinds[-1] == joined} == new_members
    segment.refresh_from_db()
    assert segment.member_count == len(new_members)
