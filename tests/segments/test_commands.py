import io

import pytest
from django.core.management import CommandError, call_command

from segments import services
from segments.models import Membership, Segment
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db

EMEA = {"field": "region", "op": "eq", "value": "emea"}


def make(slug, rule):
    return services.segment_create(
        data={"name": slug, "slug": slug, "objective": "test", "kind": "dynamic", "rule": rule}
    )


def test_evaluate_segments_runs_every_active_segment_in_dependency_order():
    # given
    PartnerFactory.create_batch(2, region="emea")
    make("base", EMEA)
    top = make("top", {"field": "segment", "op": "in", "value": "base"})
    out = io.StringIO()
    # when
    call_command("evaluate_segments", stdout=out)
    # then
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("base: succeeded, matched 2")
    assert lines[1].startswith("top: succeeded, matched 2")
    assert Membership.objects.filter(segment=top).count() == 2


def test_evaluate_segments_with_one_slug_runs_only_that_segment():
    PartnerFactory(region="emea")
    make("base", EMEA)
    other = make("other", {"all": []})
    out = io.StringIO()
    call_command("evaluate_segments", segment="base", stdout=out)
    assert "1 segment(s) evaluated" in out.getvalue()
    assert not Membership.objects.filter(segment=other).exists()


def test_evaluate_segments_with_an_unknown_slug_fails():
    with pytest.raises(CommandError):
        call_command("evaluate_segments", segment="ghost")


def test_seed_demo_segments_creates_and_evaluates_segments_once():
    PartnerFactory(region="emea", tech_savviness=1, lifecycle_stage="onboarding")
    out = io.StringIO()
    call_command("seed_demo_segments", stdout=out)
    count = Segment.objects.count()
    call_command("seed_demo_segments", if_empty=True, stdout=out)
    assert count == 9
    assert Segment.objects.count() == count
    onboarding = Segment.objects.get(slug="onboarding-basics")
    assert onboarding.member_count == 1
