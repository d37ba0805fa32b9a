"""Forms of the manager's enablement pages. They check the shape of what was typed and hand
the services a `data` dict; the business rules (one source per item, upload checks, quiz
shape, unique slugs) stay in enablement.services, whose errors come back onto the form."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from enablement.models import ContentItem, ContentKind, LearningPath
from enablement.quiz import quiz_errors
from enablement.selectors import CONTENT_AUDIENCES, CONTENT_STATUSES
from partners.models import Certification, ContactRole, Tier
from segments.models import Segment

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


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


def _datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


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


# ---------------------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------------------


class ContentFilterForm(forms.Form):
    """The content library's filters (GET); an invalid value is reported and ignored."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    kind = forms.ChoiceField(
        choices=[("", "All types"), *ContentKind.choices], required=False, label="Type"
    )
    audience = forms.ChoiceField(
        choices=[
            ("", "Any audience"),
            *zip(
                CONTENT_AUDIENCES,
                ["Everyone", "Gated by segment", "Gated by tier", "Gated by role"],
                strict=True,
            ),
        ],
        required=False,
    )
    status = forms.ChoiceField(
        choices=[
            ("", "Any status"),
            *zip(CONTENT_STATUSES, ["Published", "Draft", "Scheduled", "Expired"], strict=True),
        ],
        required=False,
    )
    tier = forms.ModelChoiceField(
        queryset=Tier.objects.order_by("rank"), required=False, empty_label="Any tier"
    )
    segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"), required=False, empty_label="Any segment"
    )

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of selectors.content_browse."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        tier, segment = data.get("tier"), data.get("segment")
        return {
            "search": (data.get("q") or "").strip(),
            "kind": data.get("kind") or "",
            "audience": data.get("audience") or "",
            "status": data.get("status") or "",
            "tier_id": tier.pk if tier else None,
            "segment_id": segment.pk if segment else None,
        }


class ContentItemForm(AudienceFields):
    """A content item: what it is, its one source (an upload, a link or a text body), when it
    is published, and its audience."""

    SOURCES = [("file", "Upload a file"), ("url", "Link to a URL"), ("body", "Write the text")]

    kind = forms.ChoiceField(choices=ContentKind.choices, label="Type")
    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=100, required=False, help_text="Empty = made from the title.")
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(choices=SOURCES, widget=forms.RadioSelect, initial="file")
    file = forms.FileField(
        required=False,
        help_text="PDF, Office, image, MP4, text or ZIP; stored privately and only served "
        "to partners in the audience.",
    )
    url = forms.URLField(max_length=1000, required=False, label="URL", assume_scheme="https")
    body = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text or Markdown; HTML is sanitised.",
    )
    product_group = forms.CharField(max_length=100, required=False)
    business_unit = forms.CharField(max_length=100, required=False)
    target_market = forms.CharField(max_length=100, required=False)
    published_at = _datetime_field("Publish at", "Empty = a draft partners do not see.")
    expires_at = _datetime_field("Expires at", "Empty = never expires.")

    field_order = [
        "kind",
        "title",
        "slug",
        "summary",
        "source",
        "file",
        "url",
        "body",
        "product_group",
        "business_unit",
        "target_market",
        "published_at",
        "expires_at",
        "segments",
        "min_tier",
        "roles",
    ]

    def __init__(self, *args, instance: ContentItem | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": instance.kind,
                    "title": instance.title,
                    "slug": instance.slug,
                    "summary": instance.summary,
                    "source": "file" if instance.file else ("url" if instance.url else "body"),
                    "url": instance.url,
                    "body": instance.body,
                    "product_group": instance.product_group,
                    "business_unit": instance.business_unit,
                    "target_market": instance.target_market,
                    "published_at": instance.published_at,
                    "expires_at": instance.expires_at,
                    **self.audience_initial(instance),
                },
            )
        super().__init__(*args, **kwargs)
        if instance is not None and instance.file:
            self.fields[
                "file"
            ].help_text = f"Current file: {instance.file_name}. Choose a file only to replace it."

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        source = data.get("source")
        has_file = bool(self.instance and self.instance.file)
        if source == "file" and not data.get("file") and not has_file:
            self.add_error("file", "Choose a file to upload.")
        elif source == "url" and not data.get("url"):
            self.add_error("url", "Enter the URL to link to.")
        elif source == "body" and not (data.get("body") or "").strip():
            self.add_error("body", "Write the text.")
        published, expires = data.get("published_at"), data.get("expires_at")
        if published and expires and expires <= published:
            self.add_error("expires_at", "Must be after the publication time.")
        return data

    def service_data(self) -> dict[str, Any]:
        """The cleaned form as content_create/content_update data (only the chosen source)."""
        data = self.cleaned_data
        result = {
            key: data[key]
            for key in (
                "kind",
                "title",
                "slug",
                "summary",
                "product_group",
                "business_unit",
                "target_market",
                "published_at",
                "expires_at",
            )
        }
        source = data["source"]
        result["url"] = data["url"] if source == "url" else ""
        result["body"] = data["body"] if source == "body" else ""
        if source == "file":
            if data.get("file"):
                result["file"] = data["file"]
        else:
            result["file"] = None
        return {**result, **self.audience_data()}


