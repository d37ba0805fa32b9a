"""The partner list (filters, search, sorting, export), the partner page and its edit forms."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django_countries import countries

from audit.selectors import history_page_rows, object_history
from partners import exports, selectors, services
from partners.access import StaffRequiredMixin
from partners.forms import PartnerForm
from partners.models import (
    Certification,
    Industry,
    LifecycleStage,
    Partner,
    PartnerType,
    Region,
    Technology,
    Tier,
)
from partners.panels import partner_panels
from partners.tiers.selectors import tier_progress
from partners.views import listing

# Column label, the API ordering it sorts by (None: not sortable), first click descending?
COLUMNS = (
    ("Partner", "name", False),
    ("Type", "partner_type", False),
    ("Tier", "tier__rank", True),
    ("Region", "region", False),
    ("Stage", "lifecycle_stage", False),
    ("Revenue 12m", "revenue_12m", True),
    ("Engagement", "engagement_score", True),
)
# The other orderings the API allows, offered in the "Sort" menu.
MORE_ORDERINGS = (
    ("Deals won, last 12 months", "deals_won_12m", True),
    ("Annual revenue", "annual_revenue", True),
    ("Employees", "employee_count", True),
    ("Tech savviness", "tech_savviness", True),
    ("Joined", "joined_at", True),
    ("Last activity", "last_activity_at", True),
    ("Recently updated", "updated_at", True),
    ("Recently created", "created_at", True),
    ("External ID", "external_id", False),
    ("Country", "country", False),
)
FILTER_LABELS = {
    "search": "Search",
    "tier": "Tier",
    "partner_type": "Type",
    "region": "Region",
    "country": "Country",
    "lifecycle_stage": "Stage",
    "industries": "Industry",
    "technologies": "Technology",
    "certifications": "Certification",
    "attributes": "Attribute",
    "has_tier": "Has a tier",
    "has_certification": "Has an active certification",
    "name": "Name contains",
    "external_id": "External ID",
    "tier_rank_min": "Tier rank ≥",
    "tier_rank_max": "Tier rank ≤",
}
REQUIREMENT_LABELS = {
    "min_revenue_12m": "Revenue 12m",
    "min_deals_won_12m": "Deals won 12m",
    "min_active_certifications": "Active certifications",
    "min_enablement_completion_pct": "Enablement %",
}
# Short names of partner types for the list's narrow column (the full name is the tooltip).
TYPE_SHORT = {
    PartnerType.VAR: "VAR",
    PartnerType.MSP: "MSP",
    PartnerType.ISV: "ISV",
    PartnerType.SI: "SI",
}


def _filter_options() -> dict[str, list[tuple[str, str]]]:
    """The choices of the multi-value filters (tiers and tags from their small tables)."""
    return {
        "tier": list(Tier.objects.order_by("rank").values_list("slug", "name")),
        "partner_type": list(PartnerType.choices),
        "lifecycle_stage": list(LifecycleStage.choices),
        "region": list(Region.choices),
        "country": [(code, name) for code, name in countries],
        "industries": list(Industry.objects.order_by("name").values_list("slug", "name")),
        "technologies": list(Technology.objects.order_by("name").values_list("slug", "name")),
        "certifications": list(Certification.objects.order_by("name").values_list("slug", "name")),
    }


def _columns(ordering: list[str]) -> list[dict]:
    current = ordering[0] if ordering else ""
    columns = []
    for label, field, descending_first in COLUMNS:
        column = {"label": label, "field": field, "direction": None, "next": None}
        if field:
            if current == field:
                column["direction"], column["next"] = "asc", f"-{field}"
            elif current == f"-{field}":
                column["direction"], column["next"] = "desc", field
            else:
                column["next"] = f"-{field}" if descending_first else field
        columns.append(column)
    return columns


def _sort_menu(ordering: list[str]) -> list[dict]:
    """One entry per ordering; the active one links to the other direction."""
    current = ordering[0] if ordering else ""
    menu = []
    for label, field, descending_first in MORE_ORDERINGS:
        first = f"-{field}" if descending_first else field
        other = field if descending_first else f"-{field}"
        active = current in (first, other)
        menu.append(
            {
                "label": label,
                "ordering": other if current == first else first,
                "active": active,
                "direction": ("desc" if current.startswith("-") else "asc") if active else None,
            }
        )
    return menu


def _render_list(request: HttpRequest, query: listing.PartnerListQuery) -> HttpResponse:
    options = _filter_options()
    context = {
        "nav": "partners",
        "query": query,
        "columns": _columns(query.ordering),
        "sort_menu": _sort_menu(query.ordering),
        "sidebar": listing.filter_sidebar(request, options=options, errors=query.errors),
        "options": options,
        "chips": listing.active_filter_chips(request, labels=FILTER_LABELS, options=options),
        "search": request.GET.get("search", ""),
        "export_query": request.GET.copy(),
    }
    context["export_query"].pop("page", None)
    if not query.is_valid:
        return render(request, "partners/partner_list.html", context, status=400)
    number = listing.page_number(request.GET.get("page"))
    rows = selectors.partner_list_rows(query.queryset)
    context["page_obj"] = listing.count_free_page(queryset=rows, number=number)
    for partner in context["page_obj"]:
        partner.type_short = (
            TYPE_SHORT.get(partner.partner_type) or partner.get_partner_type_display()
        )
        partner.shown_industries = partner.industry_list[:2]
        partner.shown_technologies = partner.technology_list[:1]
    context["total"] = listing.partner_list_total(
        queryset=query.queryset, is_filtered=query.is_filtered
    )
    return render(request, "partners/partner_list.html", context)


class PartnerListView(StaffRequiredMixin, View):
    """Every partner, filtered, searched and sorted as the API does, a page at a time."""

    def get(self, request: HttpRequest) -> HttpResponse:
        clean = listing.without_empty_values(request.GET)
        if clean is not None:
            # The filter form's blank fields (static/js/partner_list.js drops them first):
            # the list lives at its clean URL, so every link built from it stays clean.
            return redirect(f"{request.path}?{clean.urlencode()}" if clean else request.path)
        return _render_list(request, listing.partner_list_query(request))


class PartnerExportView(StaffRequiredMixin, View):
    """The list with the current filters, search and ordering, as CSV or XLSX."""

    def get(self, request: HttpRequest) -> HttpResponse:
        query = listing.partner_list_query(request)
        file_format = request.GET.get("file_format", "csv")
        if file_format not in exports.FORMATS:
            return HttpResponse(
                f"file_format must be one of {', '.join(exports.FORMATS)}.",
                status=400,
                content_type="text/plain",
            )
        if not query.is_valid:
            return _render_list(request, query)
        return exports.partners_export_response(queryset=query.queryset, file_format=file_format)


def _get_partner(pk: int) -> Partner:
    try:
        return selectors.partner_get(partner_id=pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner.") from None


def _requirement_rows(progress: dict) -> list[dict]:
    rows = []
    for check in progress["requirements"]:
        required, actual = check["required"], check["actual"]
        if check["met"]:
            share = 100.0
        elif actual is None or float(required) <= 0:
            share = 0.0
        else:
            share = max(min(float(actual) / float(required) * 100, 100.0), 0.0)
        rows.append(
            {
                **check,
                "label": REQUIREMENT_LABELS.get(check["requirement"], check["requirement"]),
                "is_money": check["requirement"] == "min_revenue_12m",
                "share": round(share),
            }
        )
    return rows


def _performance_chart(records) -> dict:
    return {
        "type": "bar",
        # Revenue axis and tooltips in money (PRM_CURRENCY, the reader's locale): app.js.
        "formats": {"y": "money"},
        "data": {
            "labels": [f"{record.month:%b %Y}" for record in records],
            "datasets": [
                {
                    "label": "Revenue",
                    "data": [float(record.revenue) for record in records],
                    "backgroundColor": "rgba(13, 110, 253, 0.6)",
                    "yAxisID": "y",
                },
                {
                    "type": "line",
                    "label": "Deals won",
                    "data": [record.deals_won for record in records],
                    "borderColor": "#198754",
                    "backgroundColor": "#198754",
                    "yAxisID": "y1",
                    "tension": 0.3,
                },
            ],
        },
        "options": {
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {
                "y": {"beginAtZero": True, "title": {"display": True, "text": "Revenue"}},
                "y1": {
                    "beginAtZero": True,
                    "position": "right",
                    "grid": {"drawOnChartArea": False},
                    "title": {"display": True, "text": "Deals won"},
                },
            },
        },
    }


class PartnerDetailView(StaffRequiredMixin, View):
    """A partner's page: profile, contacts, tier progress, performance, certifications and the
    panels other apps contribute (loaded with htmx)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        progress = tier_progress(partner=partner)
        performance = selectors.partner_performance_summary(partner_id=partner.pk)
        pending = progress["pending_change"]
        context = {
            "nav": "partners",
            "partner": partner,
            "contacts": selectors.partner_contacts(partner_id=partner.pk),
            "progress": progress,
            # tier_progress names the pending change's tier by slug; the page says its name
            "pending_tier_name": (
                Tier.objects.filter(slug=pending["to_tier"]).values_list("name", flat=True).first()
                if pending and pending["to_tier"]
                else None
            ),
            "requirements": _requirement_rows(progress),
            "performance": performance,
            "performance_chart": _performance_chart(performance["records"]),
            "panels": partner_panels(),
        }
        return render(request, "partners/partner_detail.html", context)


