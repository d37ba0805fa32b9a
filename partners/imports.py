"""CSV/XLSX import of partners and contacts: every row is checked, then all are written or none.

Files: `.csv` (UTF-8, a BOM is fine) or `.xlsx` (the first sheet), at most
settings.PRM_IMPORT_MAX_BYTES. Row 1 is the header; errors name spreadsheet rows (the first data
row is row 2), and every error in the file is reported, sorted by row, then column.

- Cells are trimmed; an empty cell is null (no silent defaults). Wholly empty rows are skipped.
- A leading apostrophe that our export puts before a cell starting with =, +, -, @ (formula
  injection escaping) is removed again, so an export re-imports as it was.
- Partners (upserted on external_id): the columns of PARTNER_COLUMNS, all of them in the header.
  external_id, name, partner_type and lifecycle_stage are required. Choices and the tier slug
  are case-insensitive; country is ISO 3166 alpha-2 in any case. Tags are `;`-separated slugs,
  lower-cased; a row's tags are the partner's full set (an empty cell means none) and unknown
  slugs are created. Dates are YYYY-MM-DD. revenue_12m and deals_won_12m are stored as given.
  Optional `attributes.<key>` columns own that key of Partner.attributes: a value sets it (as a
  string), an empty cell removes it; keys without a column are left as they were.
- Contacts (upserted on the lower-cased e-mail): CONTACT_COLUMNS, all in the header.
  partner_external_id must name an existing partner. email_opt_in is true/false/1/0/yes/no; an
  empty cell means **false**: consent to e-mail is never assumed (the privacy-safe default).

Validation is column-wise with pandas (no Python loop over the rows); only building the write
batches walks them.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django_countries import countries

from partners import services
from partners.models import (
    Contact,
    ContactRole,
    LifecycleStage,
    Partner,
    PartnerType,
    Region,
    Tier,
)

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


# Reading ------------------------------------------------------------------------------------


def _read_table(*, file: IO[bytes], filename: str) -> pd.DataFrame:
    """The data rows as trimmed strings, named by the header, indexed by spreadsheet row."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _file_error(f"Unsupported file type '{suffix or filename}': upload a .csv or .xlsx.")
    max_bytes = settings.PRM_IMPORT_MAX_BYTES
    too_large = _file_error(f"The file is larger than the limit of {max_bytes:,} bytes.")
    if (getattr(file, "size", None) or 0) > max_bytes:
        raise too_large
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise too_large
    if not data:
        raise _file_error("The file is empty.")
    options = {"header": None, "dtype": str, "keep_default_na": False}
    if suffix == ".csv":
        try:
            raw = pd.read_csv(
                io.BytesIO(data), encoding="utf-8-sig", skip_blank_lines=False, **options
            )
        except UnicodeDecodeError:
            raise _file_error("The file is not UTF-8 encoded text.") from None
        except pd.errors.EmptyDataError:
            raise _file_error("The file is empty.") from None
        except (pd.errors.ParserError, ValueError) as error:
            raise _file_error(f"The CSV file could not be read: {error}".strip()) from None
    else:
        unreadable = _file_error("The file is not a readable .xlsx workbook.")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
        except zipfile.BadZipFile:
            raise unreadable from None
        if unpacked > XLSX_MAX_UNPACKED_RATIO * max_bytes:
            raise _file_error("The workbook unpacks to more data than an import may hold.")
        try:
            raw = pd.read_excel(io.BytesIO(data), engine="openpyxl", **options)
        # openpyxl fails on a broken workbook with many exception types (zip, XML, key errors).
        except Exception:
            raise unreadable from None
    if raw.empty:
        raise _file_error("The file is empty.")
    raw = raw.fillna("").astype(str)
    raw.index = raw.index + 1
    header = [name.strip() for name in raw.iloc[0]]
    body = raw.iloc[1:]
    named = {}
    for position, name in enumerate(header):
        column = _clean_column(body.iloc[:, position])
        if not name:
            if (column != "").any():
                raise _file_error(f"Column {position + 1} has values but no header.")
            continue
        if name in named:
            raise _file_error("The column appears more than once in the header.", column=name)
        named[name] = column
    frame = pd.DataFrame(named, index=body.index)
    return frame[(frame != "").any(axis=1)] if len(frame.columns) else frame


