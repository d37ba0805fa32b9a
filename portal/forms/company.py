"""Forms of the company pages: the profile a partner keeps accurate and its contacts. They
check shape; partners.onboarding / partners.services own the rules (and their errors are put
back on these fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from partners.forms import CONTACT_PROFILE_FIELDS, SlugListField, TagSlugsField
from partners.models import Contact, Industry, Partner, Technology


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on its fields where they exist."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


class CompanyProfileForm(forms.ModelForm):
    """The self-service part of the profile: no tier, stage, ids or revenue figures."""

    website = forms.URLField(
        required=False,
        assume_scheme="https",
        label="Website",
        help_text="Your company's public website, e.g. https://example.com.",
    )
    industries = TagSlugsField(
        model=Industry,
        label="Industries you serve",
        help_text="The verticals your customers are in.",
    )
    technologies = TagSlugsField(
        model=Technology,
        label="Technologies you work with",
        help_text="The platforms and products your team sells, implements or supports.",
    )

    class Meta:
        model = Partner
        fields = ["name", "partner_type", "employee_count", "region", "country"]
        labels = {
            "name": "Company name",
            "partner_type": "Partner type",
            "employee_count": "Employees",
            "region": "Region",
            "country": "Headquarters country",
        }
        help_texts = {"employee_count": "Roughly, across all your offices."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "—"), *self.fields["region"].choices[1:]]
        partner = self.instance
        self.initial.setdefault("industries", [tag.slug for tag in partner.industries.all()])
        self.initial.setdefault("technologies", [tag.slug for tag in partner.technologies.all()])
        self.initial.setdefault("website", (partner.attributes or {}).get("website", ""))

    def service_data(self) -> dict[str, Any]:
        """The cleaned profile as partners.services takes it (tags as slug lists)."""
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["industries"] = sorted(set(self.cleaned_data["industries"]))
        data["technologies"] = sorted(set(self.cleaned_data["technologies"]))
        return data


class ContactForm(forms.ModelForm):
    """A person at the company; the company and the login are never taken from the form."""

    interests = SlugListField(
        required=False,
        label="Interests",
        help_text="Comma-separated topics, e.g. cloud, security, data.",
    )
    is_partner_admin = forms.BooleanField(
        required=False,
        label="Partner admin: may edit the company profile and manage the team",
    )

    class Meta:
        model = Contact
        fields = list(CONTACT_PROFILE_FIELDS)
        labels = {
            "email": "E-mail",
            "job_title": "Job title",
            "language": "Preferred language",
            "email_opt_in": "Agrees to receive e-mail from the partner program",
        }
        help_texts = {"language": "A language code, e.g. en, de, fr."}

    def __init__(self, *args, can_set_admin: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if can_set_admin:
            self.initial.setdefault("is_partner_admin", self.instance.is_partner_admin)
        else:
            del self.fields["is_partner_admin"]

    def _post_clean(self) -> None:
        # Uniqueness and model rules are the service's (contact_create/update) to check; the
        # form must not write the posted values onto the contact the view still holds.
        pass

    def service_data(self) -> dict[str, Any]:
        """The cleaned contact fields as partners.services takes them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
