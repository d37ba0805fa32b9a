"""Notices: the partner is told of every decision on their deal registrations (portal inbox
and e-mail), and channel managers of the reviews that are overdue (e-mail).

Partner notices go through the campaign machinery: one system campaign per kind of notice
(Campaign.notice_key, created on first use), one occurrence per registration and notice
(key "deal:<id>", so a task run twice adds nothing), one Message per recipient with its
subject and body written here from the registration (templates/communications/notices/);
the dispatcher sends the stored text (dispatch.send._render) and the portal inbox shows it.

Recipients: the contact of the partner user who submitted the registration, if that contact
is still an active portal login of the same partner; else every active portal login of the
partner (a registration a manager entered for them, or whose submitter left). Never anyone
of another partner.

Preferences: the topic is Topic.PROGRAM. Deal registration is part of the partner program,
and a notice must respect what the contact chose, which a Topic.SYSTEM service message would
not (SYSTEM is not on the preference page: nobody can opt out of it). So, as for every
campaign of channel BOTH: a contact who opted out of the program topic gets no notice at
all (suppressed, topic_opt_out); one without e-mail consent (email_opt_in false or
unsubscribed_all) or without an address gets the inbox copy only; everyone else both. The
dispatcher checks the e-mail consent again at send time. Notices are system campaigns, so
they neither count against nor are held by the weekly frequency cap.

Overdue reviews: one e-mail per channel manager (Partner.channel_manager, active, with an
address) listing their partners' overdue registrations with links to deals:detail; the
registrations of partners without one go to settings.MANAGERS, or when that is empty to
every active staff user with an address, so that no overdue review goes unseen. These are
users, not contacts: Django's mail, not the campaign dispatcher.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from communications import tracking
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    OccurrenceStatus,
    ScheduleKind,
    SuppressionReason,
    Topic,
)
from communications.templating import extract_links
from deals.models import DealRegistration, DealStatus
from partners.models import Contact
from prm.formatting import Money

logger = logging.getLogger(__name__)

NOTICE_TOPIC = Topic.PROGRAM
SUBJECT_MAX_LENGTH = 300  # Message.subject
MESSAGE_BATCH_SIZE = 2_000


@dataclass(frozen=True)
class NoticeKind:
    key: str  # Campaign.notice_key and the template's name
    name: str  # the system campaign's name (what managers see in the campaign list)


NOTICES = {
    kind.key: kind
    for kind in (
        NoticeKind("deal_submitted", "Deal registration notice: submitted"),
        NoticeKind("deal_approved", "Deal registration notice: approved"),
        NoticeKind("deal_rejected", "Deal registration notice: rejected"),
        NoticeKind("deal_extension_approved", "Deal registration notice: extension approved"),
        NoticeKind("deal_extension_rejected", "Deal registration notice: extension rejected"),
        NoticeKind("deal_expired", "Deal registration notice: protection expired"),
        NoticeKind("deal_expiry_near", "Deal registration notice: protection ends soon"),
    )
}

# deals.signals.deal_transitioned's action → the notice the partner gets. The partner's own
# actions (create, withdraw, won, lost, extension_request) need no notice.
ACTION_NOTICES = {
    "submit": "deal_submitted",
    "approve": "deal_approved",
    "auto_approve": "deal_approved",
    "reject": "deal_rejected",
    "extension_approve": "deal_extension_approved",
    "extension_reject": "deal_extension_rejected",
    "expire": "deal_expired",
}


def notice_campaign(*, notice: str) -> Campaign:
    """The system campaign of a notice kind, created on first use (concurrent first uses
    meet on the unique notice_key)."""
    kind = NOTICES[notice]
    campaign, _ = Campaign.objects.get_or_create(
        notice_key=kind.key,
        defaults={
            "name": kind.name,
            "topic": NOTICE_TOPIC,
            "channel": Channel.BOTH,
            "is_system": True,
            # Never picked up by the scheduler (no next occurrence, no trigger segment); a
            # manager may pause it, which holds its e-mail (the inbox copies stay).
            "status": CampaignStatus.SCHEDULED,
            "schedule_kind": ScheduleKind.TRIGGERED,
            "subject_template": kind.name,
            "body_template": (
                "Written for each registration from "
                f"templates/communications/notices/{kind.key}.txt when it happens "
                "(communications.notices); this template is not used."
            ),
        },
    )
    return campaign


# -- recipients ------------------------------------------------------------------------------


def _portal_logins() -> Q:
    return Q(user__isnull=False, user__is_active=True, user__is_staff=False)


def deal_notice_recipients(deals: list[DealRegistration]) -> dict[int, list[Contact]]:
    """deal id → the contacts told of it (see the module docstring), with their preference
    loaded: two queries whatever the number of registrations."""
    related = ("preference", "partner")
    submitter_ids = {deal.submitted_by_id for deal in deals if deal.submitted_by_id}
    submitters = {
        contact.user_id: contact
        for contact in Contact.objects.filter(_portal_logins(), user_id__in=submitter_ids)
        .select_related(*related)
        .order_by()
    }
    recipients: dict[int, list[Contact]] = {}
    fallback: dict[int, list[int]] = defaultdict(list)  # partner id → deal ids
    for deal in deals:
        contact = submitters.get(deal.submitted_by_id)
        if contact is not None and contact.partner_id == deal.partner_id:
            recipients[deal.pk] = [contact]
        else:
            fallback[deal.partner_id].append(deal.pk)
    if fallback:
        logins = defaultdict(list)
        for contact in (
            Contact.objects.filter(_portal_logins(), partner_id__in=list(fallback))
            .select_related(*related)
            .order_by("id")
        ):
            logins[contact.partner_id].append(contact)
        for partner_id, deal_ids in fallback.items():
            for deal_id in deal_ids:
                recipients[deal_id] = logins.get(partner_id, [])
    return recipients


# -- the partner's notices -------------------------------------------------------------------


def _portal_deal_url(deal_id: int) -> str:
    try:
        path = reverse("portal:deal_detail", args=[deal_id])
    except NoReverseMatch:  # the portal's deal pages are not installed: its home page then
        path = reverse("portal:home")
    return tracking.public_base_url() + path


def _percent(value: Decimal | None) -> str:
    if value is None:
        return "0%"
    return f"{value.normalize():f}%"


def _deal_context(deal: DealRegistration, *, reason: str) -> dict:
    """What a notice template may say of a registration (plain values, formatted)."""
    rule = (deal.incentive_explanation or {}).get("rule")
    return {
        "deal_name": deal.name,
        "customer": deal.account.name,
        "partner_name": deal.partner.name,
        "amount": str(Money(deal.amount, deal.currency)),
        "status": deal.get_status_display(),
        # Approved without a manager: by the incentive rule's auto-approval on submission.
        "auto_approved": deal.status != DealStatus.SUBMITTED and deal.decided_by_id is None,
        "review_due_at": deal.review_due_at,
        "has_conflict": deal.has_conflict,
        "protection_ends_on": deal.protection_ends_on,
        "protection_days": deal.protection_days,
        "discount": _percent(deal.discount_pct),
        "rebate": _percent(deal.rebate_pct),
        # The rule as locked in at approval (the rule itself may have changed since).
        "incentive_rule": rule.get("name") if isinstance(rule, dict) else None,
        "extension_days": deal.extension_days,
        "reason": reason or deal.decision_reason,
        "url": _portal_deal_url(deal.pk),
    }


def notice_render(*, notice: str, context: dict) -> tuple[str, str]:
    """(subject, body) of a notice: its template's first line is the subject, the rest
    (after a blank line) the plain-text body."""
    text = render_to_string(f"communications/notices/{notice}.txt", context)
    subject, _, body = text.strip().partition("\n")
    return " ".join(subject.split())[:SUBJECT_MAX_LENGTH], body.strip() + "\n"


def _notice_deals(*, notice: str, deal_ids: list[int]) -> list[DealRegistration]:
    deals = DealRegistration.objects.filter(pk__in=deal_ids).select_related("account", "partner")
    if notice == "deal_submitted":
        # An auto-approved registration was submitted and approved in one commit: its
        # approval notice says both, so "in review" is for those still submitted.
        deals = deals.filter(status=DealStatus.SUBMITTED)
    elif notice == "deal_expiry_near":
        deals = deals.filter(status=DealStatus.APPROVED)
    return list(deals.order_by("id"))


def _occurrence_key(notice: str, deal: DealRegistration) -> str:
    if notice == "deal_expiry_near":
        # A registration is reminded again before the new end of an extended protection.
        return f"deal:{deal.pk}:{deal.protection_ends_on.isoformat()}"
    return f"deal:{deal.pk}"  # each other notice happens once in a registration's life


def _message(
    *,
    campaign: Campaign,
    occurrence: CampaignOccurrence,
    contact: Contact,
    subject: str,
    body: str,
    now: dt.datetime,
) -> Message:
    """A contact's copy of a notice, delivered (inbox), queued (inbox + e-mail) or
    suppressed by their preferences (the freeze's rules for a system campaign of BOTH)."""
    preference = getattr(contact, "preference", None)
    topics = (preference.topics_opted_out or []) if preference else []
    unsubscribed = bool(preference and preference.unsubscribed_all)
    email_blocked = unsubscribed or not contact.email_opt_in or not contact.email
    channel = Channel.PORTAL if email_blocked else Channel.BOTH
    if NOTICE_TOPIC in topics:
        status, reason, sent_at = MessageStatus.SUPPRESSED, SuppressionReason.TOPIC_OPT_OUT, None
    elif channel == Channel.PORTAL:
        status, reason, sent_at = MessageStatus.SENT, "", now
    else:
        status, reason, sent_at = MessageStatus.QUEUED, "", None
    return Message(
        campaign=campaign,
        occurrence=occurrence,
        contact=contact,
        partner_id=contact.partner_id,
        channel=channel,
        status=status,
        suppression_reason=reason,
        to_email=contact.email or "",
        subject=subject,
        body=body,
        links=extract_links(body, is_html=False),
        created_at=now,
        sent_at=sent_at,
    )


@transaction.atomic
def deal_notices_create(*, notice: str, deal_ids: Iterable[int], reason: str = "") -> dict:
    """Write `notice` for each registration to its recipients: one occurrence per
    registration and one message per recipient, in a constant number of statements.
    Idempotent (a registration's occurrence and a recipient's message exist once). Returns
    counts; `queued` messages wait for the dispatcher, inbox-only ones are delivered."""
    if notice not in NOTICES:
        raise ValueError(f"unknown notice {notice!r}; one of {sorted(NOTICES)}")
    ids = sorted({int(pk) for pk in deal_ids})
    result = dict.fromkeys(("deals", "messages", "queued", "inbox_only", "suppressed"), 0)
    result["notice"] = notice
    deals = _notice_deals(notice=notice, deal_ids=ids)
    recipients = deal_notice_recipients(deals) if deals else {}
    deals = [deal for deal in deals if recipients.get(deal.pk)]
    if not deals:
        return result
    campaign = notice_campaign(notice=notice)
    now = timezone.now()
    occurrences = CampaignOccurrence.objects.bulk_create(
        [
            CampaignOccurrence(
                campaign=campaign,
                key=_occurrence_key(notice, deal),
                due_at=now,
                partner_id=deal.partner_id,
                # Frozen already (its messages are written here): the scheduler's freeze
                # must never pick it, and the dispatcher completes it once all is sent.
                status=OccurrenceStatus.FROZEN,
                frozen_at=now,
            )
            for deal in deals
        ],
        # A second run finds them: DO UPDATE (of nothing that changes) returns their ids.
        update_conflicts=True,
        unique_fields=["campaign", "key"],
        update_fields=["key"],
    )
    messages = []
    for deal, occurrence in zip(deals, occurrences, strict=True):
        context = _deal_context(deal, reason=reason)
        for contact in recipients[deal.pk]:
            subject, body = notice_render(
                notice=notice, context={**context, "first_name": contact.first_name}
            )
            messages.append(
                _message(
                    campaign=campaign,
                    occurrence=occurrence,
                    contact=contact,
                    subject=subject,
                    body=body,
                    now=now,
                )
            )
    created = Message.objects.bulk_create(
        messages, ignore_conflicts=True, batch_size=MESSAGE_BATCH_SIZE
    )
    result["deals"] = len(deals)
    result["messages"] = len(created)
    # ignore_conflicts returns every row given: count what this run really queued.
    result["queued"] = Message.objects.filter(
        occurrence__in=occurrences, status=MessageStatus.QUEUED
    ).count()
    result["inbox_only"] = sum(1 for m in messages if m.status == MessageStatus.SENT)
    result["suppressed"] = sum(1 for m in messages if m.status == MessageStatus.SUPPRESSED)
    return result


# -- the channel managers' overdue e-mail ------------------------------------------------------


def _fallback_addresses() -> list[str]:
    """Where overdue reviews of partners without a channel manager go."""
    managers = [email for _, email in getattr(settings, "MANAGERS", ()) if email]
    if managers:
        return managers
    return list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .order_by("id")
        .values_list("email", flat=True)
    )


