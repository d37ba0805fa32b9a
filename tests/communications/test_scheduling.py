import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Recurrence,
    ScheduleKind,
)
from communications.scheduling import (
    campaign_next_occurrence,
    occurrence_key,
    occurrences_create_due,
    occurrences_create_for_joins,
)
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory, OccurrenceFactory
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def recurring(recurrence, at: dt.time, zone: str, **fields) -> Campaign:
    return CampaignFactory(
        schedule_kind=ScheduleKind.RECURRING,
        recurrence=recurrence,
        recurrence_time=at,
        recurrence_timezone=zone,
        **fields,
    )


class TestNextOccurrence:
    def test_now_is_the_moment_asked_and_then_never_again(self):
        campaign = CampaignFactory(schedule_kind=ScheduleKind.NOW)
        moment = utc(2025, 5, 1, 12, 0)

        assert campaign_next_occurrence(campaign=campaign, after=moment) == moment
        OccurrenceFactory(campaign=campaign)
        assert campaign_next_occurrence(campaign=campaign, after=moment) is None

    def test_at_is_its_scheduled_time_once(self):
        campaign = CampaignFactory(
            schedule_kind=ScheduleKind.AT, scheduled_at=utc(2025, 6, 1, 8, 0)
        )

        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 5, 1)) == utc(
            2025, 6, 1, 8, 0
        )
        OccurrenceFactory(campaign=campaign)
        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 5, 1)) is None

    def test_daily_keeps_the_wall_clock_time_across_spring_forward(self):
        # given: Berlin moves from UTC+1 to UTC+2 on 2025-03-30
        campaign = recurring(Recurrence.DAILY, dt.time(9, 0), "Europe/Berlin")

        # when
        before = campaign_next_occurrence(campaign=campaign, after=utc(2025, 3, 29, 7, 0))
        after = campaign_next_occurrence(campaign=campaign, after=before)

        # then: 09:00 local both days, one hour earlier in UTC after the change
        assert before == utc(2025, 3, 29, 8, 0)
        assert after == utc(2025, 3, 30, 7, 0)

    def test_a_time_skipped_by_spring_forward_sends_once_that_day(self):
        campaign = recurring(Recurrence.DAILY, dt.time(2, 30), "Europe/Berlin")

        on_the_day = campaign_next_occurrence(campaign=campaign, after=utc(2025, 3, 29, 12, 0))
        next_day = campaign_next_occurrence(campaign=campaign, after=on_the_day)

        # 02:30 does not exist on 2025-03-30: it sends at 03:30 CEST (01:30 UTC)
        assert on_the_day == utc(2025, 3, 30, 1, 30)
        assert next_day == utc(2025, 3, 31, 0, 30)

    def test_a_time_repeated_by_fall_back_sends_once_at_its_first_instance(self):
        campaign = recurring(Recurrence.DAILY, dt.time(2, 30), "Europe/Berlin")

        first = campaign_next_occurrence(campaign=campaign, after=utc(2025, 10, 25, 12, 0))
        then = campaign_next_occurrence(campaign=campaign, after=first)

        assert first == utc(2025, 10, 26, 0, 30)  # 02:30 CEST
        assert then == utc(2025, 10, 27, 1, 30)  # 02:30 CET the next day

    def test_weekly_is_the_weekday_at_local_time_across_fall_back(self):
        # given: New York leaves daylight time on Sunday 2025-11-02; weekly on Monday 09:00
        campaign = recurring(
            Recurrence.WEEKLY, dt.time(9, 0), "America/New_York", recurrence_weekday=0
        )

        # when
        first = campaign_next_occurrence(campaign=campaign, after=utc(2025, 10, 22, 0, 0))
        second = campaign_next_occurrence(campaign=campaign, after=first)

        # then
        assert first == utc(2025, 10, 27, 13, 0)  # 09:00 EDT
        assert second == utc(2025, 11, 3, 14, 0)  # 09:00 EST

    def test_monthly_is_the_day_of_month_at_local_time_across_dst_and_years(self):
        campaign = recurring(Recurrence.MONTHLY, dt.time(8, 0), "Europe/Berlin", recurrence_day=15)

        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 3, 10)) == utc(
            2025, 3, 15, 7, 0
        )
        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 3, 20)) == utc(
            2025, 4, 15, 6, 0
        )
        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 12, 16)) == utc(
            2026, 1, 15, 7, 0
        )

    def test_a_recurring_campaign_starts_no_earlier_than_scheduled_at(self):
        campaign = recurring(
            Recurrence.DAILY, dt.time(9, 0), "UTC", scheduled_at=utc(2025, 7, 1, 9, 0)
        )

        assert campaign_next_occurrence(campaign=campaign, after=utc(2025, 6, 1)) == utc(
            2025, 7, 1, 9, 0
        )

    def test_there_is_none_past_ends_at_or_for_a_triggered_campaign(self):
        ended = recurring(Recurrence.DAILY, dt.time(9, 0), "UTC", ends_at=utc(2025, 6, 1, 12))
        triggered = CampaignFactory(schedule_kind=ScheduleKind.TRIGGERED)

        assert campaign_next_occurrence(campaign=ended, after=utc(2025, 6, 1, 10)) is None
        assert campaign_next_occurrence(campaign=triggered, after=utc(2025, 6, 1)) is None


