import datetime as dt
import smtplib
import threading
from email import message_from_bytes, policy
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communications import dispatch, tasks
from communications.dispatch import send as dispatch_send
from communications.models import (
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    OccurrenceStatus,
    SuppressionReason,
    Topic,
)
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
)
from tests.communications.smtp import CountingHandler, SmtpServer, free_port
from tests.partners.factories import ContactFactory, PartnerFactory, tier
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment():
    return StaticSegmentFactory(slug="audience")


@pytest.fixture(params=[False, True], ids=["smtplib", "pipelining"])
def smtp(settings, request):
    """A real SMTP server on a free port, and Django's e-mail settings pointing at it; once
    as aiosmtpd is (the sender talks smtplib's sendmail), once offering PIPELINING (the
    sender pipelines MAIL, RCPT and DATA)."""
    server = SmtpServer(CountingHandler(pipelining=request.param)).start()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    settings.PRM_MESSAGE_RETRY_BACKOFF_SECONDS = 0
    yield server
    server.stop()


def contacts_in(segment, count=1, **contact_fields):
    """Contacts of partners that are members of the segment (one partner each)."""
    contacts = []
    for _ in range(count):
        partner = PartnerFactory()
        MembershipFactory(segment=segment, partner=partner)
        contacts.append(ContactFactory(partner=partner, **contact_fields))
    return contacts


def due_occurrence(segment, **campaign_fields) -> CampaignOccurrence:
    campaign_fields.setdefault("status", CampaignStatus.SCHEDULED)
    campaign = CampaignFactory(include_segments=[segment], **campaign_fields)
    return OccurrenceFactory(campaign=campaign, due_at=timezone.now() - dt.timedelta(minutes=1))


def frozen(occurrence) -> dict[int, tuple[str, str]]:
    """contact id -> (status, suppression reason) of an occurrence's messages."""
    return {
        contact_id: (status, reason)
        for contact_id, status, reason in Message.objects.filter(occurrence=occurrence).values_list(
            "contact_id", "status", "suppression_reason"
        )
    }


def send_all(*, rounds=10) -> list[dict]:
    results = []
    for _ in range(rounds):
        result = dispatch.messages_send_batch(batch_size=50)
        results.append(result)
        if not result["claimed"] and not result["ready_remaining"]:
            break
    return results


