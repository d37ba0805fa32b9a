"""The deals benchmark's code at a tiny size on the test database: the generation writes
every state, and the measurements produce their figures (not their timings)."""

import pytest

from deals import bench
from deals.models import DealRegistration, DealStatus, DealTransition

pytestmark = pytest.mark.django_db


def test_generation_and_measurements_produce_the_figures():
    # given a few hundred generated registrations
    timings = bench.generate(accounts=200, registrations=1500, partners=40, seed=3)
    assert set(timings) == {"partners", "accounts", "registrations", "analyze"}
    assert bench.data_counts() == {"partners": 40, "accounts": 200, "registrations": 1500}
    assert set(DealRegistration.objects.values_list("status", flat=True)) == set(DealStatus.values)
    before = DealRegistration.objects.filter(status=DealStatus.APPROVED).count()
    # when every measurement runs
    figures = bench.measure_all(samples=20, api_samples=5, seed=3)
    # then the conflict check was timed on every sample, and found known customers
    assert figures["conflict_samples"] == 20
    assert 0 < figures["conflict_p50_ms"] <= figures["conflict_p95_ms"]
    assert figures["conflict_flagged"] > 0
    # and the API was measured or its absence said
    assert "api_submit_p95_ms" in figures or figures["api_skipped"]
    # and the sweep found work over the whole table and none when idle
    assert figures["sweep_rows"]["overdue"] > 0
    assert figures["sweep_rows"]["expired"] > 0
    assert figures["sweep_idle_rows"] == {"overdue": 0, "expired": 0, "reminded": 0}
    # and the review queue takes as many queries for 10 rows as for 50
    assert figures["queue_pending"] > 50
    assert figures["queue_queries_10"] == figures["queue_queries_50"]
    assert figures["queue_page_status"] == 200
    # and the measurements left the generated data as it was
    assert DealRegistration.objects.filter(status=DealStatus.APPROVED).count() == before
    assert not DealTransition.objects.exists()
    assert DealRegistration.objects.count() == 1500