def _clean_column(column: pd.Series) -> pd.Series:
    if column.str.startswith("'").any():
        column = column.str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
    return column.str.strip()


def _check_header(frame: pd.DataFrame, expected: Iterable[str], *, attributes: bool) -> None:
    expected = tuple(expected)
    errors = [
        {"row": None, "column": name, "message": "This required column is missing."}
        for name in expected
        if name not in frame.columns
    ]
    for name in frame.columns:
        is_attribute = (
            attributes and name.startswith(ATTRIBUTE_PREFIX) and name[len(ATTRIBUTE_PREFIX) :]
        )
        if name not in expected and not is_attribute:
            allowed = ", ".join(expected) + (", attributes.<key>" if attributes else "")
            message = f"Unknown column; the columns are: {allowed}."
            errors.append({"row": None, "column": name, "message": message})
    if errors:
        raise ImportValidationError(errors)


# Column parsers: (present values) -> (parsed values of the good rows, messages of the bad rows)

Parser = Callable[[pd.Series], tuple[pd.Series, pd.Series]]


def _quoted(values: pd.Series) -> pd.Series:
    short = values.str.slice(0, 40)
    return "'" + short.where(values.str.len() <= 40, short + "…") + "'"


def _choice(
    allowed: Iterable[str], *, upper: bool = False, what: str = "one of", ids: dict | None = None
) -> Parser:
    """A value of `allowed` (case-insensitive); with `ids`, parsed to ids[value]."""
    allowed = list(allowed)
    text = f"is not {what}: {', '.join(allowed)}." if len(allowed) < 20 else f"is not {what}."

    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        normal = values.str.upper() if upper else values.str.lower()
        good = normal.isin(allowed)
        parsed = normal[good].map(ids) if ids is not None else normal[good]
        return parsed, _quoted(values[~good]) + " " + text

    return parse


def _integer(*, minimum: int = 0, maximum: int = MAX_INTEGER) -> Parser:
    def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
        # XLSX may give whole numbers as "1874.0".
        parts = values.str.extract(r"^([+-]?)(\d+)(?:\.0*)?$")
        is_number = parts[1].notna()
        digits = parts[1][is_number].str.lstrip("0").replace("", "0")
        fits = digits.str.len() <= 12
        number = pd.Series(np.inf, index=digits.index)
        number[fits] = digits[fits].astype("int64")
        number = number.where(parts[0][is_number] != "-", -number)
        in_range = (number >= minimum) & (number <= maximum)
        bad = number[~in_range]
        if minimum == 0:
            range_text = np.where(bad < 0, "must not be negative.", f"is larger than {maximum}.")
        else:
            range_text = f"must be between {minimum} and {maximum}."
        messages = pd.concat(
            [
                _quoted(values[~is_number]) + " is not a whole number.",
                _quoted(values[bad.index]) + " " + range_text,
            ]
        )
        return number[in_range].astype("int64").astype(object), messages

    return parse


