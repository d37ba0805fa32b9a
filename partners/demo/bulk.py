"""Inserting generated rows in bulk: one streamed PostgreSQL COPY through psycopg2 (values
spelled in COPY's text format, field defaults filled in), bulk_create in batches elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import islice

from django.db import connection, models

BATCH = 100_000


def _copy_supported() -> bool:
    """COPY needs PostgreSQL through psycopg2 (`copy_expert`); anything else uses bulk_create."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


def _rows_write(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """Insert rows (tuples of values in `fields` order); returns how many."""
    if _copy_supported():
        return _rows_copy(model, fields, rows)
    written = 0
    for batch in _batches(rows):
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in batch], batch_size=5000
        )
        written += len(batch)
    return written


def _rows_copy(model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
    """One COPY … FROM STDIN for all rows, streamed."""
    opts, quote = model._meta, connection.ops.quote_name
    given = [opts.get_field(name) for name in fields]
    # COPY skips Django's field defaults; a column added with one gets it, as in bulk_create.
    defaulted = [
        field
        for field in opts.concrete_fields
        if field not in given and field.has_default() and not field.primary_key
    ]
    defaults = tuple(field.get_default() for field in defaulted)
    columns = ", ".join(quote(field.column) for field in [*given, *defaulted])
    formats = [_copy_format(field) for field in [*given, *defaulted]]
    if all(fmt is str for fmt in formats):
        template = "\t".join(["%s"] * len(formats))
        lines = (template % (row + defaults) for row in rows)
    else:
        lines = (
            "\t".join([fmt(value) for fmt, value in zip(formats, row + defaults, strict=True)])
            for row in rows
        )
    stream = _CopyStream(lines)
    with connection.cursor() as cursor:
        # The read size positionally: Django's CursorDebugWrapper (every cursor under DEBUG,
        # as in the quick start's settings) passes only positional arguments on.
        cursor.copy_expert(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN", stream, 1 << 16)
    return stream.lines


class _CopyStream:
    """A file for copy_expert that formats lines only as COPY reads them, so that Python
    generates rows while PostgreSQL inserts the previous ones (two cores at work, not one)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._buffer = ""
        self.lines = 0

    def read(self, size: int = -1) -> str:
        while size < 0 or len(self._buffer) < size:
            chunk = list(islice(self._lines, 1000))
            if not chunk:
                break
            self.lines += len(chunk)
            self._buffer += "\n".join(chunk) + "\n"
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _batches(rows: Iterable[tuple]) -> Iterable[list[tuple]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _copy_format(field: models.Field) -> Callable[[object], str]:
    """How a value of this field is spelled in COPY's text format."""
    if isinstance(field, models.JSONField):
        return lambda value: _copy_text(json.dumps(value))
    if isinstance(field, models.BooleanField):
        return lambda value: "t" if value else "f"
    if isinstance(field, models.CharField | models.TextField):
        return lambda value: r"\N" if value is None else _copy_text(value)
    if field.null:
        return lambda value: r"\N" if value is None else str(value)
    return str


def _copy_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