class TestFreeze:
    def test_freeze_queues_one_message_per_contact_of_the_audience(self, segment):
        # given
        contacts = contacts_in(segment, 3)
        ContactFactory()  # not in the segment
        occurrence = due_occurrence(segment)
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert result["frozen"] and result["queued"] == result["targeted"] == 3
        assert frozen(occurrence) == {c.id: (MessageStatus.QUEUED, "") for c in contacts}
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.FROZEN and occurrence.frozen_at
        message = Message.objects.get(contact=contacts[0])
        assert (message.to_email, message.partner_id, message.channel) == (
            contacts[0].email,
            contacts[0].partner_id,
            Channel.EMAIL,
        )

    def test_freezing_twice_adds_nothing(self, segment):
        # given
        contacts_in(segment, 2)
        occurrence = due_occurrence(segment)
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        again = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert not again["frozen"]
        assert Message.objects.filter(occurrence=occurrence).count() == 2

    def test_freeze_is_one_insert_select_whatever_the_audience_size(self, segment):
        # given
        contacts_in(segment, 12)
        occurrence = due_occurrence(segment)
        # when
        with CaptureQueriesContext(connection) as queries:
            dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        inserts = [q["sql"] for q in queries if "INSERT INTO communications_message" in q["sql"]]
        assert len(inserts) == 1
        assert "ON CONFLICT (campaign_id, contact_id, occurrence_id) DO NOTHING" in inserts[0]
        assert len(queries) < 10

    def test_contact_who_unsubscribed_from_all_mail_is_suppressed_as_opted_out(self, segment):
        # given
        keeps, leaves = contacts_in(segment, 2)
        ContactPreferenceFactory(contact=leaves, unsubscribed_all=True)
        occurrence = due_occurrence(segment)
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            keeps.id: (MessageStatus.QUEUED, ""),
            leaves.id: (MessageStatus.SUPPRESSED, SuppressionReason.OPTED_OUT),
        }
        assert result["suppressed"] == {"opted_out": 1}

    def test_contact_without_email_opt_in_is_suppressed_as_opted_out(self, segment):
        # given
        (contact,) = contacts_in(segment, email_opt_in=False)
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            contact.id: (MessageStatus.SUPPRESSED, SuppressionReason.OPTED_OUT)
        }

    def test_contact_who_opted_out_of_the_campaign_topic_is_suppressed(self, segment):
        # given
        news_out, events_out = contacts_in(segment, 2)
        ContactPreferenceFactory(contact=news_out, topics_opted_out=["news", "survey"])
        ContactPreferenceFactory(contact=events_out, topics_opted_out=["events"])
        occurrence = due_occurrence(segment, topic=Topic.NEWS)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            news_out.id: (MessageStatus.SUPPRESSED, SuppressionReason.TOPIC_OPT_OUT),
            events_out.id: (MessageStatus.QUEUED, ""),
        }

    def test_contact_without_an_email_address_is_suppressed_for_email(self, segment):
        # given
        (contact,) = contacts_in(segment, email="")
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {contact.id: (MessageStatus.SUPPRESSED, "no_email")}

    def test_frequency_cap_counts_sent_and_queued_messages_of_other_campaigns(
        self, segment, settings
    ):
        # given: a cap of 2; one contact got one message and has one waiting, another got one
        settings.PRM_MESSAGE_CAP_PER_WEEK = 2
        capped, below = contacts_in(segment, 2)
        MessageFactory(contact=capped, sent_at=timezone.now() - dt.timedelta(days=2))
        MessageFactory(contact=capped, status=MessageStatus.QUEUED)
        MessageFactory(contact=below, sent_at=timezone.now() - dt.timedelta(days=6))
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            capped.id: (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP),
            below.id: (MessageStatus.QUEUED, ""),
        }

    def test_frequency_cap_forgets_messages_older_than_seven_days_and_failed_ones(
        self, segment, settings
    ):
        # given
        settings.PRM_MESSAGE_CAP_PER_WEEK = 1
        (contact,) = contacts_in(segment)
        MessageFactory(contact=contact, sent_at=timezone.now() - dt.timedelta(days=8))
        MessageFactory(contact=contact, status=MessageStatus.FAILED)
        MessageFactory(contact=contact, status=MessageStatus.SUPPRESSED)
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {contact.id: (MessageStatus.QUEUED, "")}

    def test_frequency_cap_holds_across_campaigns_frozen_one_after_another(self, segment, settings):
        # given
        settings.PRM_MESSAGE_CAP_PER_WEEK = 2
        (contact,) = contacts_in(segment)
        occurrences = [due_occurrence(segment) for _ in range(3)]
        # when
        for occurrence in occurrences:
            dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert [frozen(occurrence)[contact.id] for occurrence in occurrences] == [
            (MessageStatus.QUEUED, ""),
            (MessageStatus.QUEUED, ""),
            (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP),
        ]

    def test_contact_max_per_week_overrides_the_global_cap(self, segment, settings):
        # given
        settings.PRM_MESSAGE_CAP_PER_WEEK = 3
        strict, relaxed = contacts_in(segment, 2)
        ContactPreferenceFactory(contact=strict, max_per_week=1)
        ContactPreferenceFactory(contact=relaxed, max_per_week=10)
        for contact in (strict, relaxed):
            for _ in range(3):
                MessageFactory(contact=contact)
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            strict.id: (MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP),
            relaxed.id: (MessageStatus.QUEUED, ""),
        }

    def test_system_campaign_bypasses_the_cap_but_not_an_opt_out(self, segment, settings):
        # given
        settings.PRM_MESSAGE_CAP_PER_WEEK = 1
        busy, unsubscribed = contacts_in(segment, 2)
        MessageFactory(contact=busy)
        ContactPreferenceFactory(contact=unsubscribed, unsubscribed_all=True)
        occurrence = due_occurrence(segment, is_system=True, topic=Topic.SYSTEM)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            busy.id: (MessageStatus.QUEUED, ""),
            unsubscribed.id: (MessageStatus.SUPPRESSED, SuppressionReason.OPTED_OUT),
        }

    def test_system_messages_do_not_use_up_the_cap_of_other_campaigns(self, segment, settings):
        # given
        settings.PRM_MESSAGE_CAP_PER_WEEK = 1
        (contact,) = contacts_in(segment)
        system = CampaignFactory(is_system=True)
        MessageFactory(contact=contact, occurrence=OccurrenceFactory(campaign=system))
        occurrence = due_occurrence(segment)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {contact.id: (MessageStatus.QUEUED, "")}

    def test_portal_message_is_delivered_to_the_inbox_without_smtp_despite_email_opt_out(
        self, segment
    ):
        # given
        opted_in, opted_out = contacts_in(segment, 2)
        ContactPreferenceFactory(contact=opted_out, unsubscribed_all=True)
        occurrence = due_occurrence(segment, channel=Channel.PORTAL)
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert frozen(occurrence) == {
            opted_in.id: (MessageStatus.SENT, ""),
            opted_out.id: (MessageStatus.SENT, ""),
        }
        assert result["queued"] == 0 and result["delivered_to_inbox"] == 2
        assert not Message.objects.filter(occurrence=occurrence, sent_at__isnull=True).exists()
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.DONE

    def test_both_channels_keep_the_inbox_copy_of_a_contact_who_opted_out_of_email(self, segment):
        # given
        opted_in, opted_out = contacts_in(segment, 2)
        ContactPreferenceFactory(contact=opted_out, unsubscribed_all=True)
        occurrence = due_occurrence(segment, channel=Channel.BOTH)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        rows = dict(
            Message.objects.filter(occurrence=occurrence).values_list("contact_id", "channel")
        )
        assert rows == {opted_in.id: Channel.BOTH, opted_out.id: Channel.PORTAL}
        assert frozen(occurrence) == {
            opted_in.id: (MessageStatus.QUEUED, ""),
            opted_out.id: (MessageStatus.SENT, ""),
        }

    def test_paused_campaign_is_not_frozen_until_it_resumes(self, segment):
        # given
        contacts_in(segment)
        occurrence = due_occurrence(segment, status=CampaignStatus.PAUSED)
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert not result["frozen"]
        assert not Message.objects.exists()
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.PENDING
        assert occurrence.id not in dispatch.occurrences_due_ids()

    def test_cancelled_campaign_cancels_its_pending_occurrence(self, segment):
        # given
        contacts_in(segment)
        occurrence = due_occurrence(segment, status=CampaignStatus.CANCELLED)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.CANCELLED
        assert not Message.objects.exists()

    def test_occurrence_not_yet_due_stays_pending(self, segment):
        # given
        contacts_in(segment)
        occurrence = due_occurrence(segment)
        occurrence.due_at = timezone.now() + dt.timedelta(hours=1)
        occurrence.save()
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        assert not result["frozen"] and not Message.objects.exists()


