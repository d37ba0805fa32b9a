"""Forms of the channel manager's partner pages. They check shape; the services own the rules."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from partners.models import Certification, Contact, Industry, Partner, Technology

SLUG_RE = re.compile(r"^[-a-z0-9_]{1,64}$")


class TagSlugsField(forms.MultipleChoiceField):
    """Slugs of a tag table (industries, technologies, certifications), as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, model, **kwargs):
        self.model = model
        kwargs.setdefault("required", False)
        super().__init__(choices=self._choices_from_table, **kwargs)

    def _choices_from_table(self):
        return list(self.model.objects.order_by("name").values_list("slug", "name"))


class SlugListField(forms.CharField):
    """Comma- or semicolon-separated lower-case slugs → a sorted list without duplicates."""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value) or ""
        slugs = sorted({part.strip().lower() for part in re.split(r"[,;]", text)} - {""})
        invalid = [slug for slug in slugs if not SLUG_RE.match(slug)]
        if invalid:
            raise ValidationError(
                "Not a slug (letters, digits, - and _ only): %(slugs)s",
                params={"slugs": ", ".join(invalid)},
                code="invalid_slug",
            )
        return slugs

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value or ""


class AttributesField(forms.CharField):
    """Custom attributes as `key: value` lines; a value that reads as JSON (number, true, a
    list, a "quoted" text) is stored as that, anything else as text."""

    widget = forms.Textarea(attrs={"rows": 4, "class": "font-monospace"})

    def to_python(self, value: Any) -> dict[str, Any]:
        text = super().to_python(value) or ""
        result: dict[str, Any] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, raw = line.partition(":")
            key, raw = key.strip(), raw.strip()
            if not separator or not key:
                raise ValidationError(
                    "Line %(number)s: expected key: value.",
                    params={"number": number},
                    code="invalid_line",
                )
            if key in result:
                raise ValidationError(
                    "Line %(number)s: the key %(key)s appears twice.",
                    params={"number": number, "key": key},
                    code="duplicate_key",
                )
            try:
                result[key] = json.loads(raw)
            except ValueError:
                result[key] = raw
        return result

    def prepare_value(self, value: Any) -> str:
        if not isinstance(value, dict):
            return value or ""
        lines = []
        for key, item in value.items():
            if isinstance(item, str) and not _reads_as_json(item):
                lines.append(f"{key}: {item}")
            else:
                lines.append(f"{key}: {json.dumps(item)}")
        return "\n".join(lines)


