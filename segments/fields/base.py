"""Building blocks of the field registry: the field and type descriptions, limits, and
the value checks and null-safe comparisons every type handler uses."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from django.db.models import (
    BooleanField,
    Expression,
    F,
    Model,
    Q,
    QuerySet,
    Value,
)
from django.db.models import Field as ModelField
from django.db.models.functions import Coalesce
from django.db.models.lookups import (
    IsNull,
)

from partners.models import (
    Partner,
)

# Numbers beyond this are surely a typo, and would overflow some columns and casts.
MAX_NUMBER = 10**15
# within_last_days / more_than_days_ago: about 270 years back is far enough.
MAX_DAYS = 100_000
MAX_LIST_VALUES = 1000
ATTRIBUTE_PREFIX = "attributes."
ATTRIBUTE_KEY = re.compile(r"\w(?:[\w\- ]{0,98}[\w-])?")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# ne, not_in and has_none are exact complements of eq, in and has_any.
NEGATED_OPS = {"ne": "eq", "not_in": "in", "has_none": "has_any"}

OP_LABELS = {
    "eq": "is",
    "ne": "is not",
    "in": "is any of",
    "not_in": "is none of",
    "gt": "greater than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "between": "between (inclusive)",
    "at_least": "at least (by rank)",
    "at_most": "at most (by rank)",
    "before": "before",
    "after": "after",
    "within_last_days": "within the last N days",
    "more_than_days_ago": "more than N days ago",
    "has": "has",
    "has_any": "has any of",
    "has_all": "has all of",
    "has_none": "has none of",
    "contains": "contains",
    "startswith": "starts with",
    "exists": "is set",
}

# A condition that is always true / always false, as real SQL (never EmptyResultSet, so the
# compiled query can always be turned into SQL text).
TRUE = Q(pk__isnull=False)
FALSE = Q(pk__isnull=True)


class FieldType(StrEnum):
    CHOICE = "choice"
    TIER = "tier"
    NUMBER = "number"
    DATE = "date"
    TAGS = "tags"
    TEXT = "text"
    SEGMENT = "segment"
    CUSTOM = "custom"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class TagSource:
    """Where a partner's tags live: rows with a partner_id, and the lookup to the tag slug;
    `model` is the catalogue of the tags (slug and name) that the builder offers to pick."""

    rows: Callable[[dt.date], QuerySet]
    slug: str
    tag: str
    model: type[Model] | None = None


@dataclass(frozen=True)
class FieldSpec:
    """One field a condition can name. `column` is a Partner field; a derived field gives an
    `expression(today)` on Partner and its `output_field` instead."""

    name: str
    type: FieldType
    label: str
    column: str | None = None
    expression: Callable[[dt.date], Expression] | None = None
    output_field: ModelField | None = None
    choices: tuple[tuple[str, Any], ...] = ()
    normalize: Callable[[str], str] | None = None
    tags: TagSource | None = None
    attribute_key: str | None = None
    help_text: str = ""
    ops: tuple[str, ...] = field(default=())
    # Where the builder's field menu lists it (segments.views.display has the built-in
    # fields' groups) and whether a number is money in PRM_CURRENCY (shown with it).
    group: str = ""
    money: bool = False

    def __post_init__(self) -> None:
        if not self.ops:
            from segments.fields.types import TYPES  # the handlers module needs FieldSpec first

            object.__setattr__(self, "ops", TYPES[self.type].ops)

    @property
    def model_field(self) -> ModelField:
        if self.column is not None:
            return Partner._meta.get_field(self.column)
        assert self.output_field is not None, f"{self.name}: a derived field needs output_field"
        return self.output_field

    def lhs(self, today: dt.date) -> Expression:
        """The field's value as an expression on Partner."""
        return F(self.column) if self.column is not None else self.expression(today)


