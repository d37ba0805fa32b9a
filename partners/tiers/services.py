"""Writes of the tier program: evaluate every partner's tier, decide pending changes, edit a
tier's requirements."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from partners.auditing import PARTNER_AUDIT_COLUMNS, partners_audited
from partners.models import (
    Partner,
    Tier,
    TierChange,
    TierChangeSource,
    TierChangeStatus,
)
from partners.services import partners_mark_changed
from partners.tiers.requirements import QualifyingQuery, jit_off, tier_requirements_load

# pg_advisory_xact_lock key: one tier evaluation at a time (a second one waits, then finds
# the first one's work done).
EVALUATION_LOCK_KEY = 0x7469_6572  # "tier"
BATCH_SIZE = 5000
TIER_FIELDS = (
    "name",
    "description",
    "benefits",
    "min_revenue_12m",
    "min_deals_won_12m",
    "min_active_certifications",
    "min_enablement_completion_pct",
    "is_automatic",
)


def _require_approval() -> bool:
    return getattr(settings, "PRM_TIER_CHANGES_REQUIRE_APPROVAL", False)


def _lock_evaluation() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVALUATION_LOCK_KEY])


@transaction.atomic
def tiers_evaluate(
    *,
    apply: bool | None = None,
    today: dt.date | None = None,
    source: str = TierChangeSource.MANUAL,
) -> dict[str, int]:
    """Find every partner whose qualifying tier differs from its tier, in one query, and
    either move them (apply) or queue pending changes for approval; records TierChanges with
    reasons and, after commit, announces the moved partners (reason "tier").

    `apply` defaults to not settings.PRM_TIER_CHANGES_REQUIRE_APPROVAL. A pending change
    identical to the new finding is kept; any other pending change is superseded; a move a
    manager rejected is not proposed again while the rejection is the partner's latest
    decision ("held"). Partners on a non-automatic tier keep it. Returns {evaluated, up,
    down, applied, pending, superseded, held}; up/down count every partner whose qualifying
    tier differs from its tier.
    """
    if apply is None:
        apply = not _require_approval()
    today = today or timezone.localdate()
    now = timezone.now()
    _lock_evaluation()
    jit_off()
    query = QualifyingQuery(tier_requirements_load(), today=today)
    evaluated = Partner.objects.count()
    moving = query.moving()
    if apply:
        moving = moving.select_for_update(of=("self",))
    rows = list(moving.values("id", "tier_id", "target_tier_id", *query.measure_names))

    def change_for(row: dict[str, Any], status: str) -> TierChange:
        return TierChange(
            partner_id=row["id"],
            from_tier_id=row["tier_id"],
            to_tier_id=row["target_tier_id"],
            direction=query.direction(
                from_tier_id=row["tier_id"], to_tier_id=row["target_tier_id"]
            ),
            status=status,
            reasons=query.reasons(
                from_tier_id=row["tier_id"], to_tier_id=row["target_tier_id"], measures=row
            ),
            source=source,
            decided_at=now if status == TierChangeStatus.APPLIED else None,
        )

    result = {
        "evaluated": evaluated,
        "up": 0,
        "down": 0,
        "applied": 0,
        "pending": 0,
        "superseded": 0,
        "held": 0,
    }
    for row in rows:
        result[query.direction(from_tier_id=row["tier_id"], to_tier_id=row["target_tier_id"])] += 1

    if apply:
        _apply_moves(rows=rows, change_for=change_for, now=now, result=result)
    else:
        _queue_moves(rows=rows, change_for=change_for, now=now, result=result)
    return result


def _apply_moves(
    *, rows: list[dict[str, Any]], change_for: Callable, now: dt.datetime, result: dict
) -> None:
    """Move the partners, one UPDATE per target tier; record applied changes; any pending
    change is out of date now."""
    result["superseded"] = TierChange.objects.pending().update(
        status=TierChangeStatus.SUPERSEDED, decided_at=now
    )
    ids_by_target: dict[int | None, list[int]] = defaultdict(list)
    for row in rows:
        ids_by_target[row["target_tier_id"]].append(row["id"])
    with partners_audited(
        partner_ids=[row["id"] for row in rows],
        columns={"tier": PARTNER_AUDIT_COLUMNS["tier"]},
        operation="tier evaluation",
    ):
        for target_tier_id, partner_ids in ids_by_target.items():
            Partner.objects.filter(id__in=partner_ids).update(
                tier_id=target_tier_id, updated_at=now
            )
    TierChange.objects.bulk_create(
        [change_for(row, TierChangeStatus.APPLIED) for row in rows], batch_size=BATCH_SIZE
    )
    result["applied"] = len(rows)
    partners_mark_changed(partner_ids=[row["id"] for row in rows], reason="tier")


def _queue_moves(
    *, rows: list[dict[str, Any]], change_for: Callable, now: dt.datetime, result: dict
) -> None:
    """Queue pending changes: keep identical pending ones, supersede the others, hold moves
    a manager rejected."""
    pending = {
        change["partner_id"]: change
        for change in TierChange.objects.pending().values(
            "id", "partner_id", "from_tier_id", "to_tier_id"
        )
    }
    rejected = _last_decision_rejected(partner_ids=[row["id"] for row in rows])
    superseded_ids: list[int] = []
    new_changes: list[TierChange] = []
    for row in rows:
        move = (row["tier_id"], row["target_tier_id"])
        old = pending.pop(row["id"], None)
        if old is not None and (old["from_tier_id"], old["to_tier_id"]) == move:
            result["pending"] += 1
            continue
        if old is not None:
            superseded_ids.append(old["id"])
        if rejected.get(row["id"]) == move:
            result["held"] += 1
            continue
        new_changes.append(change_for(row, TierChangeStatus.PENDING))
    # Pending changes of partners that no longer move are out of date as well.
    superseded_ids.extend(change["id"] for change in pending.values())
    # Still pending: a manager may have decided one since it was read.
    result["superseded"] = (
        TierChange.objects.pending()
        .filter(id__in=superseded_ids)
        .update(status=TierChangeStatus.SUPERSEDED, decided_at=now)
    )
    TierChange.objects.bulk_create(new_changes, batch_size=BATCH_SIZE)
    result["pending"] += len(new_changes)


def _last_decision_rejected(*, partner_ids: list[int]) -> dict[int, tuple[int | None, int | None]]:
    """{partner id: (from, to)} of partners whose latest decided move was rejected."""
    if not partner_ids:
        return {}
    latest: dict[int, dict[str, Any]] = {}
    decided = (
        TierChange.objects.filter(
            partner_id__in=partner_ids,
            status__in=[TierChangeStatus.APPLIED, TierChangeStatus.REJECTED],
        )
        .order_by("created_at", "id")
        .values("partner_id", "status", "from_tier_id", "to_tier_id")
    )
    for change in decided:
        latest[change["partner_id"]] = change
    return {
        partner_id: (change["from_tier_id"], change["to_tier_id"])
        for partner_id, change in latest.items()
        if change["status"] == TierChangeStatus.REJECTED
    }


def _lock_for_decision(change: TierChange) -> tuple[TierChange, int | None]:
    """Lock the partner, then the change (the order an evaluation locks them in, so a
    decision during an evaluation waits rather than deadlocks); the change must be pending.
    Returns the locked change and the partner's tier id."""
    partner_tier_id = (
        Partner.objects.select_for_update()
        .filter(pk=change.partner_id)
        .values_list("tier_id", flat=True)
        .get()
    )
    locked = TierChange.objects.select_for_update().get(pk=change.pk)
    if locked.status != TierChangeStatus.PENDING:
        raise ValidationError(
            {"status": [f"The change is {locked.status}; only a pending change can be decided."]}
        )
    return locked, partner_tier_id


