"""Set-based evaluation of dynamic segments with history: one segment (segment_evaluate),
or all of them by dependency level (segments_evaluate_all)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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
from segments.rules import compile_rule
from segments.signals import segment_members_changed

logger = logging.getLogger(__name__)


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


def _rule_sql(*, rule: Any, partner_ids: Sequence[int] | None) -> tuple[str, tuple]:
    """SELECT id FROM partners WHERE <rule> [AND id IN partner_ids], as SQL and params."""
    partners = Partner.objects.filter(compile_rule(rule))
    if partner_ids is not None:
        partners = partners.filter(id__in=partner_ids)
    sql, params = partners.order_by().values("id").query.sql_with_params()
    return sql, tuple(params)


def _evaluate_postgresql(
    *, segment: Segment, run_id: int | None, partner_ids: Sequence[int] | None, now: dt.datetime
) -> tuple[int, list[int], list[int]]:
    """One statement: match, insert joiners, delete leavers and write both kinds of events.
    Over all partners only: re-checks of changed partners run by dependency level (see
    segments.services.changes)."""
    if partner_ids is not None:
        raise ValueError("a PostgreSQL re-check goes through segments_recheck_partners")
    rule_sql, rule_params = _rule_sql(rule=segment.rule, partner_ids=None)
    # Joiners by an anti-join over the segment's members (one hash join, not a speculative
    # insert per partner that is already a member).
    joiners_where = (
        "WHERE NOT EXISTS (SELECT 1 FROM segments_membership m"
        " WHERE m.segment_id = %s AND m.partner_id = matched.id)"
    )
    sql = f"""
        WITH matched AS MATERIALIZED ({rule_sql}),
        joined AS (
            INSERT INTO segments_membership (segment_id, partner_id, joined_at)
            SELECT %s, matched.id, %s FROM matched {joiners_where}
            ON CONFLICT (segment_id, partner_id) DO NOTHING
            RETURNING partner_id
        ),
        left_ AS (
            DELETE FROM segments_membership m
            WHERE m.segment_id = %s
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
        segment.id,
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
    from segments.services.changes import segments_partners_changed  # changes imports this

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
    evaluated after it, need no follow-up re-check). On PostgreSQL the segments of a dependency
    level are evaluated in groups, one statement and transaction per group; a group that fails
    is evaluated again one segment at a time, so each failure is recorded on its own run."""
    ordered = segments_evaluation_order()
    if connection.vendor != "postgresql":
        return [
            segment_evaluate(segment_id=segment.id, trigger=trigger, recheck_dependents=False)
            for segment in ordered
        ]
    runs: list[EvaluationRun] = []
    for level in segments_dependency_levels(ordered):
        for start in range(0, len(level), EVALUATION_GROUP_SIZE):
            group = level[start : start + EVALUATION_GROUP_SIZE]
            try:
                runs.extend(_evaluate_group(segments=group, trigger=trigger))
            except Exception as error:  # retried one by one: each failure on its own run
                logger.warning("segment group evaluation failed, one by one now: %s", error)
                runs.extend(
                    segment_evaluate(
                        segment_id=segment.id, trigger=trigger, recheck_dependents=False
                    )
                    for segment in group
                )
    return runs


# Segments written by one statement in segments_evaluate_all. Each segment's members are
# spread over all partners, so a statement per segment dirtied nearly every page of the
# partner-keyed indexes (memberships, events) once per segment; sorted by partner, a group's
# statement walks them once. The group size bounds the matches held at once (in the statement
# and as joined ids in Python).
EVALUATION_GROUP_SIZE = 25

# A plain INSERT, without ON CONFLICT: the anti-join already leaves out every current member,
# and the segments' row locks keep every other writer of their memberships out, so a conflict
# cannot happen; a speculative insertion would cost a unique-index check and an extra WAL
# record per row. Were one to happen anyway, the group fails and is evaluated one by one.

GROUP_WRITE_SQL = """
    level (segment_id, run_id) AS (
        SELECT * FROM unnest(%s::bigint[], %s::bigint[])
    ),
    joined AS (
        INSERT INTO segments_membership (segment_id, partner_id, joined_at)
        SELECT matched.segment_id, matched.partner_id, %s
        FROM matched
        WHERE NOT EXISTS (
            SELECT 1 FROM segments_membership m
            WHERE m.segment_id = ANY(%s::bigint[])
              AND m.segment_id = matched.segment_id
              AND m.partner_id = matched.partner_id
        )
        ORDER BY matched.partner_id, matched.segment_id
        RETURNING segment_id, partner_id
    ),
    left_ AS (
        DELETE FROM segments_membership m
        WHERE m.segment_id = ANY(%s::bigint[])
          AND NOT EXISTS (
              SELECT 1 FROM matched
              WHERE matched.segment_id = m.segment_id AND matched.partner_id = m.partner_id
          )
        RETURNING m.segment_id, m.partner_id
    ),
    moved AS (
        SELECT segment_id, partner_id, 'joined' AS kind FROM joined
        UNION ALL
        SELECT segment_id, partner_id, 'left' AS kind FROM left_
    ),
    events AS (
        INSERT INTO segments_membershipevent (segment_id, partner_id, kind, at, run_id)
        SELECT moved.segment_id, moved.partner_id, moved.kind, %s, level.run_id
        FROM moved JOIN level ON level.segment_id = moved.segment_id
        ORDER BY moved.partner_id, moved.segment_id
    ),
    moved_ids AS (
        SELECT segment_id,
               array_agg(partner_id) FILTER (WHERE kind = 'joined') AS joined_ids,
               array_agg(partner_id) FILTER (WHERE kind = 'left') AS left_ids
        FROM moved
        GROUP BY segment_id
    ),
    counts AS (
        SELECT segment_id, count(*) AS matched FROM matched GROUP BY segment_id
    )
    SELECT level.segment_id,
           coalesce(counts.matched, 0),
           coalesce(moved_ids.joined_ids, '{}'),
           coalesce(moved_ids.left_ids, '{}')
    FROM level
    LEFT JOIN counts ON counts.segment_id = level.segment_id
    LEFT JOIN moved_ids ON moved_ids.segment_id = level.segment_id
