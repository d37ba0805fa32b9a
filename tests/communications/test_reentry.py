"""Re-entry of triggered campaigns: whether a partner that leaves and re-joins the trigger
segment is greeted again (issue 16, item 7 and the re-entry setting)."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Reentry,
    ScheduleKind,
)
from communications.scheduling import occurrences_create_for_joins
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


def welcome(segment, **fields):
    return CampaignFactory(
        schedule_kind=ScheduleKind.TRIGGERED,
        trigger_segment=segment,
        status=CampaignStatus.SCHEDULED,
        **fields,
    )


def join(segment, partner, now):
    return occurrences_create_for_joins(segment_id=segment.pk, partner_ids=[partner.pk], now=now)


def test_a_partner_rejoining_on_another_day_inside_the_frequency_window_is_not_greeted_again(
    django_capture_on_commit_callbacks,
):
    # given: the partner joined (through an evaluation) and got the welcome, then left
    segment = SegmentFactory(rule={"field": "region", "op": "eq", "value": "emea"})
    partner = PartnerFactory(region="emea")
    campaign = welcome(segment)
    with django_capture_on_commit_callbacks(execute=True):
        segment_evaluate(segment_id=segment.pk)
    assert campaign.occurrences.count() == 1
    partner.region = "na"
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        segment_evaluate(segment_id=segment.pk)

    # when: it re-joins three days later, inside the 7-day frequency window
    join(segment, partner, timezone.now() + 3 * DAY)

    # then: no second welcome
    assert campaign.reentry == Reentry.WINDOW
    assert campaign.occurrences.count() == 1


def test_the_default_greets_again_once_the_frequency_window_has_passed():
    segment, partner = SegmentFactory(), PartnerFactory()
    campaign = welcome(segment)
    now = timezone.now()

    join(segment, partner, now)
    join(segment, partner, now + 6 * DAY)
    join(segment, partner, now + 8 * DAY)
    join(segment, partner, now + 9 * DAY)

    assert campaign.occurrences.count() == 2


def test_once_ever_greets_a_partner_a_single_time():
    segment, partner = SegmentFactory(), PartnerFactory()
    campaign = welcome(segment, reentry=Reentry.ONCE_EVER)
    now = timezone.now()

    join(segment, partner, now)
    join(segment, partner, now + 400 * DAY)

    assert campaign.occurrences.count() == 1


def test_once_per_days_greets_again_only_after_n_days():
    segment, partner = SegmentFactory(), PartnerFactory()
    campaign = welcome(segment, reentry=Reentry.ONCE_PER_DAYS, reentry_days=30)
    now = timezone.now()

    join(segment, partner, now)
    join(segment, partner, now + 10 * DAY)  # inside 30 days (and past the 7-day window)
    join(segment, partner, now + 31 * DAY)

    assert sorted(campaign.occurrences.values_list("due_at", flat=True)) == [now, now + 31 * DAY]


def test_every_join_greets_each_join_even_on_one_day_but_not_a_repeated_signal(
    django_capture_on_commit_callbacks,
):
    # given
    segment = SegmentFactory(rule={"field": "region", "op": "eq", "value": "emea"})
    partner = PartnerFactory(region="emea")
    campaign = welcome(segment, reentry=Reentry.EVERY_JOIN)

    # when: joins, the same join signalled again, leaves and re-joins the same day
    with django_capture_on_commit_callbacks(execute=True):
        segment_evaluate(segment_id=segment.pk)
    join(segment, partner, timezone.now())
    partner.region = "na"
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        segment_evaluate(segment_id=segment.pk)
    partner.region = "emea"
    partner.save()
    with django_capture_on_commit_callbacks(execute=True):
        segment_evaluate(segment_id=segment.pk)

    # then
    assert campaign.occurrences.count() == 2


def test_the_setting_is_per_campaign_and_set_based():
    segment = SegmentFactory()
    partners = PartnerFactory.create_batch(3)
    ids = [partner.pk for partner in partners]
    default = welcome(segment)
    every = welcome(segment, reentry=Reentry.EVERY_JOIN)
    now = timezone.now()

    occurrences_create_for_joins(segment_id=segment.pk, partner_ids=ids, now=now)
    created = occurrences_create_for_joins(segment_id=segment.pk, partner_ids=ids, now=now + DAY)

    assert created == 3  # every_join, the next day (no membership rows: one per day)
    assert default.occurrences.count() == 3
    assert every.occurrences.count() == 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "reentry,days", [(Reentry.WINDOW, None), (Reentry.ONCE_PER_DAYS, 30), (Reentry.ONCE_EVER, None)]
)
def test_concurrent_workers_greet_a_rejoining_partner_exactly_once(reentry, days):
    # given: four workers process joins of the same partner, dated on four days inside the
    # window, at the same moment (each with its own key: only the re-entry check holds)
    segment, partner = SegmentFactory(), PartnerFactory()
    campaign = welcome(segment, reentry=reentry, reentry_days=days)
    now = timezone.now()
    barrier = threading.Barrier(4)
    errors = []

    def worker(offset_days):
        try:
            barrier.wait(timeout=10)
            join(segment, partner, now + offset_days * DAY)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in (0, 1, 2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert CampaignOccurrence.objects.filter(campaign=campaign, partner=partner).count() == 1


# ---------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------

CAMPAIGNS_URL = "/api/campaigns/"


def triggered_body(**overrides) -> dict:
    SegmentFactory(slug="joiners")
    return {
        "name": "Welcome",
        "subject_template": "Welcome, {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}",
        "schedule_kind": "triggered",
        "trigger_segment": "joiners",
        **overrides,
    }


class TestApi:
    def test_the_default_is_the_frequency_window_and_is_shown(self, manager_client):
        response = manager_client.post(CAMPAIGNS_URL, triggered_body(), format="json")

        assert response.status_code == 201, response.json()
        assert response.json()["reentry"] == "window"
        assert response.json()["reentry_days"] is None

    def test_once_per_days_with_n_is_saved(self, manager_client):
        response = manager_client.post(
            CAMPAIGNS_URL,
            triggered_body(reentry="once_per_days", reentry_days=30),
            format="json",
        )

        assert response.status_code == 201, response.json()
        campaign = Campaign.objects.get()
        assert (campaign.reentry, campaign.reentry_days) == (Reentry.ONCE_PER_DAYS, 30)

    @pytest.mark.parametrize(
        "overrides,field",
        [
            ({"reentry": "once_per_days"}, "reentry_days"),
            ({"reentry": "once_per_days", "reentry_days": None}, "reentry_days"),
            ({"reentry": "once_per_days", "reentry_days": 0}, "reentry_days"),
            ({"reentry": "once_per_days", "reentry_days": 3651}, "reentry_days"),
            ({"reentry": "once_per_days", "reentry_days": "many"}, "reentry_days"),
            ({"reentry": "once_per_days", "reentry_days": 10**12}, "reentry_days"),
            ({"reentry": "once_ever", "reentry_days": 5}, "reentry_days"),
            ({"reentry": "sometimes"}, "reentry"),
        ],
    )
    def test_bad_values_are_a_400_with_the_field(self, manager_client, overrides, field):
        response = manager_client.post(CAMPAIGNS_URL, triggered_body(**overrides), format="json")

        assert response.status_code == 400
        assert field in response.json()
        assert not Campaign.objects.exists()

    def test_a_patch_to_once_per_days_without_n_is_a_400(self, manager_client):
        campaign = welcome(SegmentFactory())

        response = manager_client.patch(
            f"{CAMPAIGNS_URL}{campaign.pk}/", {"reentry": "once_per_days"}, format="json"
        )
        ok = manager_client.patch(
            f"{CAMPAIGNS_URL}{campaign.pk}/",
            {"reentry": "once_per_days", "reentry_days": 3650},
            format="json",
        )

        assert response.status_code == 400
        assert "reentry_days" in response.json()
        assert ok.status_code == 200, ok.json()
        assert ok.json()["reentry_days"] == 3650


# ---------------------------------------------------------------------------------------
# The campaign editor and page
# ---------------------------------------------------------------------------------------


def editor_data(segment, **overrides) -> dict:
    data = {
        "name": "Welcome",
        "topic": "news",
        "channel": "email",
        "subject_template": "Welcome, {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}",
        "schedule_kind": "triggered",
        "trigger_segment": segment.pk,
        "recurrence_timezone": "UTC",
        "trigger_delay_minutes": "0",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


class TestEditor:
    def test_the_editor_offers_the_setting_with_its_help_defaulting_to_the_window(self, staff):
        response = staff.get(reverse("communications:campaign-create"))

        form = response.context["form"]
        assert form["reentry"].value() == Reentry.WINDOW
        html = response.content.decode()
        assert 'name="reentry"' in html and 'name="reentry_days"' in html
        assert "greeted in the last 7 days is not greeted again" in html

    def test_once_per_days_is_saved_and_shown_on_the_campaign_page(self, staff):
        segment = SegmentFactory()

        response = staff.post(
            reverse("communications:campaign-create"),
            editor_data(segment, reentry="once_per_days", reentry_days="45"),
        )

        assert response.status_code == 302
        campaign = Campaign.objects.get()
        assert (campaign.reentry, campaign.reentry_days) == (Reentry.ONCE_PER_DAYS, 45)
        page = staff.get(reverse("communications:campaign-detail", args=[campaign.pk]))
        assert "At most once every 45 days" in page.content.decode()
        edit = staff.get(reverse("communications:campaign-edit", args=[campaign.pk]))
        assert edit.context["form"]["reentry_days"].value() == 45

    def test_a_campaign_that_is_not_triggered_keeps_the_default(self, staff):
        segment = SegmentFactory()

        response = staff.post(
            reverse("communications:campaign-create"),
            editor_data(
                segment,
                schedule_kind="now",
                include_segments=[segment.pk],
                reentry="once_per_days",
                reentry_days="9",
            ),
        )

        assert response.status_code == 302
        campaign = Campaign.objects.get()
        assert (campaign.reentry, campaign.reentry_days) == (Reentry.WINDOW, None)

    @pytest.mark.parametrize(
        "overrides",
        [
            {"reentry": "once_per_days"},
            {"reentry": "once_per_days", "reentry_days": "0"},
            {"reentry": "once_per_days", "reentry_days": "3651"},
            {"reentry": "once_per_days", "reentry_days": "soon"},
            {"reentry": "sometimes"},
        ],
    )
    def test_bad_values_are_a_form_error_on_the_field(self, staff, overrides):
        response = staff.post(
            reverse("communications:campaign-create"), editor_data(SegmentFactory(), **overrides)
        )

        assert response.status_code == 400
        errors = response.context["form"].errors
        assert set(errors) & {"reentry", "reentry_days"}, errors
        assert not Campaign.objects.exists()
