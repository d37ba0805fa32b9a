"""The requirements of the tier program and the one query that turns them into every
partner's qualifying tier. Pure reads: evaluation, what-if and progress all build on this.

A partner qualifies for the highest-rank automatic tier whose every set requirement it meets;
an unset requirement is met, a null partner value never meets a set one. The query is built
from Python requirement values (the tiers as stored, or a what-if proposal), so evaluation
and what-if run exactly the same SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThanOrEqual

from partners.models import Partner, PartnerCertification, Tier

# Each requirement (a Tier column) and the partner measure it is compared with.
MEASURES: dict[str, str] = {
    "min_revenue_12m": "revenue_12m",
    "min_deals_won_12m": "deals_won_12m",
    "min_active_certifications": "active_certifications",
    "min_enablement_completion_pct": "enablement_completion_pct",
}
REQUIREMENTS = tuple(MEASURES)
WHOLE_NUMBER_REQUIREMENTS = {"min_deals_won_12m", "min_active_certifications"}
# Column limits: revenue is numeric(16, 2), the counts are (small) positive integers.
MAXIMUMS: dict[str, float] = {
    "min_revenue_12m": 10**14 - 1,
    "min_deals_won_12m": 2**31 - 1,
    "min_active_certifications": 2**15 - 1,
    "min_enablement_completion_pct": 100,
}
# A partner without a tier / a move to no tier, in comparisons of ids and ranks.
NO_TIER = -1


@dataclasses.dataclass(frozen=True)
class TierRequirements:
    """One tier and what it takes to qualify for it (None = no requirement)."""

    id: int
    slug: str
    name: str
    rank: int
    is_automatic: bool = True
    min_revenue_12m: Decimal | None = None
    min_deals_won_12m: int | None = None
    min_active_certifications: int | None = None
    min_enablement_completion_pct: float | None = None
    # (id, slug) of the certifications that count, sorted; empty = every certification.
    required_certifications: tuple[tuple[int, str], ...] = ()

    @property
    def has_requirements(self) -> bool:
        return any(getattr(self, requirement) is not None for requirement in REQUIREMENTS)

    @property
    def required_certification_ids(self) -> frozenset[int]:
        return frozenset(certification_id for certification_id, _ in self.required_certifications)

    def as_dict(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "rank": self.rank}

    def proposed(self, values: Mapping[str, Any]) -> TierRequirements:
        """These requirements with some replaced by (validated) proposed values."""
        changes: dict[str, Any] = {}
        for requirement, value in values.items():
            if value is None:
                changes[requirement] = None
            elif requirement == "min_revenue_12m":
                changes[requirement] = Decimal(str(value)).quantize(Decimal("0.01"))
            elif requirement in WHOLE_NUMBER_REQUIREMENTS:
                changes[requirement] = int(value)
            else:
                changes[requirement] = float(value)
        return dataclasses.replace(self, **changes)


def tier_requirements_load() -> list[TierRequirements]:
    """Every tier with its requirements, by rank (two queries)."""
    tiers = Tier.objects.prefetch_related("required_certifications").order_by("rank")
    return [
        TierRequirements(
            id=tier.id,
            slug=tier.slug,
            name=tier.name,
            rank=tier.rank,
            is_automatic=tier.is_automatic,
            min_revenue_12m=tier.min_revenue_12m,
            min_deals_won_12m=tier.min_deals_won_12m,
            min_active_certifications=tier.min_active_certifications,
            min_enablement_completion_pct=tier.min_enablement_completion_pct,
            required_certifications=tuple(
                sorted((cert.id, cert.slug) for cert in tier.required_certifications.all())
            ),
        )
        for tier in tiers
    ]


def jit_off() -> None:
    """Turn PostgreSQL's JIT off for the rest of the transaction: compiling the wide CASE of
    the qualifying query costs more than running it (at 100,000 partners: 1.9 s with JIT,
    0.5 s without; see partners/tiers/bench.py)."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


