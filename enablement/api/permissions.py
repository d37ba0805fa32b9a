"""Who may use the enablement API: channel managers everything, partner users their own."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from partners.models import Contact


def request_contact(request) -> Contact | None:
    """The contact of a partner user making the request (None for staff and anonymous)."""
    user = request.user
    if not (user and user.is_authenticated) or user.is_staff:
        return None
    return getattr(user, "contact", None)


class IsManagerOrPartnerUser(BasePermission):
    """Staff: everything. Partner users (a login with a contact): reading, and the actions a
    view lists in `partner_actions`; the view scopes its querysets to their contact."""

    message = "Partner users may read and act on their own enablement; the rest is for managers."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.is_staff:
            return True
        if request_contact(request) is None:
            return False
        return request.method in SAFE_METHODS or view.action in getattr(view, "partner_actions", ())
