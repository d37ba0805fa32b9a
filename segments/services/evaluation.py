"""Set-based evaluation of one dynamic segment with history (segment_evaluate); all of them
at once is segments.services.bulk."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
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
        segments_partners_changed(partner_ids=moved, reason="segment", fields=["segment"])


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
