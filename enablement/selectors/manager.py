"""The channel manager's enablement pages: the content library, learning paths and
certification catalogue with their figures (usage, reach, enrolment stats, holders), each list
in constant queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from enablement.models import (
    ContentItem,
    ContentItemSegment,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from enablement.selectors.catalogue import content_list
from enablement.selectors.gating import contacts_in_audience
from partners.models import Certification, PartnerCertification

CONTENT_AUDIENCES = ("everyone", "segments", "tier", "roles")
CONTENT_STATUSES = ("published", "draft", "scheduled", "expired")


def _count(queryset: QuerySet, field: str) -> Coalesce:
    """A correlated COUNT of `queryset` (already filtered on `field` = OuterRef("pk")), 0 if
    none: one subquery per row instead of a join that would multiply other counts."""
    counted = queryset.order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def content_browse(
    *,
    search: str = "",
    kind: str = "",
    audience: str = "",
    status: str = "",
    tier_id: int | None = None,
    segment_id: int | None = None,
    at: dt.datetime | None = None,
) -> QuerySet[ContentItem]:
    """The manager's content library, filtered (audience one of CONTENT_AUDIENCES: who it is
    gated by; status one of CONTENT_STATUSES at `at`), each item with its status,
    view_count, download_count and step_count; constant queries whatever the page size."""
    at = at or timezone.now()
    events = EngagementEvent.objects.filter(content_id=OuterRef("pk"))
    links = ContentItemSegment.objects.filter(content_item_id=OuterRef("pk"))
    items = content_list().annotate(
        view_count=_count(events.filter(kind=EngagementKind.VIEW), "content_id"),
        download_count=_count(events.filter(kind=EngagementKind.DOWNLOAD), "content_id"),
        step_count=_count(LearningStep.objects.filter(content_id=OuterRef("pk")), "content_id"),
        status=Case(
            When(published_at__isnull=True, then=Value("draft")),
            When(published_at__gt=at, then=Value("scheduled")),
            When(expires_at__lte=at, then=Value("expired")),
            default=Value("published"),
            output_field=CharField(),
        ),
    )
    if search:
        items = items.filter(
            Q(title__icontains=search) | Q(summary__icontains=search) | Q(slug__icontains=search)
        )
    if kind:
        items = items.filter(kind=kind)
    if audience == "everyone":
        items = items.filter(~Exists(links), min_tier__isnull=True, roles=[])
    elif audience == "segments":
        items = items.filter(Exists(links))
    elif audience == "tier":
        items = items.filter(min_tier__isnull=False)
    elif audience == "roles":
        items = items.exclude(roles=[])
    if status:
        items = items.filter(status=status)
    if tier_id is not None:
        items = items.filter(min_tier_id=tier_id)
    if segment_id is not None:
        items = items.filter(Exists(links.filter(segment_id=segment_id)))
    return items.order_by("-updated_at", "-id")


def content_reach(*, content: ContentItem) -> dict[str, int]:
    """How many contacts and partners the item's audience includes (when published)."""
    return contacts_in_audience(audience=content).aggregate(
        contacts=Count("id"), partners=Count("partner_id", distinct=True)
    )


def content_usage(*, content: ContentItem, now: dt.datetime | None = None, weeks: int = 12) -> dict:
    """What partners did with an item: views and downloads (all time and last 30 days),
    distinct contacts and partners, the last event, and a weekly series over `weeks` weeks."""
    now = now or timezone.now()
    events = EngagementEvent.objects.filter(content=content)
    month_ago = now - dt.timedelta(days=30)
    is_view, is_download = Q(kind=EngagementKind.VIEW), Q(kind=EngagementKind.DOWNLOAD)
    totals = events.aggregate(
        views=Count("id", filter=is_view),
        downloads=Count("id", filter=is_download),
        views_30d=Count("id", filter=is_view & Q(at__gte=month_ago)),
        downloads_30d=Count("id", filter=is_download & Q(at__gte=month_ago)),
        contacts=Count("contact_id", distinct=True),
        partners=Count("partner_id", distinct=True),
        last_at=Max("at"),
    )
    first_week = (now - dt.timedelta(weeks=weeks - 1)).date()
    first_week -= dt.timedelta(days=first_week.weekday())
    rows = (
        events.filter(at__date__gte=first_week)
        .annotate(week=TruncWeek("at"))
        .values("week")
        .annotate(views=Count("id", filter=is_view), downloads=Count("id", filter=is_download))
        .order_by("week")
    )
    by_week = {row["week"].date(): row for row in rows}
    series = []
    for index in range(weeks):
        week = first_week + dt.timedelta(weeks=index)
        row = by_week.get(week, {})
        series.append(
            {"week": week, "views": row.get("views", 0), "downloads": row.get("downloads", 0)}
        )
    return {**totals, "weekly": series}


