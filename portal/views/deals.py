"""Deal registration in the partner portal: the company's registrations (filters, search,
pages, the open pipeline), registering one with a preview of its incentive, a registration's
page with its history and the partner's actions, and its attachment.

Every registration comes through partners.scoping, so another company's is a 404. Writes go
through deals.services, which own the transitions; their ValidationError lands on the form's
fields and a refused transition (DealTransitionError) is told as it is. A partner never sees
another partner's registration or name: a conflict reads "another registration names this
customer", and the incentive's explanation is shown without the rules it passed over (their
segments are the vendor's private data, see portal.views.home)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, timezone
from django.views import View

from deals import selectors, services
from deals.incentives import incentive_resolve
from deals.models import DealRegistration, DealStatus, ExtensionStatus
from deals.selectors import deal_status_counts
from deals.views.attachment import attachment_response
from partners.models import Partner
from partners.scoping import scoped, scoped_get_or_404
from portal.forms.company import add_service_errors
from portal.forms.deals import DealExtensionForm, DealFilterForm, DealForm, DealReasonForm
from portal.views.base import PortalView

NAV = "deals"
PAGE_SIZE = 25
# States whose incentive is the one locked in at approval.
LOCKED_STATES = (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED)
# The buttons of the registration form.
INTENTS = ("preview", "draft", "submit")
# What each recorded action reads as in a registration's history.
ACTION_LABELS = {
    "create": "Registered as a draft",
    "submit": "Submitted for review",
    "approve": "Approved",
    "auto_approve": "Approved on submission",
    "reject": "Rejected",
    "withdraw": "Withdrawn",
    "won": "Marked won",
    "lost": "Marked lost",
    "expire": "Protection ended",
    "extension_request": "Extension requested",
    "extension_approve": "Extension approved",
    "extension_reject": "Extension refused",
}
CONFLICT_NOTICE = "Under review: another registration names this customer."


# -- reads ----------------------------------------------------------------------------------


def protection_left(deal: DealRegistration, *, today: dt.date) -> int | None:
    """Days of protection left for an approved registration (0 on its last day, negative
    once it ended and before the nightly sweep expires it); None when not protected."""
    if deal.status != DealStatus.APPROVED or deal.protection_ends_on is None:
        return None
    return (deal.protection_ends_on - today).days


def actor_label(user, *, viewer) -> str:
    """Who did it, as a partner may read it: "You", a colleague's name, or "Channel team" for
    the vendor's staff, whose names and logins stay the vendor's."""
    if user is None:
        return "Automatic"
    if user.pk == viewer.pk:
        return "You"
    if user.is_staff:
        return "Channel team"
    return user.get_full_name() or "A colleague"


def _quote_context(quote, *, amount, currency: str) -> dict[str, Any]:
    if quote is None:
        return {
            "kind": "preview",
            "rule": None,
            "currency": currency,
            "default_protection_days": settings.PRM_DEAL_DEFAULT_PROTECTION_DAYS,
        }
    return {
        "kind": "preview",
        "rule": quote.rule.name,
        "why": quote.explanation.get("why", ""),
        "discount_pct": quote.discount_pct,
        "rebate_pct": quote.rebate_pct,
        "protection_days": quote.protection_days,
        "auto_approve_below": quote.auto_approve_below,
        "auto_approves": quote.auto_approves(amount),
        "currency": currency,
    }


def incentive_preview(*, partner: Partner, amount, currency: str) -> dict[str, Any]:
    """The incentive a registration of `amount` `currency` would get now, as the page shows
    it: the rule's name, what it gives and why it applies."""
    quote = incentive_resolve(partner=partner, amount=amount, currency=currency)
    return _quote_context(quote, amount=amount, currency=currency)


