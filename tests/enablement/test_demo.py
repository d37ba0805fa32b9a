"""The demo's enablement (seed_demo_programs after seed_demo and seed_demo_segments)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from enablement.models import (
    ContentItem,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningPath,
    StepCompletion,
)
from enablement.quiz import quiz_errors
from partners.models import ContactRole
from segments.demo import DEMO_SEGMENTS
from segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", "--partners", "200", "--seed", "7", stdout=StringIO())
    call_command("seed_demo_segments", stdout=StringIO())
    call_command("seed_demo_programs", "--seed", "7", stdout=StringIO())


def test_every_gated_audience_has_published_content(demo):
    published = ContentItem.objects.published()
    slugs = [definition["slug"] for definition in DEMO_SEGMENTS] + ["strategic-accounts"]
    for slug in slugs:
        segment = Segment.objects.get(slug=slug)
        assert published.filter(contentitemsegment__segment=segment).exists(), slug
    for tier in ("silver", "gold", "platinum"):
        assert published.filter(min_tier__slug=tier).exists(), tier
    for role in ContactRole.values:
        assert any(item.roles == [role] for item in published), role
    public = published.filter(min_tier__isnull=True, roles=[], contentitemsegment__isnull=True)
    assert public.count() >= 3
    now = timezone.now()
    assert ContentItem.objects.filter(published_at__isnull=True).exists()  # a draft
    assert ContentItem.objects.filter(published_at__gt=now).exists()  # scheduled
    assert ContentItem.objects.filter(expires_at__lte=now).exists()  # expired


def test_three_paths_with_valid_quizzes_and_enrolments_in_every_state(demo):
    paths = LearningPath.objects.prefetch_related("steps")
    assert paths.count() == 3
    for path in paths:
        steps = list(path.steps.all())
        assert len(steps) >= 2
        quizzes = [step.quiz for step in steps if step.quiz]
        assert quizzes and all(not quiz_errors(quiz) for quiz in quizzes)
        enrollments = Enrollment.objects.filter(path=path)
        assert enrollments.filter(completed_at__isnull=False, progress_pct=100).exists()
        assert enrollments.filter(completed_at__isnull=True, progress_pct__lt=100).exists()
    assert LearningPath.objects.filter(awards_certification__isnull=False).count() >= 2
    # Failed: stuck at the quiz step after the due date.
    now = timezone.now()
    stuck = Enrollment.objects.filter(completed_at__isnull=True, due_at__lt=now, progress_pct__gt=0)
    assert stuck.exists()
    # Completions of a quiz step carry a passing score; dates are spread over months.
    quiz_done = StepCompletion.objects.exclude(step__quiz=[])
    assert quiz_done.exists() and not quiz_done.filter(score__lt=70).exists()
    dates = Enrollment.objects.values_list("enrolled_at", flat=True)
    assert (max(dates) - min(dates)).days > 180
    # Nothing happened in the future, nor before its enrolment.
    assert not Enrollment.objects.filter(enrolled_at__gt=now).exists()
    assert not Enrollment.objects.filter(completed_at__gt=now).exists()
    assert not StepCompletion.objects.filter(completed_at__gt=now).exists()
    assert not StepCompletion.objects.filter(completed_at__lt=F("enrollment__enrolled_at")).exists()


def test_views_over_months_by_contacts_in_the_audience(demo):
    views = EngagementEvent.objects.filter(kind=EngagementKind.VIEW)
    assert views.count() > 200
    months = {at.strftime("%Y-%m") for at in views.values_list("at", flat=True)}
    assert len(months) >= 6
    gated = ContentItem.objects.filter(min_tier__slug="platinum").get()
    ranks = set(
        views.filter(content=gated).values_list("partner__tier__rank", flat=True).distinct()
    )
    assert ranks and min(ranks) >= gated.min_tier.rank
    downloads = EngagementEvent.objects.filter(kind=EngagementKind.DOWNLOAD)
    assert downloads.exists()
    assert not downloads.filter(content__file="").exists()


def test_a_file_item_downloads_for_its_audience(demo, client):
    from django.contrib.auth import get_user_model

    item = ContentItem.objects.get(title="Partner program guide 2026")
    client.force_login(get_user_model().objects.get(username="partner"))
    response = client.get(f"/enablement/content/{item.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
