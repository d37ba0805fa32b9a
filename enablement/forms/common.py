"""What the enablement forms share: a service's errors put back onto the form, and the
audience fields (segments, minimum tier, roles) of content items and learning paths."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from partners.models import ContactRole, Tier
from segments.models import Segment


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: next to the field it names when the form
    has that field, else at the top of the form."""
    messages = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, texts in messages.items():
        target = field if field in form.fields else None
        for text in texts:
            if target is None and field not in (None, NON_FIELD_ERRORS):
                text = f"{field.replace('_', ' ').capitalize()}: {text}"
            form.add_error(target, text)


class AudienceFields(forms.Form):
    """Who may see an item or a path: any of the segments, at least the tier, any of the
    roles; an empty part means everyone."""

    segments = forms.ModelMultipleChoiceField(
        queryset=Segment.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="Members of any of these segments; none selected = every partner.",
    )
    min_tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"),
        required=False,
        label="Minimum tier",
        empty_label="Every tier",
        help_text="Partners of this tier or better.",
    )
    roles = forms.MultipleChoiceField(
        choices=ContactRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Contact roles",
        help_text="None ticked = every role.",
    )

    def audience_initial(self, instance: Any) -> dict[str, Any]:
        return {
            "segments": list(instance.segments.all()),
            "min_tier": instance.min_tier,
            "roles": list(instance.roles),
        }

    def audience_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "segments": list(data["segments"]),
            "min_tier": data["min_tier"],
            "roles": sorted(data["roles"]),
        }