class ValueReport(Protocol):
    """What a value check may ask of the rule checker (implemented in rules.py)."""

    def error(self, message: str, *, at: str = "") -> None: ...

    def tier_slugs(self) -> dict[str, str]: ...

    def require_segment(self, slug: str, *, at: str = "") -> None: ...


class Invalid(Exception):
    """A value check found an error it has already reported."""


@dataclass(frozen=True)
class TypeHandler:
    """How one field type works: its operators, the value each operator takes (`value_kinds`,
    for the catalogue), the value check (returns the normalised value or raises Invalid), the
    SQL of the positive operators, and the partner's actual value for explanations."""

    ops: tuple[str, ...]
    value_kinds: dict[str, str]
    check: Callable[[FieldSpec, str, Any, ValueReport], Any]
    compile: Callable[[FieldSpec, str, Any, dt.date], Q]
    actual_expression: Callable[[FieldSpec, dt.date], Expression] | None = None
    actual_list: Callable[[FieldSpec, int, dt.date], list] | None = None
    present: Callable[[FieldSpec, Any], Any] | None = None


# ---------------------------------------------------------------------------------------
# Value checks shared by the types
# ---------------------------------------------------------------------------------------


def _number(value: Any, report: ValueReport, *, at: str = "") -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        report.error("expected a number", at=at)
        raise Invalid
    if abs(value) > MAX_NUMBER:
        report.error(f"expected a number between -{MAX_NUMBER} and {MAX_NUMBER}", at=at)
        raise Invalid
    return value


def _string(value: Any, report: ValueReport, *, at: str = "", what: str = "a string") -> str:
    if not isinstance(value, str) or not value.strip():
        report.error(f"expected {what}", at=at)
        raise Invalid
    return value.strip()


def _list(value: Any, report: ValueReport, *, what: str) -> list:
    if not isinstance(value, list) or not value:
        report.error(f"expected a non-empty list of {what}")
        raise Invalid
    if len(value) > MAX_LIST_VALUES:
        report.error(f"expected at most {MAX_LIST_VALUES} values, got {len(value)}")
        raise Invalid
    return value


def _each(items: list, check: Callable[[Any, str], Any], *, unique: bool = True) -> list:
    """Check every item (reporting each bad one at /value/<i>); the good ones, in order."""
    good, seen, failed = [], set(), False
    for index, item in enumerate(items):
        try:
            checked = check(item, f"/{index}")
        except Invalid:
            failed = True
            continue
        # Typed, so that true and 1 stay two values.
        if not unique or (type(checked), checked) not in seen:
            good.append(checked)
            seen.add((type(checked), checked))
    if failed:
        raise Invalid
    return good


def _pair(value: Any, report: ValueReport, *, what: str, check: Callable[[Any, str], Any]):
    if not isinstance(value, list) or len(value) != 2:
        report.error(f"expected [from, to]: a list of two {what}")
        raise Invalid
    low, high = _each(value, check, unique=False)
    if low > high:
        report.error(f"the first value ({value[0]}) is greater than the second ({value[1]})")
        raise Invalid
    return [low, high]


def _not_null(spec: FieldSpec, today: dt.date) -> Q:
    return Q(IsNull(spec.lhs(today), False))


def _compare(spec: FieldSpec, lookup: type, value: Any, today: dt.date) -> Q:
    """`value <lookup> rhs`, false (never NULL) where the value is null."""
    # Numbers go in as Value(): compared as numbers in SQL, where Django would round a plain
    # 2.5 for an integer column or drop a value beyond the column's range.
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    rhs = Value(value) if is_number else value
    if spec.column is not None:
        # Column IS NOT NULL AND column <op> value: the column's index can serve it.
        return _not_null(spec, today) & Q(lookup(F(spec.column), rhs))
    # A derived value (a subquery) is computed once: COALESCE(value <op> rhs, false).
    return Q(Coalesce(lookup(spec.lhs(today), rhs), Value(False), output_field=BooleanField()))
