"""Send: render, store, send on one SMTP connection, mark each message as it goes."""

from __future__ import annotations

import contextlib
import json
import logging
import smtplib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.db import connection
from django.db.models import F
from django.utils import timezone

from communications import tracking
from communications.dispatch import mime
from communications.dispatch.claim import messages_claim, messages_ready
from communications.dispatch.common import setting
from communications.dispatch.smtp import sendmail
from communications.dispatch.sweep import occurrences_complete
from communications.models import (
    Campaign,
    Channel,
    Message,
    MessageStatus,
    SuppressionReason,
)
from communications.templating import RenderedMessage, TemplateRenderError, message_render
from partners.models import Tier

logger = logging.getLogger(__name__)

_clock = time.monotonic  # the lease is measured on this clock


class Outcome:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    RELEASED = "released"


OUTCOMES = (Outcome.SENT, Outcome.RETRY, Outcome.FAILED, Outcome.SUPPRESSED, Outcome.RELEASED)


def is_permanent_smtp_error(error: BaseException) -> bool:
    """5xx refusals of this message (its recipient or its content) will not change on a
    retry; connection trouble, 4xx replies, timeouts and server-level refusals (sender,
    authentication) may, and are retried."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    # Anything else that is not SMTP or network trouble: the message itself cannot be built
    # or encoded, and never will be.
    return not isinstance(error, smtplib.SMTPException | OSError)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}".strip()[:2000]


def _message_id_domain() -> str:
    return (
        setting("PRM_MESSAGE_ID_DOMAIN", None)
        or urlsplit(tracking.public_base_url()).hostname
        or "localhost"
    )


MARK_SENT_SQL = (
    "UPDATE communications_message SET status = %s, sent_at = %s, last_error = '' "
    "WHERE id = %s AND sent_at IS NULL"
)


def _mark_sent(message: Message) -> None:
    # Its own statement and commit, straight after the server's 250: the only window in
    # which a killed worker can cause a second delivery. (Plain SQL: it runs per message.)
    with connection.cursor() as cursor:
        cursor.execute(MARK_SENT_SQL, [MessageStatus.SENT, timezone.now(), message.pk])


def _mark_failed_attempt(message: Message, *, error: str, permanent: bool) -> str:
    max_attempts = int(setting("PRM_MESSAGE_MAX_ATTEMPTS", 5))
    if permanent or message.attempts >= max_attempts:
        status, outcome = MessageStatus.FAILED, Outcome.FAILED
    else:
        status, outcome = MessageStatus.QUEUED, Outcome.RETRY
    Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(
        status=status, last_error=error
    )
    return outcome


def _release(messages: list[Message]) -> int:
    """Give back claimed messages that were not tried (the lease ran out): no attempt used."""
    return Message.objects.filter(
        pk__in=[message.pk for message in messages], status=MessageStatus.SENDING
    ).update(status=MessageStatus.QUEUED, attempts=F("attempts") - 1, claimed_at=None)


def _late_opt_out(message: Message) -> str | None:
    """The suppression reason when the contact opted out after the freeze, else None."""
    contact = message.contact
    preference = getattr(contact, "preference", None)
    if not contact.email_opt_in or (preference and preference.unsubscribed_all):
        return SuppressionReason.OPTED_OUT
    if preference and message.campaign.topic in (preference.topics_opted_out or []):
        return SuppressionReason.TOPIC_OPT_OUT
    return None


def _settle_late_opt_out(message: Message, *, reason: str) -> str:
    claimed = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING)
    if message.channel == Channel.BOTH and reason == SuppressionReason.OPTED_OUT:
        # Out of e-mail only: the inbox copy is still delivered.
        claimed.update(channel=Channel.PORTAL, status=MessageStatus.SENT, sent_at=timezone.now())
        return Outcome.SENT
    claimed.update(status=MessageStatus.SUPPRESSED, suppression_reason=reason)
    return Outcome.SUPPRESSED


def _render(message: Message, links: tracking.MessageLinks) -> RenderedMessage:
    """Render one message for its contact: the campaign's templates, which may also place
    this message's unsubscribe_url and preferences_url. A notice's message was written from
    its event when it was created (communications.notices): what is stored is sent."""
    if message.campaign.notice_key:
        return RenderedMessage(message.subject, message.body, list(message.links or []), None)
    return message_render(
        campaign=message.campaign,
        contact=message.contact,
        context_extra={"unsubscribe_url": links.unsubscribe, "preferences_url": links.preferences},
    )


@dataclass
class _Prepared:
    """A rendered message on its way out, with what its e-mail is built from."""

    message: Message
    links: tracking.MessageLinks
    html_text: str | None  # the plain-text version of an HTML body (not stored)


def _prepare(messages: list[Message], outcomes: Counter) -> list[_Prepared]:
    """Render each message and store its Message-ID, subject, body and links (one UPDATE)
    before anything is sent; template errors and late opt-outs are settled here."""
    domain = _message_id_domain()
    ready: list[_Prepared] = []
    for message in messages:
        reason = _late_opt_out(message)
        if reason:
            outcomes[_settle_late_opt_out(message, reason=reason)] += 1
            continue
        links = tracking.message_links(message_id=message.pk, contact_id=message.contact_id)
        try:
            rendered = _render(message, links)
        except TemplateRenderError as error:
            outcomes[_mark_failed_attempt(message, error=_describe(error), permanent=True)] += 1
            continue
        # Kept across retries: a second delivery after a lost worker carries the same id.
        message.message_id = message.message_id or make_msgid(
            idstring=f"prm{message.pk}", domain=domain
        )
        message.subject, message.body = rendered.subject, rendered.body
        message.links = rendered.links
        ready.append(_Prepared(message, links, rendered.html_text))
    _store_rendered([item.message for item in ready])
    return ready


def _store_rendered(messages: list[Message]) -> None:
    """Message-ID, subject, body and links of a batch, in one UPDATE."""
    if not messages:
        return
    if connection.vendor != "postgresql":
        Message.objects.bulk_update(messages, ["message_id", "subject", "body", "links"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE communications_message m
            SET message_id = r.message_id, subject = r.subject, body = r.body,
                links = r.links::jsonb
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                AS r (id, message_id, subject, body, links)
            WHERE m.id = r.id
            """,
            [
                [message.pk for message in messages],
                [message.message_id for message in messages],
                [message.subject for message in messages],
                [message.body for message in messages],
                [json.dumps(message.links) for message in messages],
            ],
        )


