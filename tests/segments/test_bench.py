import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from partners.models import Partner
from segments.models import (
    EvaluationRun,
    Membership,
    MembershipEvent,
    PendingPartnerChange,
    Segment,
)
from segments.rules import compile_rule
from tests.partners.factories import PartnerFactory

# The command creates and drops TEMP tables and commits per segment, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

KEYS = (
    "partners",
    "segments",
    "full_s",
    "lower_bound_s",
    "full_ratio",
    "churn_s",
    "nochange_s",
    "naive_ratio",
)


def run_bench(**options) -> tuple[str, dict]:
    out = io.StringIO()
    call_command("bench_segments", stdout=out, no_vacuum=True, **options)
    text = out.getvalue()
    return text, json.loads(text.strip().splitlines()[-1])


def test_bench_segments_prints_every_figure_and_leaves_memberships_exact():
    # when
    text, summary = run_bench(partners=2000, segments=20, seed=1, keep=True)
    # then
    assert set(KEYS) <= set(summary)
    assert (summary["partners"], summary["segments"]) == (2000, 20)
    assert summary["full_s"] > 0 and summary["lower_bound_s"] > 0 and summary["churn_s"] > 0
    assert summary["naive_mismatches"] == 0
    assert summary["full_failed"] == 0
    assert summary["churn_joined"] + summary["churn_left"] > 0
    assert "(a) full build from empty" in text
    assert Partner.objects.count() == 2000
    assert not PendingPartnerChange.objects.exists()
    segments = list(Segment.objects.order_by("slug"))
    assert len(segments) == 20
    assert any("segment" in json.dumps(segment.rule) for segment in segments)
    for segment in segments:
        members = set(
            Membership.objects.filter(segment=segment).values_list("partner_id", flat=True)
        )
        expected = set(
            Partner.objects.filter(compile_rule(segment.rule)).values_list("id", flat=True)
        )
        assert members == expected, segment.slug


def test_bench_segments_is_deterministic_for_a_seed():
    # given
    _, first = run_bench(partners=500, segments=8, seed=3, keep=True)
    rules = list(Segment.objects.order_by("slug").values_list("rule", flat=True))
    # when
    _, second = run_bench(partners=500, segments=8, seed=3, keep=True)
    # then
    assert list(Segment.objects.order_by("slug").values_list("rule", flat=True)) == rules
    assert second["memberships"] == first["memberships"]


def test_bench_segments_without_keep_leaves_no_data():
    # when
    run_bench(partners=300, segments=5, seed=2, skip_full_churn=True)
    # then
    assert not Partner.objects.exists()
    assert not Segment.objects.exists()
    assert not Membership.objects.exists()
    assert not MembershipEvent.objects.exists()


def test_bench_segments_builds_from_empty_after_a_kept_run():
    # given: a kept run's memberships and events
    _, first = run_bench(partners=300, segments=5, seed=2, keep=True, skip_full_churn=True)
    # when
    _, second = run_bench(partners=300, segments=5, seed=2, keep=True, skip_full_churn=True)
    # then: the second build started from nothing, so its runs joined every member again,
    # and no event of the first run is left
    assert second["memberships"] == first["memberships"]
    built = EvaluationRun.objects.filter(trigger="manual").aggregate(joined=Sum("joined"))
    assert built["joined"] == second["memberships"]
    assert not MembershipEvent.objects.exclude(run__in=EvaluationRun.objects.all()).exists()


def test_bench_segments_refuses_a_database_with_other_partners():
    # given
    PartnerFactory(external_id="CRM-1")
    # when / then
    with pytest.raises(CommandError, match="not benchmark data"):
        run_bench(partners=100, segments=3)
    assert Partner.objects.filter(external_id="CRM-1").exists()


def test_bench_segments_write_floor_is_measured_and_rolled_back():
    # when
    text, summary = run_bench(
        partners=400, segments=6, seed=2, keep=True, skip_full_churn=True, write_floor=True
    )
    # then
    assert summary["floor_indexed_s"] > 0 and summary["floor_bulk_s"] > 0
    assert summary["floor_indexed_ratio"] > 1 and summary["floor_bulk_ratio"] > 1
    assert f"== write floor: the build's {Membership.objects.count():,} memberships" in text
