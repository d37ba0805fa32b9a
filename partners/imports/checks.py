"""Reading a CSV/XLSX file into a frame of strings, and checking it column by column."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email

from partners.imports.common import (
    ATTRIBUTE_PREFIX,
    DATE_RE,
    FALSE_VALUES,
    MAX_INTEGER,
    SLUG_PATTERN,
    TRUE_VALUES,
    XLSX_MAX_UNPACKED_RATIO,
    ImportValidationError,
    _file_error,
)


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
