from rest_framework.permissions import BasePermission


class IsChannelManager(BasePermission):
    """Staff users (channel managers) only; partner users and anonymous callers are refused."""

    message = "Only channel managers may use this endpoint."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)
