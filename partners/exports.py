"""Export of partner lists to CSV (streamed) or XLSX, in the import columns.

An export re-imports cleanly: the import columns, tags joined by `;`, active certifications
only, the tier slug, plus one `attributes.<key>` column per custom attribute in the list (non-text
values as JSON). Text cells that a spreadsheet would run as a formula (starting with =, +, -,
@, tab or carriage return) get a leading apostrophe, which the import removes again; numbers
and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from typing import IO, Any

import openpyxl
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from partners.imports import ATTRIBUTE_PREFIX, PARTNER_COLUMNS
from partners.models import Partner, PartnerCertification

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Export column -> the lookup that reads it; tags and attributes are read separately.
SCALAR_LOOKUPS = {
    "external_id": "external_id",
    "name": "name",
    "partner_type": "partner_type",
    "tier": "tier__slug",
    "region": "region",
    "country": "country",
    "employee_count": "employee_count",
    "annual_revenue": "annual_revenue",
    "lifecycle_stage": "lifecycle_stage",
    "joined_at": "joined_at",
    "tech_savviness": "tech_savviness",
    "revenue_12m": "revenue_12m",
    "deals_won_12m": "deals_won_12m",
}
CHUNK_SIZE = 2000


def escape_formula(value: Any) -> Any:
    """A text that a spreadsheet would evaluate, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _attribute_keys(queryset: QuerySet[Partner]) -> list[str]:
    keys: set[str] = set()
    values = (
        queryset.prefetch_related(None)
        .select_related(None)
        .order_by()
        .exclude(attributes={})
        .values_list("attributes", flat=True)
    )
    for attributes in values.iterator(chunk_size=CHUNK_SIZE):
        if isinstance(attributes, dict):
            keys.update(key for key in attributes if key)
    return sorted(keys)


def _attribute_cell(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def partners_export_rows(*, queryset: QuerySet[Partner]) -> Iterator[list]:
    """The header, then one formula-escaped row per partner of the queryset, in its order.

    Rows are read a chunk at a time as plain values, with the chunk's tags and active
    certifications in one query each: constant memory and a constant number of queries per
    chunk, without building model instances and related managers per partner.
    """
    keys = _attribute_keys(queryset)
    yield [*PARTNER_COLUMNS, *(ATTRIBUTE_PREFIX + key for key in keys)]
    values = queryset.prefetch_related(None).values_list(
        "id", *SCALAR_LOOKUPS.values(), "attributes"
    )
    rows = values.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(itertools.islice(rows, CHUNK_SIZE)):
        ids = [row[0] for row in chunk]
        tags = {name: _slugs_by_partner(query, ids) for name, query in _tag_queries().items()}
        for partner_id, *scalars, attributes in chunk:
            row = dict(zip(SCALAR_LOOKUPS, scalars, strict=True))
            for name, by_partner in tags.items():
                row[name] = ";".join(sorted(by_partner.get(partner_id, ())))
            attributes = attributes if isinstance(attributes, dict) else {}
            yield [
                *(escape_formula(row[name]) for name in PARTNER_COLUMNS),
                *(escape_formula(_attribute_cell(attributes.get(key))) for key in keys),
            ]


def _tag_queries() -> dict[str, QuerySet]:
    return {
        "industries": Partner.industries.through.objects.values_list(
            "partner_id", "industry__slug"
        ),
        "technologies": Partner.technologies.through.objects.values_list(
            "partner_id", "technology__slug"
        ),
        "certifications": PartnerCertification.objects.active(on=timezone.localdate()).values_list(
            "partner_id", "certification__slug"
        ),
    }


def _slugs_by_partner(query: QuerySet, partner_ids: list[int]) -> dict[int, list[str]]:
    slugs: dict[int, list[str]] = {}
    for partner_id, slug in query.filter(partner_id__in=partner_ids).order_by():
        slugs.setdefault(partner_id, []).append(slug)
    return slugs


class _Echo:
    """A file-like object whose write() returns the text, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(rows: Iterator[list], *, lines_per_chunk: int = 500) -> Iterator[str]:
    writer = csv.writer(_Echo())
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) >= lines_per_chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def partners_export_write(*, queryset: QuerySet[Partner], file_format: str, stream: IO) -> None:
    """Write the export to a stream: text for csv, binary for xlsx."""
    rows = partners_export_rows(queryset=queryset)
    if file_format == "csv":
        for chunk in csv_chunks(rows):
            stream.write(chunk)
        return
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("partners")
    for row in rows:
        sheet.append([None if value == "" else value for value in row])
    workbook.save(stream)


def export_filename(file_format: str) -> str:
    return f"partners-{timezone.localdate():%Y%m%d}.{file_format}"


def partners_export_response(*, queryset: QuerySet[Partner], file_format: str):
    """A download of the list: CSV streamed a chunk of partners at a time, or an XLSX file."""
    if file_format not in FORMATS:
        raise ValueError(f"file_format must be one of {FORMATS}")
    filename = export_filename(file_format)
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_chunks(partners_export_rows(queryset=queryset)),
            content_type=CONTENT_TYPES["csv"],
        )
    else:
        buffer = io.BytesIO()
        partners_export_write(queryset=queryset, file_format="xlsx", stream=buffer)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
