"""Template tags of the partner portal: `{% load portal_tags %}`."""

from __future__ import annotations

from django import template
from django.utils.text import Truncator

from communications.selectors import inbox_unread_count
from communications.templating import body_is_html, html_to_text

register = template.Library()


@register.simple_tag(takes_context=True)
def portal_unread_count(context) -> int:
    """How many inbox messages the signed-in partner user has not read (0 outside the
    portal); counted once per request. `{% portal_unread_count as unread %}` stores it."""
    contact = context.get("contact")
    if contact is None:
        return 0
    request = context.get("request")
    cached = getattr(request, "_portal_unread_count", None)
    if cached is None:
        cached = inbox_unread_count(contact=contact)
        if request is not None:
            request._portal_unread_count = cached
    return cached


@register.filter
def message_preview(message, length: int = 140) -> str:
    """The first words of a message's body as plain text (HTML bodies without their tags)."""
    body = message.body or ""
    text = html_to_text(body) if body_is_html(body) else body
    return Truncator(" ".join(text.split())).chars(int(length))


CONTENT_ICONS = {
    "document": "file-earmark-text",
    "video": "play-circle",
    "link": "link-45deg",
    "playbook": "journal-bookmark",
    "news": "newspaper",
}


@register.filter
def content_icon(kind: str) -> str:
    """The Bootstrap icon name of a content kind."""
    return CONTENT_ICONS.get(kind, "file-earmark")
