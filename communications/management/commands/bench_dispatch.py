"""Benchmark dispatch on PostgreSQL.

(a) Freeze: N generated contacts (partners, contacts, preferences and a week of sending
history made set-based with generate_series) in one segment; one occurrence is frozen by
the product (dispatch.occurrence_freeze: the audience query of
selectors.occurrence_audience wrapped in the INSERT … SELECT with the suppression CASE),
and the same single INSERT … SELECT is run as written by hand, on the same data (the
message table is reset to the same history before each). Target: freeze within 1.5x.
(b) Send: M queued messages (an HTML campaign with personalisation and two links) sent by
2 worker processes (forked, each looping dispatch.messages_send_batch) through a local SMTP
sink that counts what it accepted by Message-ID. Target: >= 1,000 messages/s. The sink is
a minimal asyncio SMTP responder (--sink minimal, the default) or aiosmtpd (--sink
aiosmtpd): on a 2-core machine aiosmtpd's own CPU per message (~0.5 ms, more than half the
workers') is a large share of what the benchmark measures, and it is not the product's.

WIPES partners, contacts, campaigns and messages (TRUNCATE … CASCADE) before and, without
--keep, after the run; refuses when the database holds partners or campaigns that are not
the benchmark's unless --force. The last line printed is JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import resource
import socket
import threading
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections, transaction
from django.test.utils import override_settings
from django.utils import timezone

from communications import dispatch
from communications.management.commands._bench_sinks import AiosmtpdSink, MinimalSink
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    Topic,
)
from partners.models import Partner
from segments.models import Segment, SegmentKind

PREFIX = "DISPATCH-BENCH-"
SEGMENT_SLUG = "dispatch-bench-all"
CAMPAIGN_PREFIX = "dispatch-bench "
WIPE_SQL = """
    TRUNCATE partners_partner, partners_contact, communications_campaign,
             communications_campaignoccurrence, communications_message,
             communications_contactpreference, segments_membership
    CASCADE
"""
PARTNERS_SQL = """
    INSERT INTO partners_partner (name, external_id, partner_type, region, lifecycle_stage,
                                  attributes, created_at, updated_at)
    SELECT 'Dispatch Bench ' || i, %(prefix)s || lpad(i::text, 8, '0'),
           (ARRAY['reseller', 'var', 'msp', 'referral', 'si', 'isv'])[1 + i %% 6],
           (ARRAY['na', 'emea', 'apac', 'latam'])[1 + i %% 4], 'active', '{}', now(), now()
    FROM generate_series(1, %(partners)s) AS i
"""
# Contact n belongs to the ((n - 1) / per + 1)-th partner; 1 in 40 has not opted in, and
# one address is empty (Contact.email is unique, so there can be only one).
CONTACTS_SQL = """
    INSERT INTO partners_contact (partner_id, first_name, last_name, email, phone, job_title,
                                  role, interests, language, email_opt_in, created_at,
                                  updated_at)
    SELECT p.id, 'Bench', 'Contact ' || n,
           CASE WHEN n = 7 THEN '' ELSE 'bench-' || n || '@example.test' END, '', '',
           (ARRAY['sales', 'technical', 'marketing', 'executive'])[1 + n %% 4], '[]', 'en',
           n %% 40 <> 0, now(), now()
    FROM generate_series(1, %(contacts)s) AS n
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM partners_partner) p
      ON p.rank = (n - 1) / %(per)s + 1
"""
# A fifth of the contacts set preferences: some unsubscribed, some out of "news", some
# with their own weekly cap.
PREFERENCES_SQL = """
    INSERT INTO communications_contactpreference (contact_id, unsubscribed_all,
                                                  topics_opted_out, max_per_week, updated_at)
    SELECT id, id %% 50 = 0,
           CASE WHEN id %% 35 = 0 THEN '["news"]'::jsonb ELSE '["events"]'::jsonb END,
           CASE WHEN id %% 15 = 0 THEN 1 END, now()
    FROM partners_contact WHERE id %% 5 = 0
"""
# A week of history from another campaign: 30% of contacts got one message, 5% got three
# (over the default cap of 3 per week).
HISTORY_SQL = """
    INSERT INTO communications_message (campaign_id, occurrence_id, contact_id, partner_id,
        channel, status, suppression_reason, to_email, subject, body, links, message_id,
        attempts, last_error, created_at, sent_at)
    SELECT %(campaign)s, o.id, c.id, c.partner_id, 'email', 'sent', '', c.email, '', '',
           '[]', '', 1, '', now() - interval '3 days', now() - interval '3 days'
    FROM partners_contact c
    JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rank
          FROM communications_campaignoccurrence WHERE campaign_id = %(campaign)s) o
      ON o.rank = 1 OR (c.id %% 20 = 0 AND o.rank <= 3)
    WHERE c.id %% 10 < 3 OR c.id %% 20 = 0
