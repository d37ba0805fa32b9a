"""Writes on segments: create/update with rule checks, set-based evaluation with history,
static membership, change-driven re-checks and the scheduler's bookkeeping."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify

from partners.models import Partner
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    Membership,
    MembershipEvent,
    MembershipEventKind,
    PendingPartnerChange,
    Segment,
    SegmentKind,
)
from segments.rules import RuleError, compile_rule, rule_segment_slugs, validate_rule
from segments.signals import segment_members_changed

logger = logging.getLogger(__name__)

SEGMENT_FIELDS = (
    "name",
    "slug",
    "objective",
    "description",
    "kind",
    "rule",
    "is_active",
    "refresh_interval_minutes",
    "owner",
)


# ---------------------------------------------------------------------------------------
# Create, update, delete
# ---------------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "segment"
    slug, counter = base, 2
    while Segment.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def segment_dependency_slugs(*, rule: Any) -> set[str]:
    """Slugs of the segments a rule names (empty for static segments)."""
    return rule_segment_slugs(rule) if rule else set()


def segment_rule_check(*, segment: Segment) -> None:
    """Validate a segment's rule, the segments it names and cycles through them; raise
    RuleError with every problem (a static segment's rule is cleared)."""
    if segment.kind == SegmentKind.STATIC:
        if segment.rule not in (None, {}):
            raise RuleError([{"path": "", "message": "a static segment has no rule"}])
        segment.rule = None
        return
    if segment.rule is None:
        raise RuleError([{"path": "", "message": "a dynamic segment needs a rule"}])
    errors = validate_rule(segment.rule)
    if errors:
        raise RuleError(errors)
    cycle = _dependency_cycle(segment=segment)
    if cycle:
        message = "segments refer to each other in a cycle: " + " -> ".join(cycle)
        raise RuleError([{"path": "", "message": message}])


def _dependency_cycle(*, segment: Segment) -> list[str] | None:
    """The first cycle of segment references through this segment's rule, or None."""
    graph: dict[str, set[str]] = {
        slug: segment_dependency_slugs(rule=rule)
        for slug, rule in Segment.objects.exclude(pk=segment.pk).values_list("slug", "rule")
    }
    graph[segment.slug] = segment_dependency_slugs(rule=segment.rule)

    def visit(slug: str, path: list[str]) -> list[str] | None:
        for dependency in sorted(graph.get(slug, ())):
            if dependency == segment.slug:
                return [*path, dependency]
            if dependency in path:
                continue
            found = visit(dependency, [*path, dependency])
            if found:
                return found
        return None

    return visit(segment.slug, [segment.slug])


def _sync_dependencies(*, segment: Segment) -> None:
    slugs = segment_dependency_slugs(rule=segment.rule)
    segment.depends_on.set(Segment.objects.filter(slug__in=slugs))


@transaction.atomic
def segment_create(*, data: dict[str, Any], owner=None) -> Segment:
    """Create a segment (rule validated, cycles refused); a dynamic one is evaluated soon."""
    values = {key: value for key, value in data.items() if key in SEGMENT_FIELDS}
    segment = Segment(**values)
    if owner is not None and segment.owner_id is None:
        segment.owner = owner
    if not segment.slug:
        segment.slug = _unique_slug(segment.name)
    segment_rule_check(segment=segment)
    segment.full_clean(exclude=["rule"])
    segment.next_evaluation_at = timezone.now()
    segment.save()
    _sync_dependencies(segment=segment)
    if segment.kind == SegmentKind.DYNAMIC and segment.is_active:
        _enqueue_evaluation(segment_id=segment.id, trigger=EvaluationTrigger.API)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, data: dict[str, Any]) -> Segment:
    """Update a segment; a new rule bumps the version (voiding runs in flight) and re-evaluates."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    old_rule, old_kind = segment.rule, segment.kind
    for key, value in data.items():
        if key in SEGMENT_FIELDS:
            setattr(segment, key, value)
    segment_rule_check(segment=segment)
    segment.full_clean(exclude=["rule"])
    rule_changed = segment.rule != old_rule or segment.kind != old_kind
    if rule_changed:
        segment.version += 1
        segment.next_evaluation_at = timezone.now()
    segment.save()
    _sync_dependencies(segment=segment)
    if rule_changed and segment.kind == SegmentKind.DYNAMIC and segment.is_active:
        _enqueue_evaluation(segment_id=segment.id, trigger=EvaluationTrigger.API)
    return segment


def segment_delete(*, segment: Segment) -> None:
    """Delete a segment; refused while another segment's rule names it."""
    dependents = list(Segment.objects.filter(depends_on=segment).values_list("slug", flat=True))
    if dependents:
        raise ValidationError(
            {"segment": [f"segments {', '.join(sorted(dependents))} refer to this segment"]}
        )
    segment.delete()


