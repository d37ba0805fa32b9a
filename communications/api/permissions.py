"""Who may use the communications API: channel managers, and partner users for their own
inbox and their own company's contact preferences."""

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

    message = "Only partner users (a portal login with a contact) have an inbox."

    def has_permission(self, request, view) -> bool:
        return request_contact(request) is not None


class IsManagerOrPartnerUser(BasePermission):
    """Staff: everything. Partner users: reading, and the actions a view lists in
    `partner_actions`; the view scopes its queryset to their partner."""

    message = "Partner users may only read and update their own company's preferences."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        if user.is_staff:
            return True
        if request_contact(request) is None:
            return False
        return request.method in SAFE_METHODS or view.action in getattr(view, "partner_actions", ())
