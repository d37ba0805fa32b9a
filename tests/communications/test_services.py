import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from communications import services
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    ContactPreference,
    Message,
    OccurrenceStatus,
    Recurrence,
    ScheduleKind,
    Survey,
)
from communications.scheduling import occurrences_create_due
from communications.services import CampaignValidationError
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def segment():
    """A segment with one member partner that has one contact."""
    segment = SegmentFactory(slug="emea")
    contact = ContactFactory(first_name="Ada")
    MembershipFactory(segment=segment, partner=contact.partner)
    return segment


def campaign_data(**overrides) -> dict:
    data = {
        "name": "Spring news",
        "subject_template": "News for {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}",
        "schedule_kind": ScheduleKind.NOW,
    }
    data.update(overrides)
    return data


def errors_of(raised) -> dict:
    return raised.value.errors


class TestCampaignCreate:
    def test_creates_a_draft_with_segments_and_survey(self, segment, manager):
        # given
        excluded = SegmentFactory()

        # when
        campaign = services.campaign_create(
            data=campaign_data(
                include_segments=[segment],
                exclude_segments=[excluded],
                roles=["sales"],
                survey={"question": "Would you recommend us?"},
            ),
            created_by=manager,
        )

        # then
        assert campaign.status == CampaignStatus.DRAFT
        assert list(campaign.include_segments.all()) == [segment]
        assert list(campaign.exclude_segments.all()) == [excluded]
        assert campaign.survey.question == "Would you recommend us?"
        assert campaign.created_by == manager

    def test_a_template_error_is_reported_with_its_line_and_nothing_is_saved(self, segment):
        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(
                data=campaign_data(
                    include_segments=[segment],
                    body_template="Hello\n{% for item in recommended_content %}\n{{ item.title }}",
                    subject_template="{{ ''.__class__ }}",
                )
            )

        errors = errors_of(raised)
        assert errors["body_template"][0]["line"] == 3
        assert errors["subject_template"][0]["line"] == 1
        assert not Campaign.objects.exists()

    def test_a_campaign_needs_segments_unless_it_is_triggered(self, segment):
        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(data=campaign_data())
        assert "include_segments" in errors_of(raised)

        triggered = services.campaign_create(
            data=campaign_data(schedule_kind=ScheduleKind.TRIGGERED, trigger_segment=segment)
        )
        assert triggered.include_segments.count() == 0

    def test_a_triggered_campaign_needs_its_trigger_segment(self):
        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(data=campaign_data(schedule_kind=ScheduleKind.TRIGGERED))

        assert set(errors_of(raised)) == {"trigger_segment"}

    def test_a_schedule_in_the_past_is_refused(self, segment):
        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(
                data=campaign_data(
                    include_segments=[segment],
                    schedule_kind=ScheduleKind.AT,
                    scheduled_at=timezone.now() - dt.timedelta(minutes=1),
                )
            )

        assert errors_of(raised) == {"scheduled_at": ["the schedule is in the past"]}

    def test_a_recurring_campaign_needs_recurrence_time_and_a_real_time_zone(self, segment):
        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(
                data=campaign_data(
                    include_segments=[segment],
                    schedule_kind=ScheduleKind.RECURRING,
                    recurrence_timezone="Mars/Olympus_Mons",
                )
            )

        assert set(errors_of(raised)) == {"recurrence", "recurrence_time", "recurrence_timezone"}

    def test_weekly_and_monthly_need_their_day(self, segment):
        for recurrence, field in [
            (Recurrence.WEEKLY, "recurrence_weekday"),
            (Recurrence.MONTHLY, "recurrence_day"),
        ]:
            with pytest.raises(CampaignValidationError) as raised:
                services.campaign_create(
                    data=campaign_data(
                        include_segments=[segment],
                        schedule_kind=ScheduleKind.RECURRING,
                        recurrence=recurrence,
                        recurrence_time=dt.time(9, 0),
                        recurrence_timezone="Europe/Paris",
                    )
                )
            assert set(errors_of(raised)) == {field}

    def test_create_and_schedule_with_an_empty_audience_saves_nothing(self):
        empty = SegmentFactory()

        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_create(data=campaign_data(include_segments=[empty]), schedule=True)

        assert errors_of(raised) == {
            "audience": ["the audience is empty: no contact matches the segments and filters"]
        }
        assert not Campaign.objects.exists()