"""
# The same freeze, as a person who knows the schema would write it for this campaign.
HAND_FREEZE_SQL = """
    INSERT INTO communications_message (campaign_id, occurrence_id, contact_id, partner_id,
        channel, status, suppression_reason, to_email, subject, body, links, message_id,
        attempts, last_error, created_at, sent_at)
    SELECT %(campaign)s, %(occurrence)s, c.id, c.partner_id, 'email',
           CASE WHEN r.reason = '' THEN 'queued' ELSE 'suppressed' END, r.reason, c.email,
           '', '', '[]', '', 0, '', %(now)s, NULL
    FROM partners_contact c
    LEFT JOIN communications_contactpreference p ON p.contact_id = c.id
    CROSS JOIN LATERAL (SELECT CASE
        WHEN p.unsubscribed_all OR NOT c.email_opt_in THEN 'opted_out'
        WHEN p.topics_opted_out @> '["news"]' THEN 'topic_opt_out'
        WHEN c.email = '' THEN 'no_email'
        WHEN (SELECT count(*) FROM communications_message m
              WHERE m.contact_id = c.id AND m.sent_at >= %(since)s
                AND m.campaign_id NOT IN (SELECT id FROM communications_campaign
                                          WHERE is_system))
           + (SELECT count(*) FROM communications_message m
              WHERE m.contact_id = c.id AND m.status IN ('queued', 'sending')
                AND m.created_at >= %(since)s
                AND m.campaign_id NOT IN (SELECT id FROM communications_campaign
                                          WHERE is_system))
           >= coalesce(p.max_per_week, %(cap)s) THEN 'frequency_cap'
        ELSE '' END AS reason) r
    WHERE EXISTS (SELECT 1 FROM segments_membership s
                  WHERE s.partner_id = c.partner_id AND s.segment_id = %(segment)s)
    ON CONFLICT (campaign_id, contact_id, occurrence_id) DO NOTHING
"""
SEND_QUEUE_SQL = """
    INSERT INTO communications_message (campaign_id, occurrence_id, contact_id, partner_id,
        channel, status, suppression_reason, to_email, subject, body, links, message_id,
        attempts, last_error, created_at, sent_at)
    SELECT %(campaign)s, %(occurrence)s, c.id, c.partner_id, 'email', 'queued', '', c.email,
           '', '', '[]', '', 0, '', now(), NULL
    FROM partners_contact c
    LEFT JOIN communications_contactpreference p ON p.contact_id = c.id
    WHERE c.email_opt_in AND c.email <> '' AND p.id IS NULL
    ORDER BY c.id
    LIMIT %(messages)s
"""
SEND_SUBJECT = "News for {{ partner.name }}"
SEND_BODY = """<html><body>
<p>Hello {{ contact.first_name }},</p>
<p>{% if tier %}As a {{ tier.name }} partner{% else %}As our partner{% endif %},
{{ partner.name }} can now register deals in the new portal.</p>
<p><a href="https://example.com/deals?partner={{ partner.external_id }}">Register a deal</a>
or <a href="https://example.com/events">see the events</a>.</p>
</body></html>"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _send_loop(batch_size: int, totals: Counter, lock: threading.Lock) -> None:
    """Claim and send batches until nothing is ready (one DB and one SMTP connection)."""
    batches = 0
    try:
        while True:
            result = dispatch.messages_send_batch(batch_size=batch_size)
            batches += 1
            with lock:
                for name in dispatch.OUTCOMES:
                    totals[name] += result[name]
            if not result["claimed"] and not result["ready_remaining"]:
                break
    finally:
        connections.close_all()
        with lock:
            totals["batches"] += batches


def _send_worker(start, results, batch_size: int, threads: int) -> None:
    """One worker process: `threads` sender loops, as a worker with that concurrency runs
    its tasks (each on its own database and SMTP connection)."""
    connections.close_all()  # never share the parent's connection
    start.wait()
    totals: Counter = Counter()
    lock = threading.Lock()
    loops = [
        threading.Thread(target=_send_loop, args=(batch_size, totals, lock)) for _ in range(threads)
    ]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join()
    results.put(dict(totals))