HISTORY_PAGE_SIZE = 20


class PartnerHistoryView(StaffRequiredMixin, View):
    """The partner page's History card (fragment): who changed the partner, when and what —
    a manager, an API client, or a named system job (imports, roll-ups, tier evaluation)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        history = object_history(model=Partner, object_id=partner.pk)
        page = Paginator(history, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page_obj": page,
            "rows": history_page_rows(page=page, model=Partner),
            "history_url": reverse("partners:history", args=[partner.pk]),
        }
        return render(request, "audit/_history_panel.html", context)


def add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: per field where the form has that field."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


class PartnerCreateView(StaffRequiredMixin, View):
    template_name = "partners/partner_form.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, PartnerForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PartnerForm(request.POST)
        if form.is_valid():
            try:
                partner = services.partner_create(data=form.service_data())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Partner “{partner.name}” created.")
                return redirect("partners:detail", pk=partner.pk)
        return self._render(request, form, status=400)

    def _render(self, request, form, status=200):
        context = {"nav": "partners", "form": form, "partner": None}
        return render(request, self.template_name, context, status=status)


class PartnerUpdateView(StaffRequiredMixin, View):
    template_name = "partners/partner_form.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        return self._render(request, PartnerForm(instance=partner), partner)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        form = PartnerForm(request.POST, instance=partner)
        if form.is_valid():
            try:
                services.partner_update(partner=partner, data=form.service_data())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Partner profile saved.")
                return redirect("partners:detail", pk=partner.pk)
        # The form wrote the posted values onto the instance: show the saved name.
        partner = _get_partner(pk)
        return self._render(request, form, partner, status=400)

    def _render(self, request, form, partner, status=200):
        context = {"nav": "partners", "form": form, "partner": partner}
        return render(request, self.template_name, context, status=status)


class PartnerDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST deletes the partner with its contacts and records."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        context = {
            "nav": "partners",
            "partner": partner,
            "object_label": partner.name,
            "what": "partner",
            "consequences": [
                f"{partner.contacts.count()} contact(s) and their portal links",
                "its certifications, performance records and tier history",
                "what the segments, enablement and campaigns keep about it",
            ],
            "cancel_url": reverse("partners:detail", args=[partner.pk]),
        }
        return render(request, "partners/confirm_delete.html", context)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        partner = _get_partner(pk)
        name = partner.name
        try:
            services.partner_delete(partner=partner)
        except ProtectedError:
            messages.error(
                request,
                f"“{name}” cannot be deleted: other records still refer to it. Set its "
                "lifecycle stage to churned instead.",
            )
            return redirect("partners:detail", pk=pk)
        messages.success(request, f"Partner “{name}” deleted.")
        return redirect("partners:list")
