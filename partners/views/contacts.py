"""Adding, editing and removing a partner's contacts, from the partner page."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from partners import selectors, services
from partners.access import StaffRequiredMixin
from partners.forms import ContactForm
from partners.models import Contact, Partner
from partners.views.partners import add_service_errors

TEMPLATE = "partners/contact_form.html"


def _get_contact(pk: int) -> Contact:
    try:
        return selectors.contact_list().select_related("user").get(pk=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None


def _render(request, form, partner, contact=None, status=200) -> HttpResponse:
    context = {"nav": "partners", "form": form, "partner": partner, "contact": contact}
    return render(request, TEMPLATE, context, status=status)


def _partner_contacts_url(partner_id: int) -> str:
    return reverse("partners:detail", args=[partner_id]) + "#contacts"


class ContactCreateView(StaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self._partner(pk)
        return _render(request, ContactForm(), partner)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = self._partner(pk)
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact = services.contact_create(data={**form.service_data(), "partner": partner})
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Contact {contact.full_name} added.")
                return redirect(_partner_contacts_url(partner.pk))
        return _render(request, form, partner, status=400)

    def _partner(self, pk: int) -> Partner:
        try:
            return Partner.objects.get(pk=pk)
        except Partner.DoesNotExist:
            raise Http404("No such partner.") from None


class ContactUpdateView(StaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _get_contact(pk)
        return _render(request, ContactForm(instance=contact), contact.partner, contact)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _get_contact(pk)
        form = ContactForm(request.POST, instance=contact)
        if form.is_valid():
            try:
                services.contact_update(contact=contact, data=form.service_data())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Contact {contact.full_name} saved.")
                return redirect(_partner_contacts_url(contact.partner_id))
        contact = _get_contact(pk)
        return _render(request, form, contact.partner, contact, status=400)


class ContactDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST removes the contact (a portal login stays, unlinked)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _get_contact(pk)
        consequences = ["their role, interests and e-mail consent"]
        if contact.user_id:
            consequences.append(
                f"the link to the portal login “{contact.user.get_username()}” (the login "
                "itself is kept, with no partner)"
            )
        context = {
            "nav": "partners",
            "partner": contact.partner,
            "contact": contact,
            "object_label": f"{contact.full_name} <{contact.email}>",
            "what": "contact",
            "consequences": consequences,
            "cancel_url": _partner_contacts_url(contact.partner_id),
        }
        return render(request, "partners/confirm_delete.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        contact = _get_contact(pk)
        partner_id, name = contact.partner_id, contact.full_name
        services.contact_delete(contact=contact)
        messages.success(request, f"Contact {name} removed.")
        return redirect(_partner_contacts_url(partner_id))
