"""Portal access and onboarding: partner admins invite, deactivate and reactivate colleagues;
the public partner application and a channel manager's decision on it. One module per
area (logins, invitations, company, applications); import from here.

A login never travels by e-mail with a password: invitations and the welcome carry a
set-your-password link made like Django's password reset (default_token_generator + uid), so
it opens PasswordResetConfirmView and stops working once the password is set. Portal logins
use the contact's e-mail address as their username. Mails are sent after commit, so a rolled
back write never sends one. Profile writes go through partners.services, which announces
partners_changed so that dynamic segments re-check the partner.
"""

from partners.onboarding.applications import (
    APPROVED_STAGE,
    REJECTED_STAGE,
    partner_application_approve,
    partner_application_reject,
    partner_application_submit,
)
from partners.onboarding.company import (
    PARTNER_SELF_SERVICE_FIELDS,
    contact_add,
    contact_partner_admin_set,
    contact_profile_update,
    contact_remove,
    partner_profile_update,
)
from partners.onboarding.invitations import (
    contact_access_grant,
    contact_deactivate,
    contact_invite,
    contact_invite_resend,
    contact_reactivate,
)
from partners.onboarding.logins import (
    PortalAccess,
    User,
    contact_access_status,
    password_set_url,
    site_url,
)

__all__ = [
    "APPROVED_STAGE",
    "PARTNER_SELF_SERVICE_FIELDS",
    "REJECTED_STAGE",
    "PortalAccess",
    "User",
    "contact_access_grant",
    "contact_access_status",
    "contact_add",
    "contact_deactivate",
    "contact_invite",
    "contact_invite_resend",
    "contact_partner_admin_set",
    "contact_profile_update",
    "contact_reactivate",
    "contact_remove",
    "partner_application_approve",
    "partner_application_reject",
    "partner_application_submit",
    "partner_profile_update",
    "password_set_url",
    "site_url",
]
