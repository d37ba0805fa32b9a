"""The demo as a whole: pending applications, what the demo partner user sees, determinism
and --if-empty of seed_demo_programs."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from communications.models import Campaign, Message, SurveyResponse
from enablement.models import (
    ContentItem,
    EngagementEvent,
    Enrollment,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from partners.models import Contact, LifecycleStage, Partner

pytestmark = pytest.mark.django_db


def _seed(seed="7"):
    call_command("seed_demo_programs", "--seed", seed, stdout=StringIO())


@pytest.fixture
def demo():
    call_command("seed_demo", "--partners", "200", "--seed", "7", stdout=StringIO())
    call_command("seed_demo_segments", stdout=StringIO())
    _seed()


def _fingerprint() -> dict:
    return {
        "content": sorted(ContentItem.objects.values_list("title", "published_at__date")),
        "paths": sorted(LearningPath.objects.values_list("title", flat=True)),
        "enrollments": sorted(
            Enrollment.objects.values_list("contact__email", "path__title", "progress_pct")
        ),
        "completions": StepCompletion.objects.count(),
        "events": EngagementEvent.objects.count(),
        "campaigns": sorted(Campaign.objects.values_list("name", "status")),
        "messages": sorted(Message.objects.values_list("contact__email", "subject", "status")),
        "opened": Message.objects.filter(opened_at__isnull=False).count(),
        "answers": sorted(SurveyResponse.objects.values_list("contact__email", "score")),
    }


def _programs_delete() -> None:
    Campaign.objects.all().delete()
    LearningPath.objects.all().delete()
    EngagementEvent.objects.all().delete()
    assert not LearningStep.objects.exists()
    ContentItem.objects.all().delete()


def test_same_seed_same_demo_and_if_empty_adds_nothing(demo):
    before = _fingerprint()
    call_command("seed_demo_programs", "--seed", "7", "--if-empty", stdout=StringIO())
    assert _fingerprint() == before
    _programs_delete()
    _seed()
    assert _fingerprint() == before
    _programs_delete()
    _seed("8")
    assert _fingerprint()["enrollments"] != before["enrollments"]


def test_pending_applications_in_the_queue(demo, client):
    applicants = Partner.objects.filter(
        lifecycle_stage=LifecycleStage.APPLICANT, external_id__startswith="APP-"
    )
    assert 5 <= applicants.count() <= 10
    assert all(partner.attributes["application"]["message"] for partner in applicants)
    # a handful in the queue in all, the seeded partners' applicants included
    assert 5 <= Partner.objects.filter(lifecycle_stage=LifecycleStage.APPLICANT).count() <= 12
    client.force_login(get_user_model().objects.get(username="manager"))
    response = client.get(reverse("portal:applications"))
    assert response.status_code == 200
    assert "Northwind Cloud Services" in response.content.decode()


def test_the_demo_partner_user_sees_content_an_enrolment_and_messages(demo, client):
    user = get_user_model().objects.get(username="partner")
    contact = Contact.objects.get(user=user)
    assert contact.partner.external_id == "DEMO-0000001"
    client.force_login(user)
    visible = ContentItem.objects.visible_to(contact=contact).published()
    assert visible.count() >= 5
    learning = client.get(reverse("portal:learning"))
    assert learning.status_code == 200
    page = learning.content.decode()
    assert visible.first().title in page
    enrollment = Enrollment.objects.get(contact=contact)
    assert enrollment.completed_at is None and 0 < enrollment.progress_pct < 100
    path_page = client.get(reverse("portal:learning-path", args=[enrollment.path_id]))
    assert path_page.status_code == 200
    assert enrollment.path.title in path_page.content.decode()
    messages = Message.objects.filter(contact=contact, channel__in=["portal", "both"])
    assert messages.exists()
    inbox = client.get(reverse("portal:inbox"))
    assert inbox.status_code == 200
    assert messages.first().subject in inbox.content.decode()
    message = client.get(reverse("portal:inbox-message", args=[messages.first().pk]))
    assert message.status_code == 200
