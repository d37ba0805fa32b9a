"""Who may open a channel-manager page: staff only. Every staff view in every app uses these,
so the rule lives in one place (partner users and anonymous visitors never see staff pages)."""

from functools import wraps

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from partners.scoping import user_contact


def _is_manager(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


class StaffRequiredMixin(AccessMixin):
    """Anonymous → the login page (then back); signed in but not staff → 403."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not _is_manager(request.user):
            raise PermissionDenied("Channel manager pages are for staff only.")
        return super().dispatch(request, *args, **kwargs)


def staff_required(view):
    """The function-view form of StaffRequiredMixin."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not _is_manager(request.user):
            raise PermissionDenied("Channel manager pages are for staff only.")
        return view(request, *args, **kwargs)

    return wrapped


class PartnerUserRequiredMixin(AccessMixin):
    """Partner-portal pages: a partner user (an active non-staff login with a contact).
    Anonymous → the login page; staff or a login without a contact → 403. Sets
    `self.contact` and `self.partner`, which every query of the view is scoped to (see
    partners.scoping)."""

    contact = None
    partner = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        contact = user_contact(request.user)
        if contact is None:
            raise PermissionDenied("The partner portal is for partner users.")
        self.contact, self.partner = contact, contact.partner
        return super().dispatch(request, *args, **kwargs)
