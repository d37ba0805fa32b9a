"""Certification forms: the catalogue's filters, a catalogue entry and the filter of its
holders."""

from __future__ import annotations

from typing import Any

from django import forms

from partners.models import Certification


class CertificationFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)

    def filters(self) -> dict[str, str]:
        self.is_valid()
        return {"search": (getattr(self, "cleaned_data", {}).get("q") or "").strip()}


class CertificationForm(forms.Form):
    """A catalogue entry: name, how long an award stays valid, the skills it proves."""

    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=64,
        help_text="The key used by segment rules and imports (e.g. cloud-architect).",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    validity_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=36500,
        label="Valid for (days)",
        help_text="Empty = never expires.",
    )
    skills = forms.CharField(
        required=False,
        help_text="Comma-separated, e.g. Kubernetes, Networking, Security.",
    )

    def __init__(self, *args, instance: Certification | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "slug": instance.slug,
                    "description": instance.description,
                    "validity_days": instance.validity_days,
                    "skills": ", ".join(instance.skills),
                },
            )
        super().__init__(*args, **kwargs)

    def clean_skills(self) -> list[str]:
        text = self.cleaned_data.get("skills") or ""
        skills = [skill.strip() for skill in text.split(",")]
        return list(dict.fromkeys(skill for skill in skills if skill))

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CertificationHolderFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            ("", "All holders"),
            ("active", "Active"),
            ("expiring", "Expiring soon"),
            ("expired", "Expired"),
        ],
        required=False,
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        return {"state": getattr(self, "cleaned_data", {}).get("state") or ""}