def deal_incentive(deal: DealRegistration) -> dict[str, Any]:
    """Locked in at approval (with the explanation saved then), a preview while it is a
    draft or under review, or none for a registration that was never approved."""
    if deal.status in LOCKED_STATES and deal.protection_days is not None:
        explanation = deal.incentive_explanation or {}
        return {
            "kind": "locked",
            "rule": (explanation.get("rule") or {}).get("name"),
            "why": explanation.get("why", ""),
            "discount_pct": deal.discount_pct,
            "rebate_pct": deal.rebate_pct,
            "protection_days": deal.protection_days,
            "currency": deal.currency,
        }
    if deal.status in (DealStatus.DRAFT, DealStatus.SUBMITTED):
        return incentive_preview(partner=deal.partner, amount=deal.amount, currency=deal.currency)
    return {"kind": "none"}


# -- the list -------------------------------------------------------------------------------


class DealListView(PortalView, View):
    """The company's registrations, 25 a page, with the open pipeline and the count of each
    state on top: a constant number of queries whatever their number."""

    nav = NAV

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DealFilterForm(request.GET or None)
        valid = not form.is_bound or form.is_valid()
        today = timezone.localdate()
        data = form.cleaned_data if form.is_bound and valid else {}
        counts = deal_status_counts(queryset=scoped(DealRegistration, partner=self.partner))
        current = data.get("status", "")
        pipeline = selectors.partner_open_pipeline(partner=self.partner, today=today)
        context = self.get_context_data(
            form=form,
            filtered=form.is_filtered,
            counts=counts,
            status_tabs=[
                {"value": "", "label": "All", "count": counts["total"], "active": not current},
                *(
                    {
                        "value": status.value,
                        "label": status.label,
                        "count": counts[status.value],
                        "active": current == status.value,
                    }
                    for status in DealStatus
                    if counts[status.value] or current == status.value
                ),
            ],
            pipeline=pipeline,
            open_count=sum(row["count"] for row in pipeline),
            page_obj=None,
            today=today,
        )
        if not valid:
            return render(request, "portal/deals/list.html", context, status=400)
        rows = selectors.partner_deal_list(
            partner=self.partner, search=data.get("q", ""), status=data.get("status", "")
        )
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        for deal in page.object_list:
            deal.days_protected = protection_left(deal, today=today)
        context["page_obj"] = page
        return render(request, "portal/deals/list.html", context)


# -- registering and editing ----------------------------------------------------------------


class _DealFormView(PortalView, View):
    """The registration form with its three buttons: "Preview incentive" re-renders it with
    the incentive the amount would get (only the preview's card, for htmx), "Save draft"
    and "Submit for review" call the services; a refusal keeps nothing and answers 400."""

    nav = NAV
    template_name = "portal/deals/form.html"
    deal: DealRegistration | None = None

    def render_form(self, form: DealForm, *, preview=None, status: int = 200) -> HttpResponse:
        context = self.get_context_data(
            form=form,
            deal=self.deal,
            preview=preview,
            max_upload_mb=settings.PRM_DEAL_ATTACHMENT_MAX_BYTES // 2**20,
        )
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_form(DealForm(deal=self.deal))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        intent = request.POST.get("intent")
        intent = intent if intent in INTENTS else "draft"
        form = DealForm(request.POST, request.FILES, deal=self.deal)
        valid = form.is_valid()
        if intent == "preview":
            return self.preview(form)
        if not valid:
            return self.render_form(form, status=400)
        try:
            deal = self.save(form.service_data(), submit=intent == "submit")
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_form(form, status=400)
        except services.DealTransitionError as refused:
            # The draft was submitted (or withdrawn) meanwhile, in another tab say.
            if self.deal is None:
                form.add_error(None, refused.detail)
                return self.render_form(form, status=409)
            messages.error(request, refused.detail)
            return redirect("portal:deal_detail", pk=self.deal.pk)
        messages.success(request, _saved_message(deal))
        return redirect("portal:deal_detail", pk=deal.pk)

    def preview(self, form: DealForm) -> HttpResponse:
        values = form.preview_values()
        preview = (
            incentive_preview(partner=self.partner, amount=values[0], currency=values[1])
            if values
            else {"kind": "incomplete"}
        )
        if self.request.htmx:
            context = self.get_context_data(preview=preview, form=form)
            return render(self.request, "portal/deals/_preview.html", context)
        form.keep_preview_errors_only()
        return self.render_form(form, preview=preview)

    def save(self, data: dict[str, Any], *, submit: bool) -> DealRegistration:
        raise NotImplementedError