def scheduled(**fields) -> Campaign:
    return CampaignFactory(status=CampaignStatus.SCHEDULED, **fields)


class TestOccurrencesCreateDue:
    def test_a_due_one_off_gets_its_occurrence_and_completes(self):
        # given
        now = timezone.now()
        moment = now - dt.timedelta(seconds=5)
        campaign = scheduled(next_occurrence_at=moment)

        # when
        created = occurrences_create_due(now=now)

        # then
        occurrence = CampaignOccurrence.objects.get(campaign=campaign)
        assert created == [occurrence.pk]
        assert (occurrence.key, occurrence.due_at) == (occurrence_key(moment), moment)
        campaign.refresh_from_db()
        assert (campaign.status, campaign.next_occurrence_at) == (CampaignStatus.COMPLETED, None)

    def test_repeated_ticks_create_nothing_twice(self):
        now = timezone.now()
        one_off = scheduled(next_occurrence_at=now - dt.timedelta(minutes=1))
        daily = scheduled(
            schedule_kind=ScheduleKind.RECURRING,
            recurrence=Recurrence.DAILY,
            recurrence_time=dt.time(6, 0),
            recurrence_timezone="UTC",
            next_occurrence_at=now - dt.timedelta(minutes=1),
        )

        first = occurrences_create_due(now=now)
        second = occurrences_create_due(now=now)

        assert len(first) == 2
        assert second == []
        assert one_off.occurrences.count() == daily.occurrences.count() == 1

    def test_a_recurring_campaign_advances_past_now_after_a_backlog(self):
        # given: the scheduler was down for three days
        now = utc(2025, 5, 10, 12, 0)
        campaign = scheduled(
            schedule_kind=ScheduleKind.RECURRING,
            recurrence=Recurrence.DAILY,
            recurrence_time=dt.time(9, 0),
            recurrence_timezone="UTC",
            next_occurrence_at=utc(2025, 5, 7, 9, 0),
        )

        # when
        created = occurrences_create_due(now=now)

        # then: one catch-up occurrence, and the next one tomorrow
        assert len(created) == 1
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.SCHEDULED
        assert campaign.next_occurrence_at == utc(2025, 5, 11, 9, 0)

    def test_an_existing_occurrence_of_that_moment_is_not_duplicated(self):
        now = timezone.now()
        moment = now - dt.timedelta(minutes=1)
        campaign = scheduled(next_occurrence_at=moment)
        existing = OccurrenceFactory(campaign=campaign, key=occurrence_key(moment), due_at=moment)

        assert occurrences_create_due(now=now) == []
        assert list(campaign.occurrences.all()) == [existing]
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.COMPLETED

    @pytest.mark.parametrize(
        "fields",
        [
            {"status": CampaignStatus.SCHEDULED, "next_occurrence_at": "future"},
            {"status": CampaignStatus.PAUSED, "next_occurrence_at": "past"},
            {"status": CampaignStatus.DRAFT, "next_occurrence_at": "past"},
            {"status": CampaignStatus.CANCELLED, "next_occurrence_at": "past"},
        ],
    )
    def test_campaigns_not_due_or_not_scheduled_get_nothing(self, fields):
        now = timezone.now()
        offset = dt.timedelta(hours=1)
        moment = now + offset if fields["next_occurrence_at"] == "future" else now - offset
        CampaignFactory(status=fields["status"], next_occurrence_at=moment)

        assert occurrences_create_due(now=now) == []
        assert not CampaignOccurrence.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_campaign_locked_by_another_worker_is_skipped_without_waiting():
    # given: another worker holds the due campaign's row
    now = timezone.now()
    campaign = scheduled(next_occurrence_at=now - dt.timedelta(minutes=1))
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Campaign.objects.select_for_update().get(pk=campaign.pk)
                locked.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    assert locked.wait(timeout=10)

    # when
    try:
        while_locked = occurrences_create_due(now=now)
    finally:
        release.set()
        worker.join()
    after_release = occurrences_create_due(now=now)

    # then
    assert while_locked == []
    assert len(after_release) == 1
    assert campaign.occurrences.count() == 1