class TestCampaignUpdate:
    def test_changing_the_time_of_a_scheduled_campaign_moves_its_next_occurrence(self, segment):
        # given
        first = timezone.now() + dt.timedelta(days=1)
        campaign = services.campaign_create(
            data=campaign_data(
                include_segments=[segment], schedule_kind=ScheduleKind.AT, scheduled_at=first
            ),
            schedule=True,
        )
        later = first + dt.timedelta(days=2)

        # when
        campaign = services.campaign_update(campaign=campaign, data={"scheduled_at": later})

        # then
        assert (campaign.status, campaign.next_occurrence_at) == (CampaignStatus.SCHEDULED, later)

    def test_emptying_the_audience_of_a_scheduled_campaign_is_refused_and_rolled_back(
        self, segment
    ):
        campaign = services.campaign_create(
            data=campaign_data(include_segments=[segment]), schedule=True
        )

        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_update(campaign=campaign, data={"roles": ["executive"]})

        assert "audience" in errors_of(raised)
        campaign.refresh_from_db()
        assert campaign.roles == []

    def test_a_completed_campaign_cannot_be_changed(self, segment):
        campaign = CampaignFactory(status=CampaignStatus.COMPLETED, include_segments=[segment])

        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_update(campaign=campaign, data={"name": "New"})

        assert "status" in errors_of(raised)

    def test_a_bad_template_on_update_changes_nothing(self, segment):
        campaign = CampaignFactory(include_segments=[segment])

        with pytest.raises(CampaignValidationError):
            services.campaign_update(
                campaign=campaign, data={"name": "Renamed", "body_template": "{{ oops"}
            )

        campaign.refresh_from_db()
        assert campaign.name != "Renamed"


class TestCampaignSchedule:
    def test_a_draft_is_scheduled_now(self, segment):
        campaign = CampaignFactory(include_segments=[segment])
        now = timezone.now()

        campaign = services.campaign_schedule(campaign=campaign, now=now)

        assert (campaign.status, campaign.next_occurrence_at) == (CampaignStatus.SCHEDULED, now)

    def test_a_triggered_campaign_is_scheduled_without_audience_or_next_occurrence(self):
        campaign = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED, trigger_segment=SegmentFactory()
        )

        campaign = services.campaign_schedule(campaign=campaign)

        assert (campaign.status, campaign.next_occurrence_at) == (CampaignStatus.SCHEDULED, None)

    def test_a_time_that_passed_while_in_draft_is_refused(self, segment):
        campaign = CampaignFactory(
            include_segments=[segment],
            schedule_kind=ScheduleKind.AT,
            scheduled_at=timezone.now() - dt.timedelta(hours=1),
        )

        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_schedule(campaign=campaign)

        assert errors_of(raised) == {"scheduled_at": ["the schedule is in the past"]}
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT

    def test_a_recurring_start_that_passed_while_in_draft_just_started(self, segment):
        campaign = daily_campaign(segment, scheduled_at=timezone.now() - dt.timedelta(days=3))

        campaign = services.campaign_schedule(campaign=campaign)

        assert campaign.status == CampaignStatus.SCHEDULED
        assert campaign.next_occurrence_at > timezone.now()

    def test_only_a_draft_can_be_scheduled(self, segment):
        campaign = CampaignFactory(include_segments=[segment], status=CampaignStatus.SCHEDULED)

        with pytest.raises(CampaignValidationError) as raised:
            services.campaign_schedule(campaign=campaign)

        assert "status" in errors_of(raised)


def daily_campaign(segment, **fields) -> Campaign:
    return CampaignFactory(
        include_segments=[segment],
        schedule_kind=ScheduleKind.RECURRING,
        recurrence=Recurrence.DAILY,
        recurrence_time=dt.time(9, 0),
        recurrence_timezone="UTC",
        **fields,
    )


