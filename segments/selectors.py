"""Reads on segments: lists, members, preview, explain, history, overlap and warnings."""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from partners.models import Partner
from segments.models import (
    EvaluationRun,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    Segment,
    SegmentKind,
)
from segments.rules import compile_rule, explain_rule

PREVIEW_SAMPLE_SIZE = 10


def segment_list() -> QuerySet[Segment]:
    """Segments with their owner and the slugs they depend on."""
    return Segment.objects.select_related("owner").prefetch_related("depends_on")


def segment_preview(*, rule: Any, sample_size: int = PREVIEW_SAMPLE_SIZE) -> dict[str, Any]:
    """How many partners a (validated) rule matches now, and a few of them; writes nothing."""
    partners = Partner.objects.filter(compile_rule(rule))
    sample = list(
        partners.select_related("tier")
        .order_by("name", "id")
        .values("id", "external_id", "name", "partner_type", "region", "tier__slug")[:sample_size]
    )
    for row in sample:
        row["tier"] = row.pop("tier__slug")
    return {"count": partners.count(), "sample": sample}


def segment_members(*, segment: Segment) -> QuerySet[Partner]:
    """The partners in a segment now, with their profile, ordered by name."""
    return Partner.objects.with_profile().filter(
        Exists(Membership.objects.filter(segment=segment, partner_id=OuterRef("pk")))
    )


def segment_explain(*, segment: Segment, partner: Partner) -> dict[str, Any]:
    """Is the partner a member, does the rule match it now, and why: each condition with its
    path, result and the partner's actual value."""
    is_member = Membership.objects.filter(segment=segment, partner=partner).exists()
    result: dict[str, Any] = {
        "segment": segment.slug,
        "partner": partner.id,
        "member": is_member,
        "kind": segment.kind,
    }
    if segment.kind == SegmentKind.STATIC:
        result.update(matches=is_member, explanation=None)
        return result
    explanation = explain_rule(segment.rule, partner_id=partner.id)
    result.update(matches=explanation["result"], explanation=explanation)
    return result


def segment_events(
    *,
    segment: Segment,
    partner_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kind: str | None = None,
) -> QuerySet[MembershipEvent]:
    """Join and leave events of a segment, newest first, optionally filtered."""
    events = MembershipEvent.objects.filter(segment=segment).select_related("partner")
    if partner_id is not None:
        events = events.filter(partner_id=partner_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    if kind is not None:
        events = events.filter(kind=kind)
    return events.order_by("-at", "-id")


def segment_members_as_of(*, segment: Segment, at: dt.datetime) -> QuerySet[Partner]:
    """The partners that were members at a moment: their last event by then was a join."""
    last_kind = (
        MembershipEvent.objects.filter(segment=segment, partner_id=OuterRef("pk"), at__lte=at)
        .order_by("-at", "-id")
        .values("kind")[:1]
    )
    return (
        Partner.objects.alias(last_kind=Subquery(last_kind))
        .filter(last_kind=MembershipEventKind.JOINED)
        .order_by("name", "id")
    )


def segment_runs(*, segment: Segment) -> QuerySet[EvaluationRun]:
    """The segment's evaluation runs, newest first."""
    return EvaluationRun.objects.filter(segment=segment).order_by("-started_at", "-id")


def segment_overlap(*, segments: list[Segment]) -> list[dict[str, Any]]:
    """Pairwise shared members and Jaccard index of the given segments (one query)."""
    ids = [segment.id for segment in segments]
    sizes = dict(
        Membership.objects.filter(segment_id__in=ids)
        .values_list("segment_id")
        .annotate(total=Count("id"))
        .values_list("segment_id", "total")
    )
    shared = _shared_members(ids)
    by_id = {segment.id: segment for segment in segments}
    pairs = []
    for first, second in combinations(sorted(ids), 2):
        both = shared.get((first, second), 0)
        size_a, size_b = sizes.get(first, 0), sizes.get(second, 0)
        union = size_a + size_b - both
        pairs.append(
            {
                "a": by_id[first].slug,
                "b": by_id[second].slug,
                "a_members": size_a,
                "b_members": size_b,
                "shared": both,
                "jaccard": round(both / union, 4) if union else 0.0,
                "overlap": round(both / min(size_a, size_b), 4) if min(size_a, size_b) else 0.0,
            }
        )
    return pairs


def _shared_members(segment_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(a, b): partners in both} for a < b, by a self-join of memberships in SQL."""
    from django.db import connection

    if len(segment_ids) < 2:
        return {}
    placeholders = ", ".join(["%s"] * len(segment_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.segment_id, b.segment_id, count(*)
            FROM segments_membership a
            JOIN segments_membership b
              ON b.partner_id = a.partner_id AND b.segment_id > a.segment_id
            WHERE a.segment_id IN ({placeholders}) AND b.segment_id IN ({placeholders})
            GROUP BY a.segment_id, b.segment_id
            """,
            [*segment_ids, *segment_ids],
        )
        return {(first, second): count for first, second, count in cursor.fetchall()}


def segment_warnings(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """What needs a manager's attention: tiny, near-duplicate, stale and failing segments, and
    more active segments than the budget."""
    now = now or timezone.now()
    active = list(Segment.objects.filter(is_active=True).order_by("slug"))
    warnings: list[dict[str, Any]] = []
    minimum = settings.PRM_SEGMENT_MIN_MEMBERS
    for segment in active:
        evaluated = segment.kind == SegmentKind.STATIC or segment.last_evaluated_at is not None
        if evaluated and segment.member_count < minimum:
            warnings.append(
                {
                    "kind": "tiny",
                    "segment": segment.slug,
                    "message": f"{segment.member_count} members, fewer than {minimum}",
                }
            )
        if segment.kind == SegmentKind.DYNAMIC:
            limit = now - dt.timedelta(minutes=2 * segment.refresh_interval_minutes)
            reference = segment.last_evaluated_at or segment.created_at
            if reference < limit:
                warnings.append(
                    {
                        "kind": "stale",
                        "segment": segment.slug,
                        "message": "not evaluated within twice its refresh interval"
                        + ("" if segment.last_evaluated_at else " (never evaluated)"),
                    }
                )
        if segment.consecutive_failures:
            warnings.append(
                {
                    "kind": "failing",
                    "segment": segment.slug,
                    "message": f"{segment.consecutive_failures} failed run(s): "
                    f"{segment.last_error}",
                }
            )
    threshold = settings.PRM_SEGMENT_OVERLAP_THRESHOLD
    for pair in segment_overlap(segments=active):
        if pair["shared"] and pair["overlap"] > threshold:
            warnings.append(
                {
                    "kind": "overlap",
                    "segment": pair["a"],
                    "other": pair["b"],
                    "message": f"{pair['overlap']:.0%} of the smaller segment's members "
                    "are in both",
                }
            )
    budget = settings.PRM_SEGMENT_BUDGET
    if len(active) > budget:
        warnings.append(
            {
                "kind": "over_segmentation",
                "segment": None,
                "message": f"{len(active)} active segments, more than the budget of {budget}",
            }
        )
    return warnings


def partner_segments(*, partner: Partner) -> QuerySet[Segment]:
    """The segments a partner is in now."""
    return Segment.objects.filter(
        Exists(Membership.objects.filter(segment=OuterRef("pk"), partner=partner))
    ).order_by("name")
