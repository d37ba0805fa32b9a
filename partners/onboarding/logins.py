"""Portal logins and what every onboarding flow shares: a contact's access state, creating a
login (username = e-mail, no usable password), the set-your-password link and the mails that
carry it (sent on commit), and the check that only a company's partner admin may act."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partners.models import Contact, Partner

User = get_user_model()


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
