"""Portal access and onboarding: partner admins invite, deactivate and reactivate colleagues;
the public partner application and a channel manager's decision on it.

A login never travels by e-mail with a password: invitations and the welcome carry a
set-your-password link made like Django's password reset (default_token_generator + uid), so
it opens PasswordResetConfirmView and stops working once the password is set. Portal logins
use the contact's e-mail address as their username. Mails are sent after commit, so a rolled
back write never sends one. Profile writes go through partners.services, which announces
partners_changed so that dynamic segments re-check the partner.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partners.models import Contact, LifecycleStage, Partner
from partners.services import (
    contact_create,
    contact_delete,
    contact_update,
    partner_create,
    partner_update,
)

User = get_user_model()

# The stage an approved applicant moves to: onboarding segments pick it up from there.
APPROVED_STAGE = LifecycleStage.ONBOARDING
REJECTED_STAGE = LifecycleStage.CHURNED


class PortalAccess:
    """The portal access states of a contact, as the team page shows them."""

    NONE = "none"
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


def contact_access_status(contact: Contact) -> str:
    """A contact's portal access: none, invited (no password set yet), active or deactivated."""
    user = contact.user
    if user is None:
        return PortalAccess.NONE
    if not user.is_active:
        return PortalAccess.DEACTIVATED
    if not user.has_usable_password():
        return PortalAccess.INVITED
    return PortalAccess.ACTIVE


# Links and mail ---------------------------------------------------------------------------


def site_url(path: str = "") -> str:
    """An absolute URL on this site, from settings.PRM_PUBLIC_BASE_URL (no request needed)."""
    return f"{settings.PRM_PUBLIC_BASE_URL.rstrip('/')}{path}"


def password_set_url(*, user) -> str:
    """The set-your-password link of a login: Django's password-reset confirm page."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url(reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token}))


def _mail_on_commit(*, template: str, to: str, context: dict) -> None:
    """Send a plain-text mail rendered from `<template>_subject.txt` / `<template>_email.txt`
    once the current transaction commits."""
    context = {**context, "login_url": site_url(reverse("login")), "site_url": site_url()}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_email.txt", context)
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=False)
    )


# Logins -------------------------------------------------------------------------------------


def _require_partner_admin(*, by: Contact, partner: Partner) -> None:
    if not (by.is_partner_admin and by.partner_id == partner.pk):
        raise PermissionDenied("Only a partner admin of this company may do this.")


def _login_create(*, contact: Contact, is_active: bool):
    """A login for `contact` (username = e-mail) without a usable password."""
    email = contact.email
    if User._default_manager.filter(username__iexact=email).exists() or (
        User._default_manager.filter(email__iexact=email).exists()
    ):
        raise ValidationError({"email": "An account with this e-mail address already exists."})
    user = User(
        username=email,
        email=email,
        first_name=contact.first_name[:150],
        last_name=contact.last_name[:150],
        is_active=is_active,
        is_staff=False,
    )
    user.set_unusable_password()
    user.save()
    contact.user = user
    contact.save(update_fields=["user", "updated_at"])
    return user


def _email_taken(email: str) -> bool:
    return (
        Contact.objects.filter(email__iexact=email).exists()
        or User._default_manager.filter(username__iexact=email).exists()
        or User._default_manager.filter(email__iexact=email).exists()
    )


@transaction.atomic
def contact_access_grant(*, contact: Contact, invited_by: Contact) -> Contact:
    """Give an existing colleague a portal login and e-mail them the set-password link;
    only a partner admin of the same company may, and only once."""
    _require_partner_admin(by=invited_by, partner=contact.partner)
    if contact.user_id is not None:
        raise ValidationError("This person already has portal access.")
    user = _login_create(contact=contact, is_active=True)
    _mail_on_commit(
        template="portal/team/invite",
        to=contact.email,
        context={
            "contact": contact,
            "partner": contact.partner,
            "invited_by": invited_by,
            "username": user.get_username(),
            "set_password_url": password_set_url(user=user),
        },
    )
    return contact


@transaction.atomic
def contact_invite(
    *,
    partner: Partner,
    invited_by: Contact,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
) -> Contact:
    """Create a colleague's contact with a portal login (no password yet) and e-mail them the
    set-password link; partner admins of `partner` only; a known e-mail is rejected."""
    _require_partner_admin(by=invited_by, partner=partner)
    email = email.strip().lower()
    if _email_taken(email):
        raise ValidationError({"email": "Someone with this e-mail address is already registered."})
    contact = contact_create(
        data={
            "partner": partner,
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "role": role,
        }
    )
    return contact_access_grant(contact=contact, invited_by=invited_by)


@transaction.atomic
def contact_invite_resend(*, contact: Contact, by: Contact) -> Contact:
    """E-mail a new set-password link to a colleague who has not set a password yet."""
    _require_partner_admin(by=by, partner=contact.partner)
    if contact_access_status(contact) != PortalAccess.INVITED:
        raise ValidationError("Only a pending invitation can be sent again.")
    _mail_on_commit(
        template="portal/team/invite",
        to=contact.email,
        context={
            "contact": contact,
            "partner": contact.partner,
            "invited_by": by,
            "username": contact.user.get_username(),
            "set_password_url": password_set_url(user=contact.user),
        },
    )
    return contact


@transaction.atomic
def contact_deactivate(*, contact: Contact, by: Contact) -> Contact:
    """Switch off a colleague's portal login (the contact stays); partner admins only, never
    their own."""
    _require_partner_admin(by=by, partner=contact.partner)
    if contact.pk == by.pk:
        raise ValidationError("You cannot deactivate your own access.")
    if contact.user_id is None:
        raise ValidationError("This person has no portal access.")
    User._default_manager.filter(pk=contact.user_id).update(is_active=False)
    contact.user.is_active = False
    return contact


@transaction.atomic
def contact_reactivate(*, contact: Contact, by: Contact) -> Contact:
    """Switch a colleague's deactivated portal login back on; partner admins only."""
    _require_partner_admin(by=by, partner=contact.partner)
    if contact.user_id is None:
        raise ValidationError("This person has no portal access.")
    User._default_manager.filter(pk=contact.user_id).update(is_active=True)
    contact.user.is_active = True
    return contact


