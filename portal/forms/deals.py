"""Forms of the portal's deal registration pages: the list's filters, the registration a
partner drafts, and the reasons and days of the actions on it. They check shape only;
deals.services owns the rules, and its errors are put back on these fields (the field names
are the service's keyword arguments, so a service error lands on its field)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django_countries import countries

from deals.forms import CurrencyField
from deals.models import DealRegistration, DealStatus
from deals.services.registrations import NOTES_MAX_LENGTH, REASON_MAX_LENGTH
from partners.forms import TagSlugsField
from partners.models import Technology

SEARCH_MAX_LENGTH = 200
# The fields of deal_create / deal_update a partner fills in (in the form's order).
DEAL_FIELDS = (
    "account_name",
    "account_domain",
    "account_country",
    "name",
    "technologies",
    "amount",
    "currency",
    "expected_close_date",
    "notes",
    "attachment",
)
# What a preview needs: the rest of the form may still be incomplete.
PREVIEW_FIELDS = ("amount", "currency")


class DealFilterForm(forms.Form):
    """The list's query string: ?status=&q= (a search on the opportunity and the customer)."""

    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, strip=True, label="Search")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *DealStatus.choices], label="Status"
    )

    @property
    def is_filtered(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


class DealForm(forms.Form):
    """A registration: the end customer, the opportunity, its money and close date."""

    account_name = forms.CharField(
        max_length=200,
        label="Customer name",
        help_text="The end customer's company, e.g. Acme GmbH.",
    )
    account_domain = forms.CharField(
        required=False,
        max_length=253,
        label="Customer web domain",
        help_text="e.g. acme.com: how a customer is recognised across registrations.",
    )
    account_country = forms.ChoiceField(required=False, label="Customer country")
    name = forms.CharField(
        max_length=200, label="Opportunity", help_text="What you are selling, in a few words."
    )
    technologies = TagSlugsField(model=Technology, label="Products")
    amount = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_digits=15,
        decimal_places=2,
        label="Amount",
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01"}),
    )
    currency = CurrencyField(label="Currency", help_text="ISO 4217, e.g. EUR or USD.")
    expected_close_date = forms.DateField(
        label="Expected close date", widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        required=False,
        max_length=NOTES_MAX_LENGTH,
        label="Notes for the channel team",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachment = forms.FileField(
        required=False,
        label="Attachment",
        help_text="Optional: a quote or RFP (PDF, Office, image, text or zip).",
    )

    def __init__(self, *args: Any, deal: DealRegistration | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deal = deal
        self.fields["account_country"].choices = [("", "—"), *countries]
        if deal is not None:
            self.initial.update(self.initial_for(deal))
            self.fields["attachment"].help_text = (
                f"Leave empty to keep {deal.attachment.name.rsplit('/', 1)[-1]}."
                if deal.attachment
                else self.fields["attachment"].help_text
            )
        else:
            self.initial.setdefault("currency", settings.PRM_CURRENCY)

    @staticmethod
    def initial_for(deal: DealRegistration) -> dict[str, Any]:
        return {
            "account_name": deal.account.name,
            "account_domain": deal.account.domain,
            "account_country": deal.account.country.code if deal.account.country else "",
            "name": deal.name,
            "technologies": [tag.slug for tag in deal.technologies.all()],
            "amount": deal.amount,
            "currency": deal.currency,
            "expected_close_date": deal.expected_close_date,
            "notes": deal.notes,
        }

    def preview_values(self) -> tuple[Decimal, str] | None:
        """The amount and currency to price, once both are valid (call after is_valid())."""
        data = getattr(self, "cleaned_data", {})
        if data.get("amount") is None or not data.get("currency"):
            return None
        return data["amount"], data["currency"]

    def keep_preview_errors_only(self) -> None:
        """A preview asks for a price, not a finished form: only the errors of what it needs
        are shown, the rest stays as typed until the partner saves."""
        for name in list(self.errors):
            if name not in PREVIEW_FIELDS:
                del self.errors[name]

    def service_data(self) -> dict[str, Any]:
        """The cleaned registration as deal_create / deal_update take it. An empty file input
        on the edit page keeps the file the draft has."""
        data = {name: self.cleaned_data[name] for name in DEAL_FIELDS}
        data["account_country"] = data["account_country"] or None
        data["technologies"] = sorted(set(data["technologies"]))
        if self.deal is not None and not data["attachment"]:
            del data["attachment"]
        return data


class DealReasonForm(forms.Form):
    """The optional reason of a partner's action (withdraw, won, lost)."""

    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        strip=True,
        label="Reason (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DealExtensionForm(forms.Form):
    """A request for more protection: how many days and why (once per registration)."""

    days = forms.IntegerField(
        min_value=1,
        label="Extra days of protection",
        widget=forms.NumberInput(attrs={"min": "1"}),
    )
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        strip=True,
        label="Why the deal needs longer",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why: the channel team decides on it."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        maximum = settings.PRM_DEAL_EXTENSION_MAX_DAYS
        # The service refuses more than the maximum (its error lands on this field); the
        # browser is told it too.
        self.fields["days"].widget.attrs["max"] = str(maximum)
        self.fields["days"].help_text = f"Up to {maximum} days."
