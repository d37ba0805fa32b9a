"""A campaign rendered for one contact: shown (preview) or sent once to a test address."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from communications import selectors
from communications.models import Campaign
from communications.services.validation import CampaignValidationError
from communications.templating import (
    TemplateRenderError,
    body_is_html,
    html_to_text,
    render_message,
)
from partners.models import Contact


class TestSendFailed(Exception):
    """The mail server refused or could not be reached; nothing was recorded."""


def _render_or_invalid(*, campaign: Campaign, contact: Contact) -> tuple[str, str, list[str]]:
    try:
        return render_message(campaign=campaign, contact=contact)
    except TemplateRenderError as error:
        raise CampaignValidationError(
            {error.field: [{"line": error.line, "message": error.message}]}
        ) from error


def _sample_contact(campaign: Campaign, contact: Contact | None) -> Contact:
    if contact is not None:
        return contact
    sample = selectors.campaign_sample_audience(campaign=campaign).first()
    if sample is None:
        raise CampaignValidationError(
            {"contact": ["the audience is empty; name a contact to render the campaign for"]}
        )
    return sample


def campaign_preview(*, campaign: Campaign, contact: Contact | None = None) -> dict:
    """The campaign rendered for a contact (default: the first of its audience): subject,
    body, whether the body is HTML, and its links. Writes nothing."""
    contact = _sample_contact(campaign, contact)
    subject, body, links = _render_or_invalid(campaign=campaign, contact=contact)
    return {
        "contact": contact.pk,
        "subject": subject,
        "body": body,
        "is_html": body_is_html(campaign.body_template),
        "links": links,
    }


def campaign_test_send(
    *, campaign: Campaign, to_email: str, contact: Contact | None = None
) -> dict:
    """Send one e-mail marked "[TEST]" to `to_email`, rendered for `contact` (default: the
    first contact of the audience), through Django's e-mail backend. Writes no Message row
    and counts toward no cap. Raises CampaignValidationError for a bad address or template,
    TestSendFailed when the mail server fails."""
    try:
        validate_email(to_email)
    except ValidationError as error:
        raise CampaignValidationError({"to_email": ["enter a valid e-mail address"]}) from error
    contact = _sample_contact(campaign, contact)
    subject, body, _links = _render_or_invalid(campaign=campaign, contact=contact)
    subject = f"[TEST] {subject}"
    is_html = body_is_html(campaign.body_template)
    email = EmailMultiAlternatives(
        subject=subject,
        body=html_to_text(body) if is_html else body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to_email],
        headers={"X-PRM-Test": "1", "X-PRM-Campaign": str(campaign.pk)},
    )
    if is_html:
        email.attach_alternative(body, "text/html")
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        raise TestSendFailed(f"the mail server did not accept the test e-mail: {error}") from error
    return {"to_email": to_email, "contact": contact.pk, "subject": subject}
