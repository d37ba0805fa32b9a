"""Reads of the tier program: tiers, tier changes, what-if on proposed thresholds, and a
partner's progress toward its next tier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from partners.models import Partner, Tier, TierChange
from partners.tiers.requirements import (
    NO_TIER,
    QualifyingQuery,
    ThresholdsError,
    TierRequirements,
    jit_off,
    requirement_share,
    thresholds_errors,
    tier_requirements_load,
)

WHAT_IF_SAMPLE_SIZE = 20


def tier_list() -> QuerySet[Tier]:
    """Tiers by rank with their required certifications and how many partners hold each."""
    return (
        Tier.objects.prefetch_related("required_certifications")
        .annotate(partner_count=Count("partners"))
        .order_by("rank")
    )


def tier_change_list() -> QuerySet[TierChange]:
    """Tier changes, newest first, with partner, tiers and decider."""
    return TierChange.objects.select_related("partner", "from_tier", "to_tier", "decided_by")


def tiers_what_if(
    *,
    thresholds: dict[str, dict[str, Any]],
    today: dt.date | None = None,
    sample_size: int = WHAT_IF_SAMPLE_SIZE,
) -> dict[str, Any]:
    """How many partners would move up or down from their current (assigned) tier if the
    tiers had these requirements ({tier slug: {requirement: value or null}}), and who (the
    first by name); the same query as the evaluation, writes nothing. Raises
    ThresholdsError."""
    today = today or timezone.localdate()
    tiers = tier_requirements_load()
    errors = thresholds_errors(thresholds, tier_slugs=[tier.slug for tier in tiers])
    if errors:
        raise ThresholdsError(errors)
    query = QualifyingQuery(
        [tier.proposed(thresholds.get(tier.slug, {})) for tier in tiers], today=today
    )
    pair = [F("tier_id"), F("target_tier_id")]
    by_name = [F("name").asc(), F("id").asc()]
    with transaction.atomic():
        jit_off()
        total = Partner.objects.count()
        # One row per move (from, to) and partner, numbered by name within the move: the
        # first `sample_size` of each move, each carrying its move's count.
        rows = list(
            query.moving()
            .annotate(
                move_count=Window(Count("id"), partition_by=pair),
                move_row=Window(RowNumber(), partition_by=pair, order_by=by_name),
                # the database's collation orders names, not Python's
                name_order=Window(RowNumber(), order_by=by_name),
            )
            .filter(move_row__lte=max(sample_size, 1))
            .values(
                "id",
                "external_id",
                "name",
                "tier_id",
                "target_tier_id",
                "move_count",
                "name_order",
            )
        )
    moves: dict[tuple, dict[str, Any]] = {}
    samples: dict[str, list[dict[str, Any]]] = {"up": [], "down": []}
    for row in rows:
        key = (row["tier_id"], row["target_tier_id"])
        direction = query.direction(from_tier_id=key[0], to_tier_id=key[1])
        moves[key] = {
            "tier_from": query.slug(key[0]),
            "tier_to": query.slug(key[1]),
            "direction": direction,
            "count": row["move_count"],
        }
        samples[direction].append(
            {
                "name_order": row["name_order"],
                "id": row["id"],
                "external_id": row["external_id"],
                "name": row["name"],
                "tier_from": query.slug(key[0]),
                "tier_to": query.slug(key[1]),
            }
        )
    ordered = [
        moves[key] for key in sorted(moves, key=lambda k: (query.rank(k[0]), query.rank(k[1])))
    ]
    up = sum(move["count"] for move in ordered if move["direction"] == "up")
    down = sum(move["count"] for move in ordered if move["direction"] == "down")
    return {
        "partners": total,
        "up": up,
        "down": down,
        "unchanged": total - up - down,
        "moves": ordered,
        "sample_up": _first(samples["up"], sample_size),
        "sample_down": _first(samples["down"], sample_size),
    }


def _first(rows: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda row: row["name_order"])[:size]
    for row in rows:
        del row["name_order"]
    return rows


def tier_progress(*, partner: Partner, today: dt.date | None = None) -> dict[str, Any]:
    """Where a partner stands: its tier, the tier it qualifies for now, the next tier (the
    smallest rank above its own; the lowest tier without one) and, per requirement of the
    next tier, {requirement, required, actual, missing, met}; pct, the mean share met;
    progress_pct, the share met of the requirement furthest from met, and unmet, the
    requirements not met yet (the segment fields next_tier_progress_pct and
    next_tier_unmet_requirements); and next_tier_gap_pct as the segment field defines it
    (revenue only)."""
    today = today or timezone.localdate()
    tiers = tier_requirements_load()
    query = QualifyingQuery(tiers, today=today)
    measures = (
        query.partners(Partner.objects.filter(pk=partner.pk))
        .values("tier_id", "target_tier_id", *query.measure_names)
        .get()
    )
    current = query.by_id.get(measures["tier_id"])
    current_rank = current.rank if current else NO_TIER
    next_tier = next((tier for tier in query.tiers if tier.rank > current_rank), None)
    pending = (
        TierChange.objects.pending()
        .filter(partner_id=partner.pk)
        .values("id", "to_tier_id", "direction", "created_at")
        .first()
    )
    requirements = _requirements_progress(query, next_tier, measures) if next_tier else []
    return {
        "partner": partner.pk,
        "tier": current.as_dict() if current else None,
        "qualifying_tier": _tier_dict(query, measures["target_tier_id"]),
        "next_tier": (
            {**next_tier.as_dict(), "is_automatic": next_tier.is_automatic} if next_tier else None
        ),
        "requirements": requirements,
        "pct": _overall_pct(requirements) if next_tier else None,
        "progress_pct": round(_progress_pct(requirements), 1) if next_tier else None,
        "unmet": sum(1 for check in requirements if not check["met"]) if next_tier else None,
        "next_tier_gap_pct": _gap_pct(next_tier, measures["revenue_12m"]),
        "pending_change": (
            {
                "id": pending["id"],
                "to_tier": query.slug(pending["to_tier_id"]),
                "direction": pending["direction"],
                "created_at": pending["created_at"],
            }
            if pending
            else None
        ),
    }


def _tier_dict(query: QualifyingQuery, tier_id: int | None) -> dict[str, Any] | None:
    tier = query.by_id.get(tier_id)
    return tier.as_dict() if tier else None


def _requirements_progress(
    query: QualifyingQuery, tier: TierRequirements, measures: dict[str, Any]
) -> list[dict[str, Any]]:
    result = []
    for check in query.checks(tier, measures):
        required, actual = check["required"], check["actual"]
        missing = required - actual if actual is not None else required
        if isinstance(missing, Decimal | int):
            missing = max(missing, type(missing)(0))
        else:
            missing = max(float(missing), 0.0)
        result.append({**check, "missing": missing})
    return result


def _shares(requirements: list[dict[str, Any]]) -> list[float]:
    return [
        requirement_share(required=check["required"], actual=check["actual"], met=check["met"])
        for check in requirements
    ]


def _overall_pct(requirements: list[dict[str, Any]]) -> float:
    """The mean share met over the requirements (each capped at 100%); 100 with none."""
    shares = _shares(requirements)
    return round(sum(shares) / len(shares) * 100, 1) if shares else 100.0


def _progress_pct(requirements: list[dict[str, Any]]) -> float:
    """The share met of the requirement furthest from met, as the segment field
    next_tier_progress_pct computes it: 100 exactly when the partner qualifies."""
    shares = _shares(requirements)
    return min(shares) * 100 if shares else 100.0


def _gap_pct(tier: TierRequirements | None, revenue_12m: Decimal | None) -> float | None:
    """(next.min_revenue_12m - revenue_12m) / next.min_revenue_12m * 100, as
    segments.fields.next_tier_gap_pct computes it (null without a positive threshold or a
    revenue; negative above the threshold)."""
    if tier is None or not tier.min_revenue_12m or revenue_12m is None:
        return None
    threshold = float(tier.min_revenue_12m)
    return (threshold - float(revenue_12m)) * 100.0 / threshold
