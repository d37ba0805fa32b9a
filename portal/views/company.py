"""Company pages of the partner portal: the profile, its contacts and each contact's
communication preferences. Every row comes through partners.scoping; writes go through
partners.onboarding / partners.services (so segments re-check the partner) and
communications' preference services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View

from communications import tracking
from communications.forms import PreferencesForm
from communications.services import CampaignValidationError
from partners import onboarding
from partners.models import Contact, Partner, PartnerCertification
from partners.scoping import scoped, scoped_get_or_404
from portal.forms.company import CompanyProfileForm, ContactForm, add_service_errors
from portal.views.base import PortalView


class CompanyView(PortalView, TemplateView):
    template_name = "portal/company/detail.html"
    nav = "company"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        partner = scoped_get_or_404(
            Partner.objects.with_profile(), partner=self.partner, pk=self.partner.pk
        )
        contacts = list(scoped(Contact, partner=self.partner).select_related("user"))
        certifications = (
            scoped(PartnerCertification, partner=self.partner)
            .select_related("certification")
            .order_by("certification__name")
        )
        context.update(
            company=partner,
            website=(partner.attributes or {}).get("website", ""),
            contacts=contacts,
            admins=[contact for contact in contacts if contact.is_partner_admin],
            certifications=certifications,
            today=timezone.localdate(),
            is_admin=self.contact.is_partner_admin,
        )
        return context


class CompanyEditView(PortalView, FormView):
    template_name = "portal/company/edit.html"
    form_class = CompanyProfileForm
    nav = "company"

    def get_form_kwargs(self):
        if not self.contact.is_partner_admin:
            raise PermissionDenied("Only your company's partner admins may edit the profile.")
        return {
            **super().get_form_kwargs(),
            "instance": scoped_get_or_404(Partner, partner=self.partner, pk=self.partner.pk),
        }

    def form_valid(self, form):
        try:
            onboarding.partner_profile_update(
                partner=form.instance,
                data=form.service_data(),
                website=form.cleaned_data["website"],
                by=self.contact,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(self.request, "Your company profile is saved.")
        return redirect("portal:company")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ContactListView(PortalView, TemplateView):
    template_name = "portal/company/contact_list.html"
    nav = "company"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contacts = scoped(Contact, partner=self.partner).select_related("user")
        context.update(
            contacts=[(contact, onboarding.contact_access_status(contact)) for contact in contacts],
            is_admin=self.contact.is_partner_admin,
        )
        return context


class _ContactFormView(PortalView, FormView):
    template_name = "portal/company/contact_form.html"
    form_class = ContactForm
    nav = "company"
    target: Contact | None = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # builds the form, which finds the target
        context["target"] = self.target
        return context

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _saved(self, contact: Contact):
        messages.success(self.request, f"{contact.full_name} is saved.")
        return redirect("portal:company-contacts")


class ContactCreateView(_ContactFormView):
    def get_form_kwargs(self):
        if not self.contact.is_partner_admin:
            raise PermissionDenied("Only your company's partner admins may add contacts.")
        return {**super().get_form_kwargs(), "instance": Contact(partner=self.partner)}

    def form_valid(self, form):
        try:
            contact = onboarding.contact_add(
                partner=self.partner, data=form.service_data(), by=self.contact
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        return self._saved(contact)


class ContactEditView(_ContactFormView):
    def get_form_kwargs(self):
        self.target = scoped_get_or_404(
            Contact.objects.select_related("user"), partner=self.partner, pk=self.kwargs["pk"]
        )
        if self.target.pk != self.contact.pk and not self.contact.is_partner_admin:
            raise PermissionDenied("You may edit your own details only.")
        can_set_admin = self.contact.is_partner_admin and self.target.pk != self.contact.pk
        return {
            **super().get_form_kwargs(),
            "instance": self.target,
            "can_set_admin": can_set_admin,
        }

    def form_valid(self, form):
        target = self.target
        try:
            contact = onboarding.contact_profile_update(
                contact=target, data=form.service_data(), by=self.contact
            )
            wants_admin = form.cleaned_data.get("is_partner_admin")
            if wants_admin is not None and wants_admin != contact.is_partner_admin:
                onboarding.contact_partner_admin_set(
                    contact=contact, is_partner_admin=wants_admin, by=self.contact
                )
        except ValidationError as error:
            target.refresh_from_db()
            add_service_errors(form, error)
            return self.form_invalid(form)
        return self._saved(contact)


class ContactDeleteView(PortalView, View):
    """POST only: a partner admin removes a colleague (their login is switched off)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        target = scoped_get_or_404(
            Contact.objects.select_related("user"), partner=self.partner, pk=pk
        )
        try:
            onboarding.contact_remove(contact=target, by=self.contact)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{target.full_name} is removed from your contacts.")
        return redirect("portal:company-contacts")


class ContactPreferencesView(PortalView, FormView):
    """A contact's communication preferences: their own, or a colleague's for partner admins.
    The same form and services as the public signed-link page."""

    template_name = "portal/company/preferences.html"
    form_class = PreferencesForm
    nav = "company"

    def setup_target(self) -> None:
        self.target = scoped_get_or_404(Contact, partner=self.partner, pk=self.kwargs["pk"])
        if self.target.pk != self.contact.pk and not self.contact.is_partner_admin:
            raise PermissionDenied("You may change your own preferences only.")
        self.preference = tracking.contact_preference_get(contact=self.target)

    def get_form_kwargs(self):
        self.setup_target()
        return super().get_form_kwargs()

    def get_initial(self):
        return PreferencesForm.initial_for(self.preference)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # builds the form, which finds the target
        context.update(
            target=self.target,
            preference=self.preference,
            is_self=self.target.pk == self.contact.pk,
        )
        return context

    def form_valid(self, form):
        try:
            tracking.contact_preference_save(
                contact=self.target,
                receive_email=form.cleaned_data["receive_email"],
                topics_wanted=form.cleaned_data["topics"],
                max_per_week=form.cleaned_data["max_per_week"],
            )
        except CampaignValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        who = "Your" if self.target.pk == self.contact.pk else f"{self.target.full_name}'s"
        messages.success(self.request, f"{who} communication preferences are saved.")
        return HttpResponseRedirect(reverse("portal:company-contacts"))

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)
