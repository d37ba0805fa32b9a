"""The public "become a partner" form. It checks shape; partners.onboarding checks that the
company and the e-mail address are new."""

from __future__ import annotations

from typing import Any

from django import forms
from django_countries import countries

from partners.forms import TagSlugsField
from partners.models import ContactRole, Industry, PartnerType, Region, Technology


class ApplicationForm(forms.Form):
    # The company
    name = forms.CharField(max_length=255, label="Company name")
    partner_type = forms.ChoiceField(
        choices=[("", "Choose…"), *PartnerType.choices], label="How you work with customers"
    )
    website = forms.URLField(required=False, assume_scheme="https", label="Website")
    region = forms.ChoiceField(
        choices=[("", "Choose…"), *Region.choices], required=False, label="Region"
    )
    country = forms.ChoiceField(required=False, label="Headquarters country")
    employee_count = forms.IntegerField(
        required=False, min_value=1, max_value=10_000_000, label="Employees"
    )
    industries = TagSlugsField(model=Industry, label="Industries you serve")
    technologies = TagSlugsField(model=Technology, label="Technologies you work with")
    message = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Tell us about your business",
        help_text="Your customers, your team and what you would like to build with us.",
    )
    # The person applying (the company's first partner admin)
    first_name = forms.CharField(max_length=100, label="First name")
    last_name = forms.CharField(max_length=100, label="Last name")
    email = forms.EmailField(max_length=254, label="Work e-mail")
    job_title = forms.CharField(max_length=120, required=False, label="Job title")
    phone = forms.CharField(max_length=40, required=False, label="Phone")
    role = forms.ChoiceField(choices=[("", "Choose…"), *ContactRole.choices], label="Your role")
    # Consent
    accept_terms = forms.BooleanField(
        label="I agree to the partner program terms and to the processing of these details "
        "to review the application.",
        error_messages={"required": "Please accept the terms to apply."},
    )
    email_opt_in = forms.BooleanField(
        required=False, label="Send me partner program news by e-mail (you can opt out anytime)."
    )
    # A honeypot: hidden from people (and from screen readers), filled in by form-filling bots.
    fax_number = forms.CharField(required=False, max_length=200, label="Fax number")

    COMPANY_FIELDS = (
        "name",
        "partner_type",
        "website",
        "region",
        "country",
        "employee_count",
        "industries",
        "technologies",
        "message",
    )
    CONTACT_FIELDS = ("first_name", "last_name", "email", "job_title", "phone", "role")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "Choose…"), *countries]

    def is_from_a_bot(self) -> bool:
        return bool(self.cleaned_data.get("fax_number"))

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned values as partners.onboarding.partner_application_submit takes them."""
        data = self.cleaned_data
        return {
            **{name: data[name] for name in (*self.COMPANY_FIELDS, *self.CONTACT_FIELDS)},
            "region": data["region"] or None,
            "country": data["country"] or None,
            "email_opt_in": data["email_opt_in"],
        }


# Sent when a manager declines without a reason of their own.
DEFAULT_REJECT_REASON = "The program is not adding partners with your company's profile right now."


class RejectForm(forms.Form):
    """A manager's optional reason for declining an application (it is e-mailed to the
    applicant; without one the applicant gets DEFAULT_REJECT_REASON)."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason (optional, sent to the applicant)",
    )