@transaction.atomic
def tier_change_approve(*, change: TierChange, user) -> TierChange:
    """Apply a pending change if the partner is still on its from_tier (announcing the move
    after commit), else mark it superseded; raises ValidationError if it is not pending."""
    change, partner_tier_id = _lock_for_decision(change)
    now = timezone.now()
    if partner_tier_id == change.from_tier_id:
        with partners_audited(
            partner_ids=[change.partner_id],
            columns={"tier": PARTNER_AUDIT_COLUMNS["tier"]},
            operation="tier change approved",
        ):
            Partner.objects.filter(pk=change.partner_id).update(
                tier_id=change.to_tier_id, updated_at=now
            )
        change.status = TierChangeStatus.APPLIED
        partners_mark_changed(partner_ids=[change.partner_id], reason="tier")
    else:
        change.status = TierChangeStatus.SUPERSEDED
    change.decided_at = now
    change.decided_by = user
    change.save(update_fields=["status", "decided_at", "decided_by"])
    return change


@transaction.atomic
def tier_change_reject(*, change: TierChange, user) -> TierChange:
    """Reject a pending change: the partner keeps its tier, and the same move is not proposed
    again while this is the partner's latest decision; raises ValidationError if it is not
    pending."""
    change, _ = _lock_for_decision(change)
    change.status = TierChangeStatus.REJECTED
    change.decided_at = timezone.now()
    change.decided_by = user
    change.save(update_fields=["status", "decided_at", "decided_by"])
    return change


@transaction.atomic
def tier_update(*, tier: Tier, data: dict[str, Any]) -> Tier:
    """Edit a tier's name, benefits and requirements (required_certifications as a list of
    Certification objects); partners move at the next evaluation."""
    for key in TIER_FIELDS:
        if key in data:
            setattr(tier, key, data[key])
    tier.full_clean()
    tier.save()
    if "required_certifications" in data:
        tier.required_certifications.set(data["required_certifications"])
    return tier
