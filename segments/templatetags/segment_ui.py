"""Template helpers of the segment pages."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.filter
def partner_href(pk) -> str:
    """The manager's partner page (partners:detail); by path where that route is missing."""
    try:
        return reverse("partners:detail", args=[pk])
    except NoReverseMatch:
        return f"/partners/{pk}/"


@register.filter
def heat_style(share) -> str:
    """Background and text colour of an overlap cell: a blue scale by the share (0 to 1)."""
    share = max(0.0, min(1.0, float(share or 0)))
    text = "#fff" if share > 0.55 else "#1e293b"
    return f"background-color: rgba(37, 99, 235, {0.06 + 0.88 * share:.3f}); color: {text};"
