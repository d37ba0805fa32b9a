"""Forms of the segment pages: the builder, static membership, overlap choice and list filters.

The forms check shape only (JSON, sizes, required fields); the rule itself is checked by the
services (segments.rules via segment_create / segment_update)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from segments.models import Segment, SegmentKind

REFRESH_HELP = "How often the rule is re-evaluated on schedule; partner changes apply sooner."
MAX_EXTERNAL_IDS = 10_000
OVERLAP_LIMITS = (5, 8, 12, 16, 20, 30)


def parse_rule_json(text: str) -> tuple[Any, list[dict[str, str]]]:
    """(rule, errors) for the rule JSON a form or the builder posts; errors in the rule
    checker's {path, message} shape."""
    text = (text or "").strip()
    if not text:
        return None, [{"path": "", "message": "a dynamic segment needs a rule"}]
    if len(text.encode()) > settings.PRM_SEGMENT_MAX_RULE_BYTES:
        limit = settings.PRM_SEGMENT_MAX_RULE_BYTES
        return None, [{"path": "", "message": f"the rule is larger than {limit} bytes"}]
    try:
        return json.loads(text), []
    except ValueError as error:
        return None, [{"path": "", "message": f"the rule is not valid JSON: {error}"}]


class SegmentForm(forms.Form):
    """Name, objective and settings of a segment, and its rule as JSON (kept by the builder)."""

    name = forms.CharField(max_length=200)
    objective = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this segment exists: the campaign, programme or decision it serves.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Optional: how the rule was chosen, who to ask, anything else worth knowing.",
    )
    kind = forms.ChoiceField(
        choices=SegmentKind.choices,
        initial=SegmentKind.DYNAMIC,
        widget=forms.RadioSelect,
        help_text="Dynamic segments follow a rule; static ones hold partners you add by hand.",
    )
    refresh_interval_minutes = forms.IntegerField(
        min_value=1,
        max_value=60 * 24 * 30,
        initial=60,
        label="Refresh every (minutes)",
        help_text=REFRESH_HELP,
    )
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active (evaluated on schedule and on changes)"
    )
    rule = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rule_errors: list[dict[str, str]] = []

    @classmethod
    def initial_for(cls, segment: Segment) -> dict[str, Any]:
        return {
            "name": segment.name,
            "objective": segment.objective,
            "description": segment.description,
            "kind": segment.kind,
            "refresh_interval_minutes": segment.refresh_interval_minutes,
            "is_active": segment.is_active,
            "rule": json.dumps(segment.rule) if segment.rule is not None else "",
        }

    def clean_objective(self) -> str:
        objective = self.cleaned_data["objective"].strip()
        if not objective:
            raise forms.ValidationError("Say what this segment is for.")
        return objective

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") == SegmentKind.STATIC:
            cleaned["rule"] = None
            return cleaned
        rule, errors = parse_rule_json(cleaned.get("rule", ""))
        if errors:
            self.add_rule_errors(errors)
        cleaned["rule"] = rule
        return cleaned

    def add_rule_errors(self, errors: list[dict[str, str]]) -> None:
        """Rule errors from the checker: kept with their paths for the builder, and summed
        up on the rule field."""
        self.rule_errors.extend(errors)
        count = len(errors)
        if count == 1 and not errors[0]["path"]:
            self.add_error("rule", errors[0]["message"])
        else:
            self.add_error(
                "rule",
                f"The rule has {count} problem{'s' if count != 1 else ''}; "
                "each is shown next to its condition.",
            )

    def service_data(self) -> dict[str, Any]:
        return {key: self.cleaned_data[key] for key in self.fields}


class StaticMembersForm(forms.Form):
    """Partners for a static segment, by external_id: typed or pasted, or a CSV file."""

    ADD, REMOVE, REPLACE = "add", "remove", "replace"

    action = forms.ChoiceField(
        choices=[
            (ADD, "Add these partners"),
            (REMOVE, "Remove these partners"),
            (REPLACE, "Make these exactly the members"),
        ],
        initial=ADD,
    )
    external_ids = forms.CharField(
        required=False,
        label="External IDs",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "EXT-0000001\nEXT-0000002"}),
        help_text="One per line, or separated by commas or spaces.",
    )
    file = forms.FileField(
        required=False,
        label="…or a CSV file",
        help_text="With an external_id column (or the IDs in the first column).",
    )

    def clean_file(self) -> list[str]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        try:
            text = upload.read().decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error) as error:
            raise forms.ValidationError(f"Not a readable UTF-8 CSV file: {error}") from error
        if not rows:
            raise forms.ValidationError("The file is empty.")
        header = [cell.strip().lower() for cell in rows[0]]
        column = header.index("external_id") if "external_id" in header else 0
        body = rows[1:] if "external_id" in header else rows
        return [row[column].strip() for row in body if len(row) > column and row[column].strip()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        typed = (cleaned.get("external_ids") or "").replace(",", " ").split()
        ids = list(dict.fromkeys([*typed, *(cleaned.get("file") or [])]))
        if not ids and not self.errors:
            raise forms.ValidationError("Give at least one external ID, or a CSV file.")
        if len(ids) > MAX_EXTERNAL_IDS:
            raise forms.ValidationError(f"At most {MAX_EXTERNAL_IDS} partners at a time.")
        cleaned["ids"] = ids
        return cleaned


class OverlapForm(forms.Form):
    """Which segments the overlap heatmap compares: the N largest, or a chosen set."""

    limit = forms.TypedChoiceField(
        choices=[(n, f"{n} largest") for n in OVERLAP_LIMITS],
        coerce=int,
        required=False,
        initial=12,
        label="Show",
    )
    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        label="…or these segments",
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    def clean_segments(self):
        chosen = self.cleaned_data["segments"]
        if len(chosen) > max(OVERLAP_LIMITS):
            raise forms.ValidationError(f"Choose at most {max(OVERLAP_LIMITS)} segments.")
        return chosen


class SegmentSearchForm(forms.Form):
    """The list page's search box and sort order (filters come from SegmentFilterSet)."""

    SORTS = {
        "name": "Name",
        "-member_count": "Most members",
        "member_count": "Fewest members",
        "-last_evaluated_at": "Recently evaluated",
        "-created_at": "Newest",
    }

    q = forms.CharField(required=False, label="Search")
    sort = forms.ChoiceField(choices=list(SORTS.items()), required=False, label="Sort")


class AsOfForm(forms.Form):
    """The segment page's members as of a chosen day (empty: now)."""

    as_of = forms.DateField(
        required=False,
        label="Members as of",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}),
        error_messages={"invalid": "Enter a valid date (YYYY-MM-DD)."},
    )

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day is not None and day > timezone.localdate():
            raise forms.ValidationError("Choose today or a day in the past.")
        return day