def _reads_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class PartnerForm(forms.ModelForm):
    """A partner's profile; tags and certifications as slugs for partners.services."""

    industries = TagSlugsField(model=Industry, label="Industries (verticals)")
    technologies = TagSlugsField(model=Technology, label="Technologies (horizontals)")
    new_industries = SlugListField(
        required=False,
        label="New industries",
        help_text="Comma-separated slugs of industries not in the list (created on save).",
    )
    new_technologies = SlugListField(
        required=False,
        label="New technologies",
        help_text="Comma-separated slugs of technologies not in the list (created on save).",
    )
    certifications = TagSlugsField(
        model=Certification,
        label="Certifications",
        help_text="Certifications the partner holds. One you add is earned today and expires "
        "after the certification's validity; one you keep keeps its dates.",
    )
    attributes = AttributesField(
        required=False,
        label="Custom attributes",
        help_text="One <code>key: value</code> per line, e.g. <code>crm_owner: Jane</code> or "
        "<code>partner_since_year: 2019</code>.",
    )

    class Meta:
        model = Partner
        fields = [
            "name",
            "external_id",
            "partner_type",
            "tier",
            "lifecycle_stage",
            "region",
            "country",
            "employee_count",
            "annual_revenue",
            "joined_at",
            "tech_savviness",
            "revenue_12m",
            "deals_won_12m",
        ]
        widgets = {"joined_at": forms.DateInput(attrs={"type": "date"})}
        labels = {
            "partner_type": "Type",
            "external_id": "External ID",
            "joined_at": "Joined",
            "revenue_12m": "Revenue, last 12 months",
            "deals_won_12m": "Deals won, last 12 months",
            "tech_savviness": "Tech savviness (1-5)",
        }
        help_texts = {
            "revenue_12m": "The ERP figure; performance records replace it when they change.",
        }

    # The fields the services take, in the order they are shown.
    SERVICE_FIELDS = (*Meta.fields, "attributes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].empty_label = "No tier"
        self.fields["region"].choices = [("", "—"), *self.fields["region"].choices[1:]]
        partner = self.instance
        if partner.pk:
            self.initial.setdefault("industries", [tag.slug for tag in partner.industries.all()])
            self.initial.setdefault(
                "technologies", [tag.slug for tag in partner.technologies.all()]
            )
            self.initial.setdefault(
                "certifications",
                list(partner.certifications.values_list("certification__slug", flat=True)),
            )
            self.initial.setdefault("attributes", partner.attributes)

    def clean_attributes(self) -> dict[str, Any]:
        return self.cleaned_data.get("attributes") or {}

    def service_data(self) -> dict[str, Any]:
        """The cleaned values as partners.services takes them (tags as slug lists). Certifications
        are left out when unchanged, so that saving a profile never touches their dates."""
        data = {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}
        for name in ("industries", "technologies"):
            data[name] = sorted(
                set(self.cleaned_data[name]) | set(self.cleaned_data[f"new_{name}"])
            )
        certifications = sorted(set(self.cleaned_data["certifications"]))
        if not self.instance.pk or certifications != sorted(self.initial.get("certifications", [])):
            data["certifications"] = certifications
        return data


# A contact's own details, as the manager's and the partner portal's contact forms edit them.
CONTACT_PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "role",
    "job_title",
    "phone",
    "language",
    "interests",
    "email_opt_in",
)


class ContactForm(forms.ModelForm):
    """A person at a partner; the portal login is managed by the partner's own admins."""

    interests = SlugListField(
        required=False, help_text="Comma-separated topic slugs, e.g. cloud, security."
    )

    class Meta:
        model = Contact
        fields = [*CONTACT_PROFILE_FIELDS, "is_partner_admin"]
        labels = {
            "email_opt_in": "Agreed to receive e-mail (opt-in)",
            "is_partner_admin": "Partner admin in the partner portal",
        }

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ImportForm(forms.Form):
    """An import upload: what the file holds, the file, and whether to only validate it."""

    KIND_CHOICES = [("partners", "Partners"), ("contacts", "Contacts")]

    kind = forms.ChoiceField(
        choices=KIND_CHOICES, widget=forms.RadioSelect, initial="partners", label="The file holds"
    )
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="UTF-8 CSV or the first sheet of an .xlsx workbook; row 1 is the header.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Validate only (dry run): check every row and report, write nothing",
    )


class EcosystemFilterForm(forms.Form):
    """The ecosystem map's filters (a GET form): which partners count, and below how many
    partners a cell is a gap."""

    DEFAULT_THRESHOLD = 3

    region = forms.ChoiceField(required=False, label="Region")
    tier = forms.ModelChoiceField(
        queryset=None, to_field_name="slug", required=False, empty_label="All tiers"
    )
    partner_type = forms.ChoiceField(required=False, label="Partner type")
    threshold = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        initial=DEFAULT_THRESHOLD,
        required=False,
        label="Gap below",
    )

    def __init__(self, *args, **kwargs):
        from partners.models import PartnerType, Region, Tier

        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "All regions"), *Region.choices]
        self.fields["partner_type"].choices = [("", "All types"), *PartnerType.choices]
        self.fields["tier"].queryset = Tier.objects.order_by("rank")

    def filters(self) -> dict:
        """The cleaned filters, as ecosystem_matrix and the partner list take them."""
        data = self.cleaned_data
        return {
            "region": data.get("region") or None,
            "tier": data["tier"].slug if data.get("tier") else None,
            "partner_type": data.get("partner_type") or None,
        }

    def gap_threshold(self) -> int:
        return self.cleaned_data.get("threshold") or self.DEFAULT_THRESHOLD
