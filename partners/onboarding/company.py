"""A partner's own records, edited in the portal through partners.services: its contacts
(add, edit, admin rights, remove) and its company profile (self-service fields only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from partners.models import Contact, Partner
from partners.onboarding.logins import User, _require_partner_admin
from partners.services import contact_create, contact_delete, contact_update, partner_update


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