def _enqueue_evaluation(*, segment_id: int, trigger: str) -> None:
    from segments.tasks import segment_evaluate_task

    transaction.on_commit(lambda: segment_evaluate_task.delay(segment_id, trigger))


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationOutcome:
    run: EvaluationRun | None
    matched: int | None
    joined_ids: list[int]
    left_ids: list[int]

    @property
    def joined(self) -> int:
        return len(self.joined_ids)

    @property
    def left(self) -> int:
        return len(self.left_ids)


# A change batch's partner ids, in an analysed temporary table: with a real row count the
# planner starts from the few changed partners (index probes) instead of scanning tag tables.
SCOPE_TABLE = "segments_recheck_scope"


def _create_scope_table(partner_ids: Sequence[int]) -> None:
    with connection.cursor() as cursor:
        # A re-check nested in a larger transaction may find the previous batch's table.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{SCOPE_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {SCOPE_TABLE} (partner_id bigint PRIMARY KEY) ON COMMIT DROP"
        )
        cursor.execute(
            f"INSERT INTO {SCOPE_TABLE} SELECT DISTINCT unnest(%s::bigint[])", [list(partner_ids)]
        )
        cursor.execute(f"ANALYZE {SCOPE_TABLE}")


def _rule_sql(*, rule: Any, partner_ids: Sequence[int] | None) -> tuple[str, tuple]:
    """SELECT id FROM partners WHERE <rule> [AND id IN changed], as SQL and params."""
    partners = Partner.objects.filter(compile_rule(rule))
    if partner_ids is not None and connection.vendor == "postgresql":
        partners = partners.filter(id__in=RawSQL(f"SELECT partner_id FROM {SCOPE_TABLE}", ()))
    elif partner_ids is not None:
        partners = partners.filter(id__in=partner_ids)
    sql, params = partners.order_by().values("id").query.sql_with_params()
    return sql, tuple(params)


