"""Forms of the channel manager's deal pages: the list's filters, a decision's reason (and
what it needs), and an incentive rule. They check shape; the services own the transitions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from deals.models import DealStatus, IncentiveRule
from deals.selectors import LIST_ORDERINGS, DealListFilters
from deals.services.rules import RULE_FIELDS
from partners.models import Tier
from prm.formatting import is_currency
from segments.models import Segment

SEARCH_MAX_LENGTH = 200
REASON_MAX_LENGTH = 2_000
AMOUNT_MAX = Decimal("1000000000000")
YES_NO = [("", "Either"), ("yes", "Yes"), ("no", "No")]
ORDERING_LABELS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-amount": "Largest amount",
    "amount": "Smallest amount",
    "expected_close_date": "Closing soonest",
    "-expected_close_date": "Closing latest",
    "review_due_at": "Review due soonest",
    "partner": "Partner name",
}


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class CurrencyField(forms.CharField):
    """An ISO 4217 code, upper-cased: EUR, USD."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        code = (super().clean(value) or "").strip().upper()
        if code and (len(code) != 3 or not is_currency(code)):
            raise ValidationError(
                "%(code)s is not an ISO 4217 currency code, e.g. USD or EUR.",
                params={"code": code},
                code="currency",
            )
        return code


class DealFilterForm(forms.Form):
    """The deal list's query string: ?q=&status=&tier=&segment=&currency=&conflict=… ."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, label="Search", strip=True)
    status = forms.ChoiceField(required=False, label="Status")
    partner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    tier = forms.ChoiceField(required=False, label="Tier")
    segment = forms.ChoiceField(required=False, label="Segment")
    currency = CurrencyField(required=False, label="Currency")
    conflict = forms.ChoiceField(required=False, choices=YES_NO, label="In conflict")
    overdue = forms.ChoiceField(required=False, choices=YES_NO, label="Review overdue")
    closes_after = forms.DateField(
        required=False, label="Closes from", widget=forms.DateInput(attrs={"type": "date"})
    )
    closes_before = forms.DateField(
        required=False, label="Closes until", widget=forms.DateInput(attrs={"type": "date"})
    )
    amount_min = forms.DecimalField(
        required=False, min_value=0, max_value=AMOUNT_MAX, decimal_places=2, label="Amount from"
    )
    amount_max = forms.DecimalField(
        required=False, min_value=0, max_value=AMOUNT_MAX, decimal_places=2, label="Amount to"
    )
    ordering = forms.ChoiceField(
        required=False, label="Sort", choices=list(ORDERING_LABELS.items())
    )

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.fields["status"].choices = [
            ("", "Any status"),
            ("open", "Open (submitted or approved)"),
            *DealStatus.choices,
        ]
        self.fields["tier"].choices = [
            ("", "Any tier"),
            *Tier.objects.order_by("rank").values_list("slug", "name"),
            ("none", "No tier"),
        ]
        self.fields["segment"].choices = [
            ("", "Any segment"),
            *Segment.objects.filter(is_active=True).order_by("name").values_list("slug", "name"),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", "The upper amount is below the lower one.")
        after, before = data.get("closes_after"), data.get("closes_before")
        if after and before and after > before:
            self.add_error("closes_before", "This date is before the first one.")
        return data

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(
            self.data.get(name) for name in self.fields if name != "ordering"
        )

    def filters(self) -> DealListFilters:
        """The cleaned query as the selector's filters (call after is_valid())."""
        data = self.cleaned_data
        ordering = data.get("ordering") or "-created_at"
        return DealListFilters(
            search=data.get("q") or "",
            status=data.get("status") or "",
            partner_id=data.get("partner"),
            tier=data.get("tier") or "",
            segment=data.get("segment") or "",
            currency=data.get("currency") or "",
            has_conflict=_yes_no(data.get("conflict") or ""),
            is_overdue=_yes_no(data.get("overdue") or ""),
            closes_after=data.get("closes_after"),
            closes_before=data.get("closes_before"),
            amount_min=data.get("amount_min"),
            amount_max=data.get("amount_max"),
            ordering=ordering if ordering in LIST_ORDERINGS else "-created_at",
        )


class DealDecisionForm(forms.Form):
    """The reason of a decision on a registration (approve, reject, extension, won, lost);
    `reason_required` for the decisions the partner must be told the why of."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason",
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if reason_required:
            self.fields["reason"].error_messages["required"] = (
                "Give the reason: the partner is told it."
            )


class IncentiveRuleForm(forms.ModelForm):
    """An incentive rule: who it is for (segment, tier, or any), the deal size band in its
    currency, and what it gives."""

    currency = CurrencyField(help_text="The band's currency, e.g. EUR.")

    class Meta:
        model = IncentiveRule
        fields = list(RULE_FIELDS)
        labels = {
            "segment": "Segment (empty: any)",
            "tier": "Tier (empty: any)",
            "min_amount": "Band from (inclusive)",
            "max_amount": "Band to (exclusive)",
            "discount_pct": "Discount %",
            "rebate_pct": "Rebate %",
            "protection_days": "Protection (days)",
            "auto_approve_below": "Auto-approve below",
            "is_active": "Active",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.order_by("name")
        self.fields["tier"].queryset = Tier.objects.order_by("rank")
        self.fields["min_amount"].min_value = 0
        for name in ("min_amount", "max_amount", "auto_approve_below"):
            field = self.fields[name]
            field.max_value = AMOUNT_MAX
            field.validators.append(_below_max)
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("currency", settings.PRM_CURRENCY)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low is not None and low < 0:
            self.add_error("min_amount", "The band cannot start below 0.")
        if low is not None and high is not None and high <= low:
            self.add_error("max_amount", "The band must end above where it starts.")
        limit = data.get("auto_approve_below")
        if limit is not None and limit <= 0:
            self.add_error("auto_approve_below", "Leave it empty, or give an amount above 0.")
        return data


def _below_max(value: Decimal | None) -> None:
    if value is not None and value >= AMOUNT_MAX:
        raise ValidationError("At most 999,999,999,999.99.", code="max_value")