def _staff_url(name: str, *args) -> str:
    return tracking.public_base_url() + reverse(name, args=args)


def deals_overdue_emails(*, deal_ids: Iterable[int]) -> list[EmailMessage]:
    """The e-mails of overdue reviews (see the module docstring), one per address, each
    listing its registrations oldest due first. Registrations decided meanwhile are left out.
    Two queries at most."""
    deals = list(
        DealRegistration.objects.filter(
            pk__in=sorted({int(pk) for pk in deal_ids}), status=DealStatus.SUBMITTED
        )
        .select_related("account", "partner", "partner__channel_manager")
        .order_by("review_due_at", "id")
    )
    by_address: dict[str, list[DealRegistration]] = defaultdict(list)
    names: dict[str, str] = {}
    orphans: list[DealRegistration] = []
    for deal in deals:
        manager = deal.partner.channel_manager
        if manager is not None and manager.is_active and manager.email:
            by_address[manager.email].append(deal)
            names[manager.email] = manager.get_full_name() or manager.get_username()
        else:
            orphans.append(deal)
    if orphans:
        for address in _fallback_addresses():
            by_address[address].extend(orphans)
    queue_url = _staff_url("deals:review_queue")
    emails = []
    for address, listed in by_address.items():
        listed.sort(key=lambda deal: (deal.review_due_at, deal.pk))
        rows = [
            {
                "deal_name": deal.name,
                "customer": deal.account.name,
                "partner_name": deal.partner.name,
                "amount": str(Money(deal.amount, deal.currency)),
                "review_due_at": deal.review_due_at,
                "has_conflict": deal.has_conflict,
                "unowned": deal in orphans,
                "url": _staff_url("deals:detail", deal.pk),
            }
            for deal in listed
        ]
        subject, body = notice_render(
            notice="deals_overdue_manager",
            context={"name": names.get(address, ""), "deals": rows, "queue_url": queue_url},
        )
        emails.append(EmailMessage(subject, body, to=[address]))
    return emails


def deals_overdue_notify(*, deal_ids: Iterable[int]) -> dict:
    """E-mail the channel managers of these overdue registrations, over one connection.
    Returns the number of e-mails sent; an SMTP error is raised (the task
    retries, and managers already sent to may then get theirs twice)."""
    emails = deals_overdue_emails(deal_ids=deal_ids)
    sent = get_connection(fail_silently=False).send_messages(emails) if emails else 0
    return {"emails": sent or 0}
