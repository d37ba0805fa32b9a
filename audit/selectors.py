"""Reads of the audit trail: an object's history, newest first, ready to show."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from audit.models import AuditEntry


def object_history(*, model: type[models.Model], object_id: int) -> models.QuerySet[AuditEntry]:
    """The audit entries of one row, newest first, with their actor (one query per page)."""
    return (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=object_id
        )
        .select_related("actor")
        .order_by("-timestamp", "-id")
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


def entry_changes(*, entry: AuditEntry, model: type[models.Model]) -> list[FieldChange]:
    """An entry's changes as (field label, old, new), without a query: values are stored as
    text (foreign keys by name); an m2m change reads "added: a, b" / "removed: c"."""
    rows = []
    for name, change in sorted((entry.changes or {}).items()):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        # A reverse relation (a partner's certifications) has no verbose name.
        label = str(getattr(field, "verbose_name", name.replace("_", " ")))
        if isinstance(change, dict) and change.get("type") == "m2m":
            objects = ", ".join(change.get("objects", []))
            added = change.get("operation") == "add"
            rows.append(FieldChange(label, "" if added else objects, objects if added else ""))
        else:
            old, new = [*change, "", ""][:2]
            rows.append(FieldChange(label, _shown(old), _shown(new)))
    return rows


def _shown(value) -> str:
    return "—" if value in (None, "None", "") else str(value)


def history_page_rows(*, page, model: type[models.Model]) -> list[dict]:
    """The rows of a page of object_history(), each entry with its changes."""
    return [{"entry": entry, "changes": entry_changes(entry=entry, model=model)} for entry in page]
