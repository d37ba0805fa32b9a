"""Reads on segments: lists, members, preview, explain, history, overlap and warnings."""

from __future__ import annotations

import datetime as dt
from itertools import combinations
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from partners.models import Partner
from partners.tiers.requirements import jit_off
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
from segments.rules import RuleError, compile_rule, explain_rule, explain_rules

PREVIEW_SAMPLE_SIZE = 10


def segment_list() -> QuerySet[Segment]:
    """Segments with their owner and the slugs they depend on."""
    return Segment.objects.select_related("owner").prefetch_related("depends_on")


def segment_preview(*, rule: Any, sample_size: int = PREVIEW_SAMPLE_SIZE) -> dict[str, Any]:
    """How many partners a (validated) rule matches now, and a few of them; writes nothing.
    Without PostgreSQL's JIT, as evaluations run: compiling a wide rule (the next-tier fields'
    CASE over every tier) took 0.8 s of a 1.3 s preview at 100,000 partners."""
    partners = Partner.objects.filter(compile_rule(rule))
    with transaction.atomic():
        jit_off()
        sample = list(
            partners.select_related("tier")
            .order_by("name", "id")
            .values("id", "external_id", "name", "partner_type", "region", "tier__slug")[
                :sample_size
            ]
        )
        count = partners.count()
    for row in sample:
        row["tier"] = row.pop("tier__slug")
    return {"count": count, "sample": sample}


def segment_members(*, segment: Segment) -> QuerySet[Partner]:
    """The partners in a segment now, with their profile, ordered by name."""
    return Partner.objects.with_list_profile().filter(
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
    # Runs by prefetch, not a join: a change run's causes would repeat on every event row.
    events = (
        MembershipEvent.objects.filter(segment=segment)
        .select_related("partner")
        .prefetch_related("run")
    )
    if partner_id is not None:
        events = events.filter(partner_id=partner_id)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lte=until)
    if kind is not None:
        events = events.filter(kind=kind)
    return events.order_by("-at", "-id")


CAUSE_KINDS = {
    EvaluationTrigger.SCHEDULE: ("schedule", "Schedule"),
    EvaluationTrigger.MANUAL: ("manual", "Manual"),
    EvaluationTrigger.API: ("manual", "Manual (API)"),
    EvaluationTrigger.RULE_EDIT: ("rule_edit", "Rule edit"),
    EvaluationTrigger.CHANGE: ("change", "Partner change"),
}
CAUSE_FIELD_LABELS = {"segment": "membership of a segment the rule uses"}


