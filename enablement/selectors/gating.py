"""What a contact may see: the audience gate of content and learning paths, the reverse of it
(the contacts an audience includes), and the partner portal's learning reads built on it."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from enablement.models import Audience, ContentItem, Enrollment, LearningPath, LearningStep
from enablement.selectors.catalogue import _steps_prefetch
from partners.models import Contact
from segments.models import Membership


def content_for_contact(*, contact: Contact) -> QuerySet[ContentItem]:
    """Exactly the content this person may see now: published, unexpired and in its audience
    (segments, tier rank, role). One SQL query; the API and the download both use it."""
    return ContentItem.objects.published().visible_to(contact=contact)


def learning_paths_for_contact(*, contact: Contact) -> QuerySet[LearningPath]:
    """Active learning paths whose audience includes this person, with their steps."""
    return (
        LearningPath.objects.filter(is_active=True)
        .visible_to(contact=contact)
        .select_related("awards_certification")
        .prefetch_related(_steps_prefetch())
    )


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
