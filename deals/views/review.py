"""The review queue (prm.queues): submitted registrations ordered by SLA — overdue first, then
by review time —, each with its countdown and conflict badge; approve or reject one, or the
selected ones with a reason, all or none, after a confirmation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from deals import selectors, services
from deals.models import DealRegistration, DealStatus
from partners.access import StaffRequiredMixin
from prm.queues import (
    Queue,
    QueueAction,
    QueueBulkForm,
    QueueBulkView,
    QueueListMixin,
    QueueState,
)

NAV = "deal_review"
SUBMITTED = Q(status=DealStatus.SUBMITTED)

DEAL_REVIEW_QUEUE = Queue(
    noun="registration",
    noun_plural="registrations",
    # is_overdue is annotated by selectors.deal_review_queue.
    states=(
        QueueState("pending", "To review", SUBMITTED, is_open=True),
        QueueState("overdue", "Overdue", SUBMITTED & Q(is_overdue=True), is_open=True),
        QueueState("conflict", "In conflict", SUBMITTED & Q(has_conflict=True), is_open=True),
    ),
    search_fields=("name", "account__name", "account__domain", "partner__name"),
    ordering=("-is_overdue", "review_due_at", "id"),
    actions=(
        QueueAction(
            "approve",
            "Approve",
            "approved",
            note="The incentive that applies now is locked in and the protection starts; the "
            "partner is told.",
            reason_label="Reason (optional, shown to the partner)",
        ),
        QueueAction(
            "reject",
            "Reject",
            "rejected",
            note="The partner is told the reason; the customer is free for others.",
            danger=True,
            reason_label="Reason (required, sent to the partner)",
        ),
    ),
    search_label="Deal, customer or partner",
    nav=NAV,
)


def _with_countdown(rows: list[DealRegistration]) -> list[DealRegistration]:
    """Each row with `due_in_seconds` (negative: overdue by) for its SLA countdown."""
    now = timezone.now()
    for deal in rows:
        deal.due_in_seconds = (
            int((deal.review_due_at - now).total_seconds()) if deal.review_due_at else None
        )
    return rows


class DealReviewQueueView(StaffRequiredMixin, QueueListMixin, TemplateView):
    """Submitted registrations by SLA (overdue first, then the soonest due); tabs for the
    overdue ones and the ones in conflict; search by deal, customer or partner."""

    template_name = "deals/review_queue.html"
    queue = DEAL_REVIEW_QUEUE
    list_url_name = "deals:review_queue"
    bulk_url_name = "deals:review_bulk"

    def queue_rows(self):
        return selectors.deal_review_queue()

    def decorate_page(self, rows: list) -> list:
        return _with_countdown(rows)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "nav": NAV}


class DealReviewBulkView(StaffRequiredMixin, QueueBulkView, View):
    """Approve or reject the selected registrations with one reason, all or none (409 when
    one is no longer submitted); GET or unconfirmed, the confirmation page. A rejection
    without a reason is refused before anything is tried (400)."""

    queue = DEAL_REVIEW_QUEUE
    list_url_name = "deals:review_queue"
    list_view_class = DealReviewQueueView

    def queue_rows(self):
        return selectors.deal_review_queue(pending_only=False)

    def row_label(self, deal: DealRegistration) -> str:
        return f"{deal.name} — {deal.account.name} ({deal.partner.name})"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        form = QueueBulkForm(request.POST, queue=self.queue)
        if (
            form.is_valid()
            and form.cleaned_data["confirmed"]
            and form.cleaned_data["action"] == "reject"
            and not form.cleaned_data["reason"].strip()
        ):
            messages.error(
                request, "Nothing was rejected: give the reason, the partner is told it."
            )
            return self.list_response(request, QueryDict(request.POST.urlencode()), status=400)
        return super().post(request, *args, **kwargs)

    def decide(self, deal: DealRegistration, action: QueueAction, reason: str) -> None:
        service = services.deal_approve if action.value == "approve" else services.deal_reject
        try:
            service(deal=deal, user=self.request.user, reason=reason)
        except services.DealTransitionError as refused:
            # queue_decide_all undoes the selection on a ValidationError.
            raise ValidationError(refused.detail) from None
