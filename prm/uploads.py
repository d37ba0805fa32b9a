"""Checks of an uploaded file, shared by every app that takes files (content items, deal
attachments): size, extension, declared type and the first bytes, so that a renamed
executable or HTML page is refused whatever it claims to be."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property

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


def content_type_for(name: str) -> str:
    """The content type a stored file is served with, from its extension."""
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    types = UPLOAD_TYPES.get(extension)
    return types[0][0] if types else "application/octet-stream"


def upload_check(
    *, file: File, limit: int, field: str = "file", extensions: Iterable[str] | None = None
) -> None:
    """Refuse an upload that is too large, of a type not accepted (`extensions`, default all
    of UPLOAD_TYPES), declared as another type, or whose first bytes do not fit its extension;
    raises ValidationError({field: [...]})."""
    accepted = sorted(extensions) if extensions is not None else sorted(UPLOAD_TYPES)
    if file.size is not None and file.size > limit:
        raise ValidationError(
            {field: [f"The file is {file.size:,} bytes; the limit is {limit:,} bytes."]}
        )
    extension = os.path.splitext(file.name or "")[1].lower().lstrip(".")
    if extension not in accepted:
        shown = f".{extension}" if extension else "without an extension"
        raise ValidationError(
            {field: [f"Files {shown} are not accepted; allowed types: {', '.join(accepted)}."]}
        )
    content_types, looks_right = UPLOAD_TYPES[extension]
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in GENERIC_CONTENT_TYPES and declared not in content_types:
        raise ValidationError(
            {field: [f"The content type {declared} does not match a .{extension} file."]}
        )
    file.seek(0)
    head = file.read(SIGNATURE_BYTES)
    file.seek(0)
    if not looks_right(head):
        raise ValidationError({field: [f"The file's content is not a .{extension} file."]})


class ProtectedStorage(FileSystemStorage):
    """Uploaded files that are not public (content, deal attachments): stored on disk, never
    given a URL. Files are served only by views that check who may read them first."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @cached_property
    def base_location(self) -> str:
        return getattr(settings, "PRM_CONTENT_STORAGE_ROOT", None) or os.path.join(
            settings.MEDIA_ROOT, "protected"
        )

    def _clear_cached_properties(self, setting, **kwargs) -> None:
        if setting in ("MEDIA_ROOT", "PRM_CONTENT_STORAGE_ROOT"):
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        raise ValueError("Protected content has no public URL; use the download view.")
