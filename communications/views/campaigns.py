"""The channel manager's campaign pages: list, editor, campaign page (audience, rendered
preview, life cycle, test send, stats, occurrences, messages, survey) and the partner
page's messages panel. Reads through communications.selectors, writes through
communications.services, like the API."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.decorators.http import require_GET, require_POST

from communications import selectors, services
from communications.filters import CampaignFilterSet, MessageFilterSet
from communications.forms import TEMPLATE_VARIABLES, CampaignForm, TestSendForm
from communications.models import (
    Campaign,
    CampaignStatus,
    Channel,
    MessageStatus,
    SuppressionReason,
    Survey,
    Topic,
)
from communications.scheduling import timezone_or_none
from communications.services.campaigns import EDITABLE_STATUSES
from communications.templating import template_errors
from partners.access import StaffRequiredMixin, staff_required
from partners.models import Contact, Partner

PAGE_SIZE = 25
MESSAGES_PAGE_SIZE = 20
OCCURRENCES_SHOWN = 10
AUDIENCE_SAMPLE_SIZE = 10
PREVIEW_CONTACT_CHOICES = 25
PANEL_MESSAGES = 10
TEMPLATE_FIELDS = ("subject_template", "body_template")

# The buttons of the campaign page: which statuses show each action (the service decides).
ACTIONS = {
    "schedule": (services.campaign_schedule, "scheduled", (CampaignStatus.DRAFT,)),
    "pause": (services.campaign_pause, "paused", (CampaignStatus.SCHEDULED,)),
    "resume": (services.campaign_resume, "resumed", (CampaignStatus.PAUSED,)),
    "cancel": (
        services.campaign_cancel,
        "cancelled",
        (CampaignStatus.SCHEDULED, CampaignStatus.PAUSED),
    ),
}


def _errors_text(error: services.CampaignValidationError) -> str:
    return "; ".join(error.messages)


def _campaign(pk: int) -> Campaign:
    return get_object_or_404(selectors.campaign_list(), pk=pk)


# ---------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------


class CampaignListView(StaffRequiredMixin, View):
    """Every campaign with its schedule and message figures, filtered and searched."""

    template_name = "communications/campaign_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        campaigns = selectors.campaign_list().order_by("-created_at", "-id")
        query = request.GET.get("q", "").strip()
        if query:
            campaigns = campaigns.filter(
                Q(name__icontains=query) | Q(subject_template__icontains=query)
            )
        filterset = CampaignFilterSet(request.GET, queryset=campaigns, request=request)
        status_code = 200
        if filterset.is_valid():
            campaigns = filterset.qs
        else:
            campaigns, status_code = campaigns.none(), 400
        page = Paginator(campaigns, PAGE_SIZE).get_page(request.GET.get("page"))
        stats = selectors.campaigns_stats(campaign_ids=[campaign.pk for campaign in page])
        rows = [(campaign, stats[campaign.pk]) for campaign in page]
        status_counts = selectors.campaign_status_counts()
        context = {
            "nav": "campaigns",
            "page_obj": page,
            "rows": rows,
            "query": query,
            "filter_errors": filterset.errors,
            "selected": {
                "status": request.GET.get("status", ""),
                "channel": request.GET.get("channel", ""),
                "topic": request.GET.get("topic", ""),
            },
            "statuses": CampaignStatus.choices,
            "channels": Channel.choices,
            "topics": Topic.choices,
            "status_cards": [
                (value, label, status_counts[value]) for value, label in CampaignStatus.choices
            ],
            "is_filtered": bool(
                query or any(request.GET.get(key) for key in ("status", "channel", "topic"))
            ),
        }
        return render(request, self.template_name, context, status=status_code)


# ---------------------------------------------------------------------------------------
# Create and edit
# ---------------------------------------------------------------------------------------


class _CampaignFormView(StaffRequiredMixin, View):
    template_name = "communications/campaign_form.html"

    def _render(self, request: HttpRequest, form: CampaignForm, campaign=None, status=200):
        context = {
            "nav": "campaigns",
            "form": form,
            "campaign": campaign,
            "variables": TEMPLATE_VARIABLES,
        }
        return render(request, self.template_name, context, status=status)


class CampaignCreateView(_CampaignFormView):
    """A new campaign, saved as a draft or scheduled at once; nothing is saved when the
    service finds a problem (template error with its line, no segment, a past time, …)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, CampaignForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CampaignForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        schedule = "schedule" in request.POST
        try:
            campaign = services.campaign_create(
                data=form.service_data(), created_by=request.user, schedule=schedule
            )
        except services.CampaignValidationError as error:
            form.add_service_errors(error.errors)
            return self._render(request, form, status=400)
        verb = "created and scheduled" if schedule else "saved as a draft"
        messages.success(request, f"Campaign “{campaign.name}” {verb}.")
        return redirect("communications:campaign-detail", pk=campaign.pk)


