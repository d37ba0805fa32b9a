"""The registration list (filters, search, pages, CSV through the API) and a registration's
page: its customer, amount, incentive (the preview, or the one locked in with its
explanation), history, competing registrations side by side, and the manager's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from deals import selectors, services
from deals.forms import DealDecisionForm, DealFilterForm
from deals.incentives import incentive_resolve
from deals.models import DealRegistration, DealStatus, ExtensionStatus
from partners.access import StaffRequiredMixin
from partners.views.listing import count_free_page, page_number

NAV = "deals"
PAGE_SIZE = 50
# The registrations' CSV is the API's export (deals.api), asked with the list's filters.
# States in which the registration's incentive is the one locked in at approval.
LOCKED_STATES = (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED)
# Filters whose API name differs from the page's (q is the API's search), and the yes/no
# of the page's selects as the API's booleans.
EXPORT_NAMES = {"q": "search", "conflict": "has_conflict", "overdue": "is_overdue"}
EXPORT_BOOLEANS = {"yes": "true", "no": "false"}


def _export_query(params: QueryDict) -> str:
    query = QueryDict(mutable=True)
    for name, values in params.lists():
        if name == "page":
            continue
        for value in values:
            if value:
                api_name = EXPORT_NAMES.get(name, name)
                if api_name in ("has_conflict", "is_overdue"):
                    value = EXPORT_BOOLEANS.get(value, value)
                query.appendlist(api_name, value)
    return query.urlencode()


class DealListView(StaffRequiredMixin, View):
    """Every registration, filtered, searched and sorted, a page at a time (one query for the
    rows, one for the state counts, whatever the page)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DealFilterForm(request.GET or None)
        valid = not form.is_bound or form.is_valid()
        context: dict[str, Any] = {
            "nav": NAV,
            "form": form,
            "filtered": form.is_filtered,
            "export_url": reverse("deal-export")
            + (f"?{q}" if (q := _export_query(request.GET)) else ""),
        }
        if not valid:
            context["page_obj"] = None
            return render(request, "deals/list.html", context, status=400)
        filters = form.filters() if form.is_bound else selectors.DealListFilters()
        rows = selectors.deal_list(filters=filters)
        context["page_obj"] = count_free_page(
            queryset=rows, number=page_number(request.GET.get("page")), per_page=PAGE_SIZE
        )
        counts = selectors.deal_status_counts()
        current = filters.status
        context["counts"] = counts
        context["status_tabs"] = [
            {"value": "", "label": "All", "count": counts["total"], "active": not current},
            *(
                {
                    "value": status.value,
                    "label": status.label,
                    "count": counts[status.value],
                    "active": current == status.value,
                }
                for status in DealStatus
            ),
        ]
        return render(request, "deals/list.html", context)


@dataclass(frozen=True)
class DealAction:
    """A manager's decision on a registration from its page."""

    slug: str
    label: str
    done: str
    service: Any
    reason_required: bool = False
    danger: bool = False
    reason_label: str = "Reason (optional, shown to the partner)"

    @property
    def url_name(self) -> str:
        return f"deals:{self.slug.replace('-', '_')}"

    def applies_to(self, deal: DealRegistration) -> bool:
        if self.slug in ("approve", "reject"):
            return deal.status == DealStatus.SUBMITTED
        if self.slug.startswith("extension-"):
            return (
                deal.status == DealStatus.APPROVED
                and deal.extension_status == ExtensionStatus.REQUESTED
            )
        return deal.status == DealStatus.APPROVED  # won, lost


ACTIONS = {
    action.slug: action
    for action in (
        DealAction("approve", "Approve", "approved", services.deal_approve),
        DealAction(
            "reject",
            "Reject",
            "rejected",
            services.deal_reject,
            reason_required=True,
            danger=True,
            reason_label="Reason (required, sent to the partner)",
        ),
        DealAction(
            "extension-approve",
            "Approve the extension",
            "extended",
            services.deal_extension_approve,
        ),
        DealAction(
            "extension-reject",
            "Refuse the extension",
            "left without extension",
            services.deal_extension_reject,
            reason_required=True,
            danger=True,
            reason_label="Reason (required, sent to the partner)",
        ),
        DealAction("won", "Mark won", "marked won", services.deal_mark_won),
        DealAction("lost", "Mark lost", "marked lost", services.deal_mark_lost, danger=True),
    )
}


def _get_deal(pk: int) -> DealRegistration:
    try:
        return selectors.deal_get(deal_id=pk)
    except DealRegistration.DoesNotExist:
        raise Http404("No such registration.") from None


def _incentive(deal: DealRegistration) -> dict[str, Any]:
    """The incentive the page shows: locked in (with the explanation saved at approval), or
    what would apply now (a preview), or none for a registration that was never approved."""
    if deal.status in LOCKED_STATES and deal.protection_days is not None:
        return {
            "kind": "locked",
            "discount_pct": deal.discount_pct,
            "rebate_pct": deal.rebate_pct,
            "protection_days": deal.protection_days,
            "explanation": deal.incentive_explanation or {},
        }
    if deal.status in (DealStatus.DRAFT, DealStatus.SUBMITTED):
        quote = incentive_resolve(partner=deal.partner, amount=deal.amount, currency=deal.currency)
        if quote is None:
            return {"kind": "preview", "rule": None, "explanation": {}}
        return {
            "kind": "preview",
            "rule": quote.rule,
            "discount_pct": quote.discount_pct,
            "rebate_pct": quote.rebate_pct,
            "protection_days": quote.protection_days,
            "auto_approve_below": quote.auto_approve_below,
            "explanation": quote.explanation,
        }
    return {"kind": "none"}


def render_detail(
    request: HttpRequest,
    deal: DealRegistration,
    *,
    open_action: str = "",
    form: DealDecisionForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    actions = []
    for action in ACTIONS.values():
        if not action.applies_to(deal):
            continue
        bound = form if (form is not None and action.slug == open_action) else None
        actions.append(
            {
                "action": action,
                "form": bound or DealDecisionForm(reason_required=action.reason_required),
                "is_open": action.slug == open_action,
            }
        )
    context = {
        "nav": NAV,
        "deal": deal,
        "transitions": list(deal.transitions.all()),
        "competing": selectors.deal_competing(deal=deal),
        "incentive": _incentive(deal),
        "actions": actions,
        "error": error,
    }
    return render(request, "deals/detail.html", context, status=status)


class DealDetailView(StaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_detail(request, _get_deal(pk))


class DealActionView(StaffRequiredMixin, View):
    """POST a decision on the registration (its reason in the form): done → back to its page
    with a message; a refused transition → the page with the current state (409); a bad or
    missing reason → the page with the form's errors (400)."""

    http_method_names = ["post"]
    action_slug: str = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = ACTIONS[self.action_slug]
        deal = _get_deal(pk)
        form = DealDecisionForm(request.POST, reason_required=action.reason_required)
        if not form.is_valid():
            return render_detail(request, deal, open_action=action.slug, form=form, status=400)
        try:
            action.service(deal=deal, user=request.user, reason=form.cleaned_data["reason"])
        except services.DealTransitionError as refused:
            deal = _get_deal(pk)
            return render_detail(
                request,
                deal,
                error=f"{refused.detail} It is {DealStatus(refused.state).label.lower()} now."
                if refused.state in DealStatus.values
                else refused.detail,
                status=409,
            )
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                form.add_error("reason" if field == "reason" else None, texts)
            return render_detail(request, deal, open_action=action.slug, form=form, status=400)
        messages.success(request, f"“{deal.name}” {action.done}.")
        return redirect("deals:detail", pk=deal.pk)
