"""Triggered campaigns and partners that leave their segment and join it again: the campaign's
re-entry setting (once per partner, on every join, at most once in N days — by default the
frequency window's week) decides whether the welcome goes out again."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from communications.models import (
    FREQUENCY_WINDOW_DAYS,
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Reentry,
    ScheduleKind,
)
from communications.scheduling import occurrences_create_for_joins
from partners.models import Partner
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory
from tests.communications.test_views_campaigns import form_data
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


@pytest.fixture
def segment():
    return SegmentFactory(slug="emea", rule={"field": "region", "op": "eq", "value": "emea"})


@pytest.fixture
def partner():
    return PartnerFactory(region="na")


def welcome(segment, **fields) -> Campaign:
    return CampaignFactory(
        schedule_kind=ScheduleKind.TRIGGERED,
        trigger_segment=segment,
        status=CampaignStatus.SCHEDULED,
        **fields,
    )


def join(segment, partner, *, at: dt.datetime) -> None:
    """The partner joins the segment (a real evaluation writes its join event) and the join is
    handled `at` that moment, as the segment_members_changed receiver would."""
    Partner.objects.filter(pk=partner.pk).update(region="emea")
    assert segment_evaluate(segment_id=segment.pk).joined == 1
    occurrences_create_for_joins(segment_id=segment.pk, partner_ids=[partner.pk], now=at)


def leave(segment, partner) -> None:
    Partner.objects.filter(pk=partner.pk).update(region="na")
    assert segment_evaluate(segment_id=segment.pk).left == 1


def greetings(campaign, partner) -> int:
    return CampaignOccurrence.objects.filter(campaign=campaign, partner=partner).count()


def test_by_default_a_partner_rejoining_on_another_day_within_the_window_is_not_welcomed_again(
    segment, partner
):
    # The defect: occurrences were keyed per partner, segment and calendar day, so leaving
    # and re-joining the next day (inside the frequency window) sent the welcome again.
    campaign = welcome(segment)
    monday = timezone.now()

    join(segment, partner, at=monday)
    leave(segment, partner)
    join(segment, partner, at=monday + 2 * DAY)

    assert (campaign.reentry, campaign.reentry_days) == (Reentry.PER_DAYS, FREQUENCY_WINDOW_DAYS)
    assert greetings(campaign, partner) == 1


def test_per_days_welcomes_a_rejoining_partner_again_once_the_days_have_passed(segment, partner):
    campaign = welcome(segment, reentry=Reentry.PER_DAYS, reentry_days=30)
    start = timezone.now()

    join(segment, partner, at=start)
    leave(segment, partner)
    join(segment, partner, at=start + 29 * DAY)
    assert greetings(campaign, partner) == 1

    leave(segment, partner)
    join(segment, partner, at=start + 31 * DAY)
    assert greetings(campaign, partner) == 2


def test_once_never_welcomes_a_partner_twice(segment, partner):
    campaign = welcome(segment, reentry=Reentry.ONCE)
    start = timezone.now()

    join(segment, partner, at=start)
    leave(segment, partner)
    join(segment, partner, at=start + 400 * DAY)

    assert greetings(campaign, partner) == 1


def test_every_join_welcomes_each_join_but_the_same_join_signalled_twice_only_once(
    segment, partner
):
    campaign = welcome(segment, reentry=Reentry.EVERY_JOIN)
    now = timezone.now()

    join(segment, partner, at=now)
    occurrences_create_for_joins(segment_id=segment.pk, partner_ids=[partner.pk], now=now)
    assert greetings(campaign, partner) == 1

    leave(segment, partner)
    join(segment, partner, at=now)  # the same day
    assert greetings(campaign, partner) == 2


def test_each_campaign_on_the_segment_follows_its_own_setting(segment):
    partners = PartnerFactory.create_batch(3, region="na")
    once = welcome(segment, reentry=Reentry.ONCE)
    every = welcome(segment, reentry=Reentry.EVERY_JOIN)
    ids = [p.pk for p in partners]
    now = timezone.now()

    Partner.objects.filter(pk__in=ids).update(region="emea")
    segment_evaluate(segment_id=segment.pk)
    occurrences_create_for_joins(segment_id=segment.pk, partner_ids=ids, now=now)
    Partner.objects.filter(pk__in=ids).update(region="na")
    segment_evaluate(segment_id=segment.pk)
    Partner.objects.filter(pk__in=ids).update(region="emea")
    segment_evaluate(segment_id=segment.pk)
    occurrences_create_for_joins(segment_id=segment.pk, partner_ids=ids, now=now + DAY)

    assert once.occurrences.count() == 3
    assert every.occurrences.count() == 6


# ---- the campaign editor and the API -------------------------------------------------------


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def triggered_form(segment, **overrides) -> dict:
    return form_data(
        segment,
        schedule_kind="triggered",
        trigger_segment=segment.pk,
        include_segments=[],
        **overrides,
    )


def test_the_editor_saves_the_reentry_setting(staff, segment):
    response = staff.post(
        reverse("communications:campaign-create"),
        triggered_form(segment, reentry="per_days", reentry_days="30"),
    )

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.reentry, campaign.reentry_days) == (Reentry.PER_DAYS, 30)
    page = staff.get(reverse("communications:campaign-detail", args=[campaign.pk]))
    assert "at most once per partner in 30 days" in page.content.decode()


def test_the_editor_defaults_to_once_within_the_frequency_window(staff, segment):
    response = staff.post(reverse("communications:campaign-create"), triggered_form(segment))

    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.reentry, campaign.reentry_days) == (Reentry.PER_DAYS, FREQUENCY_WINDOW_DAYS)


@pytest.mark.parametrize(
    "bad",
    [
        {"reentry": "sometimes"},
        {"reentry_days": "0"},
        {"reentry_days": "3651"},
        {"reentry_days": "9" * 30},
        {"reentry_days": "a week"},
    ],
)
def test_the_editor_refuses_a_bad_reentry_setting_with_400(staff, segment, bad):
    response = staff.post(reverse("communications:campaign-create"), triggered_form(segment, **bad))

    assert response.status_code == 400
    assert set(bad) & set(response.context["form"].errors)
    assert not Campaign.objects.exists()


def api_body(**overrides) -> dict:
    return {
        "name": "Welcome",
        "subject_template": "Welcome {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}",
        "schedule_kind": "triggered",
        "trigger_segment": "emea",
        **overrides,
    }


def test_the_api_reads_and_writes_the_reentry_setting(manager_client, segment):
    response = manager_client.post("/api/campaigns/", api_body(reentry="once"), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["reentry"] == "once"
    assert response.json()["reentry_days"] == FREQUENCY_WINDOW_DAYS
    assert Campaign.objects.get().reentry == Reentry.ONCE


@pytest.mark.parametrize(
    "bad",
    [
        {"reentry": "sometimes"},
        {"reentry_days": 0},
        {"reentry_days": 3651},
        {"reentry_days": int("9" * 30)},
        {"reentry_days": "a week"},
        {"reentry": None},
    ],
)
def test_the_api_refuses_a_bad_reentry_setting_with_400(manager_client, segment, bad):
    response = manager_client.post("/api/campaigns/", api_body(**bad), format="json")

    assert response.status_code == 400
    assert set(bad) & set(response.json())
    assert not Campaign.objects.exists()