def _send(backend, prepared: _Prepared) -> None:
    """Send one message: on Django's SMTP backend, its bytes written by mime.email_bytes go
    straight to the backend's open SMTP connection (what the backend's send_messages does
    with Django's MIME, at a fraction of the CPU), pipelined where the server allows
    (dispatch.smtp); anywhere else, or for the rare body Django encodes as
    quoted-printable, through backend.send_messages."""
    message = prepared.message
    content = mime.email_content(message, links=prepared.links, html_text=prepared.html_text)
    # Exactly Django's backend: a subclass may change how it sends (signing, logging).
    smtp = backend.connection if type(backend) is SmtpEmailBackend else None
    if smtp is not None and message.to_email:
        data = mime.email_bytes(
            subject=message.subject,
            to=message.to_email,
            headers=content.headers,
            text=content.text,
            html=content.html,
            date=formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        )
        if data is not None:
            sendmail(
                smtp,
                mime.envelope_sender(settings.DEFAULT_FROM_EMAIL),
                mime.envelope_address(message.to_email),
                data,
            )
            return
    email = mime.build_email(message, links=prepared.links, backend=backend, content=content)
    backend.send_messages([email])


def _smtp_backend():
    timeout = None
    if getattr(settings, "EMAIL_TIMEOUT", None) is None:
        timeout = setting("PRM_MESSAGE_SMTP_TIMEOUT_SECONDS", 30)
    return get_connection(fail_silently=False, **({"timeout": timeout} if timeout else {}))


def _connection_lost(backend, error: BaseException) -> bool:
    """The SMTP session is gone: a network error, or smtplib closed it (a 421 reply)."""
    if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
        return True
    smtp = getattr(backend, "connection", None)
    return smtp is not None and getattr(smtp, "sock", True) is None


