"""Partner badges and list cells, built in Python: the partner list draws them 50 times a page,
and a template include per cell cost more than the rest of the row (Django's admin builds its
change-list cells the same way, with format_html). Money and numbers: prm_format."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from prm import formatting

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


DASH = mark_safe('<span class="text-body-tertiary">—</span>')
# A partner id no real partner has: partner_list_cells reverses the detail URL once a page
# and puts each id in its place (a reverse() per row was a tenth of the row's time).
_PK_PLACEHOLDER = 2_147_483_647


def _detail_url_format() -> str:
    return reverse("partners:detail", args=[_PK_PLACEHOLDER]).replace(str(_PK_PLACEHOLDER), "{}", 1)


@register.simple_tag(takes_context=True)
def partner_list_cells(context, partner) -> SafeString:
    """The cells of one row of the partner list (everything but the <tr>), in one call: the
    template loop over 50 rows of a dozen lookups, filters and tags each was most of the page's
    CPU time; built here as the admin builds its change-list rows (items_for_result). Reads
    what views.partners._render_list puts on each row: type_short, shown_industries and
    shown_technologies."""
    render_context = context.render_context
    if "partner_detail_url" not in render_context:
        render_context["partner_detail_url"] = _detail_url_format()
    tags = format_html_join(
        "",
        '<span class="badge tag-badge tag-industry">{}</span> ',
        ((tag.name,) for tag in partner.shown_industries),
    ) + format_html_join(
        "",
        '<span class="badge tag-badge tag-technology">{}</span>',
        ((tag.name,) for tag in partner.shown_technologies),
    )
    region = (
        format_html(
            '<span title="{}">{}</span>', partner.get_region_display(), partner.region.upper()
        )
        if partner.region
        else DASH
    )
    if partner.country:
        region = format_html(
            '{} · <span title="{}">{}</span>', region, partner.country.name, partner.country.code
        )
    revenue = DASH if partner.revenue_12m is None else formatting.format_money(partner.revenue_12m)
    deals = partner.deals_won_12m
    deals_text = (
        "no deal figures"
        if deals is None
        else f"{formatting.format_number(deals)} deal{'' if deals == 1 else 's'} won"
    )
    engagement = (
        DASH
        if partner.engagement_score is None
        else formatting.format_number(partner.engagement_score, 1)
    )
    completion = partner.enablement_completion_pct
    enabled = ""
    if completion is not None:
        bar = whole_number(completion)
        enabled = format_html(
            '<div class="d-flex align-items-center gap-2 justify-content-end" '
            'title="Enablement completion"><div class="progress" style="height: 5px; '
            'width: 3rem" role="progressbar" aria-label="Enablement completion" '
            'aria-valuenow="{}" aria-valuemin="0" aria-valuemax="100"><div '
            'class="progress-bar bg-success" style="width: {}%"></div></div><span '
            'class="small text-body-secondary font-tabular">{} enabled</span></div>',
            bar,
            bar,
            formatting.format_percent(Decimal(str(completion)) / 100),
        )
    return format_html(
        '<td><a class="fw-semibold text-decoration-none" href="{}">{}</a>'
        '<div class="small text-body-secondary partner-tags">'
        '<span class="font-monospace me-1">{}</span>{}</div></td>'
        '<td class="small text-nowrap" title="{}">{}</td>'
        "<td>{}</td>"
        '<td class="small text-nowrap">{}</td>'
        "<td>{}</td>"
        '<td class="text-end text-nowrap font-tabular">{}'
        '<div class="small text-body-secondary">{}</div></td>'
        '<td class="text-end text-nowrap"><span class="font-tabular" title="Engagement score">'
        "{}</span>{}</td>",
        render_context["partner_detail_url"].format(partner.pk),
        partner.name,
        partner.external_id,
        tags,
        partner.get_partner_type_display(),
        partner.type_short,
        tier_badge(partner.tier),
        region,
        stage_badge(partner.lifecycle_stage, partner.get_lifecycle_stage_display()),
        revenue,
        deals_text,
        engagement,
        enabled,
    )
