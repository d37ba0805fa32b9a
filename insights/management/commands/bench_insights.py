"""Benchmark the insights reads on the data in the database (e.g. after `seed_demo
--partners N`, `seed_demo_segments` and `evaluate_segments`): each read timed over a few runs,
with its query count. Writes nothing: the at-risk refresh runs in a transaction that is rolled
back. The last line printed is JSON."""

from __future__ import annotations

import json
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from insights import clustering, selectors, services
from partners.models import Partner, PerformanceRecord
from segments.models import Membership, Segment


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time the insights reads (KPIs, matrix, forecasts, clustering, at-risk) on this data."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=3, help="Runs per read (default 3).")

    def handle(self, *args, runs: int, **options):
        def at_risk_refresh():
            try:
                with transaction.atomic():
                    services.partners_at_risk_refresh()
                    raise _Rollback
            except _Rollback:
                pass

        reads = {
            "segment_kpis_12_months": lambda: selectors.segment_kpis(periods=12),
            "segment_kpis_8_quarters": lambda: selectors.segment_kpis(
                period_kind="quarter", periods=8
            ),
            "value_need_matrix": selectors.value_need_matrix,
            "segment_forecasts": selectors.segment_forecasts,
            "partner_forecasts_all": selectors.partner_forecasts,
            "cluster_partners_k4": lambda: clustering.cluster_partners(
                numeric=["revenue_12m", "engagement_score", "enablement_completion_pct"],
                tags=["technologies"],
                k=4,
            ),
            "at_risk_refresh": at_risk_refresh,
        }
        result = {
            "partners": Partner.objects.count(),
            "performance_records": PerformanceRecord.objects.count(),
            "segments": Segment.objects.filter(is_active=True).count(),
            "memberships": Membership.objects.count(),
            "runs": runs,
            "reads": {},
        }
        for name, read in reads.items():
            timings = []
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    read()
                    timings.append(time.perf_counter() - started)
            result["reads"][name] = {
                "median_s": round(statistics.median(timings), 3),
                "queries": len(queries),
            }
            self.stdout.write(
                f"{name:28} {statistics.median(timings):8.3f} s  {len(queries):3} queries"
            )
        self.stdout.write(json.dumps(result))
