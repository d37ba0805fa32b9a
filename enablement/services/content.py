"""Writes on the content library: create, update and delete items, with the upload checks."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.utils.text import slugify

from enablement.models import ContentItem, content_storage

DEFAULT_MAX_UPLOAD_BYTES = 50 * 2**20
SIGNATURE_BYTES = 8192
GENERIC_CONTENT_TYPES = frozenset({"", "application/octet-stream"})


def _starts_with(*prefixes: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(prefixes)


def _is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def _is_mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # The sample may cut a multi-byte character at its end; anything else is not text.
        return error.start >= len(head) - 3 and error.reason == "unexpected end of data"
    return True


# Extension: (content types a client may declare, check of the first bytes). The response's
# content type is the first one listed, never what the uploader declared.
UPLOAD_TYPES: dict[str, tuple[tuple[str, ...], Callable[[bytes], bool]]] = {
    "pdf": (("application/pdf",), _starts_with(b"%PDF-")),
    "docx": (
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        _is_zip,
    ),
    "pptx": (
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
        _is_zip,
    ),
    "xlsx": (("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",), _is_zip),
    "png": (("image/png",), _starts_with(b"\x89PNG\r\n\x1a\n")),
    "jpg": (("image/jpeg", "image/pjpeg"), _starts_with(b"\xff\xd8\xff")),
    "jpeg": (("image/jpeg", "image/pjpeg"), _starts_with(b"\xff\xd8\xff")),
    "mp4": (("video/mp4",), _is_mp4),
    "txt": (("text/plain",), _is_text),
    "md": (("text/markdown", "text/x-markdown", "text/plain"), _is_text),
    "zip": (("application/zip", "application/x-zip-compressed"), _is_zip),
}

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


def content_type_for(name: str) -> str:
    """The content type a stored file is served with, from its extension."""
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    types = UPLOAD_TYPES.get(extension)
    return types[0][0] if types else "application/octet-stream"


def content_file_check(*, file: File) -> None:
    """Refuse an upload that is too large, of a type not accepted, declared as another type,
    or whose first bytes do not fit its extension; raises ValidationError({"file": [...]})."""
    limit = getattr(settings, "PRM_CONTENT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES)
    if file.size is not None and file.size > limit:
        raise ValidationError(
            {"file": [f"The file is {file.size:,} bytes; the limit is {limit:,} bytes."]}
        )
    extension = os.path.splitext(file.name or "")[1].lower().lstrip(".")
    if extension not in UPLOAD_TYPES:
        allowed = ", ".join(sorted(UPLOAD_TYPES))
        shown = f".{extension}" if extension else "without an extension"
        raise ValidationError(
            {"file": [f"Files {shown} are not accepted; allowed types: {allowed}."]}
        )
    content_types, looks_right = UPLOAD_TYPES[extension]
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in GENERIC_CONTENT_TYPES and declared not in content_types:
        raise ValidationError(
            {"file": [f"The content type {declared} does not match a .{extension} file."]}
        )
    file.seek(0)
    head = file.read(SIGNATURE_BYTES)
    file.seek(0)
    if not looks_right(head):
        raise ValidationError({"file": [f"The file's content is not a .{extension} file."]})


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
