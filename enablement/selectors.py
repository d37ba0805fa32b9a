"""Reads on enablement: what a contact may see, lists, audiences and expiring certifications."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from enablement.models import (
    Audience,
    ContentItem,
    EngagementEvent,
    Enrollment,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from partners.models import Certification, Contact, PartnerCertification
from segments.models import Membership


def content_for_contact(*, contact: Contact) -> QuerySet[ContentItem]:
    """Exactly the content this person may see now: published, unexpired and in its audience
    (segments, tier rank, role). One SQL query; the API and the download both use it."""
    return ContentItem.objects.published().visible_to(contact=contact)


def content_list() -> QuerySet[ContentItem]:
    """Every content item (drafts and expired too), for channel managers."""
    return ContentItem.objects.select_related("min_tier").prefetch_related("segments")


def learning_paths_for_contact(*, contact: Contact) -> QuerySet[LearningPath]:
    """Active learning paths whose audience includes this person, with their steps."""
    return (
        LearningPath.objects.filter(is_active=True)
        .visible_to(contact=contact)
        .select_related("awards_certification")
        .prefetch_related(_steps_prefetch())
    )


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


def contacts_in_audience(*, audience: Audience) -> QuerySet[Contact]:
    """The contacts a content item's or learning path's audience includes (the reverse of
    `visible_to`): partners in any of its segments, of at least its tier, in any of its roles."""
    contacts = Contact.objects.all()
    segment_ids = list(audience.segments.values_list("id", flat=True))
    if segment_ids:
        contacts = contacts.filter(
            Exists(
                Membership.objects.filter(
                    partner_id=OuterRef("partner_id"), segment_id__in=segment_ids
                )
            )
        )
    if audience.min_tier_id is not None:
        contacts = contacts.filter(partner__tier__rank__gte=audience.min_tier.rank)
    if audience.roles:
        contacts = contacts.filter(role__in=audience.roles)
    return contacts


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
