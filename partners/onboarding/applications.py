"""The public partner application and a channel manager's decision on it: an applicant
partner with an inactive admin login, then approved (onboarding, logins activated and
welcomed) or rejected (churned, told why)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Contact, LifecycleStage, Partner
from partners.onboarding.logins import (
    User,
    _email_taken,
    _login_create,
    _mail_on_commit,
    password_set_url,
)
from partners.services import contact_create, contact_update, partner_create, partner_update

# The stage an approved applicant moves to: onboarding segments pick it up from there.
APPROVED_STAGE = LifecycleStage.ONBOARDING
REJECTED_STAGE = LifecycleStage.CHURNED


@transaction.atomic
def partner_application_submit(
    *,
    name: str,
    partner_type: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    region: str | None = None,
    country: str | None = None,
    employee_count: int | None = None,
    website: str = "",
    industries: Sequence[str] = (),
    technologies: Sequence[str] = (),
    job_title: str = "",
    phone: str = "",
    message: str = "",
    email_opt_in: bool = False,
) -> Partner:
    """Create an applicant partner and its contact (a partner admin with an inactive login,
    no password) from the public form; a known company name or e-mail is rejected. Mails
    the applicant a confirmation."""
    name, email = name.strip(), email.strip().lower()
    errors = {}
    if Partner.objects.filter(name__iexact=name).exists():
        errors["name"] = (
            "A company with this name is already registered. If it is yours, ask a colleague "
            "with portal access to invite you."
        )
    if _email_taken(email):
        errors["email"] = (
            "This e-mail address is already registered. Sign in, or reset your password."
        )
    if errors:
        raise ValidationError(errors)
    application = {"submitted_at": timezone.now().isoformat(), "message": message.strip()}
    attributes = {"application": application}
    if website:
        attributes["website"] = website
    partner = partner_create(
        data={
            "name": name,
            "external_id": f"APP-{uuid.uuid4().hex[:12].upper()}",
            "partner_type": partner_type,
            "region": region or None,
            "country": country or None,
            "employee_count": employee_count,
            "lifecycle_stage": LifecycleStage.APPLICANT,
            "attributes": attributes,
            "industries": list(industries),
            "technologies": list(technologies),
        }
    )
    contact = contact_create(
        data={
            "partner": partner,
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "role": role,
            "job_title": job_title,
            "phone": phone,
            "email_opt_in": email_opt_in,
            "is_partner_admin": True,
        }
    )
    _login_create(contact=contact, is_active=False)
    _mail_on_commit(
        template="portal/apply/received",
        to=contact.email,
        context={"contact": contact, "partner": partner},
    )
    return partner


def _applicant(partner: Partner) -> Partner:
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if partner.lifecycle_stage != LifecycleStage.APPLICANT:
        raise ValidationError("This application has already been decided.")
    return partner


def _decision(partner: Partner, *, decision: str, by, reason: str = "") -> dict:
    attributes = dict(partner.attributes or {})
    application = dict(attributes.get("application") or {})
    application.update(
        decision=decision,
        decided_at=timezone.now().isoformat(),
        decided_by=by.get_username() if by is not None else "",
    )
    if reason:
        application["reason"] = reason
    attributes["application"] = application
    return attributes


def _admin_contacts(partner: Partner) -> list[Contact]:
    contacts = list(partner.contacts.select_related("user").order_by("-is_partner_admin", "id"))
    admins = [contact for contact in contacts if contact.is_partner_admin]
    return admins or contacts[:1]


@transaction.atomic
def partner_application_approve(*, partner: Partner, by) -> Partner:
    """Approve an applicant: it moves to the onboarding stage (announced, so onboarding
    segments pick it up), its admins' logins are activated and welcomed with a set-password
    link."""
    partner = _applicant(partner)
    partner = partner_update(
        partner=partner,
        data={
            "lifecycle_stage": APPROVED_STAGE,
            "joined_at": partner.joined_at or timezone.localdate(),
            "attributes": _decision(partner, decision="approved", by=by),
        },
    )
    for contact in _admin_contacts(partner):
        if contact.user_id is None:
            if not contact.is_partner_admin:
                contact_update(contact=contact, data={"is_partner_admin": True})
            _login_create(contact=contact, is_active=True)
        else:
            User._default_manager.filter(pk=contact.user_id).update(is_active=True)
            contact.user.is_active = True
        _mail_on_commit(
            template="portal/apply/welcome",
            to=contact.email,
            context={
                "contact": contact,
                "partner": partner,
                "username": contact.user.get_username(),
                "set_password_url": password_set_url(user=contact.user),
            },
        )
    return partner


@transaction.atomic
def partner_application_reject(*, partner: Partner, by, reason: str) -> Partner:
    """Decline an applicant: it is kept as churned with the reason (its logins stay
    inactive) and its contacts are told why by e-mail."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the application is declined."})
    partner = _applicant(partner)
    partner = partner_update(
        partner=partner,
        data={
            "lifecycle_stage": REJECTED_STAGE,
            "attributes": _decision(partner, decision="rejected", by=by, reason=reason),
        },
    )
    User._default_manager.filter(contact__partner=partner).update(is_active=False)
    for contact in _admin_contacts(partner):
        _mail_on_commit(
            template="portal/apply/rejected",
            to=contact.email,
            context={"contact": contact, "partner": partner, "reason": reason},
        )
    return partner