def _decimal(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Non-negative, at most 2 decimal places and 14 digits before the point."""
    parts = values.str.extract(r"^([+-]?)(\d*)(?:\.(\d*))?$")
    is_number = parts[1].notna() & ((parts[1] != "") | parts[2].fillna("").ne(""))
    sign = parts[0][is_number]
    whole = parts[1][is_number].str.lstrip("0")
    fraction = parts[2][is_number].fillna("").str.rstrip("0")
    negative = (sign == "-") & ((whole != "") | (fraction != ""))
    too_precise = ~negative & (fraction.str.len() > 2)
    too_large = ~negative & ~too_precise & (whole.str.len() > 14)
    good = ~(negative | too_precise | too_large)
    canonical = whole[good].replace("", "0") + "." + fraction[good].replace("", "0")
    messages = pd.concat(
        [
            _quoted(values[~is_number]) + " is not a number.",
            _quoted(values[negative[negative].index]) + " must not be negative.",
            _quoted(values[too_precise[too_precise].index]) + " has more than 2 decimal places.",
            _quoted(values[too_large[too_large].index])
            + " has more than 14 digits before the decimal point.",
        ]
    )
    return canonical.map(Decimal).astype(object), messages


def _to_date(text: str) -> dt.date | None:
    match = DATE_RE.fullmatch(text)
    try:
        return dt.date.fromisoformat(match[1]) if match else None
    except ValueError:
        return None


def _date(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    # Few distinct dates in a file: parse each distinct text once.
    parsed = values.map({text: _to_date(text) for text in values.unique()}).astype(object)
    good = parsed.notna()
    return parsed[good], _quoted(values[~good]) + " is not a date (expected YYYY-MM-DD)."


def _email(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Lower-cased; the rules of django.core.validators.validate_email, max 254 characters."""
    lowered = values.str.lower()
    parts = lowered.str.rpartition("@")
    good = (
        (lowered.str.len() <= 254)
        & (parts[1] == "@")
        & parts[0].str.match(EmailValidator.user_regex.pattern, flags=re.IGNORECASE)
        & parts[2].str.match(EmailValidator.domain_regex.pattern, flags=re.IGNORECASE)
    )
    # The regexes above are Django's fast path; its validator decides the rest (IDN, literals).
    rest = lowered[~good & (lowered.str.len() <= 254)]
    good[rest.index] = rest.map(_is_email).astype(bool)
    return lowered[good], _quoted(values[~good]) + " is not a valid e-mail address."


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _boolean(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    lowered = values.str.lower()
    good = lowered.isin(TRUE_VALUES + FALSE_VALUES)
    allowed = "/".join(TRUE_VALUES + FALSE_VALUES)
    return lowered[good].isin(TRUE_VALUES).astype(object), _quoted(values[~good]) + (
        f" is not one of {allowed}."
    )


class _Checker:
    """Parses a frame column by column and collects every row error, without a row loop."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.position = {name: position for position, name in enumerate(frame.columns)}
        self.errors: list[pd.DataFrame] = []

    def add(self, column: str, messages: pd.Series) -> None:
        if len(messages):
            self.errors.append(
                pd.DataFrame(
                    {
                        "row": messages.index.astype("int64"),
                        "position": self.position[column],
                        "column": column,
                        "message": messages.astype(object).to_numpy(),
                    }
                )
            )

    def column(
        self,
        name: str,
        parse: Parser | None = None,
        *,
        required: bool = False,
        max_length: int | None = None,
    ) -> pd.Series:
        """The parsed column (object dtype, None where empty or bad)."""
        raw = self.frame[name]
        present = raw != ""
        if required:
            self.add(name, pd.Series("A value is required.", index=raw.index[~present]))
        values = raw[present]
        if max_length is not None:
            too_long = values.str.len() > max_length
            self.add(name, _quoted(values[too_long]) + f" is longer than {max_length} characters.")
            values = values[~too_long]
        if parse is not None:
            values, messages = parse(values)
            self.add(name, messages)
        parsed = values.astype(object).reindex(raw.index)
        return parsed.where(raw.index.isin(values.index), None)

    def tags(self, name: str) -> dict[int, list[str]]:
        """{row: slugs} for the rows with tags; bad slugs are reported per cell."""
        items = self.frame[name].str.lower().str.split(";").explode().str.strip()
        items = items[items.notna() & (items != "")]
        good = items.str.fullmatch(SLUG_PATTERN).astype(bool)
        bad = items[~good]
        if len(bad):
            listed = ("'" + bad + "'").groupby(level=0).agg(", ".join)
            self.add(
                name,
                "Not a valid tag: "
                + listed
                + " (lower-case letters, digits, hyphens, underscores; at most 64).",
            )
        slugs: dict[int, list[str]] = {}
        for row, slug in zip(items.index[good], items[good].to_numpy(), strict=True):
            row_slugs = slugs.setdefault(row, [])
            if slug not in row_slugs:
                row_slugs.append(slug)
        return slugs

    def duplicates(self, name: str, values: pd.Series) -> None:
        """Report a repeated key on each later row, naming the first row."""
        present = values.dropna()
        repeated = present.duplicated(keep="first")
        first = present[~repeated]
        first_row = pd.Series(first.index, index=first.to_numpy())
        later = present[repeated].astype(str)
        self.add(
            name,
            "Duplicate "
            + name
            + " "
            + _quoted(later)
            + " (first on row "
            + later.map(first_row).astype(str)
            + ").",
        )

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        table = pd.concat(self.errors).sort_values(["row", "position"], kind="stable")
        raise ImportValidationError(
            [
                {"row": int(row), "column": column, "message": message}
                for row, column, message in zip(
                    table["row"], table["column"], table["message"], strict=True
                )
            ]
        )


def _instances(model: type[Model], values: dict[str, Iterable]) -> list[Model]:
    """Unsaved instances from columns of values by attname, built positionally (Django's fast
    path, several times quicker than keywords for 100,000 rows); other fields get defaults."""
    columns = [
        values.get(field.attname, itertools.repeat(field.get_default()))
        for field in model._meta.concrete_fields
    ]
    return [model(*row) for row in zip(*columns, strict=False)]  # repeat() is endless


def _chunks(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Partners -----------------------------------------------------------------------------------


def partners_import(*, file: IO[bytes], filename: str) -> ImportResult:
    """Upsert partners (on external_id) and their tags from a file, all rows or none.

    Raises ImportValidationError listing every error; announces the changed partners.
    """
    frame = _read_table(file=file, filename=filename)
    _check_header(frame, PARTNER_COLUMNS, attributes=True)
    tiers = dict(Tier.objects.order_by("rank").values_list("slug", "id"))
    check = _Checker(frame)
    rows = pd.DataFrame(
        {
            "external_id": check.column("external_id", required=True, max_length=64),
            "name": check.column("name", required=True, max_length=255),
            "partner_type": check.column(
                "partner_type", _choice(PartnerType.values), required=True
            ),
            "tier": check.column("tier", _choice(tiers, ids=tiers)),
            "region": check.column("region", _choice(Region.values)),
            "country": check.column(
                "country",
                _choice(
                    (code for code, _ in countries),
                    upper=True,
                    what="an ISO 3166 alpha-2 country code",
                ),
            ),
            "employee_count": check.column("employee_count", _integer()),
            "annual_revenue": check.column("annual_revenue", _decimal),
            "lifecycle_stage": check.column(
                "lifecycle_stage", _choice(LifecycleStage.values), required=True
            ),
            "joined_at": check.column("joined_at", _date),
            "tech_savviness": check.column("tech_savviness", _integer(minimum=1, maximum=5)),
            "revenue_12m": check.column("revenue_12m", _decimal),
            "deals_won_12m": check.column("deals_won_12m", _integer()),
        }
    )
    tags = {name: check.tags(name) for name in TAG_COLUMNS}
    check.duplicates("external_id", rows["external_id"])
    check.raise_if_any()
    attribute_columns = [name for name in frame.columns if name.startswith(ATTRIBUTE_PREFIX)]
    with transaction.atomic():
        return _partners_write(
            rows=rows, tags=tags, attributes=frame[attribute_columns] if attribute_columns else None
        )


def _partners_write(
    *, rows: pd.DataFrame, tags: dict[str, dict[int, list[str]]], attributes: pd.DataFrame | None
) -> ImportResult:
    external_ids = rows["external_id"].tolist()
    existing: dict[str, dict] = {}
    for chunk in _chunks(external_ids):
        found = Partner.objects.filter(external_id__in=chunk)
        if attributes is None:
            existing.update(dict.fromkeys(found.values_list("external_id", flat=True)))
        else:
            existing.update(found.values_list("external_id", "attributes"))
    values: dict[str, Iterable] = {
        ("tier_id" if name == "tier" else name): rows[name].tolist() for name in rows.columns
    }
    values["updated_at"] = itertools.repeat(timezone.now())
    update_fields = [name for name in rows.columns if name != "external_id"] + ["updated_at"]
    if attributes is not None:
        keys = [name.removeprefix(ATTRIBUTE_PREFIX) for name in attributes.columns]
        merged = []
        for external_id, cells in zip(external_ids, attributes.to_numpy(), strict=True):
            # The file owns its attribute keys: set or (empty cell) remove them, keep the others.
            kept = existing.get(external_id) or {}
            row = {key: value for key, value in kept.items() if key not in keys}
            row.update((key, cell) for key, cell in zip(keys, cells, strict=True) if cell)
            merged.append(row)
        values["attributes"] = merged
        update_fields.append("attributes")
    partners = _instances(Partner, values)
    Partner.objects.bulk_create(
        partners,
        update_conflicts=True,
        unique_fields=["external_id"],
        update_fields=update_fields,
        batch_size=BATCH_SIZE,
    )
    row_ids = dict(zip(rows.index, (partner.pk for partner in partners), strict=True))
    for name in TAG_COLUMNS:
        slugs = {partner_id: tags[name].get(row, []) for row, partner_id in row_ids.items()}
        if name == "certifications":
            services.partner_certifications_replace(partner_ids_to_slugs=slugs)
        else:
            services.partner_tags_replace(field=name, partner_ids_to_slugs=slugs)
    services.partners_mark_changed(partner_ids=row_ids.values(), reason="import")
    return ImportResult(created=len(partners) - len(existing), updated=len(existing))


# Contacts -----------------------------------------------------------------------------------


def contacts_import(*, file: IO[bytes], filename: str) -> ImportResult:
    """Upsert contacts (on the lower-cased e-mail) from a file, all rows or none.

    Raises ImportValidationError listing every error.
    """
    frame = _read_table(file=file, filename=filename)
    _check_header(frame, CONTACT_COLUMNS, attributes=False)
    check = _Checker(frame)
    rows = pd.DataFrame(
        {
            "partner_external_id": check.column("partner_external_id", required=True),
            "first_name": check.column("first_name", required=True, max_length=100),
            "last_name": check.column("last_name", max_length=100),
            "email": check.column("email", _email, required=True),
            "role": check.column("role", _choice(ContactRole.values), required=True),
            "email_opt_in": check.column("email_opt_in", _boolean),
        }
    )
    check.duplicates("email", rows["email"])
    wanted = rows["partner_external_id"].dropna().unique().tolist()
    partner_ids: dict[str, int] = {}
    for chunk in _chunks(wanted):
        partner_ids.update(
            Partner.objects.filter(external_id__in=chunk).values_list("external_id", "id")
        )
    given = rows["partner_external_id"].dropna()
    unknown = given[~given.isin(partner_ids.keys())].astype(str)
    check.add("partner_external_id", "No partner has the external_id " + _quoted(unknown) + ".")
    check.raise_if_any()
    with transaction.atomic():
        return _contacts_write(rows=rows, partner_ids=partner_ids)


def _contacts_write(*, rows: pd.DataFrame, partner_ids: dict[str, int]) -> ImportResult:
    emails = rows["email"].tolist()
    existing: set[str] = set()
    for chunk in _chunks(emails):
        existing.update(Contact.objects.filter(email__in=chunk).values_list("email", flat=True))
    last_names = rows["last_name"]
    contacts = _instances(
        Contact,
        {
            "partner_id": rows["partner_external_id"].map(partner_ids).tolist(),
            "first_name": rows["first_name"].tolist(),
            "last_name": last_names.where(last_names.notna(), "").tolist(),
            "email": emails,
            "role": rows["role"].tolist(),
            "email_opt_in": rows["email_opt_in"].eq(True).tolist(),
            "updated_at": itertools.repeat(timezone.now()),
        },
    )
    Contact.objects.bulk_create(
        contacts,
        update_conflicts=True,
        unique_fields=["email"],
        update_fields=["partner", "first_name", "last_name", "role", "email_opt_in", "updated_at"],
        batch_size=BATCH_SIZE,
    )
    return ImportResult(created=len(contacts) - len(existing), updated=len(existing))