def _evaluate_postgresql(
    *, segment: Segment, run_id: int | None, partner_ids: Sequence[int] | None, now: dt.datetime
) -> tuple[int, list[int], list[int]]:
    """One statement: match, insert joiners, delete leavers and write both kinds of events."""
    rule_sql, rule_params = _rule_sql(rule=segment.rule, partner_ids=partner_ids)
    if partner_ids is None:
        # A full run: joiners by an anti-join over the segment's members (one hash join,
        # not a speculative insert per partner that is already a member).
        joiners_where = (
            "WHERE NOT EXISTS (SELECT 1 FROM segments_membership m"
            " WHERE m.segment_id = %s AND m.partner_id = matched.id)"
        )
        joiners_params: tuple = (segment.id,)
        leavers_from, leavers_where = "segments_membership m", "m.segment_id = %s"
    else:
        # A re-check of a few changed partners: everything is driven from them by index
        # probes; never read the whole membership of a big segment.
        joiners_where, joiners_params = "", ()
        leavers_from = f"segments_membership m USING {SCOPE_TABLE} scope"
        leavers_where = "m.segment_id = %s AND m.partner_id = scope.partner_id"
    sql = f"""
        WITH matched AS MATERIALIZED ({rule_sql}),
        joined AS (
            INSERT INTO segments_membership (segment_id, partner_id, joined_at)
            SELECT %s, matched.id, %s FROM matched {joiners_where}
            ON CONFLICT (segment_id, partner_id) DO NOTHING
            RETURNING partner_id
        ),
        left_ AS (
            DELETE FROM {leavers_from}
            WHERE {leavers_where}
              AND NOT EXISTS (SELECT 1 FROM matched WHERE matched.id = m.partner_id)
            RETURNING m.partner_id
        ),
        events AS (
            INSERT INTO segments_membershipevent (segment_id, partner_id, kind, at, run_id)
            SELECT %s, partner_id, 'joined', %s, %s::bigint FROM joined
            UNION ALL
            SELECT %s, partner_id, 'left', %s, %s::bigint FROM left_
        )
        SELECT (SELECT count(*) FROM matched),
               (SELECT coalesce(array_agg(partner_id), '{{}}') FROM joined),
               (SELECT coalesce(array_agg(partner_id), '{{}}') FROM left_)
    """
    params = (
        *rule_params,
        segment.id,
        now,
        *joiners_params,
        segment.id,
        segment.id,
        now,
        run_id,
        segment.id,
        now,
        run_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        matched, joined_ids, left_ids = cursor.fetchone()
    return matched, list(joined_ids), list(left_ids)


def _evaluate_portable(
    *, segment: Segment, run_id: int | None, partner_ids: Sequence[int] | None, now: dt.datetime
) -> tuple[int, list[int], list[int]]:
    """The same set-based work as a few statements, for databases without writable CTEs
    (the embedded SQLite quick start)."""
    rule_sql, rule_params = _rule_sql(rule=segment.rule, partner_ids=partner_ids)
    scope_sql, scope_params = "", ()
    if partner_ids is not None:
        placeholders = ", ".join(["%s"] * len(partner_ids)) or "NULL"
        scope_sql, scope_params = f" AND m.partner_id IN ({placeholders})", tuple(partner_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({rule_sql}) matched", rule_params)
        matched = cursor.fetchone()[0]
        cursor.execute(
            f"""
            INSERT INTO segments_membership (segment_id, partner_id, joined_at)
            SELECT %s, matched.id, %s FROM ({rule_sql}) matched WHERE true
            ON CONFLICT (segment_id, partner_id) DO NOTHING
            RETURNING partner_id
            """,
            (segment.id, now, *rule_params),
        )
        joined_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"""
            DELETE FROM segments_membership AS m
            WHERE m.segment_id = %s{scope_sql}
              AND m.partner_id NOT IN (SELECT matched.id FROM ({rule_sql}) matched)
            RETURNING partner_id
            """,
            (segment.id, *scope_params, *rule_params),
        )
        left_ids = [row[0] for row in cursor.fetchall()]
    MembershipEvent.objects.bulk_create(
        [
            MembershipEvent(
                segment_id=segment.id, partner_id=partner_id, kind=kind, at=now, run_id=run_id
            )
            for kind, ids in (
                (MembershipEventKind.JOINED, joined_ids),
                (MembershipEventKind.LEFT, left_ids),
            )
            for partner_id in ids
        ],
        batch_size=2000,
    )
    return matched, joined_ids, left_ids


def _set_statement_timeout() -> None:
    """Session settings of an evaluation transaction (PostgreSQL): the statement timeout; no
    JIT — compiling each rule's expressions costs more than the JIT saves on these scans; and
    no wait for the WAL flush at commit — a run lost in a database crash is lost whole
    (memberships and events together) and the next run recomputes it."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL synchronous_commit = off")
        timeout_ms = settings.PRM_SEGMENT_STATEMENT_TIMEOUT_MS
        if timeout_ms:
            cursor.execute("SET LOCAL statement_timeout = %s", (int(timeout_ms),))


def _apply_rule(
    *, segment: Segment, run_id: int | None, partner_ids: Sequence[int] | None
) -> tuple[int, list[int], list[int]]:
    now = timezone.now()
    evaluate = _evaluate_postgresql if connection.vendor == "postgresql" else _evaluate_portable
    return evaluate(segment=segment, run_id=run_id, partner_ids=partner_ids, now=now)


def _refresh_member_count(*, segment: Segment) -> None:
    segment.member_count = Membership.objects.filter(segment_id=segment.id).count()


def segment_evaluate(
    *,
    segment_id: int,
    trigger: str = EvaluationTrigger.MANUAL,
    expected_version: int | None = None,
    recheck_dependents: bool = True,
) -> EvaluationRun:
    """Evaluate a dynamic segment over all partners, set-based, recording the run and every
    join and leave in one transaction. Runs of one segment are serialised by a row lock; a run
    whose segment version changed meanwhile is recorded as stale and changes nothing. On
    failure (including a statement timeout) the run records the error and membership is
    left as it was."""
    segment = Segment.objects.get(pk=segment_id)
    run = EvaluationRun.objects.create(
        segment=segment,
        trigger=trigger,
        segment_version=expected_version or segment.version,
        started_at=timezone.now(),
    )
    started = time.monotonic()
    try:
        with transaction.atomic():
            locked = Segment.objects.select_for_update().get(pk=segment_id)
            if locked.version != run.segment_version or locked.kind != SegmentKind.DYNAMIC:
                run.status = EvaluationStatus.STALE
                outcome = EvaluationOutcome(run=run, matched=None, joined_ids=[], left_ids=[])
            else:
                _set_statement_timeout()
                matched, joined_ids, left_ids = _apply_rule(
                    segment=locked, run_id=run.id, partner_ids=None
                )
                outcome = EvaluationOutcome(
                    run=run, matched=matched, joined_ids=joined_ids, left_ids=left_ids
                )
                locked.member_count = matched
                locked.last_evaluated_at = timezone.now()
                locked.next_evaluation_at = locked.last_evaluated_at + dt.timedelta(
                    minutes=locked.refresh_interval_minutes
                )
                locked.consecutive_failures = 0
                locked.last_error = ""
                locked.save(
                    update_fields=[
                        "member_count",
                        "last_evaluated_at",
                        "next_evaluation_at",
                        "consecutive_failures",
                        "last_error",
                    ]
                )
                run.status = EvaluationStatus.SUCCEEDED
                run.matched, run.joined, run.left = matched, len(joined_ids), len(left_ids)
                _announce_member_changes(segment=locked, outcome=outcome)
            run.finished_at = timezone.now()
            run.duration_ms = int((time.monotonic() - started) * 1000)
            run.save()
    except Exception as error:  # any failure is recorded on the run; membership is untouched
        _record_failure(run=run, segment_id=segment_id, error=error, started=started)
        return run
    if recheck_dependents and run.status == EvaluationStatus.SUCCEEDED:
        _recheck_dependents(segment_id=segment_id, outcome=outcome)
    return run


def _recheck_dependents(*, segment_id: int, outcome: EvaluationOutcome) -> None:
    """Segments whose rules name this one re-check the partners that joined or left it."""
    moved = [*outcome.joined_ids, *outcome.left_ids]
    if moved and Segment.objects.filter(depends_on__id=segment_id).exists():
        segments_partners_changed(partner_ids=moved)


def _record_failure(
    *, run: EvaluationRun, segment_id: int, error: Exception, started: float
) -> None:
    """Record a failed run and back the segment's schedule off exponentially."""
    message = f"{error.__class__.__name__}: {error}".strip()[:2000]
    logger.warning("segment %s evaluation failed: %s", segment_id, message)
    run.status = EvaluationStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.joined = run.left = 0
    run.matched = None
    run.save()
    segment = Segment.objects.get(pk=segment_id)
    segment.consecutive_failures += 1
    backoff = min(
        segment.refresh_interval_minutes * 2 ** (segment.consecutive_failures - 1),
        settings.PRM_SEGMENT_MAX_BACKOFF_MINUTES,
    )
    segment.next_evaluation_at = timezone.now() + dt.timedelta(minutes=max(backoff, 1))
    segment.last_error = message
    segment.save(update_fields=["consecutive_failures", "next_evaluation_at", "last_error"])


def _announce_member_changes(*, segment: Segment, outcome: EvaluationOutcome) -> None:
    """Tell the apps above (and this app's dependents) who joined and who left, on commit."""
    if not (outcome.joined_ids or outcome.left_ids):
        return
    joined, left = list(outcome.joined_ids), list(outcome.left_ids)
    transaction.on_commit(
        lambda: segment_members_changed.send(
            sender=Segment, segment_id=segment.id, joined_ids=joined, left_ids=left
        )
    )


def segments_evaluation_order(*, segment_ids: Iterable[int] | None = None) -> list[Segment]:
    """Active dynamic segments (or the given ones) with every segment after those it names."""
    segments = list(Segment.objects.dynamic().prefetch_related("depends_on"))
    if segment_ids is not None:
        wanted = set(segment_ids)
        segments = [segment for segment in segments if segment.id in wanted]
    by_id = {segment.id: segment for segment in segments}
    ordered: list[Segment] = []
    seen: set[int] = set()

    def visit(segment: Segment) -> None:
        if segment.id in seen:
            return
        seen.add(segment.id)
        for dependency in segment.depends_on.all():
            if dependency.id in by_id:
                visit(by_id[dependency.id])
        ordered.append(segment)

    for segment in sorted(segments, key=lambda item: item.id):
        visit(segment)
    return ordered


def segments_evaluate_all(*, trigger: str = EvaluationTrigger.MANUAL) -> list[EvaluationRun]:
    """Evaluate every active dynamic segment, in dependency order (so a segment's dependents,
    evaluated after it, need no follow-up re-check)."""
    return [
        segment_evaluate(segment_id=segment.id, trigger=trigger, recheck_dependents=False)
        for segment in segments_evaluation_order()
    ]


# ---------------------------------------------------------------------------------------
# Change-driven re-checks
# ---------------------------------------------------------------------------------------


def segments_partners_changed(*, partner_ids: Iterable[int]) -> None:
    """Queue changed partners for a re-check (a set: repeated changes collapse) and schedule
    the batch a few seconds later, after commit."""
    ids = sorted(set(partner_ids))
    if not ids:
        return
    now = timezone.now()
    for start in range(0, len(ids), 5000):
        PendingPartnerChange.objects.bulk_create(
            [
                PendingPartnerChange(partner_id=partner_id, changed_at=now)
                for partner_id in ids[start : start + 5000]
            ],
            ignore_conflicts=True,
        )
    from segments.tasks import segments_process_changes_task

    transaction.on_commit(
        lambda: segments_process_changes_task.apply_async(
            countdown=settings.PRM_SEGMENT_CHANGE_DELAY_SECONDS
        )
    )


def _claim_pending_changes(*, limit: int) -> list[int]:
    """Take up to `limit` queued partner ids out of the queue (skipping ones another worker
    holds); the rows come back if the surrounding transaction fails."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # A materialised CTE picks the batch once; `IN (SELECT … FOR UPDATE)` would be
            # planned as a subplan re-run for every queued row.
            cursor.execute(
                """
                WITH claimed AS MATERIALIZED (
                    SELECT partner_id FROM segments_pendingpartnerchange
                    ORDER BY changed_at LIMIT %s FOR UPDATE SKIP LOCKED
                )
                DELETE FROM segments_pendingpartnerchange pending
                USING claimed WHERE pending.partner_id = claimed.partner_id
                RETURNING pending.partner_id
                """,
                (limit,),
            )
            return sorted(row[0] for row in cursor.fetchall())
    ids = list(
        PendingPartnerChange.objects.order_by("changed_at").values_list("partner_id", flat=True)[
            :limit
        ]
    )
    PendingPartnerChange.objects.filter(partner_id__in=ids).delete()
    return sorted(ids)


def _reserve_run_id() -> int | None:
    """A run id taken from the sequence without writing the run (PostgreSQL), so a re-check
    that changes nothing leaves no row behind; None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [EvaluationRun._meta.db_table]
        )
        return cursor.fetchone()[0]


