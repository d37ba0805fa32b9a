"""Reads on enablement: what a contact may see, lists, audiences and expiring certifications."""

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
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from enablement.models import (
    Audience,
    ContentItem,
    ContentItemSegment,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from partners.models import Certification, Contact, Partner, PartnerCertification
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


# ---------------------------------------------------------------------------------------
# The channel manager portal: lists with their figures, usage, reach and the partner panel
# ---------------------------------------------------------------------------------------

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


def partner_enablement(*, partner_id: int, today: dt.date | None = None) -> dict:
    """A partner's enablement for the manager's partner page: the partner (with its rolled-up
    completion), its contacts each with their enrolments (path, progress), and its
    certifications with expiry; four queries."""
    partner = Partner.objects.select_related("tier").get(pk=partner_id)
    contacts = list(
        Contact.objects.filter(partner_id=partner_id)
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.select_related("path").order_by(
                    "completed_at", "-progress_pct", "path__title"
                ),
            )
        )
        .order_by("last_name", "first_name", "id")
    )
    certifications = list(
        PartnerCertification.objects.filter(partner_id=partner_id)
        .select_related("certification")
        .order_by("expires_at", "certification__name")
    )
    enrollments = [enrollment for contact in contacts for enrollment in contact.enrollments.all()]
    return {
        "partner": partner,
        "contacts": contacts,
        "certifications": certifications,
        "enrolled": len(enrollments),
        "completed": sum(1 for enrollment in enrollments if enrollment.is_completed),
        "today": today or timezone.localdate(),
    }


# ---------------------------------------------------------------------------------------
# Manager portal: dashboard
# ---------------------------------------------------------------------------------------

COMPLETION_BANDS = (
    ("none", "Not started", None, None),
    ("low", "Under 25%", 0, 25),
    ("some", "25-50%", 25, 50),
    ("most", "50-75%", 50, 75),
    ("high", "75-100%", 75, None),
)


