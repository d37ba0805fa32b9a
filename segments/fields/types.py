"""One handler per field type: which operators it has, how a value is checked, how a
condition compiles to SQL and how a partner's actual value is read (for explain)."""

from __future__ import annotations

import datetime as dt
import json
import math
from functools import reduce
from operator import or_
from typing import Any

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
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IContains,
    IExact,
    In,
    IStartsWith,
    LessThan,
    LessThanOrEqual,
)
from django.utils import timezone

from partners.models import (
    Tier,
)
from segments.fields.base import (
    FALSE,
    ISO_DATE,
    MAX_DAYS,
    FieldSpec,
    FieldType,
    Invalid,
    TypeHandler,
    ValueReport,
    _compare,
    _each,
    _list,
    _not_null,
    _number,
    _pair,
    _string,
)
from segments.models import Membership, Segment

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
    return _NextTierGapPct(Subquery(gap, output_field=FloatField()))


class _NextTierGapPct(Expression):
    """next_tier_gap_pct's value. On PostgreSQL the tiers' ids and thresholds are read once per
    statement, as two arrays ordered by rank (uncorrelated sub-selects, run once as InitPlans),
    and the next tier is the array element after the partner's own: per partner only array
    arithmetic. The portable form (elsewhere) runs two correlated sub-selects per partner,
    3.5 s for a rule preview over 100,000 partners (`manage.py bench_load`)."""

    def __init__(self, portable: Expression):
        super().__init__(output_field=FloatField())
        self.portable, self.tier_id, self.revenue = portable, F("tier_id"), F("revenue_12m")

    def get_source_expressions(self) -> list[Expression]:
        return [self.portable, self.tier_id, self.revenue]

    def set_source_expressions(self, expressions) -> None:
        self.portable, self.tier_id, self.revenue = expressions

    def as_sql(self, compiler, connection):
        return compiler.compile(self.portable)

    def as_postgresql(self, compiler, connection):
        tier_sql, tier_params = compiler.compile(self.tier_id)
        revenue_sql, revenue_params = compiler.compile(self.revenue)
        table = connection.ops.quote_name(Tier._meta.db_table)
        id_, rank, minimum = (
            connection.ops.quote_name(Tier._meta.get_field(name).column)
            for name in ("id", "rank", "min_revenue_12m")
        )
        threshold = (
            f"(SELECT array_agg(NULLIF({minimum}::float8, 0) ORDER BY {rank}) FROM {table})"
            f"[COALESCE(array_position((SELECT array_agg({id_} ORDER BY {rank}) FROM {table}), "
            f"{tier_sql}), 0) + 1]"
        )
        sql = f"(({threshold} - ({revenue_sql})::float8) * 100.0 / {threshold})"
        return sql, (*tier_params, *revenue_params, *tier_params)


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
    members = Membership.objects.filter(_SegmentNamed(value), partner_id=OuterRef("pk"))
    return Q(Exists(members))


class _SegmentNamed(Expression):
    """A membership's segment is one of those named by slug. On PostgreSQL the segment ids are
    read once per statement (an InitPlan) and compared as `segment_id = (SELECT id …)` for one
    slug, `= ANY(ARRAY(SELECT id …))` for several, so that the (partner, segment) index is
    probed for the partner and the segment together where it can; elsewhere (SQLite) `IN
    (SELECT id …)`. The join to the segments by slug this replaces was planned as a scan of all
    the partner's memberships filtered by segment, reading the heap row of each one on pages a
    recent write left not all-visible: after a re-check's first level, 4 of its 18 s at a
    million partners."""

    conditional = True

    def __init__(self, slugs: list[str]):
        super().__init__(output_field=BooleanField())
        self.single = len(slugs) == 1
        self.segment_id = F("segment_id")
        self.ids = Subquery(Segment.objects.filter(slug__in=slugs).order_by().values("id"))

    def get_source_expressions(self) -> list[Expression]:
        return [self.segment_id, self.ids]

    def set_source_expressions(self, expressions) -> None:
        self.segment_id, self.ids = expressions

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.segment_id)
        ids, ids_params = compiler.compile(self.ids)
        return f"{column} IN {ids}", (*column_params, *ids_params)

    def as_postgresql(self, compiler, connection):
        column, column_params = compiler.compile(self.segment_id)
        ids, ids_params = compiler.compile(self.ids)
        comparison = f"= {ids}" if self.single else f"= ANY(ARRAY{ids})"
        return f"{column} {comparison}", (*column_params, *ids_params)


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
# boolean: a flag column such as is_at_risk (never null)
# ---------------------------------------------------------------------------------------


def _check_boolean(spec: FieldSpec, op: str, value: Any, report: ValueReport) -> Any:
    if not isinstance(value, bool):
        report.error("expected true or false")
        raise Invalid
    return value


def _compile_boolean(spec: FieldSpec, op: str, value: Any, today: dt.date) -> Q:
    return _compare(spec, Exact, value, today)


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
    FieldType.BOOLEAN: TypeHandler(
        ops=("eq", "ne"),
        value_kinds={"eq": "boolean", "ne": "boolean"},
        check=_check_boolean,
        compile=_compile_boolean,
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
