"""What a template sees: plain data about the contact, partner, tier, segments and the
content recommended to the contact (never model instances)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from communications.tracking import public_base_url

if TYPE_CHECKING:
    from partners.models import Contact

RECOMMENDED_CONTENT_LIMIT = 3


class _Named(dict):
    """A dict that prints as one of its values: `{{ partner }}` shows the partner's name."""

    label_key = "name"

    def __str__(self) -> str:
        return str(self.get(self.label_key) or "")

    def __html__(self) -> str:
        return html.escape(str(self))


class _TierData(_Named):
    """A tier: prints its name ("a {{ partner.tier }} partner" reads "a Gold partner") and,
    as `partner.tier` was its slug before, still equals its slug in a comparison."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.get("slug")
        return dict.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None


def _tier_data(tier) -> _TierData | None:
    return _TierData(slug=tier.slug, name=tier.name, rank=tier.rank) if tier else None


class _ContactData(_Named):
    label_key = "full_name"


class _ContentData(_Named):
    label_key = "title"


def sample_context() -> dict:
    """Made-up data of the same shape, for the trial render of a template being saved."""
    tier = _TierData(slug="gold", name="Gold", rank=3)
    return {
        "contact": _ContactData(
            first_name="Ada",
            last_name="Lovelace",
            full_name="Ada Lovelace",
            email="ada@example.com",
            role="technical",
            language="en",
            job_title="CTO",
        ),
        "partner": _Named(
            name="Example Partner",
            external_id="EXT-1",
            partner_type="var",
            partner_type_name="Value-added reseller",
            tier=tier,
            tier_name="Gold",
            region="emea",
            region_name="Europe, Middle East and Africa",
            country="DE",
            country_name="Germany",
        ),
        "tier": tier,
        "segments": ["sample-segment"],
        "in_segment": lambda slug: True,
        "recommended_content": [
            _ContentData(
                title=f"Sample content {n}", summary="A summary.", url="https://example.com/"
            )
            for n in (1, 2, 3)
        ],
    }


def message_context(
    *, contact: Contact, names: frozenset[str] | None = None, context_extra: dict | None = None
) -> dict:
    """The template context for a contact. With `names`, only the variables a template
    reads are computed (segments and recommended content cost a query each); keys given in
    `context_extra` are taken as they are and override the computed ones."""
    extra = dict(context_extra or {})

    def wanted(*keys: str) -> bool:
        return (names is None or any(key in names for key in keys)) and not all(
            key in extra for key in keys
        )

    partner = contact.partner
    tier = partner.tier
    context: dict[str, Any] = {
        "contact": _ContactData(
            first_name=contact.first_name,
            last_name=contact.last_name,
            full_name=contact.full_name,
            email=contact.email,
            role=contact.role,
            language=contact.language,
            job_title=contact.job_title,
        ),
        "partner": _Named(
            name=partner.name,
            external_id=partner.external_id,
            partner_type=partner.partner_type,
            partner_type_name=partner.get_partner_type_display() if partner.partner_type else None,
            tier=_tier_data(tier),
            tier_name=tier.name if tier else None,
            region=partner.region,
            region_name=partner.get_region_display() if partner.region else None,
            country=str(partner.country) if partner.country else None,
            country_name=partner.country.name if partner.country else None,
        ),
        "tier": _tier_data(tier),
    }
    if wanted("segments", "in_segment"):
        slugs = extra.get("segments")
        if slugs is None:
            slugs = partner_segment_slugs(partner_id=contact.partner_id)
        context["segments"] = list(slugs)
        context["in_segment"] = _in_segment(frozenset(slugs))
    if wanted("recommended_content"):
        context["recommended_content"] = recommended_content(contact=contact)
    context.update(extra)
    return context


def _in_segment(slugs: frozenset[str]) -> Callable[[str], bool]:
    def in_segment(slug: str) -> bool:
        return slug in slugs

    return in_segment


def partner_segment_slugs(*, partner_id: int) -> list[str]:
    """Slugs of the active segments a partner is a member of now."""
    from segments.models import Segment

    return list(
        Segment.objects.filter(is_active=True, memberships__partner_id=partner_id)
        .order_by("slug")
        .values_list("slug", flat=True)
    )


def recommended_content(*, contact: Contact, limit: int = RECOMMENDED_CONTENT_LIMIT) -> list:
    """The newest content this contact may see, as {title, summary, url} (absolute URLs)."""
    from enablement.selectors import content_for_contact

    items = content_for_contact(contact=contact).order_by("-published_at", "-id")[:limit]
    return [
        _ContentData(title=item.title, summary=item.summary, url=_content_url(item))
        for item in items
    ]


def _content_url(item) -> str:
    from django.urls import reverse

    if item.url:
        return item.url
    if item.file:
        return site_url(reverse("enablement:content-download", args=[item.pk]))
    return site_url(reverse("content-detail", args=[item.pk]))


def site_url(path: str) -> str:
    """An absolute URL where recipients reach this site (the tracking links' base too)."""
    return f"{public_base_url()}{path}"
