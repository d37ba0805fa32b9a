"""The team page: colleagues and their portal access; partner admins invite, deactivate and
reactivate them (partners.onboarding). Every row comes through partners.scoping."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from partners import onboarding
from partners.models import Contact
from partners.scoping import scoped, scoped_get_or_404
from portal.forms.company import add_service_errors
from portal.forms.team import InviteForm
from portal.views.base import PortalView

ACCESS_LABELS = {
    onboarding.PortalAccess.ACTIVE: ("Active", "success", "check-circle-fill"),
    onboarding.PortalAccess.INVITED: ("Invitation sent", "warning", "envelope-paper"),
    onboarding.PortalAccess.DEACTIVATED: ("Deactivated", "secondary", "slash-circle"),
    onboarding.PortalAccess.NONE: ("No portal access", "light", "dash-circle"),
}


class TeamView(PortalView, TemplateView):
    """GET: the team; POST: a partner admin invites a colleague."""

    template_name = "portal/team/team.html"
    nav = "team"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contacts = scoped(Contact, partner=self.partner).select_related("user")
        members = []
        for member in contacts:
            status = onboarding.contact_access_status(member)
            label, color, icon = ACCESS_LABELS[status]
            members.append(
                {
                    "contact": member,
                    "status": status,
                    "label": label,
                    "color": color,
                    "icon": icon,
                    "is_self": member.pk == self.contact.pk,
                }
            )
        counts = {status: 0 for status in ACCESS_LABELS}
        for member in members:
            counts[member["status"]] += 1
        is_admin = self.contact.is_partner_admin
        context.update(
            members=members,
            counts=counts,
            is_admin=is_admin,
            form=kwargs.get("form") or (InviteForm() if is_admin else None),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.contact.is_partner_admin:
            raise PermissionDenied("Only your company's partner admins may invite colleagues.")
        form = InviteForm(request.POST)
        if form.is_valid():
            try:
                invited = onboarding.contact_invite(
                    partner=self.partner, invited_by=self.contact, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, f"{invited.full_name} is invited: we sent them an e-mail to join."
                )
                return redirect("portal:team")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class _TeamActionView(PortalView, View):
    """POST only: one access action on a colleague (partners.onboarding checks who may)."""

    http_method_names = ["post"]
    success_message = ""

    def act(self, target: Contact) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        if not self.contact.is_partner_admin:
            raise PermissionDenied("Only your company's partner admins manage the team.")
        target = scoped_get_or_404(
            Contact.objects.select_related("user", "partner"), partner=self.partner, pk=pk
        )
        try:
            self.act(target)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, self.success_message.format(name=target.full_name))
        return redirect("portal:team")


class DeactivateView(_TeamActionView):
    success_message = "{name} can no longer sign in to the portal."

    def act(self, target: Contact) -> None:
        onboarding.contact_deactivate(contact=target, by=self.contact)


class ReactivateView(_TeamActionView):
    success_message = "{name} can sign in to the portal again."

    def act(self, target: Contact) -> None:
        onboarding.contact_reactivate(contact=target, by=self.contact)


class GrantAccessView(_TeamActionView):
    success_message = "{name} is invited: we sent them an e-mail to join."

    def act(self, target: Contact) -> None:
        onboarding.contact_access_grant(contact=target, invited_by=self.contact)


class ResendInviteView(_TeamActionView):
    success_message = "We sent {name} a new invitation."

    def act(self, target: Contact) -> None:
        onboarding.contact_invite_resend(contact=target, by=self.contact)