def segments_recheck_partners(
    *, partner_ids: Sequence[int], trigger: str = EvaluationTrigger.CHANGE
) -> dict[int, EvaluationOutcome]:
    """Re-check only these partners against every active dynamic segment, in dependency order,
    in one transaction. A run is recorded for each segment whose membership changed."""
    outcomes: dict[int, EvaluationOutcome] = {}
    if not partner_ids:
        return outcomes
    partner_ids = sorted(set(partner_ids))
    with transaction.atomic():
        _set_statement_timeout()
        if connection.vendor == "postgresql":
            _create_scope_table(partner_ids)
            with connection.cursor() as cursor:
                # A few thousand primary-key probes beat a scan of every partner; the default
                # cost of a random read (4, for spinning disks) makes the planner scan.
                cursor.execute("SET LOCAL random_page_cost = 1.1")
        ordered = segments_evaluation_order()
        # One statement locks them all, in id order: this serialises the batch with full runs
        # of the same segments (which lock one row each) without a deadlock.
        locked = {
            segment.id: segment
            for segment in Segment.objects.filter(id__in=[item.id for item in ordered])
            .select_for_update()
            .order_by("id")
        }
        for item in ordered:
            segment = locked[item.id]
            started, started_at = time.monotonic(), timezone.now()
            reserved_id = _reserve_run_id()
            run = None
            if reserved_id is None:
                run = EvaluationRun.objects.create(
                    segment=segment,
                    trigger=trigger,
                    segment_version=segment.version,
                    started_at=started_at,
                )
            _matched, joined_ids, left_ids = _apply_rule(
                segment=segment,
                run_id=reserved_id if run is None else run.id,
                partner_ids=partner_ids,
            )
            if not joined_ids and not left_ids:
                if run is not None:
                    run.delete()
                continue
            is_new = run is None
            run = run or EvaluationRun(id=reserved_id, segment=segment, trigger=trigger)
            run.segment_version = segment.version
            run.started_at = started_at
            run.partner_count = len(partner_ids)
            run.status = EvaluationStatus.SUCCEEDED
            run.joined, run.left = len(joined_ids), len(left_ids)
            run.finished_at = timezone.now()
            run.duration_ms = int((time.monotonic() - started) * 1000)
            run.save(force_insert=is_new)
            segment.member_count = segment.member_count + len(joined_ids) - len(left_ids)
            segment.save(update_fields=["member_count"])
            outcome = EvaluationOutcome(
                run=run, matched=None, joined_ids=joined_ids, left_ids=left_ids
            )
            outcomes[segment.id] = outcome
            _announce_member_changes(segment=segment, outcome=outcome)
    return outcomes


