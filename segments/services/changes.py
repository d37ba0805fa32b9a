"""Change-driven re-checks: changed partners are queued, then re-checked in batches against
every dynamic segment, a dependency level at a time."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from partners.models import Partner
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    PendingPartnerChange,
    Segment,
)
from segments.services.evaluation import (
    EvaluationOutcome,
    _announce_member_changes,
    _apply_rule,
    _rule_sql,
    _set_statement_timeout,
)
from segments.services.ordering import segments_dependency_levels, segments_evaluation_order

logger = logging.getLogger(__name__)


# A change batch's partner ids, in an analysed temporary table (the write statements start
# from it, and the changed partners' copy is taken through it).
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


def _merge_causes(old: dict | None, new: dict) -> dict:
    """Two causes of a queued partner as one: the union of their fields and reasons."""
    old = old or {}
    return {
        key: sorted(set(old.get(key) or []) | set(new.get(key) or []))
        for key in ("fields", "reasons")
    }


def segments_partners_changed(
    *,
    partner_ids: Iterable[int],
    reason: str | None = None,
    fields: Iterable[str] | None = None,
) -> None:
    """Queue changed partners for a re-check (a set: repeated changes collapse, their causes
    merge) and schedule the batch a few seconds later, after commit. `reason` and `fields`
    (what changed) become the cause of the joins and leaves the re-check writes."""
    ids = sorted(set(partner_ids))
    if not ids:
        return
    now = timezone.now()
    cause = {"fields": sorted(set(fields or [])), "reasons": [reason] if reason else []}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        # Partners already queued keep what they had and add this change's cause.
        queued = dict(
            PendingPartnerChange.objects.filter(partner_id__in=chunk).values_list(
                "partner_id", "cause"
            )
        )
        PendingPartnerChange.objects.bulk_create(
            [
                PendingPartnerChange(
                    partner_id=partner_id,
                    changed_at=now,
                    cause=_merge_causes(queued.get(partner_id), cause),
                )
                for partner_id in chunk
            ],
            update_conflicts=True,
            unique_fields=["partner_id"],
            update_fields=["cause"],
        )
    from segments.tasks import segments_process_changes_task

    transaction.on_commit(
        lambda: segments_process_changes_task.apply_async(
            countdown=settings.PRM_SEGMENT_CHANGE_DELAY_SECONDS
        )
    )


def _claim_pending_changes(*, limit: int) -> dict[int, dict | None]:
    """Take up to `limit` queued partners out of the queue (skipping ones another worker
    holds), {partner id: cause}; the rows come back if the surrounding transaction fails."""
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
                RETURNING pending.partner_id, pending.cause
                """,
                (limit,),
            )
            rows = cursor.fetchall()
        return {
            partner_id: json.loads(cause) if isinstance(cause, str) else cause
            for partner_id, cause in sorted(rows)
        }
    rows = list(
        PendingPartnerChange.objects.order_by("changed_at").values_list("partner_id", "cause")[
            :limit
        ]
    )
    PendingPartnerChange.objects.filter(partner_id__in=[row[0] for row in rows]).delete()
    return dict(sorted(rows))


