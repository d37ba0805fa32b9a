"""The portal inbox: showing, reading, and answering a message's survey."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from communications.models import Message, MessageStatus, Survey, SurveyResponse
from communications.services.validation import CampaignValidationError
from communications.templating import TemplateRenderError, render_message
from partners.models import Contact

logger = logging.getLogger(__name__)

SURVEY_COMMENT_MAX_LENGTH = 5000


def message_render_for_inbox(*, message: Message) -> Message:
    """Portal messages are frozen without subject or body (no SMTP needs them): render the
    campaign for the message's contact when the inbox first shows it, and keep the result
    on a delivered message (a queued e-mail copy is left to the dispatcher, which renders
    it at send time). A template that fails shows the campaign name and an empty body."""
    if message.subject or message.body:
        return message
    try:
        subject, body, links = render_message(campaign=message.campaign, contact=message.contact)
    except TemplateRenderError as error:
        logger.warning("inbox message %s could not be rendered: %s", message.pk, error)
        message.subject = message.campaign.name
        return message
    message.subject, message.body, message.links = subject, body, links
    if message.status == MessageStatus.SENT:
        Message.objects.filter(pk=message.pk, subject="", body="").update(
            subject=subject, body=body, links=links
        )
    return message


def message_mark_read(
    *, message: Message, contact: Contact, now: dt.datetime | None = None
) -> Message:
    """Mark a portal message read by its own contact (the first read time is kept); anyone
    else is refused with PermissionDenied."""
    if message.contact_id != contact.pk:
        raise PermissionDenied("only the recipient may mark a message read")
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(
            read_at=now or timezone.now()
        )
        message.refresh_from_db(fields=["read_at"])
    return message


def survey_answer(
    *,
    message_or_contact: Message | Contact,
    survey: Survey,
    score: Any,
    comment: str = "",
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Record a contact's answer (score 0-10, optional comment) to a survey, with its
    partner and (when answered from a message) the message. One answer per contact:
    answering again replaces the score and comment. A message must belong to the
    survey's campaign and have been delivered. Raises CampaignValidationError."""
    errors: dict[str, list] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        errors["score"] = ["expected a whole number from 0 to 10"]
    comment = comment or ""
    if not isinstance(comment, str) or len(comment) > SURVEY_COMMENT_MAX_LENGTH:
        errors["comment"] = [f"expected a text of at most {SURVEY_COMMENT_MAX_LENGTH} characters"]
    if isinstance(message_or_contact, Message):
        message = message_or_contact
        if message.campaign_id != survey.campaign_id:
            errors["survey"] = ["this message does not carry that survey"]
        elif message.status in (MessageStatus.SUPPRESSED, MessageStatus.FAILED):
            errors["survey"] = ["this message was not delivered"]
        contact = message.contact
    else:
        contact = message_or_contact
        message = (
            Message.objects.filter(campaign_id=survey.campaign_id, contact=contact)
            .exclude(status__in=[MessageStatus.SUPPRESSED, MessageStatus.FAILED])
            .order_by("-created_at", "-id")
            .first()
        )
    if errors:
        raise CampaignValidationError(errors)
    response, _ = SurveyResponse.objects.update_or_create(
        survey=survey,
        contact=contact,
        defaults={
            "partner_id": contact.partner_id,
            "message": message,
            "score": score,
            "comment": comment.strip(),
            "answered_at": now or timezone.now(),
        },
    )
    return response
