"""The certification catalogue: list with holders and expiring-soon counts, detail with the
holders and their expiry dates, create, edit and delete."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from enablement import selectors, services
from enablement.forms import (
    CertificationFilterForm,
    CertificationForm,
    CertificationHolderFilterForm,
)
from enablement.views.common import ServiceFormView, paginate
from partners.access import StaffRequiredMixin
from partners.models import Certification

NAV = "certifications"
HOLDERS_PER_PAGE = 25


def _within_days() -> int:
    """ "Expiring soon" = within the reminder window."""
    return getattr(settings, "PRM_CERTIFICATION_REMINDER_DAYS", 30)


def _certification_or_404(pk: int) -> Certification:
    return get_object_or_404(selectors.certification_browse(within_days=_within_days()), pk=pk)


class CertificationListView(StaffRequiredMixin, TemplateView):
    template_name = "enablement/certification_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = CertificationFilterForm(self.request.GET or None)
        certifications = selectors.certification_browse(
            **form.filters(), within_days=_within_days()
        )
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "filter_form": form,
            "within_days": _within_days(),
            "summary": selectors.certification_summary(within_days=_within_days()),
            "page_obj": paginate(self.request, certifications),
        }


class CertificationDetailView(StaffRequiredMixin, TemplateView):
    template_name = "enablement/certification_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        certification = _certification_or_404(kwargs["pk"])
        form = CertificationHolderFilterForm(self.request.GET or None)
        today = timezone.localdate()
        holders = selectors.certification_holders(
            certification=certification, **form.filters(), today=today, within_days=_within_days()
        )
        paths = selectors.learning_path_list().filter(awards_certification=certification)
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "certification": certification,
            "filter_form": form,
            "within_days": _within_days(),
            "soon": today + dt.timedelta(days=_within_days()),
            "today": today,
            "paths": paths,
            "page_obj": paginate(self.request, holders, per_page=HOLDERS_PER_PAGE),
        }


class CertificationCreateView(ServiceFormView):
    form_class = CertificationForm
    template_name = "enablement/certification_form.html"
    nav = NAV
    success_message = "“{obj}” was added to the catalogue."

    def save(self, form: CertificationForm) -> Certification:
        return services.certification_create(data=form.service_data())

    def get_success_url(self, obj: Certification) -> str:
        return reverse("enablement:certification-detail", args=[obj.pk])


class CertificationUpdateView(CertificationCreateView):
    success_message = "“{obj}” was saved."

    def get_instance(self) -> Certification:
        return get_object_or_404(Certification, pk=self.kwargs["pk"])

    def save(self, form: CertificationForm) -> Certification:
        return services.certification_update(certification=self.instance, data=form.service_data())


class CertificationDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST deletes (refused once partners hold it or a path
    awards it)."""

    template_name = "enablement/confirm_delete.html"

    def _context(self, certification: Certification, **extra: Any) -> dict[str, Any]:
        return {
            "nav": NAV,
            "object": certification,
            "kind": "certification",
            "cancel_url": reverse("enablement:certification-detail", args=[certification.pk]),
            "consequences": ["It leaves the catalogue; segment rules naming it match nobody."],
            **extra,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        certification = get_object_or_404(Certification, pk=pk)
        return render(request, self.template_name, self._context(certification))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        certification = get_object_or_404(Certification, pk=pk)
        name = certification.name
        try:
            services.certification_delete(certification=certification)
        except ValidationError as error:
            context = self._context(certification, errors=error.messages)
            return render(request, self.template_name, context, status=409)
        messages.success(request, f"“{name}” was deleted.")
        return redirect("enablement:certification-list")