class TestPauseResumeCancel:
    def test_a_paused_campaign_gets_no_occurrence_until_resumed(self, segment):
        # given
        campaign = services.campaign_schedule(campaign=daily_campaign(segment))
        campaign = services.campaign_pause(campaign=campaign)
        Campaign.objects.filter(pk=campaign.pk).update(
            next_occurrence_at=timezone.now() - dt.timedelta(days=2)
        )

        # when
        while_paused = occurrences_create_due()
        campaign = services.campaign_resume(campaign=campaign)

        # then: the occurrences missed while paused are skipped
        assert while_paused == []
        assert campaign.status == CampaignStatus.SCHEDULED
        assert campaign.next_occurrence_at > timezone.now()
        assert campaign.next_occurrence_at.time() == dt.time(9, 0)

    def test_resuming_a_one_off_that_already_occurred_completes_it(self, segment):
        campaign = CampaignFactory(include_segments=[segment], status=CampaignStatus.COMPLETED)
        OccurrenceFactory(campaign=campaign, status=OccurrenceStatus.FROZEN)

        campaign = services.campaign_pause(campaign=campaign)
        assert campaign.status == CampaignStatus.PAUSED
        campaign = services.campaign_resume(campaign=campaign)

        assert campaign.status == CampaignStatus.COMPLETED

    def test_resuming_a_one_off_that_was_paused_before_its_moment_sends_it(self, segment):
        campaign = services.campaign_schedule(campaign=CampaignFactory(include_segments=[segment]))
        services.campaign_pause(campaign=campaign)

        campaign = services.campaign_resume(campaign=campaign)

        assert campaign.status == CampaignStatus.SCHEDULED
        assert campaign.next_occurrence_at <= timezone.now()

    def test_a_finished_campaign_cannot_be_paused_and_a_running_one_not_resumed(self, segment):
        finished = CampaignFactory(include_segments=[segment], status=CampaignStatus.COMPLETED)
        OccurrenceFactory(campaign=finished, status=OccurrenceStatus.DONE)
        running = CampaignFactory(include_segments=[segment], status=CampaignStatus.SCHEDULED)

        with pytest.raises(CampaignValidationError):
            services.campaign_pause(campaign=finished)
        with pytest.raises(CampaignValidationError):
            services.campaign_resume(campaign=running)

    def test_cancel_cancels_pending_and_frozen_occurrences_only(self, segment):
        # given
        campaign = daily_campaign(segment, status=CampaignStatus.SCHEDULED)
        pending = OccurrenceFactory(campaign=campaign)
        frozen = OccurrenceFactory(campaign=campaign, status=OccurrenceStatus.FROZEN)
        done = OccurrenceFactory(campaign=campaign, status=OccurrenceStatus.DONE)

        # when
        campaign = services.campaign_cancel(campaign=campaign)

        # then
        assert (campaign.status, campaign.next_occurrence_at) == (CampaignStatus.CANCELLED, None)
        statuses = dict(CampaignOccurrence.objects.values_list("id", "status"))
        assert statuses == {
            pending.pk: OccurrenceStatus.CANCELLED,
            frozen.pk: OccurrenceStatus.CANCELLED,
            done.pk: OccurrenceStatus.DONE,
        }
        with pytest.raises(CampaignValidationError):
            services.campaign_cancel(campaign=campaign)