def _reserve_run_ids(*, count: int) -> list[int]:
    """Run ids taken from the sequence without writing the runs (PostgreSQL), so a re-check
    that changes nothing in a segment leaves no row behind."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [EvaluationRun._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


# (run id, joined ids, left ids, started_at, finished_at, duration_ms) of a segment
# whose membership a re-check changed.
Moves = dict[int, tuple[int, list[int], list[int], dt.datetime, dt.datetime, int]]


def segments_recheck_partners(
    *,
    partner_ids: Sequence[int],
    trigger: str = EvaluationTrigger.CHANGE,
    causes: dict[int, dict | None] | None = None,
) -> dict[int, EvaluationOutcome]:
    """Re-check only these partners against every active dynamic segment, in dependency order,
    in one transaction. A run is recorded for each segment whose membership changed, with the
    cause (`causes`, {partner id: {"fields", "reasons"}}) of each partner that moved."""
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
                # A level's moves (a few hundred thousand rows at 1% of a million partners)
                # are sorted by partner in memory rather than in temporary files.
                cursor.execute("SET LOCAL work_mem = '64MB'")
        ordered = segments_evaluation_order()
        # One statement locks them all, in id order: this serialises the batch with full runs
        # of the same segments (which lock one row each) without a deadlock.
        locked = {
            segment.id: segment
            for segment in Segment.objects.filter(id__in=[item.id for item in ordered])
            .select_for_update()
            .order_by("id")
        }
        if connection.vendor == "postgresql":
            moves = _recheck_by_level(levels=segments_dependency_levels(ordered), locked=locked)
        else:
            moves = _recheck_one_by_one(
                ordered=ordered, locked=locked, partner_ids=partner_ids, trigger=trigger
            )
        position = {segment.id: index for index, segment in enumerate(ordered)}
        runs = [
            EvaluationRun(
                id=run_id,
                segment=locked[segment_id],
                trigger=trigger,
                status=EvaluationStatus.SUCCEEDED,
                segment_version=locked[segment_id].version,
                partner_count=len(partner_ids),
                started_at=started_at,
                finished_at=finished_at,
                joined=len(joined_ids),
                left=len(left_ids),
                duration_ms=duration_ms,
                partner_changes=_moved_causes(causes, joined_ids, left_ids),
            )
            for segment_id, (
                run_id,
                joined_ids,
                left_ids,
                started_at,
                finished_at,
                duration_ms,
            ) in sorted(moves.items(), key=lambda item: position[item[0]])
        ]
        # Completes the runs the portable path wrote before it knew the outcome.
        EvaluationRun.objects.bulk_create(
            runs,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=[
                "status",
                "partner_count",
                "finished_at",
                "joined",
                "left",
                "duration_ms",
                "partner_changes",
            ],
        )
        changed = []
        for run in runs:
            segment = locked[run.segment_id]
            segment.member_count = segment.member_count + run.joined - run.left
            changed.append(segment)
            _run_id, joined_ids, left_ids, *_ = moves[segment.id]
            outcome = EvaluationOutcome(
                run=run, matched=None, joined_ids=joined_ids, left_ids=left_ids
            )
            outcomes[segment.id] = outcome
            _announce_member_changes(segment=segment, outcome=outcome)
        Segment.objects.bulk_update(changed, ["member_count"])
    return outcomes


def _moved_causes(
    causes: dict[int, dict | None] | None, joined_ids: list[int], left_ids: list[int]
) -> dict[str, dict] | None:
    """The causes of the partners that moved in one segment (JSON keys are strings)."""
    if not causes:
        return None
    moved = {
        str(partner_id): causes[partner_id]
        for partner_id in (*joined_ids, *left_ids)
        if causes.get(partner_id)
    }
    return moved or None


def _recheck_one_by_one(
    *,
    ordered: list[Segment],
    locked: dict[int, Segment],
    partner_ids: Sequence[int],
    trigger: str,
) -> Moves:
    """The re-check as one rule statement per segment, for databases without writable CTEs:
    each segment's run is written first (its events need the id) and dropped if nothing
    moved; the caller completes the others."""
    moves: Moves = {}
    for item in ordered:
        segment = locked[item.id]
        started, started_at = time.monotonic(), timezone.now()
        run = EvaluationRun.objects.create(
            segment=segment,
            trigger=trigger,
            segment_version=segment.version,
            started_at=started_at,
        )
        _matched, joined_ids, left_ids = _apply_rule(
            segment=segment, run_id=run.id, partner_ids=partner_ids
        )
        if not (joined_ids or left_ids):
            run.delete()
            continue
        duration_ms = int((time.monotonic() - started) * 1000)
        moves[item.id] = (run.id, joined_ids, left_ids, started_at, timezone.now(), duration_ms)
    return moves


# A dependency level's matches among the changed partners, (segment_id, partner_id).
MATCHED_TABLE = "segments_recheck_matched"

# The writes of one dependency level, as one statement whose every write is sorted by partner.
# Memberships and events are indexed by (segment, partner) and (partner, …); a segment's
# members are spread over all partners, so one statement per segment dirtied a page of the
# partner-keyed indexes per moved row, again for every segment. Sorted by partner, the rows of
# all segments for one partner land on the same page, and each segment's range of the
# (segment, partner) index is walked once, forwards.
RECHECK_LEVEL_SQL = f"""
    WITH level (segment_id, run_id) AS (
        SELECT * FROM unnest(%(segment_ids)s::bigint[], %(run_ids)s::bigint[])
    ),
    current AS MATERIALIZED (
        SELECT m.segment_id, m.partner_id
        FROM {SCOPE_TABLE} scope
        JOIN segments_membership m ON m.partner_id = scope.partner_id
        WHERE m.segment_id = ANY(%(segment_ids)s::bigint[])
    ),
    joined AS (
        INSERT INTO segments_membership (segment_id, partner_id, joined_at)
        SELECT matched.segment_id, matched.partner_id, %(now)s
        FROM {MATCHED_TABLE} matched
        WHERE NOT EXISTS (
            SELECT 1 FROM current
            WHERE current.segment_id = matched.segment_id
              AND current.partner_id = matched.partner_id
        )
        ORDER BY matched.partner_id, matched.segment_id
        ON CONFLICT (segment_id, partner_id) DO NOTHING
        RETURNING segment_id, partner_id
    ),
    left_ AS (
        DELETE FROM segments_membership m
        USING (
            SELECT current.segment_id, current.partner_id FROM current
            WHERE NOT EXISTS (
                SELECT 1 FROM {MATCHED_TABLE} matched
                WHERE matched.segment_id = current.segment_id
                  AND matched.partner_id = current.partner_id
            )
        ) gone
        WHERE m.segment_id = gone.segment_id AND m.partner_id = gone.partner_id
        RETURNING m.segment_id, m.partner_id
    ),
    moved AS (
        SELECT segment_id, partner_id, 'joined' AS kind FROM joined
        UNION ALL
        SELECT segment_id, partner_id, 'left' AS kind FROM left_
    ),
    events AS (
        INSERT INTO segments_membershipevent (segment_id, partner_id, kind, at, run_id)
        SELECT moved.segment_id, moved.partner_id, moved.kind, %(now)s, level.run_id
        FROM moved JOIN level ON level.segment_id = moved.segment_id
        ORDER BY moved.partner_id, moved.segment_id
    )
    SELECT segment_id,
           coalesce(array_agg(partner_id) FILTER (WHERE kind = 'joined'), '{{}}'),
           coalesce(array_agg(partner_id) FILTER (WHERE kind = 'left'), '{{}}')
    FROM moved
    GROUP BY segment_id
