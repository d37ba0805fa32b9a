"""The channel manager's tier pages: the program (tiers, their requirements and partner
counts, pending and recent tier changes), a tier's edit form, approve/reject of pending
changes, running the evaluation, and the what-if on proposed requirements."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from partners import tiers
from partners.access import StaffRequiredMixin
from partners.models import TierChange, TierChangeSource, TierChangeStatus
from partners.tiers.filters import TIER_CHANGE_SEARCH_FIELDS, TierChangeFilterSet
from partners.tiers.forms import REQUIREMENT_LABELS, TierForm, WhatIfForm
from prm.formatting import format_money, format_number, format_percent
from prm.queues import (
    Queue,
    QueueAction,
    QueueBulkView,
    QueueListMixin,
    QueueState,
)

NAV = "tiers"
PENDING_PER_PAGE = 20
RECENT_CHANGES = 12
DECIDED = ",".join(
    [TierChangeStatus.APPLIED, TierChangeStatus.REJECTED, TierChangeStatus.SUPERSEDED]
)


def _changes(status: str):
    """Tier changes of the given status(es) through the shared FilterSet."""
    return TierChangeFilterSet({"status": status}, queryset=tiers.tier_change_list()).qs


def _number(requirement: str, value: Any) -> str:
    """A requirement's figure as the reader's locale writes it; revenue with its currency."""
    if value is None:
        return "none"
    if requirement == "min_enablement_completion_pct":
        return format_percent(Decimal(str(value)) / 100)
    if requirement == "min_revenue_12m":
        return format_money(value)
    return format_number(value, 0)


SHORT_LABELS = {
    "min_revenue_12m": "Revenue (12 mo)",
    "min_deals_won_12m": "Deals won (12 mo)",
    "min_active_certifications": "Certifications",
    "min_enablement_completion_pct": "Enablement",
}


def _reason_text(check: dict[str, Any]) -> str:
    requirement = check["requirement"]
    label = SHORT_LABELS.get(requirement, requirement)
    comparison = "≥" if check["met"] else "<"
    actual, required = (
        _number(requirement, check["actual"]),
        _number(requirement, check["required"]),
    )
    return f"{label}: {actual} {comparison} {required}"


def _with_reasons(changes) -> list[TierChange]:
    """The changes, each with `reason_lines`: for a move up the requirements of the new tier
    (met), for a move down the unmet requirements of the tier left behind."""
    changes = list(changes)
    for change in changes:
        side = "to_tier" if change.direction == "up" else "from_tier"
        checks = (change.reasons or {}).get(side, {}).get("requirements", [])
        change.reason_lines = [
            {"met": check["met"], "text": _reason_text(check)}
            for check in checks
            if change.direction == "up" or not check["met"]
        ]
    return changes


def _tier_chart(tier_list: list) -> dict[str, Any]:
    colours = ["#8a94a6", "#a8b2bd", "#d4a017", "#5b6cff", "#20c997", "#fd7e14"]
    return {
        "type": "bar",
        "data": {
            "labels": [tier.name for tier in tier_list],
            "datasets": [
                {
                    "label": "Partners",
                    "data": [tier.partner_count for tier in tier_list],
                    "backgroundColor": [colours[i % len(colours)] for i in range(len(tier_list))],
                    "borderRadius": 6,
                }
            ],
        },
        "options": {
            "animation": False,
            "indexAxis": "y",
            "plugins": {"legend": {"display": False}},
            "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
        },
    }


class TierListView(StaffRequiredMixin, TemplateView):
    """The tier program at a glance."""

    template_name = "tiers/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        tier_list = list(tiers.tier_list())
        pending = Paginator(_changes(TierChangeStatus.PENDING), PENDING_PER_PAGE).get_page(
            self.request.GET.get("page")
        )
        pending.object_list = _with_reasons(pending.object_list)
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "tiers": tier_list,
            "partner_total": sum(tier.partner_count for tier in tier_list),
            "tier_chart": _tier_chart(tier_list),
            "page_obj": pending,
            "recent_changes": _with_reasons(_changes(DECIDED)[:RECENT_CHANGES]),
            "labels": REQUIREMENT_LABELS,
        }


class TierUpdateView(StaffRequiredMixin, View):
    """A tier's name, benefits and requirements (tier_update); partners move at the next
    evaluation."""

    template_name = "tiers/form.html"

    def _render(self, request: HttpRequest, form: TierForm, status: int = 200) -> HttpResponse:
        context = {"nav": NAV, "tier": form.instance, "form": form}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, slug: str) -> HttpResponse:
        tier = get_object_or_404(tiers.tier_list(), slug=slug)
        return self._render(request, TierForm(instance=tier))

    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        tier = get_object_or_404(tiers.tier_list(), slug=slug)
        form = TierForm(request.POST, instance=tier)
        if form.is_valid():
            try:
                tiers.tier_update(tier=tier, data=form.service_data())
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(
                    request,
                    f"{tier.name} was saved. Partners move at the next evaluation.",
                )
                return redirect("tiers:list")
        return self._render(request, form, status=400)


class TierChangeDecideView(StaffRequiredMixin, View):
    """POST approve or reject a pending change. htmx gets the table row back (showing the
    decision, or why none was possible); a plain form post is redirected with a message."""

    decide = staticmethod(tiers.tier_change_approve)
    verb = "approved"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        change = get_object_or_404(tiers.tier_change_list(), pk=pk)
        error = None
        try:
            self.decide(change=change, user=request.user)
        except ValidationError as failure:
            error = " ".join(failure.messages)
        (change,) = _with_reasons(tiers.tier_change_list().filter(pk=pk))
        if request.htmx:
            return render(request, "tiers/_change_row.html", {"change": change, "error": error})
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"{change.partner.name}: change {self.verb}.")
        return redirect(reverse("tiers:list") + "#pending-changes")


class TierChangeApproveView(TierChangeDecideView):
    pass


class TierChangeRejectView(TierChangeDecideView):
    decide = staticmethod(tiers.tier_change_reject)
    verb = "rejected"


TIER_CHANGE_QUEUE = Queue(
    noun="tier change",
    noun_plural="tier changes",
    states=(
        QueueState("pending", "Pending", Q(status=TierChangeStatus.PENDING), is_open=True),
        QueueState("applied", "Applied", Q(status=TierChangeStatus.APPLIED)),
        QueueState("rejected", "Rejected", Q(status=TierChangeStatus.REJECTED)),
        QueueState("superseded", "Superseded", Q(status=TierChangeStatus.SUPERSEDED)),
    ),
    search_fields=TIER_CHANGE_SEARCH_FIELDS,
    actions=(
        QueueAction(
            "approve",
            "Approve",
            "approved",
            note="The partner moves now; a change whose partner is no longer on the tier it "
            "starts from is marked superseded instead.",
        ),
        QueueAction(
            "reject",
            "Reject",
            "rejected",
            note="The partner keeps its tier, and the same move is not proposed again while "
            "this is its latest decision.",
            danger=True,
        ),
    ),
    search_label="Partner name or id",
    nav=NAV,
)


class TierChangeQueueView(StaffRequiredMixin, QueueListMixin, TemplateView):
    """The tier changes queue: newest first, pending by default, searchable by partner;
    approve or reject one, or the selected ones."""

    template_name = "tiers/changes.html"
    queue = TIER_CHANGE_QUEUE
    list_url_name = "tiers:changes"
    bulk_url_name = "tiers:changes-bulk"

    def queue_rows(self):
        return tiers.tier_change_list()

    def decorate_page(self, rows: list) -> list:
        return _with_reasons(rows)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "nav": NAV}


class TierChangeBulkView(StaffRequiredMixin, QueueBulkView, View):
    """Approve or reject the selected tier changes, all or none (409 if one of them is no
    longer pending); GET or unconfirmed, the confirmation page."""

    queue = TIER_CHANGE_QUEUE
    list_url_name = "tiers:changes"
    list_view_class = TierChangeQueueView

    def queue_rows(self):
        return tiers.tier_change_list()

    def row_label(self, change: TierChange) -> str:
        before = change.from_tier.name if change.from_tier else "No tier"
        after = change.to_tier.name if change.to_tier else "No tier"
        return f"{change.partner.name} ({before} → {after})"

    def decide(self, change: TierChange, action: QueueAction, reason: str) -> None:
        if action.value == "approve":
            tiers.tier_change_approve(change=change, user=self.request.user)
        else:
            tiers.tier_change_reject(change=change, user=self.request.user)


class TierEvaluateView(StaffRequiredMixin, View):
    """POST: evaluate every partner's tier now (apply, or queue for approval per settings)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        result = tiers.tiers_evaluate(source=TierChangeSource.MANUAL)
        if result["applied"]:
            outcome = (
                f"{result['applied']} partners moved ({result['up']} up, {result['down']} down)."
            )
        elif result["pending"]:
            outcome = f"{result['pending']} changes await approval."
        else:
            outcome = "Every partner is on the tier it qualifies for."
        messages.success(request, f"Evaluated {result['evaluated']} partners. {outcome}")
        return redirect("tiers:list")


