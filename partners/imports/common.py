"""Shared pieces of the import: the expected columns, limits and the result and error types."""

from __future__ import annotations

import re
from dataclasses import dataclass

PARTNER_COLUMNS = (
    "external_id",
    "name",
    "partner_type",
    "tier",
    "region",
    "country",
    "employee_count",
    "annual_revenue",
    "lifecycle_stage",
    "joined_at",
    "tech_savviness",
    "industries",
    "technologies",
    "certifications",
    "revenue_12m",
    "deals_won_12m",
)
CONTACT_COLUMNS = (
    "partner_external_id",
    "first_name",
    "last_name",
    "email",
    "role",
    "email_opt_in",
)
ATTRIBUTE_PREFIX = "attributes."
TAG_COLUMNS = ("industries", "technologies", "certifications")
MAX_INTEGER = 2_147_483_647  # PositiveIntegerField is a PostgreSQL integer
BATCH_SIZE = 5000
# A workbook is zipped XML, ~5-10 times its file size; far more is a zip bomb.
XLSX_MAX_UNPACKED_RATIO = 20
TRUE_VALUES = ("true", "1", "yes")
FALSE_VALUES = ("false", "0", "no")
SLUG_PATTERN = r"[-a-z0-9_]{1,64}"
# XLSX dates come back as datetimes ("2021-06-05 00:00:00"): a midnight time is accepted.
DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00:00(?:\.0+)?)?")


class ImportValidationError(Exception):
    """The file has errors; nothing was written. errors: [{row, column, message}]."""

    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s) in the import file")
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _file_error(message: str, column: str | None = None) -> ImportValidationError:
    return ImportValidationError([{"row": None, "column": column, "message": message}])