"""


# The changed partners' rows, copied once per batch: each rule then scans these few thousand
# rows instead of probing the partners table's primary key once per changed partner per rule
# (that probe was most of a re-check's matching time). Tags, certifications and memberships
# are still read live. A partner edited after the copy is queued again by its change signal.
PARTNERS_COPY_TABLE = "segments_recheck_partner"

# Plan shapes the matching statements must not take: the planner cannot tell which tag a
# slug names, so it guesses the partners with a tag few and hashes them all (hundreds of
# thousands of rows per rule at a million partners) to meet a few thousand changed ones.
# Without hash and merge joins, hash aggregation, bitmap scans and sorts, every condition is
# an index probe per changed partner.
PROBE_ONLY_SETTINGS = (
    "enable_hashjoin",
    "enable_mergejoin",
    "enable_hashagg",
    "enable_bitmapscan",
    "enable_sort",
)


def _copy_changed_partners(cursor) -> None:
    """PARTNERS_COPY_TABLE: the rows of the partners in the scope table, analysed."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{PARTNERS_COPY_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {PARTNERS_COPY_TABLE} ON COMMIT DROP AS "
        f"SELECT partner.* FROM {Partner._meta.db_table} partner "
        f"JOIN {SCOPE_TABLE} scope ON scope.partner_id = partner.id"
    )
    cursor.execute(f"ANALYZE {PARTNERS_COPY_TABLE}")


def _rule_sql_over_copy(*, rule: Any) -> tuple[str, tuple]:
    """A rule's SELECT id over the changed partners' copy: the copy takes the partners
    table's name as its alias, so every compiled condition applies unchanged."""
    sql, params = _rule_sql(rule=rule, partner_ids=None)
    table = connection.ops.quote_name(Partner._meta.db_table)
    outer_from = f"FROM {table}"  # the outer query's; subqueries alias their tables (U0, …)
    if outer_from not in sql:
        raise RuntimeError(f"unexpected rule SQL, no {outer_from}: {sql[:200]}")
    return sql.replace(outer_from, f"FROM {PARTNERS_COPY_TABLE} {table}", 1), params