def _close(backend) -> None:
    try:
        backend.close()
    except Exception:  # a connection that broke cannot say goodbye; it is gone either way
        logger.debug("closing the e-mail connection failed", exc_info=True)


@contextlib.contextmanager
def _commits_without_flush_wait() -> Iterator[None]:
    """While sending, this session's commits do not wait for the WAL flush (PostgreSQL
    synchronous_commit off): a commit is as atomic and as visible as ever, and survives a
    killed worker, but the last few hundred milliseconds of them may be lost if the
    database server itself crashes. That keeps each message's own "sent" commit to one
    round trip instead of one disk flush (18 ms on a slow disk). PRM_MESSAGE_SYNCHRONOUS_MARKS
    = True waits for the flush instead."""
    if connection.vendor != "postgresql" or setting("PRM_MESSAGE_SYNCHRONOUS_MARKS", False):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:  # a broken connection is discarded, its setting with it
            logger.debug("could not reset synchronous_commit", exc_info=True)


def _send_all(prepared: list[_Prepared], outcomes: Counter, *, started: float) -> None:
    """Send prepared messages on one reused connection, settling each one as it goes."""
    lease = float(setting("PRM_MESSAGE_SENDING_TIMEOUT_SECONDS", 600)) / 2
    backend = _smtp_backend()
    unreachable: str | None = None
    try:
        for position, item in enumerate(prepared):
            message = item.message
            if _clock() - started > lease:
                # Past half the lease the sweeper could soon take these: give them back.
                outcomes[Outcome.RELEASED] += _release(
                    [later.message for later in prepared[position:]]
                )
                return
            if unreachable is None and getattr(backend, "connection", True) is None:
                try:
                    backend.open()
                except Exception as error:  # the server cannot be reached for this batch
                    unreachable = _describe(error)
            if unreachable is not None:
                outcomes[_mark_failed_attempt(message, error=unreachable, permanent=False)] += 1
                continue
            try:
                _send(backend, item)
            except Exception as error:
                permanent = is_permanent_smtp_error(error)
                outcomes[
                    _mark_failed_attempt(message, error=_describe(error), permanent=permanent)
                ] += 1
                if _connection_lost(backend, error):
                    _close(backend)  # reconnect for the next message
                continue
            _mark_sent(message)
            outcomes[Outcome.SENT] += 1
    finally:
        _close(backend)


def _attach_campaigns_and_tiers(messages: list[Message]) -> None:
    """A batch is one campaign or a few, and a few tiers: each is loaded once and shared
    by its messages, instead of joined into (and built from) every row."""
    campaigns = Campaign.objects.in_bulk({message.campaign_id for message in messages})
    tier_ids = {message.contact.partner.tier_id for message in messages} - {None}
    tiers = Tier.objects.in_bulk(tier_ids) if tier_ids else {}
    for message in messages:
        message.campaign = campaigns[message.campaign_id]
        partner = message.contact.partner
        if partner.tier_id is not None:
            partner.tier = tiers[partner.tier_id]


def messages_send_batch(*, batch_size: int | None = None) -> dict:
    """Claim one batch of ready messages and send it (see the module docstring). Returns
    counts (claimed, sent, retry, failed, suppressed, released) and ready_remaining: more
    messages are ready now, so the task goes on."""
    batch_size = batch_size or int(setting("PRM_MESSAGE_BATCH_SIZE", 200))
    started = _clock()
    outcomes: Counter = Counter()
    ids = messages_claim(batch_size=batch_size)
    if ids:
        messages = list(
            Message.objects.filter(id__in=ids, status=MessageStatus.SENDING)
            .select_related("contact", "contact__partner", "contact__preference")
            .order_by("id")
        )
        _attach_campaigns_and_tiers(messages)
        prepared = _prepare(messages, outcomes)
        if prepared:
            with _commits_without_flush_wait():
                _send_all(prepared, outcomes, started=started)
    if len(ids) < batch_size:
        occurrences_complete()
    return {
        "claimed": len(ids),
        **{name: outcomes[name] for name in OUTCOMES},
        "ready_remaining": messages_ready().exists(),
    }
