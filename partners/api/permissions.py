"""Partner users in the API: a login linked to a Contact (partners.Contact.user), never staff.

Apps above partners (enablement, communications) open some endpoints to partner users with
these; each view scopes its querysets to the user's contact or partner."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from partners.models import Contact


def request_contact(request) -> Contact | None:
    """The contact of a partner user making the request (None for staff and anonymous)."""
    user = request.user
    if not (user and user.is_authenticated and user.is_active) or user.is_staff:
        return None
    return getattr(user, "contact", None)  # cached on the user by the one-to-one descriptor


class IsPartnerUser(BasePermission):
    """A partner user: an active, non-staff login with a contact."""

    message = "Only partner users (a portal login with a contact) may use this endpoint."

    def has_permission(self, request, view) -> bool:
        return request_contact(request) is not None


class IsManagerOrPartnerUser(BasePermission):
    """Staff: everything. Partner users: reading, and the actions a view lists in
    `partner_actions`; the view scopes its querysets to their contact or partner."""

    message = "Partner users may read and act on their own company's data only."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.is_staff:
            return True
        if request_contact(request) is None:
            return False
        return request.method in SAFE_METHODS or view.action in getattr(view, "partner_actions", ())