# A tag condition under an OR or a NOT cannot be a join: it is a subplan, which the planner may
# run "hashed", reading every partner with the tag (hundreds of thousands of rows, 0.1-0.5 s)
# once per rule rather than probing the index once per changed partner. A subplan is hashed
# only when its table looks small enough for work_mem, and the planner, not knowing which tag
# a slug names, guesses a few thousand rows; so the matching statements run with the least
# work_mem (they neither sort nor hash otherwise). At a million partners, 10,000 changed:
# matching 7.0 -> 4.0 s, 15 such rules having taken 3.6 s of the first level's 5.4 s.
PROBE_ONLY_WORK_MEM = "64kB"


@contextmanager
def _index_probe_plans(cursor) -> Iterator[None]:
    """PROBE_ONLY_SETTINGS and PROBE_ONLY_WORK_MEM for the statements inside; the previous
    settings again after (on an error the transaction is rolled back, its SET LOCALs with it)."""
    cursor.execute("SELECT current_setting('work_mem')")
    (work_mem,) = cursor.fetchone()
    for setting in PROBE_ONLY_SETTINGS:
        cursor.execute(f"SET LOCAL {setting} = off")
    cursor.execute("SELECT set_config('work_mem', %s, true)", [PROBE_ONLY_WORK_MEM])
    yield
    for setting in PROBE_ONLY_SETTINGS:
        cursor.execute(f"SET LOCAL {setting} TO DEFAULT")
    cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])


def _recheck_by_level(*, levels: list[list[Segment]], locked: dict[int, Segment]) -> Moves:
    """The re-check of the scope table's partners, a dependency level at a time: the level's
    rules, over a copy of the partners' rows, fill the matched table (one statement), then one
    statement writes every join, leave and event of the level (see RECHECK_LEVEL_SQL)."""
    segment_ids = [segment.id for level in levels for segment in level]
    run_ids = dict(zip(segment_ids, _reserve_run_ids(count=len(segment_ids)), strict=True))
    moves: Moves = {}
    with connection.cursor() as cursor:
        _copy_changed_partners(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{MATCHED_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {MATCHED_TABLE} (segment_id bigint, partner_id bigint)"
            " ON COMMIT DROP"
        )
        for level in levels:
            started, started_at = time.monotonic(), timezone.now()
            cursor.execute(f"TRUNCATE {MATCHED_TABLE}")
            selects, params = [], []
            for segment in level:
                rule_sql, rule_params = _rule_sql_over_copy(rule=locked[segment.id].rule)
                selects.append(f"SELECT %s::bigint, rule.id FROM ({rule_sql}) rule")
                params.extend((segment.id, *rule_params))
            with _index_probe_plans(cursor):
                cursor.execute(
                    f"INSERT INTO {MATCHED_TABLE} (segment_id, partner_id) "
                    + " UNION ALL ".join(selects),
                    params,
                )
            cursor.execute(f"ANALYZE {MATCHED_TABLE}")
            level_ids = [segment.id for segment in level]
            cursor.execute(
                RECHECK_LEVEL_SQL,
                {
                    "segment_ids": level_ids,
                    "run_ids": [run_ids[segment_id] for segment_id in level_ids],
                    "now": started_at,
                },
            )
            rows = cursor.fetchall()
            finished_at = timezone.now()
            # The level's statements are shared: each changed segment's run gets their time.
            duration_ms = int((time.monotonic() - started) * 1000)
            for segment_id, joined_ids, left_ids in rows:
                moves[segment_id] = (
                    run_ids[segment_id],
                    sorted(joined_ids),
                    sorted(left_ids),
                    started_at,
                    finished_at,
                    duration_ms,
                )
    return moves


def segments_process_pending_changes(*, batch_size: int | None = None) -> dict[str, int]:
    """Drain one batch of queued partner changes: claim, re-check, commit. Returns counts and
    how many are still queued (the task re-enqueues itself while some remain)."""
    batch_size = batch_size or settings.PRM_SEGMENT_CHANGE_BATCH_SIZE
    with transaction.atomic():
        causes = _claim_pending_changes(limit=batch_size)
        partner_ids = list(causes)
        outcomes = segments_recheck_partners(partner_ids=partner_ids, causes=causes)
    return {
        "partners": len(partner_ids),
        "segments_changed": len(outcomes),
        "remaining": PendingPartnerChange.objects.count(),
    }
