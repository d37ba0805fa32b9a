"""Engagement: record what partner people do with enablement and roll it up, set-based, into
the partner profile (engagement_score, last_activity_at, enablement_completion_pct).

The engagement score (0-100) counts a partner's events of the last 90 days:

    score = min(100, min(views, 20) + 3 * min(downloads, 10) + 5 * completions + 8 * quizzes)

so browsing alone earns at most 20 points and downloads at most 30: finishing training (steps
and passed quizzes) is what brings a partner to 100.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Least, Round
from django.utils import timezone

from enablement.models import (
    ContentItem,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningStep,
)
from partners.models import Contact, Partner
from partners.services import partners_engagement_update

SCORE_WINDOW_DAYS = 90
SCORE_MAX = 100
VIEW_POINTS_CAP = 20
DOWNLOAD_POINTS, DOWNLOADS_COUNTED = 3, 10
COMPLETION_POINTS = 5
QUIZ_POINTS = 8


def engagement_event_record(
    *,
    contact: Contact,
    kind: str,
    content: ContentItem | None = None,
    step: LearningStep | None = None,
    at: dt.datetime | None = None,
) -> EngagementEvent:
    """Record one event of a contact; the partner's roll-up is enqueued after commit."""
    event = EngagementEvent.objects.create(
        contact=contact,
        partner_id=contact.partner_id,
        kind=kind,
        content=content,
        step=step,
        at=at or timezone.now(),
    )
    engagement_rollup_enqueue(partner_ids=[contact.partner_id])
    return event


def engagement_rollup_enqueue(*, partner_ids: Iterable[int]) -> None:
    """After commit, roll up these partners a few seconds later (one task per transaction)."""
    ids = sorted(set(partner_ids))
    if not ids:
        return
    from enablement.tasks import engagement_rollup_task

    delay = getattr(settings, "PRM_ENGAGEMENT_ROLLUP_DELAY_SECONDS", 10)
    transaction.on_commit(lambda: engagement_rollup_task.apply_async(args=[ids], countdown=delay))


def _score_expression():
    def count(kind: str) -> Count:
        return Count("id", filter=Q(kind=kind))

    points = (
        Least(count(EngagementKind.VIEW), Value(VIEW_POINTS_CAP))
        + DOWNLOAD_POINTS * Least(count(EngagementKind.DOWNLOAD), Value(DOWNLOADS_COUNTED))
        + COMPLETION_POINTS * count(EngagementKind.COMPLETION)
        + QUIZ_POINTS * count(EngagementKind.QUIZ)
    )
    return Least(points, Value(SCORE_MAX), output_field=IntegerField())


def engagement_rollup(
    *, partner_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Compute every figure in SQL and write it through partners_engagement_update (one SELECT
    of the partners whose figures differ, one UPDATE per chunk; only those are announced).

    The given partners (enablement acted on them), or with None every partner that has
    engagement events or enrolments, so figures an import gave other partners stay. A partner
    without enrolments gets a null completion. last_activity_at only moves forward: other
    activity (e.g. communications) may have set a later one. Returns how many changed.
    """
    now = now or timezone.now()
    since = now - dt.timedelta(days=SCORE_WINDOW_DAYS)
    events = EngagementEvent.objects.filter(partner_id=OuterRef("pk")).order_by()
    enrollments = Enrollment.objects.filter(contact__partner_id=OuterRef("pk")).order_by()
    recent_score = (
        events.filter(at__gte=since, at__lte=now)
        .values("partner_id")
        .annotate(score=_score_expression())
        .values("score")
    )
    last_event_at = events.order_by("-at").values("at")[:1]
    completion_pct = (
        enrollments.values("contact__partner_id")
        .annotate(
            pct=Cast(Count("id", filter=Q(completed_at__isnull=False)), FloatField())
            * 100.0
            / Cast(Count("id"), FloatField())
        )
        .values("pct")
    )
    if partner_ids is None:
        partners = Partner.objects.filter(Exists(events) | Exists(enrollments))
    else:
        ids = sorted(set(partner_ids))
        if not ids:
            return 0
        partners = Partner.objects.filter(id__in=ids)
    partners = partners.order_by("id")
    # last_activity_at only moves forward: the later of the stored value and the last event.
    last_activity = Case(
        When(last_activity_at__isnull=True, then=Subquery(last_event_at)),
        When(
            Q(last_activity_at__lt=Subquery(last_event_at)),
            then=Subquery(last_event_at),
        ),
        default=F("last_activity_at"),
    )
    return partners_engagement_update(
        partners=partners,
        values={
            "engagement_score": Cast(
                Coalesce(Subquery(recent_score, output_field=IntegerField()), 0), FloatField()
            ),
            "last_activity_at": last_activity,
            "enablement_completion_pct": Round(
                Subquery(completion_pct, output_field=FloatField()), 2
            ),
        },
    )
