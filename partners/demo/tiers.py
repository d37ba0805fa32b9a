"""Tiers consistent with the tier program's own rules: after the roll-up, every demo partner
gets the tier its requirements give (the same QualifyingQuery as the evaluation and the
what-if, one UPDATE per tier), except a handful that qualify for the next tier up and wait
for a manager's review as pending TierChanges."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

from partners.demo.generation import _external_id
from partners.demo.vocabulary import DEMO_PREFIX
from partners.models import (
    Partner,
    TierChange,
    TierChangeSource,
    TierChangeStatus,
)
from partners.tiers.requirements import QualifyingQuery, tier_requirements_load

# Promotions waiting for review, by the tier they are for (8 in all).
BATCH = 5000
PENDING_PER_TIER = {"silver": 3, "gold": 3, "platinum": 2}


def _tiers_align(*, today: dt.date) -> int:
    """Put every demo partner on the tier its requirements give, then move the few that only
    just qualify back one tier, with a pending promotion; returns the changes written."""
    query = QualifyingQuery(tier_requirements_load(), today=today)
    demo = Partner.objects.filter(external_id__startswith=DEMO_PREFIX)
    # One read of the evaluation's own decision, then one UPDATE per tier (in batches, for
    # SQLite's limit on parameters).
    ids_by_target: dict[int | None, list[int]] = {}
    for partner_id, target in query.moving(demo).values_list("id", "target_tier_id"):
        ids_by_target.setdefault(target, []).append(partner_id)
    for target, ids in ids_by_target.items():
        for start in range(0, len(ids), BATCH):
            Partner.objects.filter(pk__in=ids[start : start + BATCH]).update(tier_id=target)
    return _pending_write(query=query, demo=demo)


def _pending_write(*, query: QualifyingQuery, demo) -> int:
    """The active partners that only just qualify for silver or better (the lowest revenue
    above each tier's threshold: PENDING_PER_TIER of each) are still on the tier below:
    their promotion is a pending change, as a scheduled evaluation queues it under
    PRM_TIER_CHANGES_REQUIRE_APPROVAL."""
    ranked = [tier for tier in query.tiers if tier.is_automatic]
    by_target: dict[int, list[int]] = {}
    for lower, upper in pairwise(ranked):
        ids = list(
            demo.filter(lifecycle_stage="active", tier_id=upper.id)
            .exclude(external_id=_external_id(0))  # the showcase partner stays as it is
            .order_by("revenue_12m", "id")
            .values_list("id", flat=True)[: PENDING_PER_TIER.get(upper.slug, 0)]
        )
        if ids:
            by_target[lower.id] = ids
    for lower, partner_ids in by_target.items():
        Partner.objects.filter(pk__in=partner_ids).update(tier_id=lower)
    rows = query.moving(demo.filter(pk__in=[p for ids in by_target.values() for p in ids]))
    changes = [
        TierChange(
            partner_id=row["id"],
            from_tier_id=row["tier_id"],
            to_tier_id=row["target_tier_id"],
            direction=query.direction(
                from_tier_id=row["tier_id"], to_tier_id=row["target_tier_id"]
            ),
            status=TierChangeStatus.PENDING,
            reasons=query.reasons(
                from_tier_id=row["tier_id"], to_tier_id=row["target_tier_id"], measures=row
            ),
            source=TierChangeSource.SCHEDULE,
        )
        for row in rows.order_by("id").values(
            "id", "tier_id", "target_tier_id", *query.measure_names
        )
    ]
    TierChange.objects.bulk_create(changes)
    return len(changes)