class TestSend:
    def test_each_message_arrives_once_through_real_smtp_with_its_stored_message_id(
        self, segment, smtp
    ):
        # given
        contacts_in(segment, 5)
        occurrence = due_occurrence(segment)
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        results = send_all()
        # then
        messages = list(Message.objects.filter(occurrence=occurrence))
        assert {m.status for m in messages} == {MessageStatus.SENT}
        assert all(m.sent_at and m.attempts == 1 for m in messages)
        assert dict(smtp.handler.received) == {m.message_id: 1 for m in messages}
        assert sum(result["sent"] for result in results) == 5
        assert dispatch.messages_send_batch()["claimed"] == 0  # nothing is sent twice
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.DONE

    def test_message_stores_what_was_rendered_for_its_contact(self, segment, smtp):
        # given
        (contact,) = contacts_in(segment, first_name="Grace")
        occurrence = due_occurrence(
            segment,
            subject_template="Hi {{ contact.first_name }}",
            body_template="Hello {{ contact.first_name }}, see https://example.com/a",
        )
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        send_all()
        # then
        message = Message.objects.get(contact=contact)
        assert message.subject == "Hi Grace"
        assert message.body.startswith("Hello Grace")
        assert message.links == ["https://example.com/a"]
        (email,) = smtp.handler.parsed()
        assert email["Subject"] == "Hi Grace"
        assert email["Message-ID"] == message.message_id

    def test_the_email_sent_reads_as_djangos_email_of_the_message(self, segment, smtp):
        # given: non-ASCII subject and body, two links, one signing clock for both sides
        contacts_in(segment, first_name="Zoë")
        occurrence = due_occurrence(
            segment,
            subject_template="Nouvelles pour {{ contact.first_name }} — {{ partner.name }}",
            body_template=(
                "<html><body><p>Bonjour {{ contact.first_name }},</p>"
                '<p><a href="https://example.com/deals?p={{ partner.external_id }}">Deals</a>'
                ' and <a href="https://example.com/events">événements</a></p></body></html>'
            ),
        )
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        with mock.patch("django.core.signing.time.time", return_value=1_790_000_000.0):
            # when
            send_all()
            message = Message.objects.get(occurrence=occurrence)
            django_email = dispatch.build_email(message).message()
        # then
        (received,) = smtp.handler.parsed()
        expected = message_from_bytes(django_email.as_bytes(linesep="\r\n"), policy=policy.default)

        def headers(email):
            ignored = {"date", "content-type"}  # the time and the random MIME boundary
            return [(k, str(v).strip()) for k, v in email.items() if k.lower() not in ignored]

        def parts(email):
            return [
                (part.get_content_type(), part["Content-Transfer-Encoding"], part.get_content())
                for part in email.walk()
                if not part.is_multipart()
            ]

        assert received.get_content_type() == "multipart/alternative"
        assert headers(received) == headers(expected)
        assert parts(received) == parts(expected)
        assert "Zoë" in received["Subject"] and received["Message-ID"] == message.message_id

    def test_a_body_line_too_long_for_8bit_is_sent_quoted_printable_as_django_does(
        self, segment, smtp
    ):
        # given
        contacts_in(segment)
        occurrence = due_occurrence(segment, body_template="x" * 1200 + " https://example.com/a")
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        result = dispatch.messages_send_batch()
        # then
        assert result["sent"] == 1
        (received,) = smtp.handler.parsed()
        assert received["Content-Transfer-Encoding"] == "quoted-printable"
        assert received.get_content().startswith("x" * 1200 + " ")

    def test_a_server_offering_pipelining_gets_each_message_in_two_writes(
        self, segment, smtp, monkeypatch
    ):
        # given
        contacts_in(segment, 3)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        writes = []
        original = smtplib.SMTP.send

        def counting_send(self, s):
            writes.append(s)
            return original(self, s)

        monkeypatch.setattr(smtplib.SMTP, "send", counting_send)
        # when
        result = dispatch.messages_send_batch()
        # then: EHLO, then MAIL+RCPT+DATA and the content per message (smtplib: four), QUIT
        assert result["sent"] == 3 and smtp.handler.total == 3
        assert len(writes) == 2 + 3 * (2 if smtp.handler.pipelining else 4)

    def test_a_batch_queries_a_fixed_number_of_times_plus_one_mark_per_message(self, segment, smtp):
        # given: batches of 2 and of 5 contacts, of partners with tiers or none
        def batch_queries(count: int) -> int:
            audience = StaticSegmentFactory()
            tiers = [tier("gold"), tier("silver"), None]
            for n in range(count):
                partner = PartnerFactory(tier=tiers[n % 3])
                MembershipFactory(segment=audience, partner=partner)
                ContactFactory(partner=partner)
            occurrence = due_occurrence(
                audience,
                subject_template="News for {{ partner.name }}",
                body_template="<p>{{ contact.first_name }}, {{ tier.name }} partner</p>",
            )
            dispatch.occurrence_freeze(occurrence_id=occurrence.id)
            with CaptureQueriesContext(connection) as queries:
                result = dispatch.messages_send_batch(batch_size=50)
            assert result["sent"] == count
            return len(queries)

        # when
        small, large = batch_queries(2), batch_queries(5)
        # then: the three more messages cost their three "sent" marks, nothing else
        assert large - small == 3

    def test_a_batch_sends_over_one_smtp_connection(self, segment, smtp, monkeypatch):
        # given
        contacts_in(segment, 6)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        connects = []
        original = smtplib.SMTP.connect

        def counting_connect(self, *args, **kwargs):
            connects.append(args)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(smtplib.SMTP, "connect", counting_connect)
        # when
        result = dispatch.messages_send_batch(batch_size=50)
        # then
        assert result["sent"] == 6
        assert len(connects) == 1

    def test_transient_smtp_error_is_retried_and_then_sent_once(self, segment, smtp):
        # given: the server answers the first DATA with a temporary failure
        (contact,) = contacts_in(segment)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        smtp.handler.data_replies.append("451 4.3.0 Mailbox temporarily unavailable")
        # when
        first = dispatch.messages_send_batch()
        message = Message.objects.get(contact=contact)
        between = (message.status, message.attempts, message.last_error)
        second = dispatch.messages_send_batch()
        # then
        assert (first["retry"], second["sent"]) == (1, 1)
        assert between[:2] == (MessageStatus.QUEUED, 1)
        assert "451" in between[2]
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
        assert smtp.handler.received == {message.message_id: 1}

    def test_retry_waits_for_its_backoff_counted_from_the_claim(self, segment, smtp, settings):
        # given
        settings.PRM_MESSAGE_RETRY_BACKOFF_SECONDS = 60
        (contact,) = contacts_in(segment)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        smtp.handler.data_replies.append("421 4.7.0 Try again later")
        dispatch.messages_send_batch()
        # when: right away, and after the backoff of the first attempt
        too_soon = dispatch.messages_send_batch()
        Message.objects.filter(contact=contact).update(
            claimed_at=timezone.now() - dt.timedelta(seconds=61)
        )
        later = dispatch.messages_send_batch()
        # then
        assert too_soon["claimed"] == 0
        assert later["sent"] == 1
        assert dispatch.retry_delay(attempts=3) == dt.timedelta(seconds=240)

    def test_smtp_outage_retries_then_fails_with_the_error_and_loses_nothing(
        self, segment, settings
    ):
        # given: nothing listens on the configured port
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.PRM_MESSAGE_RETRY_BACKOFF_SECONDS = 0
        settings.PRM_MESSAGE_MAX_ATTEMPTS = 3
        contacts_in(segment, 3)
        occurrence = due_occurrence(segment)
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        results = [dispatch.messages_send_batch() for _ in range(4)]
        # then
        assert [r["retry"] for r in results] == [3, 3, 0, 0]
        assert [r["failed"] for r in results] == [0, 0, 3, 0]
        messages = Message.objects.filter(occurrence=occurrence)
        assert {(m.status, m.attempts) for m in messages} == {(MessageStatus.FAILED, 3)}
        assert all("ConnectionRefusedError" in m.last_error for m in messages)
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.DONE

    def test_permanent_recipient_refusal_fails_at_once_and_the_rest_is_sent(self, segment, smtp):
        # given
        refused, accepted = contacts_in(segment, 2)
        smtp.handler.refused_recipients[refused.email] = "550 5.1.1 No such user"
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        # when
        result = dispatch.messages_send_batch()
        # then
        assert (result["failed"], result["sent"]) == (1, 1)
        failed = Message.objects.get(contact=refused)
        assert (failed.status, failed.attempts) == (MessageStatus.FAILED, 1)
        assert "550" in failed.last_error
        assert Message.objects.get(contact=accepted).status == MessageStatus.SENT

    def test_server_disconnect_mid_batch_retries_that_message_on_a_new_connection(
        self, segment, smtp
    ):
        # given: the server hangs up on the first message's DATA
        contacts_in(segment, 3)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        smtp.handler.data_replies.append("421 4.3.2 Service shutting down")
        # when
        results = send_all()
        # then
        assert sum(r["sent"] for r in results) == 3
        assert sum(r["retry"] for r in results) == 1
        assert smtp.handler.total == 3 and not smtp.handler.duplicates()

    def test_template_error_fails_the_message_without_sending_it(self, segment, smtp):
        # given: a template broken after it was checked (saved around the service)
        (contact,) = contacts_in(segment)
        occurrence = due_occurrence(segment, body_template="Hello {{ contact.first_name ")
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # when
        result = dispatch.messages_send_batch()
        # then
        assert result["failed"] == 1
        message = Message.objects.get(contact=contact)
        assert message.status == MessageStatus.FAILED and "body_template" in message.last_error
        assert smtp.handler.total == 0

    def test_contact_who_unsubscribes_after_the_freeze_is_not_emailed(self, segment, smtp):
        # given
        (contact,) = contacts_in(segment)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        ContactPreferenceFactory(contact=contact, unsubscribed_all=True)
        # when
        result = dispatch.messages_send_batch()
        # then
        assert result["suppressed"] == 1
        message = Message.objects.get(contact=contact)
        assert (message.status, message.suppression_reason) == ("suppressed", "opted_out")
        assert smtp.handler.total == 0

    def test_messages_of_a_paused_campaign_wait_in_the_queue(self, segment, smtp):
        # given
        contacts_in(segment, 2)
        occurrence = due_occurrence(segment)
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        occurrence.campaign.status = CampaignStatus.PAUSED
        occurrence.campaign.save()
        # when
        paused = dispatch.messages_send_batch()
        occurrence.campaign.status = CampaignStatus.SCHEDULED
        occurrence.campaign.save()
        resumed = dispatch.messages_send_batch()
        # then
        assert (paused["claimed"], resumed["sent"]) == (0, 2)

    def test_a_batch_past_half_its_lease_gives_untried_messages_back(
        self, segment, smtp, settings, monkeypatch
    ):
        # given: a lease of 10 s, and a clock that jumps 6 s after the first send
        settings.PRM_MESSAGE_SENDING_TIMEOUT_SECONDS = 10
        contacts_in(segment, 3)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        ticks = [0.0, 0.0, 6.0]
        monkeypatch.setattr(
            dispatch_send, "_clock", lambda: ticks.pop(0) if len(ticks) > 1 else ticks[0]
        )
        # when
        result = dispatch.messages_send_batch()
        # then
        assert (result["sent"], result["released"]) == (1, 2)
        released = Message.objects.filter(status=MessageStatus.QUEUED)
        assert {(m.attempts, m.claimed_at) for m in released} == {(0, None)}
        assert smtp.handler.total == 1


