"""Segment history that answers why and when (issue 16): the `kind` filter of the history,
the members as of a date (API and page), and the cause of every join and leave."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import Region
from segments.models import MembershipEvent
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

URL = "/api/segments/"
EMEA_RULE = {"all": [{"field": "region", "op": "eq", "value": "emea"}]}


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def _evaluate(manager_client, segment_id):
    assert manager_client.post(f"{URL}{segment_id}/evaluate/").status_code == 200


def _joined_then_left(manager_client):
    """A segment with one partner that joined ten days ago and left today, one still in."""
    segment = SegmentFactory(rule=EMEA_RULE)
    leaver = PartnerFactory(name="Leaver", region=Region.EMEA)
    stayer = PartnerFactory(name="Stayer", region=Region.EMEA)
    _evaluate(manager_client, segment.id)
    MembershipEvent.objects.update(at=timezone.now() - dt.timedelta(days=10))
    manager_client.patch(f"/api/partners/{leaver.id}/", {"region": "na"}, format="json")
    _evaluate(manager_client, segment.id)
    return segment, leaver, stayer


# ---------------------------------------------------------------------------------------
# The history's `kind` filter (was a 400: the segment list's filter applied to the lookup)
# ---------------------------------------------------------------------------------------


def test_history_filters_by_kind(manager_client):
    segment, leaver, _stayer = _joined_then_left(manager_client)
    left = manager_client.get(f"{URL}{segment.id}/history/", {"kind": "left"})
    assert left.status_code == 200, left.content
    assert [(e["partner"], e["kind"]) for e in left.json()["results"]] == [(leaver.id, "left")]
    joined = manager_client.get(f"{URL}{segment.id}/history/", {"kind": "joined"}).json()
    assert joined["count"] == 2


def test_history_with_an_unknown_kind_is_a_400_with_the_field(manager_client):
    segment = SegmentFactory(rule=EMEA_RULE)
    response = manager_client.get(f"{URL}{segment.id}/history/", {"kind": "moved"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_segment_detail_ignores_the_list_filters(manager_client):
    segment = SegmentFactory(rule=EMEA_RULE)  # dynamic
    response = manager_client.get(f"{URL}{segment.id}/", {"kind": "static"})
    assert response.status_code == 200
    assert manager_client.get(f"{URL}{segment.id}/members/", {"kind": "static"}).status_code == 200


# ---------------------------------------------------------------------------------------
# Members as of a date
# ---------------------------------------------------------------------------------------


def test_members_endpoint_as_of_a_date(manager_client):
    segment, leaver, stayer = _joined_then_left(manager_client)
    five_days_ago = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    then = manager_client.get(f"{URL}{segment.id}/members/", {"as_of": five_days_ago})
    assert then.status_code == 200, then.content
    assert sorted(row["id"] for row in then.json()["results"]) == sorted([leaver.id, stayer.id])
    today = manager_client.get(
        f"{URL}{segment.id}/members/", {"as_of": timezone.localdate().isoformat()}
    ).json()
    assert [row["id"] for row in today["results"]] == [stayer.id]
    long_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    before = manager_client.get(f"{URL}{segment.id}/members/", {"as_of": long_ago}).json()
    assert before["count"] == 0


@pytest.mark.parametrize("value", ["soon", "2026-13-01", "2026-02-30"])
def test_members_endpoint_with_a_bad_date_is_a_400_with_the_field(manager_client, value):
    segment = SegmentFactory(rule=EMEA_RULE)
    response = manager_client.get(f"{URL}{segment.id}/members/", {"as_of": value})
    assert response.status_code == 400
    assert "as_of" in response.json()


def test_segment_page_shows_the_members_as_of_a_chosen_date(manager_client, staff_client):
    segment, _leaver, _stayer = _joined_then_left(manager_client)
    url = reverse("segments:detail", args=[segment.pk])
    now = staff_client.get(url)
    assert 'type="date"' in now.content.decode() and 'name="as_of"' in now.content.decode()
    assert [p.name for p in now.context["page_obj"]] == ["Stayer"]
    five_days_ago = (timezone.localdate() - dt.timedelta(days=5)).isoformat()
    then = staff_client.get(url, {"tab": "members", "as_of": five_days_ago})
    assert then.status_code == 200
    assert [p.name for p in then.context["page_obj"]] == ["Leaver", "Stayer"]
    assert "as of" in then.content.decode().lower()


def test_segment_page_with_a_bad_as_of_date_says_so(manager_client, staff_client):
    segment = SegmentFactory(rule=EMEA_RULE)
    response = staff_client.get(
        reverse("segments:detail", args=[segment.pk]), {"tab": "members", "as_of": "2026-02-30"}
    )
    assert response.status_code == 400
    assert "valid date" in response.content.decode()


# ---------------------------------------------------------------------------------------
# The cause of every join and leave
# ---------------------------------------------------------------------------------------


def _causes(manager_client, segment_id, **params):
    response = manager_client.get(f"{URL}{segment_id}/history/", params)
    assert response.status_code == 200
    return [
        (event["partner"], event["kind"], event["cause"]) for event in response.json()["results"]
    ]


def test_events_of_a_rule_edit_say_so(manager_client, django_capture_on_commit_callbacks):
    partner = PartnerFactory(region=Region.EMEA)
    with django_capture_on_commit_callbacks(execute=True):
        body = {"name": "EMEA", "objective": "Regional enablement", "rule": EMEA_RULE}
        segment_id = manager_client.post(URL, body, format="json").json()["id"]
    [(partner_id, kind, cause)] = _causes(manager_client, segment_id)
    assert (partner_id, kind) == (partner.id, "joined")
    assert cause["kind"] == "rule_edit"
    assert cause["label"] == "Rule edit"


def test_events_of_a_partner_change_name_the_changed_fields(
    manager_client, django_capture_on_commit_callbacks
):
    from segments import services

    segment = SegmentFactory(rule=EMEA_RULE)
    partner = PartnerFactory(region=Region.EMEA, employee_count=10)
    services.segment_evaluate(segment_id=segment.id)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.patch(
            f"/api/partners/{partner.id}/",
            {"region": "na", "employee_count": 20, "name": partner.name},
            format="json",
        )
        assert response.status_code == 200
    left = _causes(manager_client, segment.id, kind="left")
    assert len(left) == 1
    partner_id, _kind, cause = left[0]
    assert partner_id == partner.id
    assert cause["kind"] == "change"
    assert cause["fields"] == ["employee_count", "region"]  # name was sent, unchanged
    assert "region" in cause["label"].lower()


def test_events_of_manual_and_scheduled_runs_say_so(manager_client):
    from segments import services
    from segments.models import EvaluationTrigger

    segment = SegmentFactory(rule=EMEA_RULE)
    first = PartnerFactory(region=Region.EMEA)
    services.segment_evaluate(segment_id=segment.id, trigger=EvaluationTrigger.SCHEDULE)
    second = PartnerFactory(region=Region.EMEA)
    _evaluate(manager_client, segment.id)
    causes = {
        partner: cause["kind"] for partner, _kind, cause in _causes(manager_client, segment.id)
    }
    assert causes == {first.id: "schedule", second.id: "manual"}


def test_history_page_shows_the_cause(staff_client, django_capture_on_commit_callbacks):
    from partners import services as partner_services
    from segments import services

    segment = SegmentFactory(rule=EMEA_RULE)
    partner = PartnerFactory(region=Region.EMEA)
    services.segment_evaluate(segment_id=segment.id)
    with django_capture_on_commit_callbacks(execute=True):
        partner_services.partner_update(partner=partner, data={"region": "apac"})
    response = staff_client.get(reverse("segments:detail", args=[segment.pk]), {"tab": "events"})
    html = response.content.decode()
    assert "Partner change" in html and "region" in html.lower()
    assert "Manual" in html
    panel = staff_client.get(reverse("segments:partner-panel", args=[partner.pk]))
    assert "Partner change: region" in panel.content.decode()


def test_causes_of_a_partner_queued_twice_are_merged():
    from segments import services
    from segments.models import PendingPartnerChange

    segment = SegmentFactory(rule=EMEA_RULE)
    partner = PartnerFactory(region=Region.EMEA)
    services.segment_evaluate(segment_id=segment.id)
    partner.region = Region.NA
    partner.save()
    services.segments_partners_changed(partner_ids=[partner.id], reason="update", fields=["tier"])
    services.segments_partners_changed(partner_ids=[partner.id], reason="import", fields=["region"])
    assert PendingPartnerChange.objects.get().cause == {
        "fields": ["region", "tier"],
        "reasons": ["import", "update"],
    }
    services.segments_process_pending_changes()
    event = MembershipEvent.objects.select_related("run").get(kind="left")
    assert event.run.partner_changes == {
        str(partner.id): {"fields": ["region", "tier"], "reasons": ["import", "update"]}
    }


def test_history_tabs_run_a_constant_number_of_queries(manager_client, staff_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from segments import services

    segment = SegmentFactory(rule=EMEA_RULE)
    urls = [
        reverse("segments:detail", args=[segment.pk]) + "?tab=events",
        reverse("segments:detail", args=[segment.pk])
        + "?tab=members&as_of="
        + timezone.localdate().isoformat(),
        reverse("segments:members-live", args=[segment.pk]),
        f"{URL}{segment.id}/history/",
        f"{URL}{segment.id}/members/?as_of={timezone.localdate().isoformat()}",
    ]

    def counts():
        result = []
        for url in urls:
            client = manager_client if url.startswith(URL) else staff_client
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    PartnerFactory(region=Region.EMEA)
    services.segment_evaluate(segment_id=segment.id)
    few = counts()
    partners = [PartnerFactory(region=Region.EMEA) for _ in range(12)]
    services.segment_evaluate(segment_id=segment.id)
    services.segments_partners_changed(partner_ids=[p.id for p in partners[:5]], fields=["x"])
    for partner in partners[:5]:
        partner.region = Region.NA
        partner.save()
    services.segments_process_pending_changes()
    assert counts() == few
