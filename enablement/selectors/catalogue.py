"""Plain lists of enablement rows with what their pages show alongside (audience, steps,
completions), for channel managers, the API and the services; no figures, no gating."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from enablement.models import (
    ContentItem,
    EngagementEvent,
    Enrollment,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from partners.models import Certification, Contact, PartnerCertification


def content_list() -> QuerySet[ContentItem]:
    """Every content item (drafts and expired too), for channel managers."""
    return ContentItem.objects.select_related("min_tier").prefetch_related("segments")


def learning_path_list() -> QuerySet[LearningPath]:
    """Every learning path with its audience and steps, for channel managers."""
    return LearningPath.objects.select_related(
        "min_tier", "awards_certification", "auto_enrol_segment"
    ).prefetch_related("segments", _steps_prefetch())


def _steps_prefetch() -> Prefetch:
    return Prefetch("steps", queryset=LearningStep.objects.select_related("content"))


def learning_step_list() -> QuerySet[LearningStep]:
    """Every step with its path and content, for channel managers."""
    return LearningStep.objects.select_related("path", "content")


def enrollment_list(*, contact: Contact | None = None) -> QuerySet[Enrollment]:
    """Enrolments (one contact's, if given) with their path and completed steps."""
    enrollments = Enrollment.objects.select_related("contact", "path").prefetch_related(
        Prefetch("completions", queryset=StepCompletion.objects.order_by("completed_at", "id"))
    )
    if contact is not None:
        enrollments = enrollments.filter(contact=contact)
    return enrollments


def certification_list() -> QuerySet[Certification]:
    """The certification catalogue."""
    return Certification.objects.order_by("name", "id")


def certifications_expiring(
    *, within_days: int = 30, today: dt.date | None = None
) -> QuerySet[PartnerCertification]:
    """Partner certifications still valid today that expire within `within_days` days."""
    today = today or timezone.localdate()
    return (
        PartnerCertification.objects.active(on=today)
        .filter(expires_at__lte=today + dt.timedelta(days=within_days))
        .select_related("partner", "certification")
        .order_by("expires_at", "id")
    )


def engagement_events(*, partner_id: int | None = None) -> QuerySet[EngagementEvent]:
    """Engagement events, newest first (one partner's, if given)."""
    events = EngagementEvent.objects.select_related("contact", "content", "step")
    if partner_id is not None:
        events = events.filter(partner_id=partner_id)
    return events
