"""The partner application: a public "become a partner" form and the channel manager's
review queue (staff only, prm.queues) where applicants are approved or declined, one by one
or in bulk, through partners.onboarding."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse_lazy
from django.views.generic import FormView, TemplateView, View

from partners import onboarding
from partners.access import StaffRequiredMixin
from partners.models import Contact, LifecycleStage, Partner
from portal.forms.apply import DEFAULT_REJECT_REASON, ApplicationForm, RejectForm
from portal.forms.company import add_service_errors
from prm.brute_force import ApplicationAddressThrottle, refuse_when_throttled
from prm.queues import (
    Queue,
    QueueAction,
    QueueBulkView,
    QueueListMixin,
    QueueState,
    confirm_page,
    kept_parameters,
    queue_list_response,
    queue_list_url,
)

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


APPLICATION_ACTIONS = (
    QueueAction(
        "approve",
        "Approve",
        "approved",
        note="Approved companies move to onboarding and their admins get the welcome e-mail "
        "with a link to choose a password.",
    ),
    QueueAction(
        "reject",
        "Decline",
        "declined",
        note="Declined companies are kept as churned and told by e-mail, with your reason "
        "if you give one.",
        danger=True,
        reason_label="Reason (optional, sent to the applicant)",
    ),
)
APPLICATION_QUEUE = Queue(
    noun="application",
    noun_plural="applications",
    states=(
        QueueState("pending", "Pending", Q(lifecycle_stage=LifecycleStage.APPLICANT), is_open=True),
        QueueState(
            "approved",
            "Approved",
            Q(attributes__application__decision="approved")
            & ~Q(lifecycle_stage=LifecycleStage.APPLICANT),
        ),
        QueueState(
            "rejected",
            "Declined",
            Q(attributes__application__decision="rejected")
            & ~Q(lifecycle_stage=LifecycleStage.APPLICANT),
        ),
    ),
    search_fields=("name", "contacts__first_name", "contacts__last_name", "contacts__email"),
    actions=APPLICATION_ACTIONS,
    search_label="Company, contact or e-mail",
    nav="applications",
)


def application_rows():
    """Every partner that applied through the form (or waits as an applicant), with what the
    queue page shows loaded in a constant number of queries."""
    return (
        Partner.objects.filter(
            Q(lifecycle_stage=LifecycleStage.APPLICANT) | Q(attributes__has_key="application")
        )
        .select_related("tier")
        .prefetch_related(
            "industries",
            "technologies",
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_partner_admin", "id")),
        )
    )


class ApplicationListView(StaffRequiredMixin, QueueListMixin, TemplateView):
    """Staff: the applications queue, newest first; pending by default, searchable by
    company, contact name and e-mail; approve or decline one, or the selected ones."""

    template_name = "portal/apply/application_list.html"
    queue = APPLICATION_QUEUE
    list_url_name = "portal:applications"
    bulk_url_name = "portal:applications-bulk"

    def queue_rows(self):
        return application_rows()

    def decorate_page(self, rows: list[Partner]) -> list[Partner]:
        # From the prefetched contacts: an annotation would make the counts and the
        # paginator's count GROUP BY subqueries.
        for row in rows:
            row.contact_count = len(row.contacts.all())
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(nav="applications", applicants=context["page_obj"].object_list)
        return context


def _decide(partner: Partner, action: QueueAction, reason: str, by) -> None:
    if action.value == "approve":
        onboarding.partner_application_approve(partner=partner, by=by)
    else:
        onboarding.partner_application_reject(
            partner=partner, by=by, reason=reason or DEFAULT_REJECT_REASON
        )


class ApplicationBulkView(StaffRequiredMixin, QueueBulkView, View):
    """Approve or decline the selected applications, all or none (409 if one of them is no
    longer pending); GET or unconfirmed, the confirmation page."""

    queue = APPLICATION_QUEUE
    list_url_name = "portal:applications"
    list_view_class = ApplicationListView

    def queue_rows(self):
        return Partner.objects.all()

    def row_label(self, row: Partner) -> str:
        return row.name

    def decide(self, row: Partner, action: QueueAction, reason: str) -> None:
        _decide(row, action, reason, self.request.user)


class ApplicationDecideView(StaffRequiredMixin, View):
    """GET: the confirmation page (without JavaScript); POST: decide this application and go
    back to the list with its filters, or answer 409 if it was already decided."""

    action: QueueAction

    def _confirm(self, request, partner: Partner, *, form=None, status=200):
        params = request.GET if request.method == "GET" else request.POST
        return confirm_page(
            request,
            queue=APPLICATION_QUEUE,
            action=self.action,
            post_url=request.path,
            back_url=queue_list_url("portal:applications", params),
            items=[partner.name] if partner.lifecycle_stage == LifecycleStage.APPLICANT else [],
            kept=kept_parameters(params),
            reason_form=form,
            status=status,
        )

    def get(self, request, pk: int):
        partner = get_object_or_404(Partner, pk=pk)
        return self._confirm(request, partner)

    def post(self, request, pk: int):
        partner = get_object_or_404(Partner, pk=pk)
        form = RejectForm(request.POST)
        if not form.is_valid():
            return self._confirm(request, partner, form=form, status=400)
        try:
            _decide(partner, self.action, form.cleaned_data["reason"], request.user)
        except ValidationError as error:
            messages.error(request, f"{partner.name}: {' '.join(error.messages)}")
            return queue_list_response(
                request, view_class=ApplicationListView, params=request.POST, status=409
            )
        if self.action.value == "approve":
            messages.success(
                request,
                f"{partner.name} is approved and onboarding; we sent the welcome e-mail.",
            )
        else:
            messages.success(request, f"{partner.name}'s application is declined.")
        return redirect(queue_list_url("portal:applications", request.POST))


class ApproveView(ApplicationDecideView):
    action = APPLICATION_ACTIONS[0]


class RejectView(ApplicationDecideView):
    action = APPLICATION_ACTIONS[1]
