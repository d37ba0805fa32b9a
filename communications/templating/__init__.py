"""Campaign templates: checked on save, rendered per contact in a Jinja2 sandbox.

A template sees plain data only (dicts and lists, never model instances): `contact`,
`partner`, `tier`, `segments` (slugs), `in_segment(slug)` for segment-specific blocks and
`recommended_content` (up to three items the contact may see). Unknown variables render
empty; syntax errors and access to private or unsafe attributes are errors. A body that
contains HTML tags is HTML (autoescaped), anything else is plain text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import TemplateSyntaxError

from communications.templating.context import (
    message_context,
    partner_segment_slugs,
    recommended_content,
    sample_context,
    site_url,
)
from communications.templating.links import (
    body_is_html,
    extract_links,
    html_links_and_text,
    html_to_text,
)
from communications.templating.sandbox import (
    CompiledTemplate,
    bounded_render,
    compile_template,
    describe_error,
    private_attribute_errors,
    sandbox_environment,
    template_line,
)

if TYPE_CHECKING:
    from communications.models import Campaign
    from partners.models import Contact

__all__ = [
    "RenderedMessage",
    "TemplateRenderError",
    "body_is_html",
    "extract_links",
    "html_to_text",
    "message_context",
    "message_render",
    "partner_segment_slugs",
    "recommended_content",
    "render_message",
    "site_url",
    "template_errors",
]

SUBJECT_MAX_LENGTH = 300  # Message.subject


class TemplateRenderError(Exception):
    """A campaign template failed to render for one contact (raised at send time)."""

    def __init__(
        self, message: str, *, field: str, line: int | None = None, campaign_id=None
    ) -> None:
        self.message = message
        self.field = field
        self.line = line
        self.campaign_id = campaign_id
        where = f"{field} line {line}" if line else field
        super().__init__(f"campaign {campaign_id}: {where}: {message}")


def template_errors(source: str) -> list[dict]:
    """Every problem of a template as [{"line", "message"}]: syntax errors, unknown filters
    or tests, access to private attributes, and errors of a trial render on sample data.
    An empty list means the template is fine."""
    autoescape = body_is_html(source)
    try:
        compiled = compile_template(source, autoescape)
    except TemplateSyntaxError as error:
        return [{"line": error.lineno, "message": error.message or str(error)}]
    tree = sandbox_environment(autoescape=autoescape).parse(source)
    errors = private_attribute_errors(tree)
    if errors:
        return errors
    try:
        bounded_render(compiled.template, sample_context())
    except Exception as error:  # a trial render: anything it raises is the template's fault
        return [{"line": template_line(error), "message": describe_error(error)}]
    return []


@dataclass(frozen=True)
class RenderedMessage:
    """A campaign rendered for one contact (see message_render)."""

    subject: str
    body: str
    links: list[str]  # the absolute http(s) URLs the body contains
    html_text: str | None  # html_to_text(body) when the body is HTML, else None


def render_message(
    *, campaign: Campaign, contact: Contact, context_extra: dict | None = None
) -> tuple[str, str, list[str]]:
    """(subject, body, links) of a campaign for one contact, rendered in the sandbox; links
    are the absolute http(s) URLs the body contains. Queries only for what the templates use
    (segments, recommended content). Raises TemplateRenderError when a template fails."""
    rendered = message_render(campaign=campaign, contact=contact, context_extra=context_extra)
    return rendered.subject, rendered.body, rendered.links


def message_render(
    *, campaign: Campaign, contact: Contact, context_extra: dict | None = None
) -> RenderedMessage:
    """render_message(), and the plain-text version of an HTML body (what an e-mail's
    text/plain part is made of) from the same pass of the HTML parser."""
    is_html = body_is_html(campaign.body_template)
    subject_template = _compiled_or_error(campaign, "subject_template", autoescape=False)
    body_template = _compiled_or_error(campaign, "body_template", autoescape=is_html)
    context = message_context(
        contact=contact,
        names=subject_template.names | body_template.names,
        context_extra=context_extra,
    )
    subject = _render(campaign, "subject_template", subject_template, context)
    subject = " ".join(subject.split())[:SUBJECT_MAX_LENGTH]
    body = _render(campaign, "body_template", body_template, context)
    # The e-mail looks at the rendered body (as build_email does); links follow the template.
    renders_html = body_is_html(body)
    if is_html and renders_html:
        links, html_text = html_links_and_text(body)
    else:
        links = extract_links(body, is_html=is_html)
        html_text = html_to_text(body) if renders_html else None
    return RenderedMessage(subject, body, links, html_text)


def _compiled_or_error(campaign: Campaign, field: str, *, autoescape: bool) -> CompiledTemplate:
    try:
        return compile_template(getattr(campaign, field), autoescape)
    except TemplateSyntaxError as error:
        raise TemplateRenderError(
            error.message or str(error), field=field, line=error.lineno, campaign_id=campaign.pk
        ) from error


def _render(campaign: Campaign, field: str, compiled: CompiledTemplate, context: dict) -> str:
    try:
        return bounded_render(compiled.template, context)
    except Exception as error:  # whatever a template raises is reported as its error
        raise TemplateRenderError(
            describe_error(error), field=field, line=template_line(error), campaign_id=campaign.pk
        ) from error
