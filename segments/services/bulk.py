"""Evaluation of every dynamic segment at once (segments_evaluate_all): a dependency level at
a time, in groups of segments that one statement writes."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import connection, transaction
from django.utils import timezone

from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    Segment,
    SegmentKind,
)
from segments.services.evaluation import (
    EvaluationOutcome,
    _announce_member_changes,
    _rule_sql,
    _set_statement_timeout,
    segment_evaluate,
)
from segments.services.ordering import segments_dependency_levels, segments_evaluation_order

logger = logging.getLogger(__name__)


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
# record per row. Were one to happen anyway, the statement fails (nothing written) and the
# group is evaluated one by one. So the joiners are known before the insert: computed and
# sorted once, they feed the memberships, the joined events and the ids returned, where an
# INSERT … RETURNING would hold every joiner once more and sort them again for the events
# (a tenth of a full build from empty).

GROUP_WRITE_SQL = """
    level (segment_id, run_id) AS (
        SELECT * FROM unnest(%s::bigint[], %s::bigint[])
    ),
    joiners AS MATERIALIZED (
        SELECT matched.segment_id, matched.partner_id, level.run_id
        FROM matched JOIN level ON level.segment_id = matched.segment_id
        WHERE NOT EXISTS (
            SELECT 1 FROM segments_membership m
            WHERE m.segment_id = ANY(%s::bigint[])
              AND m.segment_id = matched.segment_id
              AND m.partner_id = matched.partner_id
        )
        ORDER BY matched.partner_id, matched.segment_id
    ),
    joined AS (
        INSERT INTO segments_membership (segment_id, partner_id, joined_at)
        SELECT segment_id, partner_id, %s FROM joiners
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
    events AS (
        INSERT INTO segments_membershipevent (segment_id, partner_id, kind, at, run_id)
        SELECT segment_id, partner_id, 'joined', %s, run_id FROM joiners
        UNION ALL
        SELECT left_.segment_id, left_.partner_id, 'left', %s, level.run_id
        FROM left_ JOIN level ON level.segment_id = left_.segment_id
    ),
    joined_ids AS (
        SELECT segment_id, array_agg(partner_id) AS ids FROM joiners GROUP BY segment_id
    ),
    left_ids AS (
        SELECT segment_id, array_agg(partner_id) AS ids FROM left_ GROUP BY segment_id
    ),
    counts AS (
        SELECT segment_id, count(*) AS matched FROM matched GROUP BY segment_id
    )
    SELECT level.segment_id,
           coalesce(counts.matched, 0),
           coalesce(joined_ids.ids, '{}'),
           coalesce(left_ids.ids, '{}')
    FROM level
    LEFT JOIN counts ON counts.segment_id = level.segment_id
    LEFT JOIN joined_ids ON joined_ids.segment_id = level.segment_id
    LEFT JOIN left_ids ON left_ids.segment_id = level.segment_id
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
            segment_ids,  # joiners: not yet members
            now,  # joined_at
            segment_ids,  # leavers
            now,  # joined events
            now,  # left events
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