def segments_process_pending_changes(*, batch_size: int | None = None) -> dict[str, int]:
    """Drain one batch of queued partner changes: claim, re-check, commit. Returns counts and
    how many are still queued (the task re-enqueues itself while some remain)."""
    batch_size = batch_size or settings.PRM_SEGMENT_CHANGE_BATCH_SIZE
    with transaction.atomic():
        partner_ids = _claim_pending_changes(limit=batch_size)
        outcomes = segments_recheck_partners(partner_ids=partner_ids)
    return {
        "partners": len(partner_ids),
        "segments_changed": len(outcomes),
        "remaining": PendingPartnerChange.objects.count(),
    }


# ---------------------------------------------------------------------------------------
# Static segments
# ---------------------------------------------------------------------------------------


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
        segments_partners_changed(partner_ids=[*joined, *left])
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


# ---------------------------------------------------------------------------------------
# Scheduler bookkeeping
# ---------------------------------------------------------------------------------------


def segments_claim_due(*, now: dt.datetime | None = None) -> list[int]:
    """Ids of active dynamic segments due for their scheduled run, in dependency order; each
    is pushed one interval ahead so a second tick does not enqueue it again."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Segment.objects.dynamic()
            .filter(Q(next_evaluation_at__lte=now) | Q(next_evaluation_at__isnull=True))
            .select_for_update(skip_locked=True)
            .values_list("id", "refresh_interval_minutes")
        )
        for segment_id, interval in due:
            Segment.objects.filter(pk=segment_id).update(
                next_evaluation_at=now + dt.timedelta(minutes=interval)
            )
    ordered = segments_evaluation_order(segment_ids=[segment_id for segment_id, _ in due])
    return [segment.id for segment in ordered]


def evaluation_runs_sweep_stuck(*, older_than_minutes: int | None = None) -> int:
    """Mark runs left "running" by a lost worker as failed, so nothing looks in progress forever."""
    minutes = (
        settings.PRM_SEGMENT_STUCK_RUN_MINUTES if older_than_minutes is None else older_than_minutes
    )
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    return EvaluationRun.objects.filter(
        status=EvaluationStatus.RUNNING, started_at__lt=cutoff
    ).update(
        status=EvaluationStatus.FAILED,
        error=f"no result after {minutes} minutes: the worker was lost",
        finished_at=timezone.now(),
    )
