"""Writes on the content library: create, update and delete items, with the upload checks."""

from __future__ import annotations

from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils.text import slugify

from enablement.models import ContentItem, content_storage
from prm.uploads import upload_check

DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20

CONTENT_FIELDS = (
    "kind",
    "title",
    "slug",
    "summary",
    "product_group",
    "business_unit",
    "target_market",
    "file",
    "url",
    "body",
    "published_at",
    "expires_at",
    "min_tier",
    "roles",
)


def content_file_check(*, file: File) -> None:
    """Refuse an upload that is too large, of a type not accepted, declared as another type,
    or whose first bytes do not fit its extension; raises ValidationError({"file": [...]})."""
    limit = getattr(settings, "PRM_CONTENT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    upload_check(file=file, limit=limit)


def _unique_slug(model: type[models.Model], text: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(text)[:90] or model._meta.model_name
    slug, counter = base, 2
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while others.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def _delete_file_on_commit(name: str) -> None:
    if name:
        transaction.on_commit(lambda: content_storage().delete(name))


def _apply(*, item: ContentItem, data: dict[str, Any]) -> None:
    if data.get("file"):
        content_file_check(file=data["file"])
    for key, value in data.items():
        if key in CONTENT_FIELDS:
            setattr(item, key, "" if key in ("file", "url", "body") and value is None else value)
    if item.body:
        # Rich text from an editor: keep the formatting, drop scripts, handlers and styles.
        item.body = nh3.clean(item.body)
    if not item.slug:
        item.slug = _unique_slug(ContentItem, item.title, exclude_pk=item.pk)
    item.full_clean()


@transaction.atomic
def content_create(*, data: dict[str, Any]) -> ContentItem:
    """Create a content item: exactly one of file (checked), url or body; `segments` a list."""
    item = ContentItem()
    _apply(item=item, data=data)
    item.save()
    if "segments" in data:
        item.segments.set(data["segments"])
    return item


@transaction.atomic
def content_update(*, content: ContentItem, data: dict[str, Any]) -> ContentItem:
    """Update the given fields; a replaced or cleared file is deleted from storage on commit."""
    old_file = content.file.name or ""
    _apply(item=content, data=data)
    content.save()
    if "segments" in data:
        content.segments.set(data["segments"])
    if old_file and old_file != (content.file.name or ""):
        _delete_file_on_commit(old_file)
    return content


@transaction.atomic
def content_delete(*, content: ContentItem) -> None:
    """Delete a content item and, on commit, its file; refused while a learning step uses it."""
    paths = sorted(set(content.steps.values_list("path__title", flat=True)))
    if paths:
        raise ValidationError(
            {"content": [f"Learning paths use this content: {', '.join(paths)}."]}
        )
    file_name = content.file.name or ""
    content.delete()
    _delete_file_on_commit(file_name)