class CampaignUpdateView(_CampaignFormView):
    """Change a draft, scheduled or paused campaign (a scheduled one must stay sendable)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and request.user.is_staff:
            self.campaign = _campaign(kwargs["pk"])
            if self.campaign.status not in EDITABLE_STATUSES:
                messages.warning(
                    request,
                    f"A {self.campaign.get_status_display().lower()} campaign can no longer "
                    "be changed.",
                )
                return redirect("communications:campaign-detail", pk=self.campaign.pk)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = CampaignForm(initial=CampaignForm.initial_for(self.campaign))
        return self._render(request, form, self.campaign)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = CampaignForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, self.campaign, status=400)
        try:
            campaign = services.campaign_update(campaign=self.campaign, data=form.service_data())
        except services.CampaignValidationError as error:
            form.add_service_errors(error.errors)
            return self._render(request, form, self.campaign, status=400)
        messages.success(request, f"Campaign “{campaign.name}” saved.")
        return redirect("communications:campaign-detail", pk=campaign.pk)


# ---------------------------------------------------------------------------------------
# The campaign page and its fragments
# ---------------------------------------------------------------------------------------


def _funnel_chart(stats: dict) -> dict:
    labels = ["Targeted", "Suppressed", "Sent", "Failed", "Opened", "Clicked", "Unsubscribed"]
    keys = ["targeted", "suppressed", "sent", "failed", "opened", "clicked", "unsubscribed"]
    colours = ["#6c757d", "#ffc107", "#0d6efd", "#dc3545", "#20c997", "#6f42c1", "#fd7e14"]
    return {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": "Messages",
                    "data": [stats[key] for key in keys],
                    "backgroundColor": colours,
                    "borderRadius": 6,
                    "maxBarThickness": 56,
                }
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
        },
    }


@staff_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one campaign: figures, chart, schedule, audience and preview
    (loaded by htmx), test send, occurrences, messages (filtered, paginated), survey."""
    campaign = _campaign(pk)
    stats = selectors.campaign_stats(campaign=campaign)
    message_filter = MessageFilterSet(
        request.GET, queryset=selectors.campaign_messages(campaign=campaign), request=request
    )
    status_code = 200 if message_filter.is_valid() else 400
    message_rows = message_filter.qs if status_code == 200 else message_filter.queryset.none()
    page = Paginator(message_rows, MESSAGES_PAGE_SIZE).get_page(request.GET.get("page"))
    try:
        survey = campaign.survey
    except Survey.DoesNotExist:
        survey = None
    reasons = dict(SuppressionReason.choices)
    context = {
        "nav": "campaigns",
        "campaign": campaign,
        "stats": stats,
        "suppressed_by_reason": [
            (reasons[reason], count) for reason, count in stats["suppressed_by_reason"].items()
        ],
        "chart": _funnel_chart(stats),
        "by_segment": selectors.campaign_stats_by_segment(campaign=campaign),
        "occurrences": list(selectors.campaign_occurrences(campaign=campaign)[:OCCURRENCES_SHOWN]),
        "page_obj": page,
        "message_status": request.GET.get("status", ""),
        "message_statuses": MessageStatus.choices,
        "survey": survey,
        "survey_summary": selectors.survey_summary(survey=survey) if survey else None,
        "can_edit": campaign.status in EDITABLE_STATUSES,
        "actions": [name for name, (_, _, shown) in ACTIONS.items() if campaign.status in shown],
        "can_delete": campaign.status == CampaignStatus.DRAFT and not stats["targeted"],
        "test_form": TestSendForm(initial={"to_email": request.user.email}),
    }
    return render(request, "communications/campaign_detail.html", context, status=status_code)