def _saved_message(deal: DealRegistration) -> str:
    if deal.status == DealStatus.APPROVED:
        return (
            f"“{deal.name}” is submitted and approved at once: it is protected until "
            f"{dateformat.format(deal.protection_ends_on, 'F j, Y')}."
        )
    if deal.status == DealStatus.SUBMITTED:
        return f"“{deal.name}” is submitted: the channel team reviews it."
    return f"“{deal.name}” is saved as a draft."


class DealCreateView(_DealFormView):
    def save(self, data: dict[str, Any], *, submit: bool) -> DealRegistration:
        return services.deal_create(
            partner=self.partner, user=self.request.user, submit=submit, **data
        )


class DealEditView(_DealFormView):
    """A draft's form (a submitted registration is frozen: back to its page, told so)."""

    def setup_deal(self) -> HttpResponse | None:
        self.deal = selectors.partner_deal_get(partner=self.partner, pk=self.kwargs["pk"])
        if self.deal.status != DealStatus.DRAFT:
            messages.error(
                self.request,
                f"Only a draft can be edited; this registration is "
                f"{self.deal.get_status_display().lower()}.",
            )
            return redirect("portal:deal_detail", pk=self.deal.pk)
        return None

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.setup_deal() or super().get(request, **kwargs)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.setup_deal() or super().post(request, **kwargs)

    def save(self, data: dict[str, Any], *, submit: bool) -> DealRegistration:
        # Saved and submitted together or not at all: a refused submission keeps the draft
        # as it was.
        with transaction.atomic():
            deal = services.deal_update(deal=self.deal, user=self.request.user, **data)
            if submit:
                deal = services.deal_submit(deal=deal, user=self.request.user)
        return deal


# -- a registration's page and the partner's actions ----------------------------------------


@dataclass(frozen=True)
class DealAction:
    """An action a partner takes on a registration from its page (a POST form)."""

    slug: str
    label: str
    done: str
    form_class: type[forms.Form]
    call: Callable[..., DealRegistration]
    applies: Callable[[DealRegistration], bool]
    confirm: str = ""
    danger: bool = False

    @property
    def url_name(self) -> str:
        return f"portal:deal_{self.slug}"


def _is(status: str) -> Callable[[DealRegistration], bool]:
    return lambda deal: deal.status == status


ACTIONS = {
    action.slug: action
    for action in (
        DealAction(
            "submit",
            "Submit for review",
            "is submitted: the channel team reviews it",
            forms.Form,
            lambda deal, user, data: services.deal_submit(deal=deal, user=user),
            _is(DealStatus.DRAFT),
            confirm="Submit this registration? It cannot be edited once submitted.",
        ),
        DealAction(
            "withdraw",
            "Withdraw",
            "is withdrawn",
            DealReasonForm,
            lambda deal, user, data: services.deal_withdraw(
                deal=deal, user=user, reason=data["reason"]
            ),
            _is(DealStatus.SUBMITTED),
            confirm="Withdraw this registration? The channel team stops reviewing it.",
            danger=True,
        ),
        DealAction(
            "extension",
            "Request an extension",
            "has its extension requested: the channel team decides on it",
            DealExtensionForm,
            lambda deal, user, data: services.deal_extension_request(
                deal=deal, user=user, days=data["days"], reason=data["reason"]
            ),
            lambda deal: (
                deal.status == DealStatus.APPROVED and deal.extension_status == ExtensionStatus.NONE
            ),
        ),
        DealAction(
            "won",
            "Mark won",
            "is marked won. Congratulations!",
            DealReasonForm,
            lambda deal, user, data: services.deal_mark_won(
                deal=deal, user=user, reason=data["reason"]
            ),
            _is(DealStatus.APPROVED),
            confirm="Mark this deal won? This closes the registration.",
        ),
        DealAction(
            "lost",
            "Mark lost",
            "is marked lost",
            DealReasonForm,
            lambda deal, user, data: services.deal_mark_lost(
                deal=deal, user=user, reason=data["reason"]
            ),
            _is(DealStatus.APPROVED),
            confirm="Mark this deal lost? This closes the registration.",
            danger=True,
        ),
    )
}