def enablement_completion_overview() -> dict:
    """Partners' enablement completion (Partner.enablement_completion_pct): the average over
    partners that have any, how many partners fall in each band, overall and per tier, from
    one GROUP BY (tier, band); and enrolments started and completed, from one aggregate."""
    from django.db.models import Case, CharField, Count, Q, Sum, Value, When

    from partners.models import Partner, Tier

    whens = [When(enablement_completion_pct__isnull=True, then=Value("none"))]
    for key, _label, low, high in COMPLETION_BANDS[1:]:
        condition = Q(enablement_completion_pct__gte=low)
        if high is not None:
            condition &= Q(enablement_completion_pct__lt=high)
        whens.append(When(condition, then=Value(key)))
    rows = (
        Partner.objects.annotate(band=Case(*whens, default=Value("none"), output_field=CharField()))
        .values("tier_id", "band")
        .annotate(
            partners=Count("*"),
            measured=Count("enablement_completion_pct"),
            pct_sum=Sum("enablement_completion_pct"),
        )
        .order_by()
    )
    bands = {key: 0 for key, *_ in COMPLETION_BANDS}
    tiers = {tier.id: tier for tier in Tier.objects.order_by("rank")}
    by_tier: dict = {
        tier_id: {"bands": dict.fromkeys(bands, 0), "measured": 0, "pct_sum": 0.0}
        for tier_id in [*tiers, None]
    }
    measured, pct_sum = 0, 0.0
    for row in rows:
        bands[row["band"]] += row["partners"]
        entry = by_tier.setdefault(
            row["tier_id"], {"bands": dict.fromkeys(bands, 0), "measured": 0, "pct_sum": 0.0}
        )
        entry["bands"][row["band"]] += row["partners"]
        entry["measured"] += row["measured"]
        entry["pct_sum"] += row["pct_sum"] or 0.0
        measured += row["measured"]
        pct_sum += row["pct_sum"] or 0.0
    enrollments = Enrollment.objects.aggregate(
        started=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return {
        "average_pct": round(pct_sum / measured, 1) if measured else None,
        "measured_partners": measured,
        "bands": [
            {"key": key, "label": label, "partners": bands[key]}
            for key, label, *_ in COMPLETION_BANDS
        ],
        "by_tier": [
            {
                "tier": tiers[tier_id].name if tier_id is not None else "No tier",
                "bands": entry["bands"],
                "average_pct": round(entry["pct_sum"] / entry["measured"], 1)
                if entry["measured"]
                else None,
                "partners": sum(entry["bands"].values()),
            }
            for tier_id, entry in by_tier.items()
            if tier_id is not None or sum(entry["bands"].values())
        ],
        "enrollments_started": enrollments["started"],
        "enrollments_completed": enrollments["completed"],
    }


# ---------------------------------------------------------------------------------------
# Partner portal: learning pages (everything gated by content_for_contact and
# learning_paths_for_contact, so nothing a contact may not see can come back)
# ---------------------------------------------------------------------------------------


def content_library_for_contact(
    *, contact: Contact, search: str = "", kind: str = "", topic: str = ""
) -> QuerySet[ContentItem]:
    """The content this person may see (content_for_contact), filtered by kind, topic (the
    product group) and a search of title and summary; newest first, one query."""
    items = content_for_contact(contact=contact)
    if search:
        items = items.filter(Q(title__icontains=search) | Q(summary__icontains=search))
    if kind:
        items = items.filter(kind=kind)
    if topic:
        items = items.filter(product_group=topic)
    return items.order_by("-published_at", "-id")


def content_topics_for_contact(*, contact: Contact) -> list[str]:
    """The topics (product groups) of the content this person may see, sorted."""
    return list(
        content_for_contact(contact=contact)
        .exclude(product_group="")
        .order_by("product_group")
        .values_list("product_group", flat=True)
        .distinct()
    )


def learning_paths_overview_for_contact(*, contact: Contact) -> list[LearningPath]:
    """The active paths this person may see, by title, each with `step_count` and
    `enrollment` (theirs, or None); three queries whatever the number of paths."""
    own = Enrollment.objects.filter(contact_id=contact.pk)
    paths = list(
        learning_paths_for_contact(contact=contact)
        .prefetch_related(Prefetch("enrollments", queryset=own, to_attr="own_enrollments"))
        .order_by("title", "id")
    )
    for path in paths:
        path.enrollment = path.own_enrollments[0] if path.own_enrollments else None
        path.step_count = len(path.steps.all())
    return paths


def learning_path_steps_for_contact(
    *, contact: Contact, path: LearningPath
) -> QuerySet[LearningStep]:
    """A path's steps in order with their content and `is_visible`: whether this person may
    open the step's content (a step's content can be gated tighter than its path)."""
    visible = content_for_contact(contact=contact).filter(pk=OuterRef("content_id"))
    return (
        LearningStep.objects.filter(path=path)
        .select_related("content")
        .annotate(is_visible=Exists(visible))
        .order_by("order", "id")
    )


def learning_step_for_contact(*, contact: Contact, step_id: int) -> LearningStep:
    """A step of an active path this person may see, with its path and content; raises
    LearningStep.DoesNotExist for any other step."""
    paths = LearningPath.objects.filter(is_active=True).visible_to(contact=contact)
    return (
        LearningStep.objects.filter(path__in=paths.values("pk"))
        .select_related("path__awards_certification", "content")
        .get(pk=step_id)
    )


def learning_paths_using_content(
    *, contact: Contact, content: ContentItem
) -> QuerySet[LearningPath]:
    """The active paths this person may see that have a step with this content."""
    return (
        LearningPath.objects.filter(is_active=True)
        .visible_to(contact=contact)
        .filter(Exists(LearningStep.objects.filter(path_id=OuterRef("pk"), content=content)))
        .order_by("title", "id")
    )


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