class TestSweep:
    def test_messages_left_sending_by_a_lost_worker_are_queued_again_and_sent_once(
        self, segment, smtp
    ):
        # given: a worker claimed the batch and died before sending
        contacts_in(segment, 2)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        dispatch.messages_claim(batch_size=10)
        Message.objects.update(claimed_at=timezone.now() - dt.timedelta(minutes=20))
        # when
        swept = dispatch.messages_sweep(older_than_seconds=600)
        result = dispatch.messages_send_batch()
        # then
        assert swept["requeued"] == 2 and swept["ready_waiting"] == 2
        assert result["sent"] == 2
        assert smtp.handler.total == 2 and not smtp.handler.duplicates()
        assert set(Message.objects.values_list("attempts", flat=True)) == {2}

    def test_recent_claims_are_left_alone(self, segment):
        # given
        contacts_in(segment)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        dispatch.messages_claim(batch_size=10)
        # when
        swept = dispatch.messages_sweep(older_than_seconds=600)
        # then
        assert swept["requeued"] == 0 and swept["ready_waiting"] == 0
        assert Message.objects.get().status == MessageStatus.SENDING

    def test_a_message_lost_with_its_worker_too_often_is_failed_with_the_reason(
        self, segment, settings
    ):
        # given
        settings.PRM_MESSAGE_MAX_ATTEMPTS = 1
        contacts_in(segment)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        dispatch.messages_claim(batch_size=10)
        # when
        swept = dispatch.messages_sweep(older_than_seconds=0)
        # then
        assert swept["failed"] == 1
        message = Message.objects.get()
        assert message.status == MessageStatus.FAILED
        assert "worker" in message.last_error and "may have been delivered" in message.last_error


