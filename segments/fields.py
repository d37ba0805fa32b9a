"""The field registry of segment rules: every field a condition can name, its type, and per
type the operators, how a value is checked and how a condition maps to SQL.

Two tables drive everything: FIELDS (name -> FieldSpec) and TYPES (type -> TypeHandler).
A new field of an existing type is one FieldSpec (a column, or an `expression` for a derived
value such as next_tier_gap_pct); a new kind of field is one TypeHandler. rules.py walks the
rule tree and asks these tables; it knows no field by name.

Every handler compiles only the positive operators, each to a condition that is never SQL
NULL (a null value is a non-match). The negative operators (NEGATED_OPS) are the exact
complement, built by rules.py with ~, so they match the partners whose value is null.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import Any, Protocol

from django.db import NotSupportedError
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models import Field as ModelField
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IExact,
    In,
    IsNull,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone
from django_countries.data import COUNTRIES

from partners.models import (
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    Region,
    Tier,
)
from segments.models import Membership

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


@dataclass(frozen=True)
class TagSource:
    """Where a partner's tags live: rows with a partner_id, and the lookup to the tag slug."""

    rows: Callable[[dt.date], QuerySet]
    slug: str
    tag: str


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

    def __post_init__(self) -> None:
        if not self.ops:
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


# ---------------------------------------------------------------------------------------
# choice: partner_type, region, country, lifecycle_stage
# ---------------------------------------------------------------------------------------


