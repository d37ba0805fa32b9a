"""Benchmark segment evaluation on PostgreSQL: N generated partners, K generated segments.

Measures (a) building every segment from empty (segments_evaluate_all), against the bare SQL
lower bound (each compiled rule as CREATE TEMP TABLE … AS SELECT id, run after (a) so that
rules naming other segments see their members) and a naive baseline (partners loaded and
rules interpreted in Python on a sample, memberships bulk-written, scaled to N); (b) the
change-driven path after a share of partners changed (queue + drain); (c) the same path and a
full re-evaluation with nothing changed. The last line printed is JSON.

WIPES partners and segments (TRUNCATE … CASCADE) before and, without --keep, after the run;
refuses when the database holds partners or segments that are not the benchmark's unless
--force. The services' task enqueues are held (counted, not sent): the benchmark drives the
work itself, so no broker is needed and no eager task runs inside a measurement.
"""

from __future__ import annotations

import json
import os
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from partners.models import Partner, PartnerCertification, Tier
from segments import bench, bench_floor, services
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    Membership,
    PendingPartnerChange,
    Segment,
    SegmentKind,
)
from segments.rules import compile_rule, validate_rule

# Memberships and their events have no database foreign keys (see segments.models), so
# CASCADE does not reach them: they are named, or a run would start from the last one's.
WIPE_SQL = (
    "TRUNCATE partners_partner, segments_segment, segments_membership, "
    "segments_membershipevent, segments_pendingpartnerchange RESTART IDENTITY CASCADE"
)
NAIVE_FIELDS = (
    "id", "partner_type", "tier_id", "region", "country", "employee_count", "annual_revenue",
    "lifecycle_stage", "joined_at", "tech_savviness", "revenue_12m", "deals_won_12m",
    "engagement_score", "last_activity_at", "attributes",
)  # fmt: skip
TAG_SOURCES = (
    ("industries", Partner.industries.through.objects, "industry__slug"),
    ("technologies", Partner.technologies.through.objects, "technology__slug"),
)