@transaction.atomic
def contact_partner_admin_set(*, contact: Contact, is_partner_admin: bool, by: Contact) -> Contact:
    """Make a colleague a partner admin or not; partner admins only, never for themselves
    (so a company cannot lose its last admin by accident)."""
    _require_partner_admin(by=by, partner=contact.partner)
    if contact.pk == by.pk:
        raise ValidationError("You cannot change your own admin rights.")
    return contact_update(contact=contact, data={"is_partner_admin": is_partner_admin})


@transaction.atomic
def contact_profile_update(*, contact: Contact, data: dict, by: Contact) -> Contact:
    """A portal edit of a contact (by themselves or a partner admin of the company) through
    partners.services.contact_update; the login's e-mail and names follow."""
    if by.pk != contact.pk:
        _require_partner_admin(by=by, partner=contact.partner)
    data = {key: value for key, value in data.items() if key not in {"partner", "user"}}
    contact = contact_update(contact=contact, data=data)
    if contact.user_id is not None:
        user = User._default_manager.get(pk=contact.user_id)
        if user.email.lower() != contact.email and (
            User._default_manager.exclude(pk=user.pk).filter(email__iexact=contact.email).exists()
        ):
            raise ValidationError({"email": "An account with this e-mail address already exists."})
        # A portal login's username is its e-mail address (see _login_create): it follows.
        if user.get_username().lower() == user.email.lower() and not (
            User._default_manager.exclude(pk=user.pk)
            .filter(username__iexact=contact.email)
            .exists()
        ):
            user.username = contact.email
        user.email = contact.email
        user.first_name, user.last_name = contact.first_name[:150], contact.last_name[:150]
        user.save(update_fields=["username", "email", "first_name", "last_name"])
        contact.user = user
    return contact


@transaction.atomic
def contact_add(*, partner: Partner, data: dict, by: Contact) -> Contact:
    """A partner admin adds a contact (no portal login) through partners.services."""
    _require_partner_admin(by=by, partner=partner)
    data = {key: value for key, value in data.items() if key not in {"partner", "user"}}
    return contact_create(data={**data, "partner": partner})


@transaction.atomic
def contact_remove(*, contact: Contact, by: Contact) -> None:
    """A partner admin removes a colleague: their login is switched off, then the contact is
    deleted through partners.services; never themselves."""
    _require_partner_admin(by=by, partner=contact.partner)
    if contact.pk == by.pk:
        raise ValidationError("You cannot remove yourself.")
    if contact.user_id is not None:
        User._default_manager.filter(pk=contact.user_id).update(is_active=False)
    contact_delete(contact=contact)


# Partner profile ------------------------------------------------------------------------------

# What a partner may keep accurate themselves; tier, stage, ids and figures are the vendor's.
PARTNER_SELF_SERVICE_FIELDS = (
    "name",
    "partner_type",
    "region",
    "country",
    "employee_count",
    "industries",
    "technologies",
)


@transaction.atomic
def partner_profile_update(
    *, partner: Partner, data: dict, by: Contact, website: str | None = None
) -> Partner:
    """A partner admin's edit of their company profile (self-service fields only, plus the
    website kept in attributes) through partners.services.partner_update, which announces
    the change so segments re-check the partner."""
    _require_partner_admin(by=by, partner=partner)
    changes = {key: value for key, value in data.items() if key in PARTNER_SELF_SERVICE_FIELDS}
    if website is not None:
        attributes = dict(partner.attributes or {})
        if website:
            attributes["website"] = website
        else:
            attributes.pop("website", None)
        changes["attributes"] = attributes
    return partner_update(partner=partner, data=changes)


# Partner application -------------------------------------------------------------------------


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