class Command(BaseCommand):
    help = "Benchmark dispatch: freeze N contacts vs hand-written SQL; send M messages over SMTP."

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=1_000_000)
        parser.add_argument("--messages", type=int, default=10_000)
        parser.add_argument("--contacts-per-partner", type=int, default=5)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--threads", type=int, default=4, help="Sender threads in each worker process."
        )
        parser.add_argument(
            "--sink",
            choices=("minimal", "aiosmtpd"),
            default="minimal",
            help="The local SMTP server: a minimal asyncio responder, or aiosmtpd.",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
        parser.add_argument(
            "--force", action="store_true", help="Wipe partners and campaigns that are not ours."
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_dispatch needs PostgreSQL (set DATABASE_URL).")
        if options["contacts"] < 10 or options["messages"] < 1:
            raise CommandError("--contacts must be at least 10 and --messages at least 1.")
        self.options = options
        self._refuse_foreign_data()
        self.report: dict = {"contacts": options["contacts"], "messages": options["messages"]}
        self._wipe()
        try:
            self._generate()
            self._freeze()
            self._send()
        finally:
            if not options["keep"]:
                self._wipe()
        self._line(json.dumps(self.report))

    # -- setup --------------------------------------------------------------------------

    def _line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _refuse_foreign_data(self) -> None:
        partners = Partner.objects.exclude(external_id__startswith=PREFIX).count()
        campaigns = Campaign.objects.exclude(name__startswith=CAMPAIGN_PREFIX).count()
        if (partners or campaigns) and not self.options["force"]:
            raise CommandError(
                f"The database holds {partners} partner(s) and {campaigns} campaign(s) that "
                "are not benchmark data; this command wipes partners, contacts, campaigns "
                "and messages. Use a database of its own, or --force."
            )

    def _wipe(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(WIPE_SQL)
        Segment.objects.filter(slug=SEGMENT_SLUG).delete()

    def _analyze(self) -> None:
        with connection.cursor() as cursor:
            for table in (
                "partners_partner",
                "partners_contact",
                "communications_contactpreference",
                "communications_message",
                "segments_membership",
            ):
                cursor.execute(f"ANALYZE {table}")

    def _generate(self) -> None:
        contacts, per = self.options["contacts"], max(1, self.options["contacts_per_partner"])
        partners = -(-contacts // per)
        started = time.perf_counter()
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(PARTNERS_SQL, {"prefix": PREFIX, "partners": partners})
            cursor.execute(CONTACTS_SQL, {"contacts": contacts, "per": per})
            cursor.execute(PREFERENCES_SQL, {})
            self.segment = Segment.objects.create(
                name="Dispatch benchmark: every partner",
                slug=SEGMENT_SLUG,
                objective="Benchmark audience",
                kind=SegmentKind.STATIC,
            )
            cursor.execute(
                "INSERT INTO segments_membership (segment_id, partner_id, joined_at) "
                "SELECT %s, id, %s FROM partners_partner",
                [self.segment.id, now],
            )
            self.history = Campaign.objects.create(
                name=f"{CAMPAIGN_PREFIX}history",
                subject_template="Earlier news",
                body_template="Earlier news.",
                status=CampaignStatus.COMPLETED,
            )
            for day in (3, 4, 5):
                CampaignOccurrence.objects.create(
                    campaign=self.history,
                    key=f"history-{day}",
                    due_at=now - dt.timedelta(days=day),
                )
        self._history()
        generated = time.perf_counter() - started
        self._line(
            f"== {contacts:,} contacts of {partners:,} partners generated in {generated:.1f} s "
            f"(with preferences and a week of history: {self._history_count:,} messages)"
        )

    def _history(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE communications_message CASCADE")
            cursor.execute(HISTORY_SQL, {"campaign": self.history.id})
        self._history_count = Message.objects.count()
        self._analyze()

    # -- (a) freeze ---------------------------------------------------------------------

    def _freeze(self) -> None:
        campaign = Campaign.objects.create(
            name=f"{CAMPAIGN_PREFIX}freeze",
            topic=Topic.NEWS,
            channel=Channel.EMAIL,
            subject_template="News",
            body_template="News.",
            status=CampaignStatus.SCHEDULED,
        )
        campaign.include_segments.add(self.segment)
        now = timezone.now()
        by_hand = CampaignOccurrence.objects.create(campaign=campaign, key="hand", due_at=now)
        product = CampaignOccurrence.objects.create(campaign=campaign, key="product", due_at=now)
        params = {
            "campaign": campaign.id,
            "occurrence": by_hand.id,
            "segment": self.segment.id,
            "now": now,
            "since": now - dispatch.CAP_WINDOW,
            "cap": int(dispatch.setting("PRM_MESSAGE_CAP_PER_WEEK", 3)),
        }
        with connection.cursor() as cursor:  # warm the caches for both runs alike
            cursor.execute(
                "SELECT count(*) FROM partners_contact c "
                "LEFT JOIN communications_contactpreference p ON p.contact_id = c.id"
            )
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(HAND_FREEZE_SQL, params)
        hand_s = time.perf_counter() - started
        hand_counts = self._counts(by_hand.id)
        self._history()
        started = time.perf_counter()
        result = dispatch.occurrence_freeze(occurrence_id=product.id)
        freeze_s = time.perf_counter() - started
        counts = self._counts(product.id)
        ratio = freeze_s / hand_s if hand_s else None
        self.report.update(
            freeze_s=round(freeze_s, 3),
            hand_insert_s=round(hand_s, 3),
            freeze_ratio=round(ratio, 3) if ratio else None,
            freeze_counts=counts,
            freeze_matches_hand=counts == hand_counts,
        )
        self._line(
            f"== (a) freeze of {result.get('targeted', 0):,} recipients: {freeze_s:.2f} s; "
            f"the same INSERT … SELECT by hand: {hand_s:.2f} s; ratio {ratio:.2f} "
            f"(target <= 1.5)"
        )
        self._line(f"   rows by status/reason: {counts}; same as by hand: {counts == hand_counts}")

    def _counts(self, occurrence_id: int) -> dict:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT status || coalesce(nullif(':' || suppression_reason, ':'), ''), "
                "count(*) FROM communications_message WHERE occurrence_id = %s GROUP BY 1 "
                "ORDER BY 1",
                [occurrence_id],
            )
            return dict(cursor.fetchall())

    # -- (b) send -----------------------------------------------------------------------

    def _send(self) -> None:
        from aiosmtpd.controller import Controller

        messages, workers = self.options["messages"], self.options["workers"]
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE communications_message CASCADE")
        campaign = Campaign.objects.create(
            name=f"{CAMPAIGN_PREFIX}send",
            topic=Topic.NEWS,
            channel=Channel.EMAIL,
            subject_template=SEND_SUBJECT,
            body_template=SEND_BODY,
            status=CampaignStatus.SCHEDULED,
        )
        occurrence = CampaignOccurrence.objects.create(
            campaign=campaign, key="send", due_at=timezone.now(), status="frozen"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                SEND_QUEUE_SQL,
                {"campaign": campaign.id, "occurrence": occurrence.id, "messages": messages},
            )
            queued = cursor.rowcount
        self._analyze()
        port = _free_port()
        email = {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 30,
        }
        context = multiprocessing.get_context("fork")
        start, results = context.Event(), context.Queue()
        with override_settings(**email):
            connections.close_all()
            # Forked before the sink's thread exists: a fork copies only the calling thread.
            processes = [
                context.Process(
                    target=_send_worker,
                    args=(start, results, self.options["batch_size"], self.options["threads"]),
                )
                for _ in range(workers)
            ]
            for process in processes:
                process.start()
            if self.options["sink"] == "aiosmtpd":
                sink = AiosmtpdSink()
                controller = Controller(sink, hostname="127.0.0.1", port=port)
            else:
                sink = controller = MinimalSink(port)
            controller.start()
            try:
                before = resource.getrusage(resource.RUSAGE_SELF)
                started = time.perf_counter()
                start.set()
                totals = [results.get(timeout=3600) for _ in processes]
                send_s = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_SELF)
                for process in processes:
                    process.join(timeout=60)
                workers_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
                workers_cpu_s = workers_cpu.ru_utime + workers_cpu.ru_stime
                sink_cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            finally:
                controller.stop()
                for process in processes:
                    if process.is_alive():
                        process.kill()
        sent = Message.objects.filter(status=MessageStatus.SENT).count()
        received = sum(sink.received.values())
        duplicates = sum(count - 1 for count in sink.received.values() if count > 1)
        rate = sent / send_s if send_s else 0.0
        self.report.update(
            messages=queued,
            send_s=round(send_s, 3),
            messages_per_s=round(rate, 1),
            sent=sent,
            received=received,
            duplicates=duplicates,
            workers=workers,
            threads=self.options["threads"],
            sink=self.options["sink"],
            worker_cpu_ms_per_message=round(1000 * workers_cpu_s / max(sent, 1), 3),
            sink_cpu_ms_per_message=round(1000 * sink_cpu_s / max(sent, 1), 3),
        )
        self._line(
            f"== (b) {queued:,} messages sent by {workers} worker processes in {send_s:.2f} s: "
            f"{rate:,.0f} messages/s (target >= 1000)"
        )
        self._line(
            f"   SMTP sink ({self.options['sink']}) received {received:,} ({duplicates} "
            f"duplicates); marked sent "
            f"{sent:,}; per worker: {totals}"
        )
        self._line(
            f"   CPU per message: workers {self.report['worker_cpu_ms_per_message']:.2f} ms, "
            f"SMTP sink {self.report['sink_cpu_ms_per_message']:.2f} ms (PostgreSQL not "
            f"counted); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