# ---------------------------------------------------------------------------------------
# Learning paths
# ---------------------------------------------------------------------------------------


class LearningPathFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")],
        required=False,
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"search": (data.get("q") or "").strip(), "status": data.get("status") or ""}


class LearningPathForm(AudienceFields):
    """A learning path's description, the certification it awards, automatic enrolment and
    its audience; the steps are edited on the path's page."""

    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=100, required=False, help_text="Empty = made from the title.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active (open for enrolment)"
    )
    due_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Days to complete",
        help_text="From enrolment; empty = no due date.",
    )
    awards_certification = forms.ModelChoiceField(
        queryset=Certification.objects.order_by("name"),
        required=False,
        empty_label="No certification",
        help_text="Awarded to the contact's partner when the last step is done.",
    )
    auto_enrol_segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"),
        required=False,
        label="Auto-enrol segment",
        empty_label="No automatic enrolment",
        help_text="Contacts (in the audience) of partners in this segment are enrolled "
        "automatically, now and whenever a partner joins it.",
    )

    field_order = [
        "title",
        "slug",
        "description",
        "is_active",
        "due_days",
        "awards_certification",
        "auto_enrol_segment",
        "segments",
        "min_tier",
        "roles",
    ]

    def __init__(self, *args, instance: LearningPath | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": instance.title,
                    "slug": instance.slug,
                    "description": instance.description,
                    "is_active": instance.is_active,
                    "due_days": instance.due_days,
                    "awards_certification": instance.awards_certification,
                    "auto_enrol_segment": instance.auto_enrol_segment,
                    **self.audience_initial(instance),
                },
            )
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            key: data[key]
            for key in (
                "title",
                "description",
                "is_active",
                "due_days",
                "awards_certification",
                "auto_enrol_segment",
            )
        }
        if data["slug"] or self.instance is None:
            result["slug"] = data["slug"]
        return {**result, **self.audience_data()}


class LearningStepForm(forms.Form):
    """A step added to a path: a content item and, optionally, a quiz. Prefixed: it sits on
    the page next to the path's own form."""

    prefix = "step"

    content = forms.ModelChoiceField(
        queryset=ContentItem.objects.order_by("title"), empty_label="Choose content…"
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Empty = the content's title."
    )
    pass_mark = forms.IntegerField(
        min_value=0, max_value=100, initial=80, label="Pass mark (%)", required=False
    )
    quiz = forms.CharField(
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": '[{"question": "…", "options": ["…", "…"], "answer_index": 0}]',
                "class": "font-monospace small",
            }
        ),
        label="Quiz (JSON, optional)",
    )

    def clean_quiz(self) -> list:
        text = (self.cleaned_data.get("quiz") or "").strip()
        if not text:
            return []
        try:
            quiz = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValidationError(f"Not valid JSON: {error.msg} (line {error.lineno}).") from None
        except RecursionError:  # the parser's stack, not a quiz's shape
            raise ValidationError("Not a quiz: the JSON is nested too deeply.") from None
        errors = quiz_errors(quiz)
        if errors:
            raise ValidationError(errors)
        return quiz

    def service_data(self, *, path: LearningPath, order: int) -> dict[str, Any]:
        data = self.cleaned_data
        pass_mark = data.get("pass_mark")
        return {
            "path": path,
            "order": order,
            "content": data["content"],
            "title": data["title"],
            "quiz": data["quiz"],
            "pass_mark": 80 if pass_mark is None else pass_mark,
        }


# ---------------------------------------------------------------------------------------
# Certifications
# ---------------------------------------------------------------------------------------


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