class Command(BaseCommand):
    help = "Benchmark segment evaluation: full build, change path, no-change, baselines."

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=1_000_000)
        parser.add_argument("--segments", type=int, default=200)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--keep", action="store_true", help="Keep the generated data.")
        parser.add_argument(
            "--force", action="store_true", help="Wipe partners and segments that are not ours."
        )
        parser.add_argument(
            "--no-vacuum", action="store_true", help="ANALYZE only (inside a transaction)."
        )
        parser.add_argument("--churn", type=float, default=0.01, help="Share of partners changed.")
        parser.add_argument("--naive-sample", type=int, default=20_000)
        parser.add_argument(
            "--skip-full-churn",
            action="store_true",
            help="Skip the comparison: a full re-evaluation after a second churn.",
        )
        parser.add_argument(
            "--explain", action="store_true", help="EXPLAIN ANALYZE the slowest segment of (a)."
        )
        parser.add_argument(
            "--write-floor",
            action="store_true",
            help="Also time writing (a)'s memberships and events alone (see segments.bench_floor).",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_segments needs PostgreSQL (set DATABASE_URL).")
        if options["partners"] < 1 or options["segments"] < 1:
            raise CommandError("--partners and --segments must be at least 1.")
        self._refuse_foreign_data(force=options["force"])
        self.options = options
        self.report: dict = {}
        self.others: dict[str, int] = {}
        with connection.cursor() as cursor:
            cursor.execute(WIPE_SQL)
        phases = [
            self._generate,
            self._create_segments,
            self._full_build,
            self._lower_bound,
            self._naive_baseline,
            self._churn,
            self._no_change,
        ]
        if not options["skip_full_churn"]:
            phases.append(self._full_churn)
        if options["write_floor"]:  # last: its writes (rolled back) disturb no other figure
            phases.append(self._write_floor)
        if options["explain"]:
            phases.append(self._explain_slowest)
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self._line(f"== database {connection.settings_dict['NAME']}, load average {load}")
        try:
            for phase in phases:
                phase()
                self._note_other_sessions(phase.__name__.lstrip("_"))
        finally:
            if not options["keep"]:
                with connection.cursor() as cursor:
                    cursor.execute(WIPE_SQL)
        self._print_summary()

    # -- setup --------------------------------------------------------------------------

    def _refuse_foreign_data(self, *, force: bool) -> None:
        foreign = Partner.objects.exclude(external_id__startswith=bench.PREFIX).count()
        foreign_segments = Segment.objects.exclude(slug__startswith=bench.SEGMENT_PREFIX).count()
        if (foreign or foreign_segments) and not force:
            raise CommandError(
                f"The database holds {foreign} partner(s) and {foreign_segments} segment(s) "
                "that are not benchmark data; this command wipes partners and segments. "
                "Use a database of its own, or --force."
            )

    def _note_other_sessions(self, phase: str) -> None:
        """Other sessions on this database make the figures unreliable (lock waits, load)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (count,) = cursor.fetchone()
        if count:
            self.others[phase] = count
            self._line(f"   WARNING: {count} other session(s) on this database after {phase}")

    def _line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _generate(self) -> None:
        count, seed = self.options["partners"], self.options["seed"]
        started = time.perf_counter()
        steps = bench.generate_partners(partners=count, seed=seed)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        tables = [
            "partners_partner",
            "partners_partner_industries",
            "partners_partner_technologies",
            "partners_partnercertification",
            "segments_membership",
            "segments_membershipevent",
        ]
        self._analyze(tables)
        analyzed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM partners_partner_industries), "
                "(SELECT count(*) FROM partners_partner_technologies), "
                "(SELECT count(*) FROM partners_partnercertification), "
                "(SELECT count(*) FROM partners_partnercertification "
                " WHERE expires_at <= CURRENT_DATE)"
            )
            industries, technologies, certifications, expired = cursor.fetchone()
        self.report["generate_s"] = generated
        self._line(f"== {count:,} partners generated in {generated:.1f} s " + self._fmt(steps))
        self._line(
            f"   tag links: {industries:,} industries, {technologies:,} technologies; "
            f"{certifications:,} certifications ({expired:,} expired); "
            f"{'ANALYZE' if self.options['no_vacuum'] else 'VACUUM ANALYZE'} {analyzed:.1f} s"
        )

    def _analyze(self, tables: list[str]) -> None:
        command = "ANALYZE" if self.options["no_vacuum"] else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"{command} {table}")

    def _create_segments(self) -> None:
        rules = bench.generate_rules(count=self.options["segments"], seed=self.options["seed"])
        for slug, name, rule in rules:
            errors = validate_rule(rule)
            if errors:
                raise CommandError(f"generated rule {slug} is invalid: {errors}")
            segment = Segment.objects.create(
                name=name,
                slug=slug,
                objective=f"Benchmark segment: {name}",
                kind=SegmentKind.DYNAMIC,
                rule=rule,
            )
            depends_on = services.segment_dependency_slugs(rule=rule)
            if depends_on:
                segment.depends_on.set(Segment.objects.filter(slug__in=depends_on))
        self.rules = rules
        derived = sum(1 for _, _, rule in rules if "segment" in json.dumps(rule))
        self._line(f"== {len(rules)} segments created ({derived} name another segment)")

    # -- (a) full build and the lower bound ---------------------------------------------

    def _full_build(self) -> None:
        with bench.tasks_held() as held, bench.timed_statements(keep_sql=True) as timer:
            started = time.perf_counter()
            runs = services.segments_evaluate_all()
            full_s = time.perf_counter() - started
        failed = [run for run in runs if run.status != EvaluationStatus.SUCCEEDED]
        for run in failed:
            self.stderr.write(f"   {run.segment.slug}: {run.status} {run.error}")
        self.order = [run.segment for run in runs]
        # The segments of each evaluation statement: a group's runs share their start.
        starts = {run.started_at: [] for run in runs}
        for run in runs:
            starts[run.started_at].append(run.segment_id)
        self.statement_segments = list(starts.values())
        # A group of segments shares one statement: each run carries the group's time.
        self.full_statements = [(run.duration_ms or 0) / 1000 for run in runs]
        self.full_sql = timer.evaluate_sql
        followups = self._clear_queue()
        self._analyze(["segments_membership", "segments_membershipevent"])
        sizes = dict(
            Membership.objects.order_by().values_list("segment_id").annotate(n=Count("id"))
        )
        self.sizes = [sizes.get(segment.id, 0) for segment in self.order]
        total = sum(self.sizes)
        partners = self.options["partners"]
        shares = sorted(size / partners for size in self.sizes)
        typical = sum(1 for share in shares if 0.01 <= share <= 0.20)
        self.report.update(
            full_s=full_s, memberships=total, full_failed=len(failed), followups_queued=followups
        )
        self._line(f"== (a) full build from empty: {full_s:.2f} s")
        self._line(
            f"   members per segment: min {min(self.sizes):,} / median "
            f"{int(statistics.median(self.sizes)):,} / max {max(self.sizes):,}; "
            f"total memberships {total:,} (and as many joined events); "
            f"{typical}/{len(shares)} segments hold 1-20% of partners"
        )
        self._line("   time in SQL statements: " + self._fmt(timer.seconds, timer.counts))
        self._line(
            f"   outside statements and commits (Python): "
            f"{full_s - sum(timer.seconds.values()):.2f} s"
        )
        self._line(
            f"   tasks enqueued on commit (held, not sent): {dict(held.calls) or 'none'}; "
            f"partner re-checks queued: {followups:,}"
            + (" (cleared: the build ran dependents after their dependencies)" if followups else "")
        )
        if failed:
            self._line(f"   WARNING: {len(failed)} segment(s) failed")

    def _lower_bound(self) -> None:
        queries = [
            Partner.objects.filter(compile_rule(segment.rule))
            .order_by()
            .values("id")
            .query.sql_with_params()
            for segment in self.order
        ]
        self.lower_bound = []
        with connection.cursor() as cursor:
            for index, (sql, params) in enumerate(queries):
                started = time.perf_counter()
                cursor.execute(f"CREATE TEMP TABLE bench_lb_{index} AS {sql}", params)
                self.lower_bound.append(time.perf_counter() - started)
            for index in range(len(queries)):
                cursor.execute(f"DROP TABLE bench_lb_{index}")
        lower = sum(self.lower_bound)
        self.report["lower_bound_s"] = lower
        self.report["full_ratio"] = self.report["full_s"] / lower if lower else None
        self._line(
            f"== lower bound (CREATE TEMP TABLE … AS SELECT id, after (a) so segment "
            f"references see members): {lower:.2f} s; (a)/lower bound = "
            f"{self.report['full_ratio']:.2f}x"
        )
        worst = sorted(range(len(self.order)), key=lambda i: self.full_statements[i], reverse=True)[
            :5
        ]
        self._line("   slowest segments of (a): slug, members, run (group) s, lower bound s")
        for i in worst:
            self._line(
                f"     {self.order[i].slug}: {self.sizes[i]:,}, "
                f"{self.full_statements[i]:.2f} s, {self.lower_bound[i]:.2f} s"
            )

    def _write_floor(self) -> None:
        floor = bench_floor.measure_write_floor(groups=self.statement_segments)
        lower = self.report["lower_bound_s"]
        self.report.update(
            floor_indexed_s=floor.indexed_s,
            floor_bulk_s=floor.bulk_s,
            floor_indexed_ratio=(lower + floor.indexed_s) / lower,
            floor_bulk_ratio=(lower + floor.bulk_s) / lower,
        )
        self._line(
            f"== write floor: the build's {floor.rows:,} memberships and as many joined events "
            f"written again, no rule evaluated (rolled back): {floor.indexed_s:.2f} s into the "
            f"indexed tables; bulk {floor.bulk_s:.2f} s (rows {floor.bulk_insert_s:.2f} s into "
            f"the tables without keys and indexes, then the indexes built "
            f"{floor.bulk_index_s:.2f} s)"
        )
        self._line(
            f"   lower bound + floor = {self.report['floor_indexed_ratio']:.2f}x lower bound "
            f"(indexed), {self.report['floor_bulk_ratio']:.2f}x (bulk): what (a)/lower bound "
            "would be were the rules evaluated at no cost beyond the lower bound"
        )

    # -- the naive baseline -------------------------------------------------------------

    def _naive_baseline(self) -> None:
        sample = min(self.options["naive_sample"], self.options["partners"])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM partners_partner ORDER BY md5(id::text || ':naive:' || %s) "
                "LIMIT %s",
                (self.options["seed"], sample),
            )
            ids = [row[0] for row in cursor.fetchall()]
        today = timezone.localdate()
        tiers = list(Tier.objects.values_list("id", "rank", "slug"))
        started = time.perf_counter()
        partners = list(Partner.objects.filter(id__in=ids).order_by().values(*NAIVE_FIELDS))
        by_id = {}
        for partner in partners:
            partner.update(industries=set(), technologies=set(), certifications=set())
            by_id[partner["id"]] = partner
        for name, rows, slug in TAG_SOURCES:
            for partner_id, tag in rows.filter(partner_id__in=ids).values_list("partner_id", slug):
                by_id[partner_id][name].add(tag)
        certifications = PartnerCertification.objects.active(on=today).filter(partner_id__in=ids)
        for partner_id, tag in certifications.values_list("partner_id", "certification__slug"):
            by_id[partner_id]["certifications"].add(tag)
        evaluator = bench.NaiveEvaluator(
            today=today,
            tier_ranks={tier_id: rank for tier_id, rank, _ in tiers},
            tier_slugs={tier_id: slug for tier_id, _, slug in tiers},
        )
        for slug, _name, rule in self.rules:  # generated in dependency order
            evaluator.members[slug] = {p["id"] for p in partners if evaluator.matches(rule, p)}
        now = timezone.now()
        with transaction.atomic():
            scratch = Segment.objects.bulk_create(
                Segment(
                    name=f"naive {slug}",
                    slug=f"naive-{slug}",
                    objective="naive baseline",
                    kind=SegmentKind.STATIC,
                )
                for slug, _name, _rule in self.rules
            )
            Membership.objects.bulk_create(
                (
                    Membership(segment_id=segment.id, partner_id=partner_id, joined_at=now)
                    for segment, (slug, _, _) in zip(scratch, self.rules, strict=True)
                    for partner_id in evaluator.members[slug]
                ),
                batch_size=5000,
            )
            naive_s = time.perf_counter() - started
            transaction.set_rollback(True)
        mismatches = self._naive_mismatches(ids, evaluator)
        scaled = naive_s * self.options["partners"] / sample
        self.report.update(
            naive_sample=sample,
            naive_sample_s=naive_s,
            naive_scaled_s=scaled,
            naive_ratio=scaled / self.report["full_s"],
            naive_mismatches=mismatches,
        )
        self._line(
            f"== naive baseline on {sample:,} partners: {naive_s:.2f} s, scaled to "
            f"{self.options['partners']:,}: {scaled:.1f} s = "
            f"{self.report['naive_ratio']:.1f}x (a); "
            f"{mismatches} membership(s) differ from SQL on the sample"
        )

    def _naive_mismatches(self, ids: list[int], evaluator: bench.NaiveEvaluator) -> int:
        actual: dict[str, set[int]] = {slug: set() for slug, _, _ in self.rules}
        rows = Membership.objects.filter(partner_id__in=ids).values_list(
            "segment__slug", "partner_id"
        )
        for slug, partner_id in rows:
            actual.setdefault(slug, set()).add(partner_id)
        return sum(len(actual[slug] ^ evaluator.members[slug]) for slug, _, _ in self.rules)

    # -- (b) change path and (c) nothing changed ----------------------------------------

    def _churn(self) -> None:
        started = time.perf_counter()
        ids = bench.churn_partners(fraction=self.options["churn"], seed=self.options["seed"])
        updated = time.perf_counter() - started
        first_run = self._last_run_id()
        with bench.tasks_held(), bench.timed_statements() as timer:
            started = time.perf_counter()
            with transaction.atomic():
                services.segments_partners_changed(partner_ids=ids)
            queued = time.perf_counter() - started
            batches, drained_at = 0, time.perf_counter()
            while True:
                result = services.segments_process_pending_changes()
                batches += 1
                if not result["remaining"] or not result["partners"]:
                    break
            drained = time.perf_counter() - drained_at
        moved = EvaluationRun.objects.filter(id__gt=first_run).aggregate(
            joined=Sum("joined"), left=Sum("left")
        )
        changed_segments = EvaluationRun.objects.filter(id__gt=first_run).count()
        self.report.update(
            churn_s=queued + drained,
            churn_partners=len(ids),
            churn_joined=moved["joined"] or 0,
            churn_left=moved["left"] or 0,
        )
        self._line(
            f"== (b) {len(ids):,} partners changed (UPDATE {updated:.2f} s, not timed); "
            f"change path: {queued + drained:.2f} s = queue {queued:.2f} s + drain "
            f"{drained:.2f} s in {batches} batch(es)"
        )
        self._line(
            f"   moved: {self.report['churn_joined']:,} joined, {self.report['churn_left']:,} "
            f"left, in {changed_segments} segment(s)"
        )
        self._line("   time in SQL statements: " + self._fmt(timer.seconds, timer.counts))
        self._line(
            f"   outside statements and commits (Python): "
            f"{queued + drained - sum(timer.seconds.values()):.2f} s"
        )

    def _no_change(self) -> None:
        with bench.tasks_held():
            started = time.perf_counter()
            result = services.segments_process_pending_changes()
            nochange = time.perf_counter() - started
        with bench.tasks_held(), bench.timed_statements() as timer:
            started = time.perf_counter()
            runs = services.segments_evaluate_all()
            full = time.perf_counter() - started
        moved = sum(run.joined + run.left for run in runs)
        self._clear_queue()
        self.report.update(nochange_s=nochange, nochange_full_s=full, nochange_full_moved=moved)
        self._line(
            f"== (c) nothing changed: change path (empty queue, {result['partners']} partners) "
            f"{nochange:.3f} s; full re-evaluation of all segments {full:.2f} s"
        )
        self._line(
            f"   the full re-evaluation moved {moved} membership(s)"
            + (" (the change path left nothing behind)" if not moved else " (!)")
        )
        self._line("   time in SQL statements: " + self._fmt(timer.seconds, timer.counts))

    def _full_churn(self) -> None:
        ids = bench.churn_partners(fraction=self.options["churn"], seed=self.options["seed"] + 1)
        with bench.tasks_held(), bench.timed_statements() as timer:
            started = time.perf_counter()
            runs = services.segments_evaluate_all()
            full = time.perf_counter() - started
        followups = self._clear_queue()
        moved = sum(run.joined + run.left for run in runs)
        self.report.update(churn_full_s=full)
        self._line(
            f"== (b') for comparison: {len(ids):,} other partners changed, then a full "
            f"re-evaluation: {full:.2f} s, moved {moved:,}; {followups:,} re-checks queued "
            "for dependents (cleared)"
        )
        self._line("   time in SQL statements: " + self._fmt(timer.seconds, timer.counts))

    def _clear_queue(self) -> int:
        count, _ = PendingPartnerChange.objects.all().delete()
        return count

    def _last_run_id(self) -> int:
        return EvaluationRun.objects.aggregate(last=Max("id"))["last"] or 0

    # -- EXPLAIN ------------------------------------------------------------------------

    def _explain_slowest(self) -> None:
        index = max(range(len(self.full_sql)), key=lambda i: self.full_sql[i][2])
        sql, params, _elapsed = self.full_sql[index]
        segment_ids = (
            self.statement_segments[index]
            if len(self.statement_segments) == len(self.full_sql)
            else [segment.id for segment in self.order]
        )
        self._line(
            f"== EXPLAIN ANALYZE of the slowest evaluation statement of (a), from empty "
            f"(segments {segment_ids}; rolled back)"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            # Immediate FK checks show their cost as "Trigger for constraint" lines.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "DELETE FROM segments_membership WHERE segment_id = ANY(%s)", (segment_ids,)
            )
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, WAL) {sql}", params)
            for (row,) in cursor.fetchall():
                self._line(f"   {row}")
            transaction.set_rollback(True)

    # -- output -------------------------------------------------------------------------

    @staticmethod
    def _fmt(seconds: dict, counts: dict | None = None) -> str:
        parts = []
        for key, value in sorted(seconds.items(), key=lambda item: -item[1]):
            count = f" ({counts[key]}x)" if counts else ""
            parts.append(f"{key} {value:.2f} s{count}")
        return ", ".join(parts)

    def _print_summary(self) -> None:
        report = self.report
        rows = [
            ("(a) full build from empty", report["full_s"], "<= 1.5x lower bound"),
            ("    lower bound (bare SQL)", report["lower_bound_s"], ""),
            ("    ratio (a)/lower bound", report["full_ratio"], "target <= 1.5"),
            ("(b) change path, 1% changed", report["churn_s"], "target <= 15 s"),
            ("(c) change path, nothing changed", report["nochange_s"], "target < 1 s"),
            ("    full re-evaluation, nothing changed", report["nochange_full_s"], ""),
            ("naive baseline scaled", report["naive_scaled_s"], ""),
            ("    naive/(a)", report["naive_ratio"], "target >= 100"),
        ]
        if "churn_full_s" in report:
            rows.insert(5, ("(b') full re-evaluation after 1% changed", report["churn_full_s"], ""))
        self._line()
        self._line(f"{'figure':<42} {'value':>10}  target")
        for label, value, target in rows:
            self._line(f"{label:<42} {value:>10.3f}  {target}")
        summary = {
            "partners": self.options["partners"],
            "segments": self.options["segments"],
            "full_s": round(report["full_s"], 3),
            "lower_bound_s": round(report["lower_bound_s"], 3),
            "full_ratio": round(report["full_ratio"], 3),
            "churn_s": round(report["churn_s"], 3),
            "nochange_s": round(report["nochange_s"], 4),
            "naive_ratio": round(report["naive_ratio"], 2),
            "lower_bound_when": "after_full_build",
            "nochange_full_s": round(report["nochange_full_s"], 3),
            "churn_full_s": round(report.get("churn_full_s", 0), 3) or None,
            "churn_partners": report["churn_partners"],
            "churn_joined": report["churn_joined"],
            "churn_left": report["churn_left"],
            "memberships": report["memberships"],
            "generate_s": round(report["generate_s"], 2),
            "naive_sample": report["naive_sample"],
            "naive_scaled_s": round(report["naive_scaled_s"], 1),
            "naive_mismatches": report["naive_mismatches"],
            "full_failed": report["full_failed"],
            "followups_queued": report["followups_queued"],
            "seed": self.options["seed"],
            **{
                key: round(report[key], 3)
                for key in (
                    "floor_indexed_s",
                    "floor_bulk_s",
                    "floor_indexed_ratio",
                    "floor_bulk_ratio",
                )
                if key in report
            },
            "other_sessions": self.others,
            "load_avg": [round(value, 2) for value in os.getloadavg()],
        }
        self._line(json.dumps(summary))