class TestCampaignTestSend:
    def test_sends_one_marked_email_rendered_for_the_first_contact_and_records_nothing(
        self, segment
    ):
        # given
        campaign = CampaignFactory(
            include_segments=[segment],
            subject_template="Hi {{ contact.first_name }}",
            body_template='<p>Hello {{ contact.first_name }}, <a href="https://x.test/a">read</a></p>',
        )

        # when
        result = services.campaign_test_send(campaign=campaign, to_email="qa@example.com")

        # then
        assert len(mail.outbox) == 1
        email = mail.outbox[0]
        assert (email.subject, email.to) == ("[TEST] Hi Ada", ["qa@example.com"])
        assert email.body == "Hello Ada, read (https://x.test/a)"
        assert email.alternatives[0][1] == "text/html"
        assert "Hello Ada" in email.alternatives[0][0]
        assert result["subject"] == "[TEST] Hi Ada"
        assert not Message.objects.exists()
        assert not CampaignOccurrence.objects.exists()

    def test_renders_for_the_contact_given(self, segment):
        campaign = CampaignFactory(include_segments=[segment], subject_template="{{ contact }}")
        contact = ContactFactory(first_name="Grace", last_name="Hopper")

        services.campaign_test_send(campaign=campaign, to_email="qa@example.com", contact=contact)

        assert mail.outbox[0].subject == "[TEST] Grace Hopper"

    def test_a_bad_address_or_an_empty_audience_sends_nothing(self):
        campaign = CampaignFactory(include_segments=[SegmentFactory()])

        with pytest.raises(CampaignValidationError) as bad_address:
            services.campaign_test_send(campaign=campaign, to_email="not-an-address")
        with pytest.raises(CampaignValidationError) as nobody:
            services.campaign_test_send(campaign=campaign, to_email="qa@example.com")

        assert "to_email" in errors_of(bad_address)
        assert "contact" in errors_of(nobody)
        assert mail.outbox == []

    def test_a_mail_server_outage_is_a_clear_error(self, segment, settings, unused_tcp_port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_tcp_port
        settings.EMAIL_TIMEOUT = 2
        campaign = CampaignFactory(include_segments=[segment])

        with pytest.raises(services.TestSendFailed, match="did not accept"):
            services.campaign_test_send(campaign=campaign, to_email="qa@example.com")


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TestCampaignDelete:
    def test_a_campaign_with_messages_cannot_be_deleted(self):
        message = MessageFactory()

        with pytest.raises(CampaignValidationError):
            services.campaign_delete(campaign=message.campaign)

        assert Campaign.objects.filter(pk=message.campaign_id).exists()

    def test_a_draft_is_deleted_with_its_survey(self):
        campaign = CampaignFactory()
        Survey.objects.create(campaign=campaign)

        services.campaign_delete(campaign=campaign)

        assert not Campaign.objects.exists()
        assert not Survey.objects.exists()


class TestContactPreferences:
    def test_the_first_change_creates_the_row_and_later_ones_update_it(self):
        contact = ContactFactory()

        services.contact_preference_update(
            contact=contact, data={"topics_opted_out": ["events", "news", "events"]}
        )
        preference = services.contact_preference_update(contact=contact, data={"max_per_week": 1})

        assert preference.topics_opted_out == ["events", "news"]
        assert preference.max_per_week == 1
        assert ContactPreference.objects.count() == 1

    def test_unknown_topics_and_a_negative_cap_are_refused(self):
        with pytest.raises(CampaignValidationError) as raised:
            services.contact_preference_update(
                contact=ContactFactory(),
                data={"topics_opted_out": ["gossip"], "max_per_week": -1},
            )

        assert set(errors_of(raised)) == {"topics_opted_out", "max_per_week"}
        assert not ContactPreference.objects.exists()

    def test_reset_goes_back_to_the_defaults(self):
        preference = ContactPreferenceFactory(unsubscribed_all=True)

        services.contact_preference_reset(contact=preference.contact)

        assert not ContactPreference.objects.exists()


class TestMessageMarkRead:
    def test_the_recipient_marks_it_read_once(self):
        message = MessageFactory()
        first = timezone.now() - dt.timedelta(hours=1)

        services.message_mark_read(message=message, contact=message.contact, now=first)
        services.message_mark_read(message=message, contact=message.contact)

        message.refresh_from_db()
        assert message.read_at == first

    def test_someone_else_may_not_mark_it_read(self):
        message = MessageFactory()
        other = ContactFactory(partner=PartnerFactory())

        with pytest.raises(PermissionDenied):
            services.message_mark_read(message=message, contact=other)

        message.refresh_from_db()
        assert message.read_at is None