class TestTasks:
    """Tasks enqueue what follows on commit; eager here, so the whole chain runs."""

    def test_tick_creates_due_occurrences_freezes_and_sends_them(
        self, segment, smtp, django_capture_on_commit_callbacks
    ):
        # given: a campaign scheduled for now (eager tasks in the unit tests)
        contacts_in(segment, 3)
        CampaignFactory(
            include_segments=[segment],
            status=CampaignStatus.SCHEDULED,
            next_occurrence_at=timezone.now() - dt.timedelta(seconds=1),
        )
        # when
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.occurrences_tick_task()
        # then
        assert result == {"created": 1, "freezing": 1}
        assert Message.objects.filter(status=MessageStatus.SENT).count() == 3
        assert smtp.handler.total == 3

    def test_tick_freezes_a_pending_segment_join_occurrence_after_its_delay(
        self, segment, smtp, django_capture_on_commit_callbacks
    ):
        # given
        (contact,) = contacts_in(segment)
        occurrence = due_occurrence(segment)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            tasks.occurrences_tick_task()
        # then
        occurrence.refresh_from_db()
        assert occurrence.status == OccurrenceStatus.DONE
        assert Message.objects.get(contact=contact).status == MessageStatus.SENT

    def test_freeze_task_starts_senders_for_what_it_queued(
        self, segment, smtp, settings, django_capture_on_commit_callbacks
    ):
        # given
        settings.PRM_MESSAGE_BATCH_SIZE = 2
        contacts_in(segment, 5)
        occurrence = due_occurrence(segment)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.occurrence_freeze_task(occurrence.id)
        # then
        assert result["queued"] == 5 and result["senders"] == 3
        assert smtp.handler.total == 5 and not smtp.handler.duplicates()

    def test_sweep_task_starts_senders_for_swept_messages(
        self, segment, smtp, django_capture_on_commit_callbacks
    ):
        # given
        contacts_in(segment, 2)
        dispatch.occurrence_freeze(occurrence_id=due_occurrence(segment).id)
        dispatch.messages_claim(batch_size=10)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.messages_sweep_task(older_than_seconds=0)
        # then
        assert result["requeued"] == 2 and result["senders"] == 1
        assert Message.objects.filter(status=MessageStatus.SENT).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_second_freeze_of_an_occurrence_being_frozen_returns_at_once(segment):
    # given: another worker holds the occurrence (its freeze has not committed yet)
    contacts_in(segment)
    occurrence = due_occurrence(segment)
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            CampaignOccurrence.objects.select_for_update().get(pk=occurrence.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(10)
    try:
        # when
        result = dispatch.occurrence_freeze(occurrence_id=occurrence.id)
    finally:
        release.set()
        holder.join()
    # then
    assert (result["status"], result["frozen"]) == ("busy", False)
    assert not Message.objects.exists()
