"""The registrations' API filters: the same as the manager's list page (deals.forms), answered
by the same selector (deals.selectors.deal_list), so the page, its CSV and the API agree."""

from __future__ import annotations

import django_filters as filters

from deals import selectors
from deals.forms import ORDERING_LABELS, SEARCH_MAX_LENGTH, CurrencyField
from deals.models import DealRegistration, DealStatus


class CurrencyFilter(filters.CharFilter):
    field_class = CurrencyField


class DealFilterSet(filters.FilterSet):
    search = filters.CharFilter(
        max_length=SEARCH_MAX_LENGTH,
        label="Words in the opportunity, the customer's name or domain, or the partner's name",
    )
    status = filters.ChoiceFilter(
        choices=[("open", "Open (submitted or approved)"), *DealStatus.choices], label="State"
    )
    partner = filters.NumberFilter(min_value=1, label="Partner id")
    tier = filters.CharFilter(max_length=64, label="Partner tier slug; none = no tier")
    segment = filters.CharFilter(max_length=64, label="Registrations of this segment's members")
    currency = CurrencyFilter(label="ISO 4217 currency")
    has_conflict = filters.BooleanFilter(label="Flagged against another partner's registration")
    is_overdue = filters.BooleanFilter(label="Submitted and past its review time")
    closes_after = filters.DateFilter(label="Expected close on or after")
    closes_before = filters.DateFilter(label="Expected close on or before")
    amount_min = filters.NumberFilter(min_value=0, label="Amount at least")
    amount_max = filters.NumberFilter(min_value=0, label="Amount at most")
    ordering = filters.ChoiceFilter(choices=list(ORDERING_LABELS.items()), label="Order")

    class Meta:
        model = DealRegistration
        fields: list[str] = []

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        return selectors.deal_list(
            queryset=queryset,
            filters=selectors.DealListFilters(
                search=data.get("search") or "",
                status=data.get("status") or "",
                partner_id=int(data["partner"]) if data.get("partner") else None,
                tier=data.get("tier") or "",
                segment=data.get("segment") or "",
                currency=data.get("currency") or "",
                has_conflict=data.get("has_conflict"),
                is_overdue=data.get("is_overdue"),
                closes_after=data.get("closes_after"),
                closes_before=data.get("closes_before"),
                amount_min=data.get("amount_min"),
                amount_max=data.get("amount_max"),
                ordering=data.get("ordering") or "-created_at",
            ),
        )