def _check_choice(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    valid = {str(choice) for choice, _ in spec.choices}

    def one(item: Any, at: str) -> str:
        text = _string(item, report, at=at, what=f"a {spec.label.lower()} (a string)")
        text = spec.normalize(text) if spec.normalize else text
        if text not in valid:
            if len(valid) <= 20:
                expected = ", ".join(str(choice) for choice, _ in spec.choices)
                report.error(
                    f"'{text}' is not a valid {spec.name}; expected one of: {expected}", at=at
                )
            else:
                report.error(f"'{text}' is not a valid {spec.name}", at=at)
            raise Invalid
        return text

    if op in ("eq", "ne"):
        return one(value, "")
    return _each(_list(value, report, what="choices"), one)


def _compile_choice(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    return _compare(spec, Exact if op == "eq" else In, value, today)


# ---------------------------------------------------------------------------------------
# tier: by slug, at_least / at_most by rank
# ---------------------------------------------------------------------------------------


def _check_tier(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    def one(item: Any, at: str) -> str:
        slug = _string(item, report, at=at, what="a tier slug (a string)")
        tiers = report.tier_slugs()
        if slug.lower() not in tiers:
            expected = ", ".join(tiers.values()) or "(no tiers are defined)"
            report.error(f"unknown tier '{slug}'; expected one of: {expected}", at=at)
            raise Invalid
        return tiers[slug.lower()]

    if op in ("in", "not_in"):
        return _each(_list(value, report, what="tier slugs"), one)
    return one(value, "")


def _compile_tier(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    # tier_id IN (SELECT id FROM tier ...): no join, so partners without a tier stay in the
    # query and the condition is plainly false for them.
    if op == "eq":
        tiers = Tier.objects.filter(slug=value)
    elif op == "in":
        tiers = Tier.objects.filter(slug__in=value)
    else:
        rank = Subquery(Tier.objects.filter(slug=value).values("rank")[:1])
        tiers = Tier.objects.filter(**{"rank__gte" if op == "at_least" else "rank__lte": rank})
    return Q(tier__isnull=False) & Q(tier__in=tiers.values("pk"))


def _tier_slug(spec: FieldSpec, today: dt.date) -> Expression:
    return Subquery(Tier.objects.filter(pk=OuterRef("tier_id")).values("slug")[:1])


# ---------------------------------------------------------------------------------------
# number
# ---------------------------------------------------------------------------------------

_NUMBER_LOOKUPS = {
    "eq": Exact,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
    "lt": LessThan,
    "lte": LessThanOrEqual,
}


def _check_number(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    if op == "between":
        return _pair(
            value, report, what="numbers", check=lambda item, at: _number(item, report, at=at)
        )
    return _number(value, report)


def _compile_number(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    if op == "between":
        low, high = value
        return _compare(spec, GreaterThanOrEqual, low, today) & _compare(
            spec, LessThanOrEqual, high, today
        )
    return _compare(spec, _NUMBER_LOOKUPS[op], value, today)


def next_tier_gap_pct(today: dt.date) -> Expression:
    """How far revenue_12m is below the next tier's min_revenue_12m, in percent of it.

    The next tier is the one with the smallest rank above the partner's (any tier for a
    partner without one). Null without a next tier, its threshold or revenue_12m; negative
    when the revenue is already above the threshold.
    """
    partner_rank = Subquery(
        Tier.objects.filter(pk=OuterRef(OuterRef("tier_id"))).values("rank")[:1],
        output_field=IntegerField(),
    )
    threshold = NullIf(Cast("min_revenue_12m", FloatField()), Value(0.0))
    revenue = Cast(OuterRef("revenue_12m"), FloatField())
    gap = (
        Tier.objects.filter(rank__gt=Coalesce(partner_rank, Value(-1), output_field=IntegerField()))
        .order_by("rank")
        .annotate(
            gap=ExpressionWrapper(
                (threshold - revenue) * Value(100.0) / threshold, output_field=FloatField()
            )
        )
        .values("gap")[:1]
    )
    return Subquery(gap, output_field=FloatField())


# ---------------------------------------------------------------------------------------
# date: DateField compared by date; DateTimeField by local date, with aware bounds
# ---------------------------------------------------------------------------------------


def _date(value: Any, report: ValueReport, *, at: str = "") -> dt.date:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        report.error("expected a date as YYYY-MM-DD", at=at)
        raise Invalid
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        report.error(f"'{value}' is not a valid date", at=at)
        raise Invalid from None


def _check_date(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    if op in ("within_last_days", "more_than_days_ago"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value != int(value)
            or not 0 <= value <= MAX_DAYS
        ):
            report.error(f"expected a whole number of days from 0 to {MAX_DAYS}")
            raise Invalid
        return int(value)
    if op == "between":
        return _pair(value, report, what="dates", check=lambda item, at: _date(item, report, at=at))
    return _date(value, report)


_DATE_LOOKUPS = {
    "lt": LessThan,
    "lte": LessThanOrEqual,
    "gt": GreaterThan,
    "gte": GreaterThanOrEqual,
}
# On a timestamp "on or before day D" is "before the start of D + 1", and so on.
_DATETIME_BOUNDS = {"lt": ("lt", 0), "gte": ("gte", 0), "gt": ("gte", 1), "lte": ("lt", 1)}


def _day_compare(spec: FieldSpec, lookup: str, day: dt.date, today: dt.date) -> Q:
    if spec.model_field.get_internal_type() != "DateTimeField":
        return _compare(spec, _DATE_LOOKUPS[lookup], day, today)
    bound_lookup, shift = _DATETIME_BOUNDS[lookup]
    try:
        bound = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(shift), dt.time.min))
        bound.astimezone(dt.UTC)
    except OverflowError:
        # Past either end of the calendar: everything is before the end, nothing before the start.
        everything = (bound_lookup == "lt") == (day.year > 1)
        return _not_null(spec, today) if everything else FALSE
    return _compare(spec, _DATE_LOOKUPS[bound_lookup], bound, today)


def _compile_date(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    if op == "before":
        return _day_compare(spec, "lt", value, today)
    if op == "after":
        return _day_compare(spec, "gt", value, today)
    if op == "between":
        return _day_compare(spec, "gte", value[0], today) & _day_compare(
            spec, "lte", value[1], today
        )
    since = today - dt.timedelta(days=value)
    return _day_compare(spec, "gte" if op == "within_last_days" else "lt", since, today)


# ---------------------------------------------------------------------------------------
# tags: industries, technologies, certifications (active on `today` only)
# ---------------------------------------------------------------------------------------


def _check_tags(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    def one(item: Any, at: str) -> str:
        return _string(item, report, at=at, what="a tag slug (a string)").lower()

    if op == "has":
        return one(value, "")
    return _each(_list(value, report, what="tag slugs"), one)


def _compile_tags(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    slugs = [value] if op == "has" else value
    rows = spec.tags.rows(today).filter(
        partner_id=OuterRef("pk"), **{f"{spec.tags.slug}__in": slugs}
    )
    if op == "has_all":
        rows = (
            rows.order_by()
            .values("partner_id")
            .annotate(found=Count(spec.tags.tag, distinct=True))
            .filter(found=len(slugs))
        )
    return Q(Exists(rows))


def _tag_slugs(spec: FieldSpec, partner_id: int, today: dt.date) -> list[str]:
    rows = spec.tags.rows(today).filter(partner_id=partner_id)
    return sorted(rows.values_list(spec.tags.slug, flat=True))


# ---------------------------------------------------------------------------------------
# text: name, case-insensitive
# ---------------------------------------------------------------------------------------

_TEXT_LOOKUPS = {"eq": IExact, "contains": IContains, "startswith": IStartsWith}


def _check_text(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    if not isinstance(value, str) or not value:
        report.error("expected a non-empty string")
        raise Invalid
    return value


def _compile_text(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    return _compare(spec, _TEXT_LOOKUPS[op], value, today)


# ---------------------------------------------------------------------------------------
# segment: membership of other segments, by slug
# ---------------------------------------------------------------------------------------


def _check_segment(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    def one(item: Any, at: str) -> str:
        slug = _string(item, report, at=at, what="a segment slug (a string)")
        report.require_segment(slug, at=at)
        return slug

    if isinstance(value, str):
        return [one(value, "")]
    return _each(_list(value, report, what="segment slugs"), one)


def _compile_segment(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    members = Membership.objects.filter(partner_id=OuterRef("pk"), segment__slug__in=value)
    return Q(Exists(members))


def _segment_slugs(spec: FieldSpec, partner_id: int, today: dt.date) -> list[str]:
    members = Membership.objects.filter(partner_id=partner_id)
    return sorted(members.values_list("segment__slug", flat=True))


# ---------------------------------------------------------------------------------------
# custom: attributes.<key> (JSON); typed comparisons, never a failed cast
# ---------------------------------------------------------------------------------------


class AttributeCondition(Func):
    """`attributes[key] <op> value` as a boolean that is never NULL.

    eq matches the same JSON type only (5 is not "5"); gt/gte/lt/lte match JSON numbers only;
    exists means the key is there with a non-null value. PostgreSQL uses containment (@>) for
    eq, which the GIN index on attributes serves, and casts only after jsonb_typeof says
    'number' (inside CASE, which fixes the order). SQLite uses json_type / json_extract.
    """

    conditional = True
    output_field = BooleanField()
    _SYMBOLS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}

    def __init__(self, key: str, op: str, value: Any = None) -> None:
        super().__init__(F("attributes"))
        self.key, self.op, self.value = key, op, value

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("attribute conditions need PostgreSQL or SQLite")

    def as_postgresql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        if self.op == "eq":
            return f"({column} @> %s::jsonb)", (*column_params, json.dumps({self.key: self.value}))
        if self.op == "exists":
            sql = f"COALESCE(jsonb_typeof({column} -> %s) <> 'null', false)"
            return sql, (*column_params, self.key)
        sql = (
            f"(CASE WHEN jsonb_typeof({column} -> %s) = 'number' "
            f"THEN ({column} ->> %s)::numeric {self._SYMBOLS[self.op]} %s ELSE false END)"
        )
        return sql, (*column_params, self.key, *column_params, self.key, self.value)

    def as_sqlite(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        path = "$." + json.dumps(self.key)
        json_type = f"json_type({column}, %s)"
        type_params = (*column_params, path)
        if self.op == "exists":
            return f"COALESCE({json_type} <> 'null', 0)", type_params
        if self.op == "eq" and isinstance(self.value, bool):
            return f"COALESCE({json_type} = %s, 0)", (*type_params, str(self.value).lower())
        symbol = "=" if self.op == "eq" else self._SYMBOLS[self.op]
        types = "('text')" if isinstance(self.value, str) else "('integer', 'real')"
        sql = f"COALESCE({json_type} IN {types} AND json_extract({column}, %s) {symbol} %s, 0)"
        return sql, (*type_params, *column_params, path, self.value)


def _scalar(value: Any, report: ValueReport, *, at: str = "") -> Any:
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int | float):
        return _number(value, report, at=at)
    report.error("expected a string, number or boolean", at=at)
    raise Invalid


def _check_custom(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    if op == "exists":
        return None
    if op in ("eq", "ne"):
        return _scalar(value, report)
    if op == "in":
        values = _list(value, report, what="strings, numbers or booleans")
        return _each(values, lambda item, at: _scalar(item, report, at=at))
    return _number(value, report)


def _compile_custom(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    if op == "in":
        return reduce(or_, (Q(AttributeCondition(spec.attribute_key, "eq", v)) for v in value))
    return Q(AttributeCondition(spec.attribute_key, op, value))


def _attribute_value(spec: FieldSpec, attributes: Any) -> Any:
    return attributes.get(spec.attribute_key) if isinstance(attributes, dict) else None


# ---------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------

TYPES: dict[FieldType, TypeHandler] = {
    FieldType.CHOICE: TypeHandler(
        ops=("eq", "ne", "in", "not_in"),
        value_kinds={"eq": "choice", "ne": "choice", "in": "choices", "not_in": "choices"},
        check=_check_choice,
        compile=_compile_choice,
    ),
    FieldType.TIER: TypeHandler(
        ops=("eq", "ne", "in", "not_in", "at_least", "at_most"),
        value_kinds={
            "eq": "choice",
            "ne": "choice",
            "in": "choices",
            "not_in": "choices",
            "at_least": "choice",
            "at_most": "choice",
        },
        check=_check_tier,
        compile=_compile_tier,
        actual_expression=_tier_slug,
    ),
    FieldType.NUMBER: TypeHandler(
        ops=("eq", "ne", "gt", "gte", "lt", "lte", "between"),
        value_kinds={
            **dict.fromkeys(("eq", "ne", "gt", "gte", "lt", "lte"), "number"),
            "between": "number_range",
        },
        check=_check_number,
        compile=_compile_number,
    ),
    FieldType.DATE: TypeHandler(
        ops=("before", "after", "between", "within_last_days", "more_than_days_ago"),
        value_kinds={
            "before": "date",
            "after": "date",
            "between": "date_range",
            "within_last_days": "days",
            "more_than_days_ago": "days",
        },
        check=_check_date,
        compile=_compile_date,
    ),
    FieldType.TAGS: TypeHandler(
        ops=("has", "has_any", "has_all", "has_none"),
        value_kinds={"has": "tag", "has_any": "tags", "has_all": "tags", "has_none": "tags"},
        check=_check_tags,
        compile=_compile_tags,
        actual_list=_tag_slugs,
    ),
    FieldType.TEXT: TypeHandler(
        ops=("eq", "contains", "startswith"),
        value_kinds=dict.fromkeys(("eq", "contains", "startswith"), "text"),
        check=_check_text,
        compile=_compile_text,
    ),
    FieldType.SEGMENT: TypeHandler(
        ops=("in", "not_in"),
        value_kinds={"in": "segments", "not_in": "segments"},
        check=_check_segment,
        compile=_compile_segment,
        actual_list=_segment_slugs,
    ),
    FieldType.CUSTOM: TypeHandler(
        ops=("eq", "ne", "in", "gt", "gte", "lt", "lte", "exists"),
        value_kinds={
            **dict.fromkeys(("eq", "ne"), "json_value"),
            "in": "json_values",
            **dict.fromkeys(("gt", "gte", "lt", "lte"), "number"),
            "exists": "none",
        },
        check=_check_custom,
        compile=_compile_custom,
        actual_expression=lambda spec, today: F("attributes"),
        present=_attribute_value,
    ),
}


def _choice(name: str, label: str, choices: Sequence[tuple[str, Any]], normalize) -> FieldSpec:
    return FieldSpec(
        name=name,
        type=FieldType.CHOICE,
        label=label,
        column=name,
        choices=tuple(choices),
        normalize=normalize,
    )


def _number_field(name: str, label: str, help_text: str = "") -> FieldSpec:
    return FieldSpec(
        name=name, type=FieldType.NUMBER, label=label, column=name, help_text=help_text
    )


def _tags(name: str, label: str, source: TagSource, help_text: str = "") -> FieldSpec:
    return FieldSpec(name=name, type=FieldType.TAGS, label=label, tags=source, help_text=help_text)


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _choice("partner_type", "Partner type", PartnerType.choices, str.lower),
        _choice("region", "Region", Region.choices, str.lower),
        _choice("country", "Country", tuple(COUNTRIES.items()), str.upper),
        _choice("lifecycle_stage", "Lifecycle stage", LifecycleStage.choices, str.lower),
        FieldSpec(
            name="tier",
            type=FieldType.TIER,
            label="Tier",
            column="tier",
            help_text="By tier slug; at least / at most compare tier ranks.",
        ),
        _number_field("employee_count", "Employees"),
        _number_field("annual_revenue", "Annual revenue"),
        _number_field("tech_savviness", "Tech savviness", "1 (needs basics) to 5 (specialist)."),
        _number_field("revenue_12m", "Revenue (last 12 months)"),
        _number_field("deals_won_12m", "Deals won (last 12 months)"),
        _number_field("engagement_score", "Engagement score"),
        _number_field("enablement_completion_pct", "Enablement completed (%)", "0 to 100 percent."),
        FieldSpec(
            name="next_tier_gap_pct",
            type=FieldType.NUMBER,
            label="Gap to next tier (%)",
            expression=next_tier_gap_pct,
            output_field=FloatField(),
            help_text="How far revenue (12 months) is below the next tier's minimum, in percent "
            "of that minimum; negative when above it, empty at the top tier.",
        ),
        FieldSpec(name="joined_at", type=FieldType.DATE, label="Joined", column="joined_at"),
        FieldSpec(
            name="last_activity_at",
            type=FieldType.DATE,
            label="Last activity",
            column="last_activity_at",
            help_text="Compared by local date.",
        ),
        _tags(
            "industries",
            "Industries",
            TagSource(
                lambda today: Partner.industries.through.objects.all(), "industry__slug", "industry"
            ),
        ),
        _tags(
            "technologies",
            "Technologies",
            TagSource(
                lambda today: Partner.technologies.through.objects.all(),
                "technology__slug",
                "technology",
            ),
        ),
        _tags(
            "certifications",
            "Certifications",
            TagSource(
                lambda today: PartnerCertification.objects.active(on=today),
                "certification__slug",
                "certification",
            ),
            help_text="Unexpired certifications only.",
        ),
        FieldSpec(name="name", type=FieldType.TEXT, label="Name", column="name"),
        FieldSpec(
            name="segment",
            type=FieldType.SEGMENT,
            label="Segment membership",
            help_text="Member of another segment (by slug).",
        ),
    )
}

_CUSTOM_TEMPLATE = FieldSpec(
    name=f"{ATTRIBUTE_PREFIX}<key>",
    type=FieldType.CUSTOM,
    label="Custom attribute",
    help_text="A key of the partner's custom attributes, e.g. attributes.partner_since.",
)


def get_field(name: Any) -> FieldSpec | None:
    """The field a condition names, including `attributes.<key>`; None if there is none."""
    if not isinstance(name, str):
        return None
    if name in FIELDS:
        return FIELDS[name]
    key = name.removeprefix(ATTRIBUTE_PREFIX)
    if key != name and ATTRIBUTE_KEY.fullmatch(key):
        return FieldSpec(
            name=name,
            type=FieldType.CUSTOM,
            label=f"Attribute {key}",
            attribute_key=key,
        )
    return None


def field_catalogue() -> list[dict[str, Any]]:
    """Every field for the segment builder and the API: name, label, type, ops (with labels and
    the kind of value each takes), choices where there is a fixed set, and a help text."""
    tiers = [
        {"value": slug, "label": name}
        for slug, name in Tier.objects.order_by("rank").values_list("slug", "name")
    ]
    entries = []
    for spec in (*FIELDS.values(), _CUSTOM_TEMPLATE):
        handler = TYPES[spec.type]
        if spec.type == FieldType.TIER:
            choices = tiers
        elif spec.choices:
            choices = [{"value": value, "label": str(label)} for value, label in spec.choices]
        else:
            choices = None
        entries.append(
            {
                "name": spec.name,
                "label": spec.label,
                "type": str(spec.type),
                "ops": list(spec.ops),
                "op_labels": {op: OP_LABELS[op] for op in spec.ops},
                "value_kinds": {op: handler.value_kinds[op] for op in spec.ops},
                "choices": choices,
                "help_text": spec.help_text,
            }
        )
    return entries