"""


def _evaluate_group(*, segments: list[Segment], trigger: str) -> list[EvaluationRun]:
    """Evaluate a group of segments of one dependency level over all partners in one
    transaction: one statement matches them all and writes every join, leave and event.
    The runs are written in the transaction (a lost worker leaves no run "running", and the
    membership as it was); a segment whose version moved on is recorded as stale."""
    started, started_at = time.monotonic(), timezone.now()
    with transaction.atomic():
        _set_statement_timeout()
        with connection.cursor() as cursor:
            # The group's matches are hashed and sorted in memory rather than on disk.
            cursor.execute("SET LOCAL work_mem = '128MB'")
        expected = {segment.id: segment.version for segment in segments}
        locked = list(Segment.objects.filter(id__in=expected).select_for_update().order_by("id"))
        runs = {
            segment.id: EvaluationRun(
                segment=segment,
                trigger=trigger,
                segment_version=expected[segment.id],
                started_at=started_at,
            )
            for segment in locked
        }
        current = [
            segment
            for segment in locked
            if segment.version == expected[segment.id] and segment.kind == SegmentKind.DYNAMIC
        ]
        for segment in locked:
            if segment not in current:
                runs[segment.id].status = EvaluationStatus.STALE
        EvaluationRun.objects.bulk_create(runs.values())
        by_id = {segment.id: segment for segment in current}
        rows = _evaluate_group_sql(segments=current, runs=runs, now=started_at) if current else []
        finished_at = timezone.now()
        for segment_id, matched, joined_ids, left_ids in rows:
            run, segment = runs[segment_id], by_id[segment_id]
            run.status = EvaluationStatus.SUCCEEDED
            run.matched, run.joined, run.left = matched, len(joined_ids), len(left_ids)
            segment.member_count = matched
            segment.last_evaluated_at = finished_at
            segment.next_evaluation_at = finished_at + dt.timedelta(
                minutes=segment.refresh_interval_minutes
            )
            segment.consecutive_failures = 0
            segment.last_error = ""
            _announce_member_changes(
                segment=segment,
                outcome=EvaluationOutcome(
                    run=run,
                    matched=matched,
                    joined_ids=sorted(joined_ids),
                    left_ids=sorted(left_ids),
                ),
            )
        # The group's statement is shared: each run gets its time.
        duration_ms = int((time.monotonic() - started) * 1000)
        for run in runs.values():
            run.finished_at, run.duration_ms = finished_at, duration_ms
        EvaluationRun.objects.bulk_update(
            runs.values(), ["status", "matched", "joined", "left", "finished_at", "duration_ms"]
        )
        Segment.objects.bulk_update(
            current,
            [
                "member_count",
                "last_evaluated_at",
                "next_evaluation_at",
                "consecutive_failures",
                "last_error",
            ],
        )
    position = {segment.id: index for index, segment in enumerate(segments)}
    return sorted(runs.values(), key=lambda run: position[run.segment_id])


def _evaluate_group_sql(
    *, segments: list[Segment], runs: dict[int, EvaluationRun], now: dt.datetime
) -> list[tuple[int, int, list[int], list[int]]]:
    """(segment id, matched, joined ids, left ids) for each segment, from GROUP_WRITE_SQL."""
    selects, params = [], []
    for segment in segments:
        rule_sql, rule_params = _rule_sql(rule=segment.rule, partner_ids=None)
        selects.append(f"SELECT %s::bigint, rule.id FROM ({rule_sql}) rule")
        params.extend((segment.id, *rule_params))
    segment_ids = [segment.id for segment in segments]
    params.extend(
        (
            segment_ids,
            [runs[segment_id].id for segment_id in segment_ids],
            now,
            segment_ids,
            segment_ids,
            now,
        )
    )
    sql = (
        "WITH matched (segment_id, partner_id) AS MATERIALIZED ("
        + " UNION ALL ".join(selects)
        + "), "
        + GROUP_WRITE_SQL.lstrip()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def segments_dependency_levels(segments: Sequence[Segment]) -> list[list[Segment]]:
    """Segments (given in evaluation order, their depends_on prefetched) grouped by level: a
    segment sits one level above the highest of these segments its rule names, so a whole
    level can be evaluated at once after the levels below it."""
    level_of: dict[int, int] = {}
    levels: list[list[Segment]] = []
    for segment in segments:
        level = 1 + max(
            (level_of[dep.id] for dep in segment.depends_on.all() if dep.id in level_of),
            default=-1,
        )
        level_of[segment.id] = level
        if level == len(levels):
            levels.append([])
        levels[level].append(segment)
    return levels
