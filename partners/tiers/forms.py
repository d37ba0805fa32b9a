"""Forms of the manager's tier pages: a tier's requirements, and the what-if thresholds."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from partners.models import Certification, Tier
from partners.tiers.requirements import MAXIMUMS, REQUIREMENTS

REQUIREMENT_LABELS = {
    "min_revenue_12m": "Revenue, 12 months",
    "min_deals_won_12m": "Deals won, 12 months",
    "min_active_certifications": "Active certifications",
    "min_enablement_completion_pct": "Enablement completion %",
}


def _requirement_field(requirement: str, **kwargs: Any) -> forms.Field:
    """The form field of one requirement (empty = no requirement)."""
    common = {"required": False, "min_value": 0, **kwargs}
    if requirement == "min_revenue_12m":
        return forms.DecimalField(
            max_digits=16, decimal_places=2, max_value=Decimal(MAXIMUMS[requirement]), **common
        )
    if requirement == "min_enablement_completion_pct":
        return forms.FloatField(max_value=100, **common)
    return forms.IntegerField(max_value=int(MAXIMUMS[requirement]), **common)


class TierForm(forms.Form):
    """A tier's name, benefits and requirements; slug and rank stay as they are."""

    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    is_automatic = forms.BooleanField(
        required=False,
        label="Automatic: partners move in and out by the requirements",
        help_text="Otherwise only a manager assigns this tier, and the evaluation leaves its "
        "partners alone.",
    )
    min_revenue_12m = _requirement_field(
        "min_revenue_12m", label="Minimum revenue, last 12 months", help_text="Empty = none."
    )
    min_deals_won_12m = _requirement_field(
        "min_deals_won_12m", label="Minimum deals won, last 12 months", help_text="Empty = none."
    )
    min_active_certifications = _requirement_field(
        "min_active_certifications",
        label="Minimum active certifications",
        help_text="Empty = none.",
    )
    required_certifications = forms.ModelMultipleChoiceField(
        queryset=Certification.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        label="Certifications that count",
        help_text="Only these count toward the minimum; none selected = every certification.",
    )
    min_enablement_completion_pct = _requirement_field(
        "min_enablement_completion_pct",
        label="Minimum enablement completion (%)",
        help_text="Share of the partner's enrolments completed; empty = none.",
    )
    benefits = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One benefit per line.",
    )

    def __init__(self, *args: Any, instance: Tier, **kwargs: Any) -> None:
        self.instance = instance
        kwargs.setdefault(
            "initial",
            {
                "name": instance.name,
                "description": instance.description,
                "is_automatic": instance.is_automatic,
                **{requirement: getattr(instance, requirement) for requirement in REQUIREMENTS},
                "required_certifications": list(instance.required_certifications.all()),
                "benefits": "\n".join(instance.benefits),
            },
        )
        super().__init__(*args, **kwargs)

    def clean_benefits(self) -> list[str]:
        lines = (self.cleaned_data.get("benefits") or "").splitlines()
        return [line.strip() for line in lines if line.strip()]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["required_certifications"] = list(data["required_certifications"])
        return data


def what_if_field_name(slug: str, requirement: str) -> str:
    return f"{slug}__{requirement}"


class WhatIfForm(forms.Form):
    """One input per tier and requirement, filled with the current values: change any of
    them to see who would move (empty = no requirement)."""

    def __init__(self, *args: Any, tiers: list[Tier], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        self.rows = []
        for tier in tiers:
            cells = []
            for requirement in REQUIREMENTS:
                name = what_if_field_name(tier.slug, requirement)
                current = getattr(tier, requirement)
                self.fields[name] = _requirement_field(
                    requirement,
                    label=f"{tier.name}: {REQUIREMENT_LABELS[requirement]}",
                    initial=current,
                )
                cells.append({"name": name, "requirement": requirement, "current": current})
            self.rows.append({"tier": tier, "cells": cells})

    def bound_rows(self) -> list[dict[str, Any]]:
        """Rows of the table: the tier and, per requirement, its bound field, the current
        value and whether the proposal differs from it."""
        rows = []
        for row in self.rows:
            cells = []
            for cell in row["cells"]:
                field = self[cell["name"]]
                proposed = self.cleaned_data.get(cell["name"]) if self.is_bound else None
                changed = self.is_bound and not field.errors and proposed != cell["current"]
                cells.append({**cell, "field": field, "changed": changed})
            rows.append({"tier": row["tier"], "cells": cells})
        return rows

    def thresholds(self) -> dict[str, dict[str, Any]]:
        """{tier slug: {requirement: number or None}} for tiers_what_if."""
        result: dict[str, dict[str, Any]] = {}
        for tier in self.tiers:
            values = {}
            for requirement in REQUIREMENTS:
                value = self.cleaned_data.get(what_if_field_name(tier.slug, requirement))
                values[requirement] = float(value) if isinstance(value, Decimal) else value
            result[tier.slug] = values
        return result

    def add_threshold_errors(self, errors: list[dict[str, str]]) -> None:
        """Put the service's {path: "/slug/requirement", message} errors on their fields."""
        for error in errors:
            parts = error["path"].strip("/").split("/")
            name = what_if_field_name(*parts) if len(parts) == 2 else None
            self.add_error(name if name in self.fields else None, error["message"])
