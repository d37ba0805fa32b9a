"""Reads on partners and contacts."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import Contact, Partner


def partner_list(*, filters: dict | None = None) -> QuerySet[Partner]:
    """Partners with their profile (tier, tags, active certifications), filtered like the API."""
    from partners.filters import PartnerFilterSet

    queryset = Partner.objects.with_profile()
    if filters is None:
        return queryset
    filterset = PartnerFilterSet(data=filters, queryset=queryset)
    if not filterset.is_valid():
        from django.core.exceptions import ValidationError

        raise ValidationError(filterset.errors)
    return filterset.qs


def partner_get(*, partner_id: int) -> Partner:
    """One partner with its profile; raises Partner.DoesNotExist."""
    return Partner.objects.with_profile().get(id=partner_id)


def contact_list() -> QuerySet[Contact]:
    """Contacts with their partner, for lists."""
    return Contact.objects.select_related("partner")


def partner_program_summary() -> dict:
    """Headline counts of the program: partners, contacts, active partners, partners by tier."""
    from django.db.models import Count

    from partners.models import LifecycleStage

    by_tier = (
        Partner.objects.values("tier__rank", "tier__name")
        .annotate(count=Count("id"))
        .order_by("tier__rank")
    )
    return {
        "partners": Partner.objects.count(),
        "contacts": Contact.objects.count(),
        "active": Partner.objects.filter(lifecycle_stage=LifecycleStage.ACTIVE).count(),
        "by_tier": list(by_tier),
    }
