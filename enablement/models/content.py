"""The content library: items with a protected file, a link or a rich-text body."""

from __future__ import annotations

import os
import uuid

import nh3
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enablement.models.audience import Audience, AudienceQuerySet
from prm.uploads import ProtectedStorage
from segments.models import Segment

# Kept under its old name: the content library was the first to store protected files.
ProtectedContentStorage = ProtectedStorage

_content_storage = ProtectedContentStorage()


def content_storage() -> ProtectedContentStorage:
    return _content_storage


def content_upload_path(instance: ContentItem, filename: str) -> str:
    """A random folder per upload, so no file name can be guessed from another."""
    return f"content/{uuid.uuid4().hex}/{os.path.basename(filename)}"


class ContentKind(models.TextChoices):
    DOCUMENT = "document", "Document"
    VIDEO = "video", "Video"
    LINK = "link", "Link"
    PLAYBOOK = "playbook", "Playbook"
    NEWS = "news", "News"


class ContentItemQuerySet(AudienceQuerySet):
    def published(self, *, at=None) -> ContentItemQuerySet:
        """Visible now: published_at <= now < expires_at (no expiry = open-ended)."""
        at = at or timezone.now()
        return self.filter(published_at__lte=at).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class ContentItem(Audience):
    """A piece of the content library: an uploaded file, a link or a text body."""

    kind = models.CharField(max_length=10, choices=ContentKind.choices, db_index=True)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.TextField(blank=True)
    product_group = models.CharField(max_length=100, blank=True, db_index=True)
    business_unit = models.CharField(max_length=100, blank=True, db_index=True)
    target_market = models.CharField(max_length=100, blank=True, db_index=True)
    file = models.FileField(
        upload_to=content_upload_path, storage=content_storage, max_length=255, blank=True
    )
    url = models.URLField(max_length=1000, blank=True)
    body = models.TextField(
        blank=True, help_text="Plain text or Markdown; escaped when shown, never trusted HTML."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="Empty = a draft nobody outside sees."
    )
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    segments = models.ManyToManyField(
        Segment,
        through="ContentItemSegment",
        blank=True,
        related_name="+",
        help_text="Members of any of these segments; none = every partner.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContentItemQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(~Q(file=""), url="", body="")
                    | Q(~Q(url=""), file="", body="")
                    | Q(~Q(body=""), file="", url="")
                ),
                name="content_item_exactly_one_source",
                violation_error_message="Give exactly one of file, url or body.",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True)
                | Q(published_at__isnull=True)
                | Q(expires_at__gt=models.F("published_at")),
                name="content_item_expires_after_publication",
                violation_error_message="expires_at must be after published_at.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        sources = [name for name in ("file", "url", "body") if getattr(self, name)]
        if len(sources) != 1:
            given = ", ".join(sources) or "none"
            raise ValidationError(
                {"__all__": [f"Give exactly one of file, url or body (given: {given})."]}
            )

    @property
    def has_file(self) -> bool:
        return bool(self.file)

    @property
    def file_name(self) -> str:
        return os.path.basename(self.file.name) if self.file else ""

    @property
    def body_html(self) -> str:
        """The rich-text body as safe HTML (sanitised again on read: rows written by other
        means than the services are never trusted)."""
        return nh3.clean(self.body)


class ContentItemSegment(models.Model):
    content_item = models.ForeignKey(ContentItem, on_delete=models.CASCADE)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_item", "segment"], name="content_item_segment_unique"
            )
        ]
        indexes = [models.Index(fields=["segment", "content_item"])]

    def __str__(self) -> str:
        return f"{self.content_item_id} for segment {self.segment_id}"