def render_detail(
    request: HttpRequest,
    view: PortalView,
    deal: DealRegistration,
    *,
    open_action: str = "",
    form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    today = timezone.localdate()
    actions = [
        {
            "action": action,
            "form": form if (form is not None and slug == open_action) else action.form_class(),
            "is_open": slug == open_action,
        }
        for slug, action in ACTIONS.items()
        if action.applies(deal)
    ]
    history = [
        {
            "at": transition.at,
            "label": ACTION_LABELS.get(transition.action, transition.action.replace("_", " ")),
            "from_status": transition.get_from_status_display() if transition.from_status else "",
            "to_status": transition.get_to_status_display(),
            "moved": transition.from_status != transition.to_status,
            "who": actor_label(transition.actor, viewer=request.user),
            "reason": transition.reason,
        }
        for transition in deal.transitions.all()
    ]
    context = view.get_context_data(
        deal=deal,
        history=history,
        incentive=deal_incentive(deal),
        actions=actions,
        can_edit=deal.status == DealStatus.DRAFT,
        days_protected=protection_left(deal, today=today),
        conflict_notice=CONFLICT_NOTICE
        if deal.has_conflict and deal.status == DealStatus.SUBMITTED
        else "",
        registered_by=actor_label(deal.submitted_by, viewer=request.user)
        if deal.submitted_by
        else "",
        attachment_name=deal.attachment.name.rsplit("/", 1)[-1] if deal.attachment else "",
        max_extension_days=settings.PRM_DEAL_EXTENSION_MAX_DAYS,
        today=today,
    )
    return render(request, "portal/deals/detail.html", context, status=status)


class DealDetailView(PortalView, View):
    nav = NAV

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render_detail(request, self, selectors.partner_deal_get(partner=self.partner, pk=pk))


class DealActionView(PortalView, View):
    """POST an action on one of the company's registrations: done → its page with a message;
    a refused transition → its page with the reason (409 with the reason for htmx); a bad
    reason or number of days → the page with the form's errors (400)."""

    http_method_names = ["post"]
    nav = NAV
    action_slug = ""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        action = ACTIONS[self.action_slug]
        deal = selectors.partner_deal_get(partner=self.partner, pk=pk)
        form = action.form_class(request.POST)
        if not form.is_valid():
            return render_detail(
                request, self, deal, open_action=action.slug, form=form, status=400
            )
        try:
            deal = action.call(deal, request.user, form.cleaned_data)
        except services.DealTransitionError as refused:
            if request.htmx:
                return HttpResponse(refused.detail, status=409, content_type="text/plain")
            messages.error(request, refused.detail)
            return redirect("portal:deal_detail", pk=deal.pk)
        except ValidationError as error:
            add_service_errors(form, error)
            return render_detail(
                request, self, deal, open_action=action.slug, form=form, status=400
            )
        if action.slug == "submit" and deal.status == DealStatus.APPROVED:
            messages.success(request, _saved_message(deal))
        else:
            messages.success(request, f"“{deal.name}” {action.done}.")
        return redirect("portal:deal_detail", pk=deal.pk)


class DealAttachmentView(PortalView, View):
    """The registration's file, for its own company only (the storage has no URL)."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        return attachment_response(scoped_get_or_404(DealRegistration, partner=self.partner, pk=pk))