def _field_label(name: str) -> str:
    if name in CAUSE_FIELD_LABELS:
        return CAUSE_FIELD_LABELS[name]
    try:
        return str(Partner._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


def membership_event_cause(event: MembershipEvent) -> dict[str, Any]:
    """What caused a join or leave: {kind, label, fields, reasons}. kind is rule_edit,
    change (with the partner's changed fields), manual, schedule or unknown; read from the
    event's run (load events with their runs, see segment_events)."""
    run = event.run if event.run_id else None
    if run is None:
        return {"kind": "unknown", "label": "Unknown", "fields": [], "reasons": []}
    kind, label = CAUSE_KINDS.get(run.trigger, ("unknown", run.get_trigger_display()))
    fields: list[str] = []
    reasons: list[str] = []
    if run.trigger == EvaluationTrigger.CHANGE:
        cause = (run.partner_changes or {}).get(str(event.partner_id)) or {}
        fields, reasons = list(cause.get("fields") or []), list(cause.get("reasons") or [])
        if fields:
            label = f"{label}: {', '.join(_field_label(field) for field in fields)}"
        elif reasons:
            label = f"{label} ({', '.join(reasons)})"
    return {"kind": kind, "label": label, "fields": fields, "reasons": reasons}


def segment_members_as_of(*, segment: Segment, at: dt.datetime) -> QuerySet[Partner]:
    """The partners that were members at a moment, from the join and leave history: among the
    partners with an event of the segment by then, those whose last such event was a join.
    Set-based and portable (a semi-join and a correlated subquery, no window function)."""
    events = MembershipEvent.objects.filter(segment=segment, at__lte=at, partner_id=OuterRef("pk"))
    last_kind = events.order_by("-at", "-id").values("kind")[:1]
    return (
        Partner.objects.with_list_profile()
        .filter(Exists(events))
        .alias(last_kind=Subquery(last_kind))
        .filter(last_kind=MembershipEventKind.JOINED)
        .order_by("name", "id")
    )


def segment_evaluation_pending(*, segment: Segment) -> bool:
    """Whether an active dynamic segment's current rule has not been evaluated yet (its run
    is queued or running): its page shows "Evaluating…" until a run of this version ends."""
    if not (segment.kind == SegmentKind.DYNAMIC and segment.is_active):
        return False
    return not EvaluationRun.objects.filter(
        segment=segment,
        segment_version=segment.version,
        status__in=[EvaluationStatus.SUCCEEDED, EvaluationStatus.FAILED],
    ).exists()


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


def partner_segments_explained(*, partner: Partner) -> list[dict[str, Any]]:
    """The segments a partner is in now, by name, each with when it joined and, for dynamic
    segments, why: {segment, joined_at, explanation (explain_rule's tree) or error}. The
    rules are explained together (explain_rules), so a partner in many segments costs the
    same few queries as one in a single segment."""
    joined_at = dict(
        Membership.objects.filter(partner=partner).values_list("segment_id", "joined_at")
    )
    segments = list(partner_segments(partner=partner))
    explained = explain_rules(
        {segment.pk: segment.rule for segment in segments if segment.is_dynamic},
        partner_id=partner.pk,
    )
    items = []
    for segment in segments:
        explanation = explained.get(segment.pk)
        items.append(
            {
                "segment": segment,
                "joined_at": joined_at.get(segment.pk),
                "explanation": None if isinstance(explanation, RuleError) else explanation,
                "error": str(explanation) if isinstance(explanation, RuleError) else None,
            }
        )
    return items


# ---------------------------------------------------------------------------------------
# Manager portal: builder options, size history, explain search, overlap matrix, timeline
# ---------------------------------------------------------------------------------------


def segment_size_history(*, segment: Segment, days: int = 90) -> list[dict[str, Any]]:
    """One segment's size at the end of each of the last `days` days since it was created
    (see segments_size_history)."""
    row = {"id": segment.id, "member_count": segment.member_count, "created_at": segment.created_at}
    points = segments_size_history(segments=[row], days=days)[segment.id]
    return [point for point in points if point["members"] is not None]


def segment_builder_options() -> dict[str, Any]:
    """What the segment builder offers beside the field catalogue (which carries the tag and
    certification choices): the segments a rule may name."""
    return {"segments": list(Segment.objects.order_by("name").values("slug", "name"))}


def segment_explain_candidates(
    *, segment: Segment, query: str, limit: int = 10
) -> list[dict[str, Any]]:
    """Partners whose name contains `query` or whose external_id starts with it (an exact
    external_id first), each with whether it is a member of the segment now."""
    query = query.strip()
    if not query:
        return []
    return list(
        Partner.objects.filter(
            Q(external_id__iexact=query)
            | Q(external_id__istartswith=query)
            | Q(name__icontains=query)
        )
        .annotate(
            exact=Case(
                When(external_id__iexact=query, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            is_member=Exists(Membership.objects.filter(segment=segment, partner_id=OuterRef("pk"))),
        )
        .order_by("exact", "name", "id")
        .values("id", "external_id", "name", "is_member")[:limit]
    )


def segment_overlap_matrix(*, segments: list[Segment]) -> dict[str, Any]:
    """The overlap of the given segments as a square matrix: rows[i]["cells"][j] holds the
    partners in both (the size on the diagonal) and that number as a share of row i."""
    pairs = segment_overlap(segments=segments)
    sizes: dict[str, int] = {}
    shared: dict[tuple[str, str], int] = {}
    for pair in pairs:
        sizes[pair["a"]], sizes[pair["b"]] = pair["a_members"], pair["b_members"]
        shared[(pair["a"], pair["b"])] = shared[(pair["b"], pair["a"])] = pair["shared"]
    if len(segments) == 1:
        only = segments[0]
        sizes[only.slug] = Membership.objects.filter(segment=only).count()
    rows = []
    for row_segment in segments:
        size = sizes.get(row_segment.slug, 0)
        cells = []
        for column_segment in segments:
            diagonal = column_segment.pk == row_segment.pk
            both = size if diagonal else shared.get((row_segment.slug, column_segment.slug), 0)
            cells.append(
                {
                    "segment": column_segment,
                    "shared": both,
                    "share": both / size if size else 0.0,
                    "diagonal": diagonal,
                }
            )
        rows.append({"segment": row_segment, "size": size, "cells": cells})
    return {"rows": rows, "pairs": pairs}


def partner_membership_events(*, partner: Partner, limit: int = 50) -> QuerySet[MembershipEvent]:
    """A partner's latest joins and leaves across all segments, newest first."""
    return (
        MembershipEvent.objects.filter(partner=partner)
        .select_related("segment")
        .prefetch_related("run")  # for membership_event_cause
        .order_by("-at", "-id")[:limit]
    )


# ---------------------------------------------------------------------------------------
# Manager portal: dashboard
# ---------------------------------------------------------------------------------------


def segment_size_ranking() -> list[dict[str, Any]]:
    """Every segment as a small dict (id, slug, name, kind, is_active, member_count,
    created_at), largest first; one query over the segments table only."""
    return list(
        Segment.objects.order_by("-member_count", "name", "id").values(
            "id", "slug", "name", "kind", "is_active", "member_count", "created_at"
        )
    )


def segments_size_history(
    *, segments: list[dict[str, Any]], days: int = 30
) -> dict[int, list[dict[str, Any]]]:
    """{segment id: its size at the end of each of the last `days` days} for several segments
    (dicts with id, member_count and created_at, as segment_size_ranking gives), rebuilt
    backwards from member_count by the daily net joins of one GROUP BY over the events.
    Days before a segment existed have no size (None)."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    net: dict[tuple[int, dt.date], int] = {}
    if segments:
        rows = (
            MembershipEvent.objects.filter(
                segment_id__in=[segment["id"] for segment in segments], at__gte=since
            )
            .annotate(day=TruncDate("at"))
            .values("segment_id", "day")
            .annotate(
                joined=Count("id", filter=Q(kind=MembershipEventKind.JOINED)),
                left=Count("id", filter=Q(kind=MembershipEventKind.LEFT)),
            )
            .order_by()
        )
        net = {(row["segment_id"], row["day"]): row["joined"] - row["left"] for row in rows}
    history: dict[int, list[dict[str, Any]]] = {}
    for segment in segments:
        created = timezone.localdate(segment["created_at"])
        size = segment["member_count"]
        points = []
        for offset in range(days):
            day = today - dt.timedelta(days=offset)
            points.append({"date": day, "members": size if day >= created else None})
            size -= net.get((segment["id"], day), 0)
        points.reverse()
        history[segment["id"]] = points
    return history


def segment_totals() -> dict[str, int]:
    """Counts for the segment list's header: all, active, dynamic, static and failing."""
    return Segment.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(is_active=True)),
        dynamic=Count("id", filter=Q(kind=SegmentKind.DYNAMIC)),
        static=Count("id", filter=Q(kind=SegmentKind.STATIC)),
        failing=Count("id", filter=Q(consecutive_failures__gt=0)),
    )