class TierWhatIfView(StaffRequiredMixin, View):
    """GET: the requirements of every tier in a table, and who would move with them as
    they are. POST (htmx, as inputs change): the result for the proposed values; nothing is
    saved."""

    template_name = "tiers/what_if.html"

    def _context(self, form: WhatIfForm, baseline: dict[str, int] | None) -> dict[str, Any]:
        result = None
        if form.is_valid():
            try:
                result = tiers.tiers_what_if(thresholds=form.thresholds())
            except tiers.ThresholdsError as error:
                form.add_threshold_errors(error.errors)
        if result is not None:
            _name_tiers(result, {tier.slug: tier.name for tier in form.tiers})
        rows = form.bound_rows()
        return {
            "nav": NAV,
            "form": form,
            "rows": rows,
            "labels": REQUIREMENT_LABELS,
            "result": result,
            # On GET the result is today's; the page sends it back with each proposal, so
            # the effect of the proposal itself shows without a second evaluation.
            "baseline": result if baseline is None else baseline,
            "changed_count": sum(cell["changed"] for row in rows for cell in row["cells"]),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        tier_list = list(tiers.tier_list())
        form = WhatIfForm(_current_values(tier_list), tiers=tier_list)
        return render(request, self.template_name, self._context(form, None))

    def post(self, request: HttpRequest) -> HttpResponse:
        tier_list = list(tiers.tier_list())
        form = WhatIfForm(request.POST, tiers=tier_list)
        context = self._context(form, _baseline(request.POST))
        status = 200 if context["result"] is not None else 422
        if request.htmx:
            return render(request, "tiers/_what_if_result.html", context, status=status)
        return render(request, self.template_name, context, status=status)


def _baseline(data) -> dict[str, int]:
    """Today's up/down counts as the page sent them back (display only; {} if absent)."""
    try:
        return {"up": int(data["baseline_up"]), "down": int(data["baseline_down"])}
    except (KeyError, ValueError):
        return {}


def _name_tiers(result: dict[str, Any], names: dict[str, str]) -> None:
    """Add from_name/to_name (the tier names, "No tier") to the result's moves and samples."""
    for row in [*result["moves"], *result["sample_up"], *result["sample_down"]]:
        row["from_name"] = names.get(row["tier_from"], "No tier")
        row["to_name"] = names.get(row["tier_to"], "No tier")


def _current_values(tier_list: list) -> dict[str, Any]:
    """The what-if form's data for the requirements as they are."""
    form = WhatIfForm(tiers=tier_list)
    return {name: _plain(field.initial) for name, field in form.fields.items()}


def _plain(value: Any) -> str:
    """A requirement as an input value: "" for none, no trailing zeros (250000, 62.5)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
