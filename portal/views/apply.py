"""The partner application: a public "become a partner" form and the channel manager's
review page (staff only) where applicants are approved or declined through
partners.onboarding."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.views.generic import FormView, TemplateView, View

from partners import onboarding
from partners.access import StaffRequiredMixin
from partners.models import Contact, LifecycleStage, Partner
from portal.forms.apply import ApplicationForm, RejectForm
from portal.forms.company import add_service_errors
from prm.brute_force import ApplicationAddressThrottle, refuse_when_throttled

logger = logging.getLogger(__name__)


class ApplyView(FormView):
    """Public: anyone may apply; the applicant partner waits for a manager's decision."""

    template_name = "portal/apply/apply.html"
    form_class = ApplicationForm
    success_url = reverse_lazy("portal:apply-thanks")
    throttle_classes = (ApplicationAddressThrottle,)

    def post(self, request, *args, **kwargs):
        refused = refuse_when_throttled(request, self, reason="application")
        return refused or super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if form.is_from_a_bot():
            # Thanked like anyone (a bot learns nothing), but nothing is created or sent.
            logger.info("Partner application dropped: the hidden field was filled in.")
            self.request.session["portal_applied"] = form.cleaned_data["name"]
            return super().form_valid(form)
        try:
            partner = onboarding.partner_application_submit(**form.service_kwargs())
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        self.request.session["portal_applied"] = partner.name
        return super().form_valid(form)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ApplyThanksView(TemplateView):
    template_name = "portal/apply/thanks.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            company=self.request.session.get("portal_applied"), **kwargs
        )


class ApplicationListView(StaffRequiredMixin, TemplateView):
    """Staff: the applicants waiting for a decision, oldest first."""

    template_name = "portal/apply/application_list.html"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        applicants = (
            Partner.objects.filter(lifecycle_stage=LifecycleStage.APPLICANT)
            .select_related("tier")
            .prefetch_related(
                "industries",
                "technologies",
                Prefetch(
                    "contacts",
                    queryset=Contact.objects.order_by("-is_partner_admin", "id"),
                ),
            )
            .annotate(contact_count=Count("contacts", distinct=True))
            .order_by("created_at", "id")
        )
        page = Paginator(applicants, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(nav="applications", page_obj=page, applicants=page.object_list)
        context.setdefault("reject_form", RejectForm())
        return context


class ApproveView(StaffRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        partner = get_object_or_404(Partner, pk=pk)
        try:
            onboarding.partner_application_approve(partner=partner, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                f"{partner.name} is approved and onboarding; we sent the welcome e-mail.",
            )
        return redirect("portal:applications")


class RejectView(ApplicationListView):
    """POST only; without a reason the list comes back with the error on that applicant."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        partner = get_object_or_404(Partner, pk=pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            context = self.get_context_data(rejecting=partner.pk, reject_form=form)
            return self.render_to_response(context, status=400)
        try:
            onboarding.partner_application_reject(
                partner=partner, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{partner.name}'s application is declined.")
        return redirect("portal:applications")