def learning_path_browse(*, search: str = "", status: str = "") -> QuerySet[LearningPath]:
    """Learning paths for the manager's list (status "active" or "inactive"), each with
    step_count, enrolled_count, completed_count and avg_progress; constant queries."""
    enrollments = Enrollment.objects.filter(path_id=OuterRef("pk"))
    average = (
        enrollments.order_by().values("path_id").annotate(avg=Avg("progress_pct")).values("avg")
    )
    paths = (
        LearningPath.objects.select_related(
            "min_tier", "awards_certification", "auto_enrol_segment"
        )
        .prefetch_related("segments")
        .annotate(
            step_count=_count(LearningStep.objects.filter(path_id=OuterRef("pk")), "path_id"),
            enrolled_count=_count(enrollments, "path_id"),
            completed_count=_count(enrollments.filter(completed_at__isnull=False), "path_id"),
            avg_progress=Subquery(average),
        )
    )
    if search:
        paths = paths.filter(Q(title__icontains=search) | Q(description__icontains=search))
    if status == "active":
        paths = paths.filter(is_active=True)
    elif status == "inactive":
        paths = paths.filter(is_active=False)
    return paths.order_by("title", "id")


def learning_path_steps(*, path: LearningPath) -> QuerySet[LearningStep]:
    """A path's steps in order with their content and completion_count (enrolments that
    completed the step)."""
    completions = StepCompletion.objects.filter(step_id=OuterRef("pk"))
    return (
        LearningStep.objects.filter(path=path)
        .select_related("content")
        .annotate(completion_count=_count(completions, "step_id"))
        .order_by("order", "id")
    )


def learning_step_next_order(*, path: LearningPath) -> int:
    """The order number a step added at the end of the path gets."""
    return (path.steps.aggregate(last=Max("order"))["last"] or 0) + 1


def learning_path_stats(*, path: LearningPath, now: dt.datetime | None = None) -> dict:
    """Enrolment figures of a path: enrolled, completed, in_progress, overdue, auto (enrolled
    by segment), partners and avg_progress; completion_pct of the enrolments."""
    now = now or timezone.now()
    done = Q(completed_at__isnull=False)
    stats = Enrollment.objects.filter(path=path).aggregate(
        enrolled=Count("id"),
        completed=Count("id", filter=done),
        overdue=Count("id", filter=~done & Q(due_at__lt=now)),
        auto=Count("id", filter=Q(source="auto")),
        partners=Count("contact__partner_id", distinct=True),
        avg_progress=Avg("progress_pct"),
    )
    stats["in_progress"] = stats["enrolled"] - stats["completed"]
    stats["completion_pct"] = (
        round(100 * stats["completed"] / stats["enrolled"], 1) if stats["enrolled"] else None
    )
    return stats


def learning_path_enrollments(
    *, path: LearningPath, now: dt.datetime | None = None
) -> QuerySet[Enrollment]:
    """A path's enrolments, newest first, with contact, partner, tier and is_overdue (open
    and past its due date)."""
    now = now or timezone.now()
    return (
        Enrollment.objects.filter(path=path)
        .select_related("contact__partner__tier")
        .annotate(
            is_overdue=Case(
                When(completed_at__isnull=True, due_at__lt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-enrolled_at", "-id")
    )


def certification_browse(
    *, search: str = "", today: dt.date | None = None, within_days: int = 30
) -> QuerySet[Certification]:
    """The catalogue for managers, each with holder_count (active), expiring_count (active,
    expiring within `within_days`), expired_count and path_count, and the tiers that require
    it; constant queries."""
    today = today or timezone.localdate()
    awards = PartnerCertification.objects.filter(certification_id=OuterRef("pk"))
    active = awards.active(on=today)
    certifications = Certification.objects.prefetch_related("required_by_tiers").annotate(
        holder_count=_count(active, "certification_id"),
        expiring_count=_count(
            active.filter(expires_at__lte=today + dt.timedelta(days=within_days)),
            "certification_id",
        ),
        expired_count=_count(awards.filter(expires_at__lte=today), "certification_id"),
        path_count=_count(
            LearningPath.objects.filter(awards_certification_id=OuterRef("pk")),
            "awards_certification_id",
        ),
    )
    if search:
        certifications = certifications.filter(
            Q(name__icontains=search) | Q(slug__icontains=search) | Q(description__icontains=search)
        )
    return certifications.order_by("name", "id")


def certification_holders(
    *,
    certification: Certification,
    state: str = "",
    today: dt.date | None = None,
    within_days: int = 30,
) -> QuerySet[PartnerCertification]:
    """Partners holding a certification (state "active", "expiring" within `within_days`,
    "expired" or all), soonest expiry first, with partner and tier."""
    today = today or timezone.localdate()
    awards = PartnerCertification.objects.filter(certification=certification).select_related(
        "partner__tier"
    )
    if state == "active":
        awards = awards.active(on=today)
    elif state == "expiring":
        awards = awards.active(on=today).filter(
            expires_at__lte=today + dt.timedelta(days=within_days)
        )
    elif state == "expired":
        awards = awards.filter(expires_at__lte=today)
    return awards.order_by("expires_at", "partner__name", "id")


def certification_summary(*, today: dt.date | None = None, within_days: int = 30) -> dict:
    """Catalogue-wide figures: certifications, active awards, those expiring within
    `within_days`, and partners holding at least one active certification."""
    today = today or timezone.localdate()
    active = PartnerCertification.objects.active(on=today)
    figures = active.aggregate(
        active=Count("id"),
        expiring=Count("id", filter=Q(expires_at__lte=today + dt.timedelta(days=within_days))),
        partners=Count("partner_id", distinct=True),
    )
    return {"certifications": Certification.objects.count(), **figures}
