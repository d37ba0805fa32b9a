"""The content library's forms: its filters and a content item (its one source, publication
window and audience)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from enablement.forms.common import AudienceFields
from enablement.models import ContentItem, ContentKind
from enablement.selectors import CONTENT_AUDIENCES, CONTENT_STATUSES
from partners.models import Tier
from segments.models import Segment

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

# The content form's status control: what publishing the item means now.
DRAFT, PUBLISH_NOW, SCHEDULED = "draft", "now", "scheduled"
PUBLICATION_CHOICES = [
    (DRAFT, "Draft"),
    (PUBLISH_NOW, "Publish now"),
    (SCHEDULED, "Schedule for later"),
]
PUBLICATION_HELP = {
    DRAFT: "Only channel managers see it; partners do not, until you publish it.",
    PUBLISH_NOW: "Partners in its audience see it as soon as you save.",
    SCHEDULED: "Partners in its audience see it from the date and time you choose.",
}


def _datetime_field(label: str, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


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


def _publication_of(instance: ContentItem) -> str:
    if instance.published_at is None:
        return DRAFT
    return SCHEDULED if instance.published_at > timezone.now() else PUBLISH_NOW


class ContentItemForm(AudienceFields):
    """A content item: what it is, its one source (an upload, a link or a text body), its
    status (a draft, published now or scheduled for a date; expiry apart) and its audience."""

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
    publication = forms.ChoiceField(
        choices=PUBLICATION_CHOICES, widget=forms.RadioSelect, initial=DRAFT, label="Status"
    )
    published_at = _datetime_field("Publish on", "When partners in the audience start seeing it.")
    expires_at = _datetime_field(
        "Expires on", "Empty = never expires. Partners stop seeing it from then on."
    )

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
        "publication",
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
                    "publication": _publication_of(instance),
                    "published_at": instance.published_at,
                    "expires_at": instance.expires_at,
                    **self.audience_initial(instance),
                },
            )
        super().__init__(*args, **kwargs)
        if self.is_published:
            since = date_format(timezone.localtime(instance.published_at), "j M Y, H:i")
            self.fields["publication"].choices = [
                (value, f"Published (since {since})" if value == PUBLISH_NOW else label)
                for value, label in PUBLICATION_CHOICES
            ]
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
        published = self._published_at(data)
        expires = data.get("expires_at")
        if published and expires and expires <= published:
            self.add_error("expires_at", "Must be after the publication time.")
        return data

    @property
    def is_published(self) -> bool:
        """The item was published (at a time already past) before this edit."""
        instance = self.instance
        return bool(instance and instance.published_at and instance.published_at <= timezone.now())

    @property
    def current_status(self) -> str:
        """The item's status before this edit (as selectors.content_browse says it)."""
        instance, now = self.instance, timezone.now()
        if instance is None or instance.published_at is None:
            return "draft"
        if instance.published_at > now:
            return "scheduled"
        return "expired" if instance.expires_at and instance.expires_at <= now else "published"

    def _published_at(self, data: dict[str, Any]) -> dt.datetime | None:
        """published_at from the status control (put back into `data`): none for a draft; the
        original publication time of an item already published, else now; the chosen time,
        which must lie ahead, when scheduled."""
        publication = data.get("publication")
        if publication == DRAFT:
            data["published_at"] = None
        elif publication == PUBLISH_NOW:
            data["published_at"] = (
                self.instance.published_at if self.is_published else timezone.now()
            )
        elif publication == SCHEDULED:
            when = data.get("published_at")
            if when is None and "published_at" not in self.errors:
                self.add_error("published_at", "Choose when to publish it.")
            elif when is not None and when <= timezone.now():
                self.add_error("published_at", "Choose a time ahead, or choose Publish now.")
        return data.get("published_at")

    def publication_options(self) -> list[tuple[Any, str]]:
        """The status control's radios, each with what it means for partners."""
        return [(radio, PUBLICATION_HELP[radio.data["value"]]) for radio in self["publication"]]

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
