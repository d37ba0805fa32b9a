"""The write floor of a full build (bench_segments --write-floor): what writing the build's
memberships and joined events costs by itself, with no rule evaluated.

(a)'s target compares the build with a lower bound that only evaluates the rules into
unindexed, unlogged temporary tables. The build also has to store every member twice, in
WAL-logged tables with their indexes. This measures that part alone, from the memberships
(a) produced, in two ways:

- indexed: the rows written into the tables as they are (their indexes maintained row by
  row), a group of segments per statement sorted by partner, as the build writes them;
- bulk: the tables' indexes and keys dropped, the rows written, the indexes built afterwards
  (PostgreSQL's advice for populating an empty table).

Everything happens in one transaction that is rolled back: the tables, their indexes and
their rows are as they were.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

HOT_TABLES = ("segments_membership", "segments_membershipevent")

WRITE_SQL = """
    WITH joined AS (
        INSERT INTO segments_membership (segment_id, partner_id, joined_at)
        SELECT segment_id, partner_id, %s FROM {table}
    )
    INSERT INTO segments_membershipevent (segment_id, partner_id, kind, at, run_id)
    SELECT segment_id, partner_id, 'joined', %s, NULL FROM {table}
"""

KEYS_SQL = """
    SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
    FROM pg_constraint
    WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('p', 'u')
"""

INDEXES_SQL = """
    SELECT indexname, indexdef FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename = ANY(%s)
      AND indexname NOT IN (
          SELECT conname FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])
      )
"""


@dataclass(frozen=True)
class WriteFloor:
    rows: int  # (a)'s memberships
    written: tuple[int, int]  # events written by each way (one per membership)
    indexed_s: float
    bulk_insert_s: float
    bulk_index_s: float

    @property
    def bulk_s(self) -> float:
        return self.bulk_insert_s + self.bulk_index_s


def measure_write_floor(*, groups: list[list[int]]) -> WriteFloor:
    """Write the memberships of `groups` (segment ids per statement) both ways; see above."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        # The rows of each group, sorted by partner, copied aside (not timed).
        tables, rows = [], 0
        for index, segment_ids in enumerate(groups):
            table = f"bench_floor_{index}"
            cursor.execute(
                f"CREATE TEMP TABLE {table} ON COMMIT DROP AS "
                "SELECT segment_id, partner_id FROM segments_membership "
                "WHERE segment_id = ANY(%s) ORDER BY partner_id, segment_id",
                (segment_ids,),
            )
            tables.append(table)
            rows += cursor.rowcount
        cursor.execute(f"TRUNCATE {', '.join(HOT_TABLES)}")
        indexed_s, indexed_rows = _write(cursor, tables)
        cursor.execute(f"TRUNCATE {', '.join(HOT_TABLES)}")
        rebuild = _drop_keys_and_indexes(cursor)
        bulk_insert_s, bulk_rows = _write(cursor, tables)
        started = time.perf_counter()
        for statement in rebuild:
            cursor.execute(statement)
        bulk_index_s = time.perf_counter() - started
        transaction.set_rollback(True)
    return WriteFloor(
        rows=rows,
        written=(indexed_rows, bulk_rows),
        indexed_s=indexed_s,
        bulk_insert_s=bulk_insert_s,
        bulk_index_s=bulk_index_s,
    )


def _write(cursor, tables: list[str]) -> tuple[float, int]:
    now, written = timezone.now(), 0
    started = time.perf_counter()
    for table in tables:
        cursor.execute(WRITE_SQL.format(table=table), (now, now))
        written += cursor.rowcount
    return time.perf_counter() - started, written


def _drop_keys_and_indexes(cursor) -> list[str]:
    """Drop the hot tables' keys and indexes; return the statements that make them again."""
    cursor.execute(KEYS_SQL, (list(HOT_TABLES),))
    keys = cursor.fetchall()
    cursor.execute(INDEXES_SQL, (list(HOT_TABLES), list(HOT_TABLES)))
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    for table, name, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [
        *(
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, definition in keys
        ),
        *(definition for _name, definition in indexes),
    ]