class TestSegmentJoinTrigger:
    def test_partners_joining_through_an_evaluation_get_a_delayed_occurrence(
        self, django_capture_on_commit_callbacks
    ):
        # given
        segment = SegmentFactory(rule={"field": "region", "op": "eq", "value": "emea"})
        joiner = PartnerFactory(region="emea")
        PartnerFactory(region="na")
        welcome = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=segment,
            trigger_delay_minutes=90,
            status=CampaignStatus.SCHEDULED,
        )
        CampaignFactory(schedule_kind=ScheduleKind.TRIGGERED, trigger_segment=segment)  # draft
        CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=SegmentFactory(),
            status=CampaignStatus.SCHEDULED,
        )
        before = timezone.now()

        # when
        with django_capture_on_commit_callbacks(execute=True):
            segment_evaluate(segment_id=segment.pk)

        # then
        occurrence = CampaignOccurrence.objects.get()
        assert occurrence.campaign == welcome
        assert occurrence.partner == joiner
        assert occurrence.key == f"join:{joiner.pk}:{segment.pk}:{timezone.localdate()}"
        delay = dt.timedelta(minutes=90)
        assert before + delay <= occurrence.due_at <= timezone.now() + delay

    def test_only_new_joiners_trigger_on_a_later_evaluation(
        self, django_capture_on_commit_callbacks
    ):
        segment = SegmentFactory(rule={"field": "region", "op": "eq", "value": "emea"})
        first = PartnerFactory(region="emea")
        later = PartnerFactory(region="na")
        welcome = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=segment,
            status=CampaignStatus.SCHEDULED,
        )
        with django_capture_on_commit_callbacks(execute=True):
            segment_evaluate(segment_id=segment.pk)
        later.region = "emea"
        later.save()

        with django_capture_on_commit_callbacks(execute=True):
            segment_evaluate(segment_id=segment.pk)
            segment_evaluate(segment_id=segment.pk)

        assert sorted(welcome.occurrences.values_list("partner_id", flat=True)) == sorted(
            [first.pk, later.pk]
        )

    def test_joins_of_a_paused_campaign_are_held_and_an_ended_one_gets_none(self):
        segment = SegmentFactory()
        partner = PartnerFactory()
        paused = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=segment,
            status=CampaignStatus.PAUSED,
        )
        ended = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=segment,
            status=CampaignStatus.SCHEDULED,
            ends_at=timezone.now() - dt.timedelta(days=1),
        )

        occurrences_create_for_joins(segment_id=segment.pk, partner_ids=[partner.pk])

        assert paused.occurrences.count() == 1
        assert ended.occurrences.count() == 0

    def test_the_same_join_signalled_twice_on_a_day_creates_one_occurrence(self):
        segment = SegmentFactory()
        partners = PartnerFactory.create_batch(3)
        campaign = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=segment,
            status=CampaignStatus.SCHEDULED,
        )
        ids = [partner.pk for partner in partners]

        occurrences_create_for_joins(segment_id=segment.pk, partner_ids=ids)
        occurrences_create_for_joins(segment_id=segment.pk, partner_ids=[*ids, ids[0]])

        assert campaign.occurrences.count() == 3
