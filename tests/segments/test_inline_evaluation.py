"""Saving a segment shows its members at once (issue 16): a small segment is evaluated in
the request; a large one is queued and its page shows a live "Evaluating…" state that swaps
in the members when the run ends."""

import json

import pytest
from django.urls import reverse

from partners.models import Region
from segments import services
from segments.models import EvaluationRun, EvaluationTrigger, Segment
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db

EMEA_RULE = {"all": [{"field": "region", "op": "eq", "value": "emea"}]}
APAC_RULE = {"all": [{"field": "region", "op": "eq", "value": "apac"}]}


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def _form(rule=EMEA_RULE, **overrides):
    data = {
        "name": "EMEA VARs",
        "objective": "Regional enablement",
        "kind": "dynamic",
        "rule": json.dumps(rule),
        "is_active": "on",
        "refresh_interval_minutes": "60",
    }
    data.update(overrides)
    return data


def test_a_small_segment_is_evaluated_in_the_request(staff_client, settings):
    settings.PRM_SEGMENT_INLINE_EVALUATION_MAX = 1000
    PartnerFactory(name="Member EMEA", region=Region.EMEA)
    PartnerFactory(name="Outsider APAC", region=Region.APAC)
    # no on-commit callbacks run: nothing waits for the worker
    response = staff_client.post(reverse("segments:create"), _form())
    assert response.status_code == 302
    segment = Segment.objects.get(name="EMEA VARs")
    assert segment.memberships.count() == 1
    assert segment.member_count == 1
    run = EvaluationRun.objects.get(segment=segment)
    assert run.trigger == EvaluationTrigger.RULE_EDIT
    page = staff_client.get(response.url)
    html = page.content.decode()
    assert "Member EMEA" in html
    assert "Evaluating" not in html
    assert "No partner is in this segment" not in html


def test_a_rule_edit_of_a_small_segment_shows_the_new_members_at_once(staff_client, settings):
    settings.PRM_SEGMENT_INLINE_EVALUATION_MAX = 1000
    PartnerFactory(name="Member EMEA", region=Region.EMEA)
    PartnerFactory(name="Member APAC", region=Region.APAC)
    staff_client.post(reverse("segments:create"), _form())
    segment = Segment.objects.get(name="EMEA VARs")
    response = staff_client.post(reverse("segments:update", args=[segment.pk]), _form(APAC_RULE))
    assert response.status_code == 302
    names = list(segment.memberships.values_list("partner__name", flat=True))
    assert names == ["Member APAC"]


def test_the_api_evaluates_a_small_segment_in_the_request(manager_client, settings):
    settings.PRM_SEGMENT_INLINE_EVALUATION_MAX = 1000
    partner = PartnerFactory(region=Region.EMEA)
    body = {"name": "EMEA", "objective": "Regional enablement", "rule": EMEA_RULE}
    segment_id = manager_client.post("/api/segments/", body, format="json").json()["id"]
    members = manager_client.get(f"/api/segments/{segment_id}/members/").json()
    assert [row["id"] for row in members["results"]] == [partner.id]


def test_a_large_segment_is_queued_and_its_page_polls_until_the_run_ends(staff_client, settings):
    settings.PRM_SEGMENT_INLINE_EVALUATION_MAX = 1  # two partners: over the bound
    PartnerFactory(name="Member EMEA", region=Region.EMEA)
    PartnerFactory(name="Outsider APAC", region=Region.APAC)
    response = staff_client.post(reverse("segments:create"), _form())
    segment = Segment.objects.get(name="EMEA VARs")
    assert not segment.memberships.exists()  # queued on commit, not run in the request
    live_url = reverse("segments:members-live", args=[segment.pk])
    html = staff_client.get(response.url).content.decode()
    assert "Evaluating" in html
    assert f'hx-get="{live_url}' in html and 'hx-trigger="every 2s"' in html
    assert "No partner is in this segment" not in html
    # while the run has not ended, the fragment keeps polling
    waiting = staff_client.get(live_url).content.decode()
    assert "Evaluating" in waiting and 'hx-trigger="every 2s"' in waiting
    # the worker runs it: the fragment now has the members and stops polling
    services.segment_evaluate(segment_id=segment.pk, trigger=EvaluationTrigger.RULE_EDIT)
    done = staff_client.get(live_url)
    assert done.status_code == 200
    body = done.content.decode()
    assert "Member EMEA" in body and "Outsider APAC" not in body
    assert "every 2s" not in body and "Evaluating" not in body
    assert 'id="member-count"' in body  # the count card is updated out of band


def test_an_evaluated_segment_does_not_poll(staff_client, settings):
    settings.PRM_SEGMENT_INLINE_EVALUATION_MAX = 1000
    staff_client.post(reverse("segments:create"), _form())
    segment = Segment.objects.get(name="EMEA VARs")
    html = staff_client.get(reverse("segments:detail", args=[segment.pk])).content.decode()
    assert "every 2s" not in html
    assert "No partner is in this segment" in html
