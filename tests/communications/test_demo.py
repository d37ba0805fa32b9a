"""The demo's campaigns (seed_demo_programs after seed_demo and seed_demo_segments)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    ScheduleKind,
    SurveyResponse,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--partners", "200", "--seed", "7", stdout=StringIO())
    call_command("seed_demo_segments", stdout=StringIO())
    call_command("seed_demo_programs", "--seed", "7", stdout=StringIO())


def test_past_campaigns_were_sent_opened_clicked_and_answered(demo):
    now = timezone.now()
    past = Campaign.objects.filter(status=CampaignStatus.COMPLETED).annotate(
        sent=Count("messages", filter=Q(messages__status=MessageStatus.SENT)),
        opened=Count("messages", filter=Q(messages__opened_at__isnull=False)),
        clicked=Count("messages", filter=Q(messages__clicked_at__isnull=False)),
    )
    assert past.count() >= 4
    total = {"sent": 0, "opened": 0, "clicked": 0}
    for campaign in past:
        assert campaign.sent > 0, campaign.name
        assert campaign.clicked <= campaign.opened <= campaign.sent
        for key in total:
            total[key] += getattr(campaign, key)
    assert 0.2 < total["opened"] / total["sent"] < 0.7
    assert 0.03 < total["clicked"] / total["sent"] < total["opened"] / total["sent"]
    messages = Message.objects.filter(status=MessageStatus.SENT)
    assert not messages.filter(sent_at__gt=now).exists()
    assert not messages.filter(opened_at__lt=F("sent_at")).exists()
    surveyed = past.filter(survey__isnull=False)
    assert surveyed.exists()
    answers = SurveyResponse.objects.filter(survey__campaign__in=surveyed)
    assert answers.count() > 5
    assert {score for score in answers.values_list("score", flat=True)} <= set(range(11))
    # An answer comes from a contact who received (and opened) the survey's message.
    assert not answers.filter(message__opened_at__isnull=True).exists()


def test_scheduled_campaigns_one_off_recurring_and_triggered(demo):
    now = timezone.now()
    scheduled = Campaign.objects.filter(status=CampaignStatus.SCHEDULED)
    one_off = scheduled.get(schedule_kind=ScheduleKind.AT)
    assert one_off.next_occurrence_at > now
    recurring = scheduled.get(schedule_kind=ScheduleKind.RECURRING)
    assert recurring.recurrence and recurring.next_occurrence_at > now
    welcome = scheduled.get(schedule_kind=ScheduleKind.TRIGGERED)
    assert welcome.trigger_segment.slug == "new-partners"
    assert not Message.objects.filter(campaign__status=CampaignStatus.SCHEDULED).exists()
    assert Campaign.objects.filter(status=CampaignStatus.DRAFT).exists()