class ThresholdsError(Exception):
    """Proposed thresholds are invalid; `errors` is a list of {path, message}."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) to a value inside the thresholds object."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def thresholds_errors(thresholds: Any, *, tier_slugs: Iterable[str]) -> list[dict[str, str]]:
    """Check proposed thresholds {tier slug: {requirement: number or null}}; [] when valid."""
    if not isinstance(thresholds, dict):
        return [{"path": "", "message": "expected an object of tier slug -> requirements"}]
    known = set(tier_slugs)
    errors: list[dict[str, str]] = []
    for slug, values in thresholds.items():
        if slug not in known:
            errors.append({"path": _pointer(slug), "message": f"unknown tier '{slug}'"})
            continue
        if not isinstance(values, dict):
            errors.append(
                {"path": _pointer(slug), "message": "expected an object of requirement -> value"}
            )
            continue
        for requirement, value in values.items():
            message = _value_error(requirement, value)
            if message:
                errors.append({"path": _pointer(slug, requirement), "message": message})
    return errors


def _value_error(requirement: str, value: Any) -> str | None:
    if requirement not in MEASURES:
        return f"unknown requirement; expected one of {', '.join(REQUIREMENTS)}"
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return "expected a number or null"
    if value < 0:
        return "must not be negative"
    if requirement in WHOLE_NUMBER_REQUIREMENTS and value != int(value):
        return "expected a whole number"
    if value > MAXIMUMS[requirement]:
        return f"expected at most {MAXIMUMS[requirement]:g}"
    return None


class QualifyingQuery:
    """The SQL of the tier program for a list of tier requirements: each partner's measures
    (revenue, deals, enablement, active certifications per required set) and its qualifying
    and target tier, as annotations on Partner."""

    def __init__(self, tiers: Sequence[TierRequirements], *, today: dt.date) -> None:
        self.tiers = sorted(tiers, key=lambda tier: tier.rank)
        self.today = today
        self.by_id = {tier.id: tier for tier in self.tiers}
        # One count per distinct set of certifications that some tier's requirement reads.
        self._count_names: dict[frozenset[int], str] = {}
        for tier in self.tiers:
            ids = tier.required_certification_ids
            if tier.min_active_certifications is not None and ids not in self._count_names:
                self._count_names[ids] = f"active_certifications_{len(self._count_names)}"

    # -- measures --------------------------------------------------------------------

    def certification_count_name(self, tier: TierRequirements) -> str | None:
        """The annotation holding the active certifications that count for this tier."""
        return self._count_names.get(tier.required_certification_ids)

    def _certification_count(self, certification_ids: frozenset[int]) -> Expression:
        awards = PartnerCertification.objects.active(on=self.today).filter(
            partner_id=OuterRef("pk")
        )
        if certification_ids:
            awards = awards.filter(certification_id__in=sorted(certification_ids))
        count = awards.order_by().values("partner_id").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))

    @property
    def measure_names(self) -> list[str]:
        return [
            "revenue_12m",
            "deals_won_12m",
            "enablement_completion_pct",
            *self._count_names.values(),
        ]

    def with_measures(self, queryset: QuerySet[Partner]) -> QuerySet[Partner]:
        """Annotate the active certification counts the requirements read."""
        return queryset.annotate(
            **{name: self._certification_count(ids) for ids, name in self._count_names.items()}
        )

    # -- the decision ----------------------------------------------------------------

    def conditions(self, tier: TierRequirements) -> Q | None:
        """A partner meets every set requirement of the tier (None: the tier has none)."""
        parts = []
        if tier.min_revenue_12m is not None:
            parts.append(Q(revenue_12m__gte=tier.min_revenue_12m))
        if tier.min_deals_won_12m is not None:
            parts.append(Q(deals_won_12m__gte=tier.min_deals_won_12m))
        if tier.min_enablement_completion_pct is not None:
            parts.append(Q(enablement_completion_pct__gte=tier.min_enablement_completion_pct))
        if tier.min_active_certifications is not None:
            name = self.certification_count_name(tier)
            parts.append(Q(**{f"{name}__gte": tier.min_active_certifications}))
        if not parts:
            return None
        condition = parts[0]
        for part in parts[1:]:
            condition &= part
        return condition

    def qualifying_tier_id(self) -> Expression:
        """CASE over the automatic tiers, highest rank first: the first one met wins; a tier
        without requirements takes every partner left (null when no tier is open to all)."""
        whens = []
        default = None
        for tier in reversed(self.tiers):
            if not tier.is_automatic:
                continue
            condition = self.conditions(tier)
            if condition is None:
                default = tier.id
                break
            whens.append(When(condition, then=Value(tier.id)))
        return Case(
            *whens,
            default=Value(default, output_field=BigIntegerField()),
            output_field=BigIntegerField(),
        )

    def target_tier_id(self) -> Expression:
        """The tier a partner should have: its qualifying tier, except that a partner a
        manager put on a non-automatic tier keeps it."""
        manual = [tier.id for tier in self.tiers if not tier.is_automatic]
        if not manual:
            return F("qualifying_tier_id")
        return Case(
            When(tier_id__in=manual, then=F("tier_id")),
            default=F("qualifying_tier_id"),
            output_field=BigIntegerField(),
        )

    def partners(self, queryset: QuerySet[Partner] | None = None) -> QuerySet[Partner]:
        """Partners with their measures, qualifying_tier_id and target_tier_id."""
        queryset = Partner.objects.all() if queryset is None else queryset
        return (
            self.with_measures(queryset.order_by())
            .annotate(qualifying_tier_id=self.qualifying_tier_id())
            .annotate(target_tier_id=self.target_tier_id())
        )

    def moving(self, queryset: QuerySet[Partner] | None = None) -> QuerySet[Partner]:
        """The partners whose target tier is not their tier."""
        return (
            self.partners(queryset)
            .alias(
                current_key=Coalesce("tier_id", Value(NO_TIER), output_field=BigIntegerField()),
                target_key=Coalesce(
                    "target_tier_id", Value(NO_TIER), output_field=BigIntegerField()
                ),
            )
            .exclude(current_key=F("target_key"))
        )

    # -- the way to the next tier (tier progress and the segment fields alike) ---------

    def next_tier(self, rank: int) -> TierRequirements | None:
        """The tier after `rank` (the smallest rank above it; NO_TIER: the lowest tier)."""
        return next((tier for tier in self.tiers if tier.rank > rank), None)

    def next_tier_value(
        self, value: Callable[[TierRequirements], Expression], output_field
    ) -> Expression:
        """`value` of each partner's next tier, as one CASE over its tier (the tiers are a
        handful, read once per statement): null at the top tier."""
        whens = []
        for tier in self.tiers:
            following = self.next_tier(tier.rank)
            if following is not None:
                whens.append(When(tier_id=tier.id, then=value(following)))
        lowest = self.next_tier(NO_TIER)
        if lowest is not None:
            whens.append(When(tier_id__isnull=True, then=value(lowest)))
        if not whens:
            return Value(None, output_field=output_field)
        return Case(
            *whens, default=Value(None, output_field=output_field), output_field=output_field
        )

    def _requirement_parts(self, tier: TierRequirements) -> list[tuple[str, Any, Expression, Q]]:
        """(requirement, required, the partner's measure, met) for each set requirement."""
        parts = []
        for requirement, measure in MEASURES.items():
            required = getattr(tier, requirement)
            if required is None:
                continue
            if requirement == "min_active_certifications":
                actual = self._certification_count(tier.required_certification_ids)
                met = GreaterThanOrEqual(actual, Value(required))
            else:
                actual = F(measure)
                met = Q(**{f"{measure}__gte": required})
            parts.append((requirement, required, actual, met))
        return parts

    def progress_pct(self, tier: TierRequirements) -> Expression:
        """How far a partner is on its way to `tier`, 0-100: the share met of the requirement
        furthest from met (requirement_share in SQL). A partner moves up only when every
        requirement is met, so no average stands for it; 100 exactly when it qualifies."""
        shares = []
        for requirement, required, actual, met in self._requirement_parts(tier):
            required = float(required)
            if required <= 0:
                partial: Expression = Value(0.0)
            else:
                ratio = Coalesce(Cast(actual, FloatField()), Value(0.0)) / Value(required)
                partial = Greatest(Least(ratio, Value(1.0)), Value(0.0))
            if requirement == "min_active_certifications":
                # A count is never null, and count / required reaches 1 exactly when the count
                # meets it: the share alone, without a CASE that ran the count subquery twice
                # per partner (a third of a tier-edge preview at 100,000 partners).
                shares.append(partial if required > 0 else Value(1.0))
                continue
            shares.append(
                Case(When(met, then=Value(1.0)), default=partial, output_field=FloatField())
            )
        if not shares:
            return Value(100.0, output_field=FloatField())
        weakest = shares[0] if len(shares) == 1 else Least(*shares)
        return ExpressionWrapper(weakest * Value(100.0), output_field=FloatField())

    def unmet_count(self, tier: TierRequirements) -> Expression:
        """How many of the tier's requirements a partner does not meet yet."""
        total: Expression = Value(0)
        for *_, met in self._requirement_parts(tier):
            total = total + Case(When(met, then=Value(0)), default=Value(1))
        return ExpressionWrapper(total, output_field=IntegerField())

    def requirement_gap(self, tier: TierRequirements, requirement: str) -> Expression:
        """What a partner misses of one requirement of the tier (0 when met or not set):
        revenue in money, deals and certifications as counts."""
        output = (
            DecimalField(max_digits=16, decimal_places=2)
            if requirement == "min_revenue_12m"
            else IntegerField()
        )
        for name, required, actual, met in self._requirement_parts(tier):
            if name == requirement:
                missing = ExpressionWrapper(
                    Value(required) - Coalesce(actual, Value(0)), output_field=output
                )
                return Case(When(met, then=Value(0)), default=missing, output_field=output)
        return Value(0, output_field=output)

    # -- explanations ----------------------------------------------------------------

    def rank(self, tier_id: int | None) -> int:
        return self.by_id[tier_id].rank if tier_id in self.by_id else NO_TIER

    def slug(self, tier_id: int | None) -> str | None:
        return self.by_id[tier_id].slug if tier_id in self.by_id else None

    def direction(self, *, from_tier_id: int | None, to_tier_id: int | None) -> str:
        return "up" if self.rank(to_tier_id) > self.rank(from_tier_id) else "down"

    def checks(self, tier: TierRequirements, measures: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Each set requirement of the tier: {requirement, required, actual, met} (+ the
        certifications that count, when the tier names them). Values as stored (Decimal)."""
        result = []
        for requirement, measure in MEASURES.items():
            required = getattr(tier, requirement)
            if required is None:
                continue
            if requirement == "min_active_certifications":
                actual = measures.get(self.certification_count_name(tier)) or 0
            else:
                actual = measures.get(measure)
            check = {
                "requirement": requirement,
                "required": required,
                "actual": actual,
                "met": actual is not None and actual >= required,
            }
            if requirement == "min_active_certifications" and tier.required_certifications:
                check["certifications"] = [slug for _, slug in tier.required_certifications]
            result.append(check)
        return result

    def reasons(
        self, *, from_tier_id: int | None, to_tier_id: int | None, measures: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Why a partner moves, as JSON: the requirements of the tier it moves to (all met)
        and of the tier it leaves (unmet ones are why a tier is lost)."""
        result: dict[str, Any] = {}
        for key, tier_id in (("to_tier", to_tier_id), ("from_tier", from_tier_id)):
            tier = self.by_id.get(tier_id)
            result[key] = {
                "tier": tier.slug if tier else None,
                "requirements": [
                    {
                        **check,
                        "required": _json_number(check["required"]),
                        "actual": _json_number(check["actual"]),
                    }
                    for check in (self.checks(tier, measures) if tier else [])
                ],
            }
        return result


def _json_number(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def requirement_share(*, required: Any, actual: Any, met: bool) -> float:
    """The share met of one requirement, 0-1 (QualifyingQuery.progress_pct in SQL)."""
    required = float(required)
    if met:
        return 1.0
    if actual is None or required <= 0:
        return 0.0
    return max(min(float(actual) / required, 1.0), 0.0)