@staff_required
@require_GET
def campaign_audience(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: how many contacts the campaign reaches now and the first of them."""
    campaign = _campaign(pk)
    contacts = selectors.campaign_sample_audience(campaign=campaign)
    context = {
        "campaign": campaign,
        "count": contacts.count(),
        "sample": list(contacts[:AUDIENCE_SAMPLE_SIZE]),
    }
    return render(request, "communications/_audience.html", context)


@staff_required
@require_GET
def campaign_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: the subject and body rendered through the real renderer for a contact
    (?contact=id, default the first of the audience), with a picker of audience contacts."""
    campaign = _campaign(pk)
    contact, error = None, None
    contact_id = request.GET.get("contact", "")
    if contact_id:
        if not contact_id.isdigit():
            return HttpResponse("expected a contact id", status=400, content_type="text/plain")
        contact = get_object_or_404(
            Contact.objects.select_related("partner", "partner__tier"), pk=int(contact_id)
        )
    preview = None
    try:
        preview = services.campaign_preview(campaign=campaign, contact=contact)
    except services.CampaignValidationError as problem:
        error = problem
    choices = list(selectors.campaign_sample_audience(campaign=campaign)[:PREVIEW_CONTACT_CHOICES])
    chosen = preview["contact"] if preview else (contact.pk if contact else None)
    if chosen is not None and contact is not None and contact not in choices:
        choices.insert(0, contact)
    context = {
        "campaign": campaign,
        "preview": preview,
        "errors": error.errors if error else None,
        "choices": choices,
        "chosen": chosen,
    }
    return render(request, "communications/_preview.html", context)


@staff_required
@require_POST
def campaign_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Schedule, pause, resume or cancel through the service; a refused transition is a
    message on the campaign page."""
    campaign = _campaign(pk)
    service, done, _ = ACTIONS[action]
    try:
        campaign = service(campaign=campaign)
    except services.CampaignValidationError as error:
        messages.error(request, f"Could not {action} the campaign: {_errors_text(error)}")
    else:
        text = f"Campaign {done}."
        if campaign.next_occurrence_at and campaign.status == CampaignStatus.SCHEDULED:
            zone = timezone_or_none(campaign.recurrence_timezone) or dt.UTC
            moment = campaign.next_occurrence_at.astimezone(zone)
            text += f" Next sending: {moment:%Y-%m-%d %H:%M} {campaign.recurrence_timezone}."
        messages.success(request, text)
    return redirect("communications:campaign-detail", pk=campaign.pk)


@staff_required
@require_POST
def campaign_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a campaign that never produced a message; otherwise a message says to cancel."""
    campaign = _campaign(pk)
    try:
        services.campaign_delete(campaign=campaign)
    except services.CampaignValidationError as error:
        messages.error(request, f"Could not delete the campaign: {_errors_text(error)}")
        return redirect("communications:campaign-detail", pk=pk)
    messages.success(request, f"Campaign “{campaign.name}” deleted.")
    return redirect("communications:campaign-list")


@staff_required
@require_POST
def template_check(request: HttpRequest) -> HttpResponse:
    """Fragment for the editor: the problems of the subject or body template being typed
    (with their lines), checked as the save will check them. Writes nothing."""
    field = next((name for name in TEMPLATE_FIELDS if name in request.POST), None)
    if field is None:
        return HttpResponse("expected subject_template or body_template", status=400)
    source = request.POST[field]
    context = {"errors": template_errors(source) if source.strip() else [], "source": source}
    return render(request, "communications/_template_check.html", context)


@staff_required
@require_POST
def campaign_test_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: send one "[TEST]" e-mail to an address; the form again with the result."""
    campaign = _campaign(pk)
    form = TestSendForm(request.POST)
    context = {"campaign": campaign, "test_form": form}
    if not form.is_valid():
        return render(request, "communications/_test_send.html", context, status=400)
    contact = None
    if form.cleaned_data.get("contact"):
        contact = (
            Contact.objects.select_related("partner", "partner__tier")
            .filter(pk=form.cleaned_data["contact"])
            .first()
        )
    try:
        result = services.campaign_test_send(
            campaign=campaign, to_email=form.cleaned_data["to_email"], contact=contact
        )
    except services.CampaignValidationError as error:
        form.add_error(
            "to_email" if "to_email" in error.errors else None, _errors_text(error).capitalize()
        )
        return render(request, "communications/_test_send.html", context, status=400)
    except services.TestSendFailed as error:
        form.add_error(None, str(error))
        return render(request, "communications/_test_send.html", context, status=502)
    context["sent"] = result
    context["test_form"] = TestSendForm(initial={"to_email": result["to_email"]})
    return render(request, "communications/_test_send.html", context)


# ---------------------------------------------------------------------------------------
# The partner page's panel
# ---------------------------------------------------------------------------------------


@staff_required
@require_GET
def partner_panel(request: HttpRequest, partner_pk: int) -> HttpResponse:
    """Fragment for the partner page: the latest messages its contacts received."""
    partner = get_object_or_404(Partner.objects.only("id", "name"), pk=partner_pk)
    latest = list(selectors.partner_messages(partner_id=partner.pk)[:PANEL_MESSAGES])
    context = {
        "partner": partner,
        "messages_received": latest,
        "campaigns_url": reverse("communications:campaign-list"),
    }
    return render(request, "communications/_partner_panel.html", context)
