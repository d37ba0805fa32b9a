"""Members of static segments, added and removed by hand or by external id."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Partner
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    Segment,
    SegmentKind,
)
from segments.services.changes import segments_partners_changed
from segments.services.evaluation import EvaluationOutcome, _announce_member_changes

logger = logging.getLogger(__name__)


def _static_segment(segment: Segment) -> Segment:
    if segment.kind != SegmentKind.STATIC:
        raise ValidationError(
            {"segment": ["members of a dynamic segment come from its rule, not by hand"]}
        )
    return segment


@transaction.atomic
def segment_members_add(*, segment: Segment, partner_ids: Iterable[int]) -> list[int]:
    """Add partners to a static segment by hand; returns the ids that joined (events written)."""
    _static_segment(segment)
    ids = sorted(set(partner_ids))
    now = timezone.now()
    existing = set(
        Membership.objects.filter(segment=segment, partner_id__in=ids).values_list(
            "partner_id", flat=True
        )
    )
    joined = [partner_id for partner_id in ids if partner_id not in existing]
    Membership.objects.bulk_create(
        [Membership(segment=segment, partner_id=pid, joined_at=now) for pid in joined],
        ignore_conflicts=True,
        batch_size=5000,
    )
    return _static_change(segment=segment, joined=joined, left=[], now=now)


@transaction.atomic
def segment_members_remove(*, segment: Segment, partner_ids: Iterable[int]) -> list[int]:
    """Remove partners from a static segment; returns the ids that left (events written)."""
    _static_segment(segment)
    ids = sorted(set(partner_ids))
    memberships = Membership.objects.filter(segment=segment, partner_id__in=ids)
    left = sorted(memberships.values_list("partner_id", flat=True))
    memberships.delete()
    return _static_change(segment=segment, joined=[], left=left, now=timezone.now())


def _static_change(
    *, segment: Segment, joined: list[int], left: list[int], now: dt.datetime
) -> list[int]:
    if not joined and not left:
        return joined or left
    run = EvaluationRun.objects.create(
        segment=segment,
        trigger=EvaluationTrigger.MANUAL,
        status=EvaluationStatus.SUCCEEDED,
        segment_version=segment.version,
        started_at=now,
        finished_at=now,
        joined=len(joined),
        left=len(left),
        duration_ms=0,
    )
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(segment=segment, partner_id=pid, kind=kind, at=now, run=run)
            for kind, ids in (
                (MembershipEventKind.JOINED, joined),
                (MembershipEventKind.LEFT, left),
            )
            for pid in ids
        ],
        batch_size=5000,
    )
    segment.member_count = Membership.objects.filter(segment=segment).count()
    run.matched = segment.member_count
    run.save(update_fields=["matched"])
    segment.last_evaluated_at = now
    segment.save(update_fields=["member_count", "last_evaluated_at"])
    _announce_member_changes(
        segment=segment,
        outcome=EvaluationOutcome(run=run, matched=None, joined_ids=joined, left_ids=left),
    )
    # Dynamic segments that name this one re-check the partners that moved.
    if Segment.objects.filter(depends_on=segment).exists():
        segments_partners_changed(
            partner_ids=[*joined, *left], reason="segment", fields=["segment"]
        )
    return joined or left


def _known_partner_ids(
    *, partner_ids: Iterable[int] = (), external_ids: Iterable[str] = ()
) -> set[int]:
    """The ids of the partners named by id or external_id; ValidationError naming every
    unknown one (nothing is written then)."""
    ids = set(partner_ids)
    wanted = {value.strip() for value in external_ids if value and value.strip()}
    errors: dict[str, list[str]] = {}
    if wanted:
        found = dict(
            Partner.objects.filter(external_id__in=wanted).values_list("external_id", "id")
        )
        unknown = sorted(wanted - found.keys())
        if unknown:
            errors["external_ids"] = [
                f"unknown partner external_id: {value}" for value in unknown[:100]
            ]
        ids.update(found.values())
    missing = sorted(ids - set(Partner.objects.filter(id__in=ids).values_list("id", flat=True)))
    if missing:
        errors["partner_ids"] = [f"unknown partner id: {value}" for value in missing[:100]]
    if errors:
        raise ValidationError(errors)
    return ids


def segment_members_change(
    *,
    segment: Segment,
    partner_ids: Iterable[int] = (),
    external_ids: Iterable[str] = (),
    remove: bool = False,
) -> list[int]:
    """Add (or remove) partners of a static segment named by id or external_id; returns the
    ids that joined (or left). Unknown partners are reported and nothing changes."""
    _static_segment(segment)
    ids = _known_partner_ids(partner_ids=partner_ids, external_ids=external_ids)
    if remove:
        return segment_members_remove(segment=segment, partner_ids=ids)
    return segment_members_add(segment=segment, partner_ids=ids)


def segment_members_set_from_external_ids(
    *, segment: Segment, external_ids: Sequence[str], replace: bool = False
) -> dict[str, Any]:
    """Add (or, with replace, make exactly) the partners named by external_id; unknown ids are
    reported and nothing is written."""
    _static_segment(segment)
    ids = _known_partner_ids(external_ids=external_ids)
    with transaction.atomic():
        joined = segment_members_add(segment=segment, partner_ids=ids)
        left: list[int] = []
        if replace:
            stale = Membership.objects.filter(segment=segment).exclude(partner_id__in=ids)
            left = segment_members_remove(
                segment=segment, partner_ids=list(stale.values_list("partner_id", flat=True))
            )
    return {"joined": len(joined), "left": len(left), "members": segment.member_count}
