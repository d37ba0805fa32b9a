"""Partner badges and list cells, built in Python: the partner list draws them 50 times a page,
and a template include per cell cost more than the rest of the row (Django's admin builds its
change-list cells the same way, with format_html). Money and numbers: prm_format."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

NO_TIER_BADGE = mark_safe(
    '<span class="badge text-bg-light border text-body-secondary fw-normal">No tier</span>'
)


@register.simple_tag
def tier_badge(tier) -> SafeString:
    """A tier as a coloured badge (by slug for the default tiers, by rank otherwise)."""
    if not tier:
        return NO_TIER_BADGE
    return format_html(
        '<span class="badge tier-badge tier-{} tier-rank-{}" title="Tier rank {}">'
        '<i class="bi bi-award me-1"></i>{}</span>',
        tier.slug,
        tier.rank,
        tier.rank,
        tier.name,
    )


@register.simple_tag
def stage_badge(stage: str, label: str) -> SafeString:
    """A lifecycle stage as a badge."""
    return format_html('<span class="badge stage-badge stage-{}">{}</span>', stage, label)


@register.filter
def whole_number(value: Decimal | float) -> str:
    """42.5 → '43', as floatformat:0 (half up), never localised: for attributes and inline
    styles (a bar's width); text goes through prm_format's filters."""
    return f"{Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}"
