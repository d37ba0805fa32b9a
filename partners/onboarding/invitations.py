"""A partner admin's team page: inviting colleagues to the portal (a set-your-password link
by e-mail), resending an invitation, deactivating and reactivating their logins."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Contact, Partner
from partners.onboarding.logins import (
    PortalAccess,
    User,
    _email_taken,
    _login_create,
    _mail_on_commit,
    _require_partner_admin,
    contact_access_status,
    password_set_url,
)
from partners.services import contact_create


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
