import datetime as dt
import io

import pytest
from django.utils import timezone

from segments import services
from segments.models import Membership, MembershipEvent, Segment
from tests.partners.factories import PartnerFactory

pytestmark = pytest.mark.django_db

URL = "/api/segments/"
EMEA = {"field": "region", "op": "eq", "value": "emea"}


def create(client, **body):
    payload = {"name": "EMEA partners", "objective": "Regional enablement", "rule": EMEA}
    payload.update(body)
    return client.post(URL, payload, format="json")


class TestCrud:
    def test_create_dynamic_segment_generates_slug_and_sets_owner(self, manager_client):
        response = create(manager_client)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["slug"] == "emea-partners"
        assert body["owner"] == "manager"
        assert body["kind"] == "dynamic"
        assert body["version"] == 1

    def test_objective_is_required(self, manager_client):
        response = create(manager_client, objective="")
        assert response.status_code == 400
        assert "objective" in response.json()
        response = manager_client.post(URL, {"name": "x", "rule": EMEA}, format="json")
        assert response.status_code == 400
        assert "objective" in response.json()

    def test_invalid_rule_is_400_with_paths(self, manager_client):
        response = create(
            manager_client,
            rule={
                "all": [
                    EMEA,
                    {"field": "nope", "op": "eq", "value": 1},
                    {"field": "annual_revenue", "op": "gte", "value": "x"},
                ]
            },
        )
        assert response.status_code == 400
        paths = [error["path"] for error in response.json()["rule"]]
        assert "/all/1/field" in paths
        assert "/all/2/value" in paths
        assert not Segment.objects.exists()

    def test_unknown_segment_and_cycle_are_400(self, manager_client):
        unknown = create(manager_client, rule={"field": "segment", "op": "in", "value": "ghost"})
        assert unknown.status_code == 400
        assert "rule" in unknown.json()
        a = create(manager_client, name="A", slug="a").json()
        create(
            manager_client, name="B", slug="b", rule={"field": "segment", "op": "in", "value": "a"}
        )
        cycle = manager_client.patch(
            f"{URL}{a['id']}/",
            {"rule": {"field": "segment", "op": "in", "value": "b"}},
            format="json",
        )
        assert cycle.status_code == 400
        assert "cycle" in cycle.json()["rule"][0]["message"]

    def test_non_json_and_oversized_rules_are_400(self, manager_client, settings):
        not_json = manager_client.post(URL, "{not json", content_type="application/json")
        assert not_json.status_code == 400
        settings.PRM_SEGMENT_MAX_RULE_BYTES = 200
        big = {"any": [{"field": "name", "op": "contains", "value": f"x{i}"} for i in range(20)]}
        oversized = create(manager_client, rule=big)
        assert oversized.status_code == 400
        assert "bytes" in oversized.json()["rule"][0]["message"]

    def test_rule_that_is_not_an_object_is_400(self, manager_client):
        for rule in ([1, 2], "region=emea", 42):
            response = create(manager_client, rule=rule)
            assert response.status_code == 400, rule

    def test_static_segment_has_no_rule(self, manager_client):
        response = create(manager_client, kind="static", rule=None, name="VIP")
        assert response.status_code == 201, response.content
        assert response.json()["rule"] is None

    def test_delete_segment(self, manager_client):
        segment_id = create(manager_client).json()["id"]
        assert manager_client.delete(f"{URL}{segment_id}/").status_code == 204
        assert not Segment.objects.exists()

    def test_partner_users_are_refused(self, partner_client, api_client):
        assert partner_client.get(URL).status_code == 403
        assert api_client.get(URL).status_code == 401


class TestPreviewAndEvaluate:
    def test_preview_counts_and_samples_without_saving(self, manager_client):
        PartnerFactory.create_batch(3, region="emea")
        PartnerFactory(region="na")
        response = manager_client.post(f"{URL}preview/", {"rule": EMEA}, format="json")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 3
        assert len(body["sample"]) == 3
        assert {"id", "external_id", "name", "tier"} <= set(body["sample"][0])
        assert not Segment.objects.exists()
        assert not Membership.objects.exists()

    def test_preview_of_an_invalid_rule_is_400(self, manager_client):
        response = manager_client.post(
            f"{URL}preview/", {"rule": {"field": "region", "op": "gt", "value": 1}}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["rule"][0]["path"] == "/op"

    def test_evaluate_returns_matched_joined_left(self, manager_client):
        PartnerFactory.create_batch(2, region="emea")
        segment_id = create(manager_client).json()["id"]
        response = manager_client.post(f"{URL}{segment_id}/evaluate/")
        assert response.status_code == 200
        body = response.json()
        assert (body["matched"], body["joined"], body["left"]) == (2, 2, 0)
        again = manager_client.post(f"{URL}{segment_id}/evaluate/").json()
        assert (again["matched"], again["joined"], again["left"]) == (2, 0, 0)

    def test_evaluating_a_static_segment_is_400(self, manager_client):
        segment_id = create(manager_client, kind="static", rule=None).json()["id"]
        assert manager_client.post(f"{URL}{segment_id}/evaluate/").status_code == 400


class TestMembers:
    def test_members_are_paginated_partners(self, manager_client):
        PartnerFactory.create_batch(3, region="emea", industries=["finance"])
        segment_id = create(manager_client).json()["id"]
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        response = manager_client.get(f"{URL}{segment_id}/members/?page_size=2")
        body = response.json()
        assert body["count"] == 3
        assert len(body["results"]) == 2
        assert body["results"][0]["industries"] == ["finance"]

    def test_static_members_by_external_id_and_csv(self, manager_client):
        PartnerFactory(external_id="P-1")
        PartnerFactory(external_id="P-2")
        segment_id = create(manager_client, kind="static", rule=None).json()["id"]
        added = manager_client.post(
            f"{URL}{segment_id}/members/", {"external_ids": ["P-1"]}, format="json"
        )
        assert added.status_code == 200
        assert added.json()["member_count"] == 1
        upload = io.BytesIO(b"external_id\nP-2\n")
        upload.name = "members.csv"
        imported = manager_client.post(
            f"{URL}{segment_id}/members/import/",
            {"file": upload, "replace": "true"},
            format="multipart",
        )
        assert imported.status_code == 201, imported.content
        assert imported.json() == {"joined": 1, "left": 1, "members": 1}
        removed = manager_client.post(
            f"{URL}{segment_id}/members/remove/", {"external_ids": ["P-2"]}, format="json"
        )
        assert removed.json()["member_count"] == 0

    def test_unknown_member_ids_are_400_and_nothing_changes(self, manager_client):
        PartnerFactory(external_id="P-1")
        segment_id = create(manager_client, kind="static", rule=None).json()["id"]
        response = manager_client.post(
            f"{URL}{segment_id}/members/", {"external_ids": ["P-1", "NOPE"]}, format="json"
        )
        assert response.status_code == 400
        assert not Membership.objects.exists()
        bad_csv = io.BytesIO(b"\xff\xfe\x00garbage")
        bad_csv.name = "members.csv"
        assert (
            manager_client.post(
                f"{URL}{segment_id}/members/import/", {"file": bad_csv}, format="multipart"
            ).status_code
            == 400
        )

    def test_hand_edits_of_a_dynamic_segment_are_400(self, manager_client):
        partner = PartnerFactory()
        segment_id = create(manager_client).json()["id"]
        response = manager_client.post(
            f"{URL}{segment_id}/members/", {"partner_ids": [partner.id]}, format="json"
        )
        assert response.status_code == 400


class TestExplain:
    def test_explain_shows_each_condition_with_the_partners_value(self, manager_client):
        partner = PartnerFactory(region="emea", annual_revenue=500)
        rule = {"all": [EMEA, {"field": "annual_revenue", "op": "gte", "value": 1000}]}
        segment_id = create(manager_client, rule=rule).json()["id"]
        response = manager_client.get(f"{URL}{segment_id}/explain/?partner={partner.id}")
        assert response.status_code == 200
        body = response.json()
        assert body["member"] is False
        assert body["matches"] is False
        children = body["explanation"]["children"]
        assert children[0]["path"] == "/all/0"
        assert children[0]["result"] is True
        assert children[0]["actual"] == "emea"
        assert children[1]["result"] is False

    def test_explain_needs_a_known_partner(self, manager_client):
        segment_id = create(manager_client).json()["id"]
        assert manager_client.get(f"{URL}{segment_id}/explain/").status_code == 400
        assert manager_client.get(f"{URL}{segment_id}/explain/?partner=abc").status_code == 400
        assert manager_client.get(f"{URL}{segment_id}/explain/?partner=999999").status_code == 404


class TestHistory:
    def test_history_lists_events_filterable_by_partner_and_date(self, manager_client):
        # given: a partner that joined, then left
        partner = PartnerFactory(region="emea")
        other = PartnerFactory(region="emea")
        segment_id = create(manager_client).json()["id"]
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        manager_client.patch(f"/api/partners/{partner.id}/", {"region": "na"}, format="json")
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        # when
        mine = manager_client.get(f"{URL}{segment_id}/history/?partner={partner.id}").json()
        future = (timezone.now() + dt.timedelta(days=1)).isoformat()
        none = manager_client.get(f"{URL}{segment_id}/history/", {"since": future}).json()
        # then
        assert [event["kind"] for event in mine["results"]] == ["left", "joined"]
        assert none["count"] == 0
        all_events = manager_client.get(f"{URL}{segment_id}/history/").json()
        assert all_events["count"] == 3
        assert other.id in {event["partner"] for event in all_events["results"]}

    def test_membership_as_of_a_moment(self, manager_client):
        # given
        partner = PartnerFactory(region="emea")
        segment_id = create(manager_client).json()["id"]
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        joined_at = MembershipEvent.objects.get().at
        MembershipEvent.objects.update(at=joined_at - dt.timedelta(days=10))
        manager_client.patch(f"/api/partners/{partner.id}/", {"region": "na"}, format="json")
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        # when
        before = manager_client.get(
            f"{URL}{segment_id}/history/",
            {"as_of": (joined_at - dt.timedelta(days=5)).isoformat()},
        ).json()
        now = manager_client.get(
            f"{URL}{segment_id}/history/", {"as_of": timezone.now().isoformat()}
        ).json()
        # then
        assert [row["id"] for row in before["results"]] == [partner.id]
        assert now["count"] == 0
        assert (
            manager_client.get(f"{URL}{segment_id}/history/", {"as_of": "soon"}).status_code == 400
        )

    def test_runs_are_listed_with_duration(self, manager_client):
        segment_id = create(manager_client).json()["id"]
        manager_client.post(f"{URL}{segment_id}/evaluate/")
        runs = manager_client.get(f"{URL}{segment_id}/runs/").json()["results"]
        assert runs[0]["trigger"] == "api"
        assert runs[0]["duration_ms"] is not None


class TestOverlapAndWarnings:
    def test_overlap_gives_shared_counts_and_jaccard(self, manager_client):
        # given: 4 in emea, 2 of them in the second segment too, plus 1 only there
        emea = PartnerFactory.create_batch(4, region="emea", tech_savviness=5)
        for partner in emea[2:]:
            partner.tech_savviness = 1
            partner.save()
        PartnerFactory(region="na", tech_savviness=1)
        create(manager_client, slug="emea")
        create(
            manager_client,
            name="Basics",
            slug="basics",
            rule={"field": "tech_savviness", "op": "lte", "value": 2},
        )
        services.segments_evaluate_all()
        # when
        response = manager_client.get(f"{URL}overlap/?segments=emea,basics")
        # then
        assert response.status_code == 200
        [pair] = response.json()
        assert {pair["a"], pair["b"]} == {"emea", "basics"}
        assert pair["shared"] == 2
        assert pair["jaccard"] == pytest.approx(2 / 5, abs=1e-4)
        assert manager_client.get(f"{URL}overlap/?segments=ghost").status_code == 400

    def test_warnings_flag_tiny_overlapping_stale_and_too_many_segments(
        self, manager_client, settings
    ):
        # given
        settings.PRM_SEGMENT_MIN_MEMBERS = 3
        settings.PRM_SEGMENT_BUDGET = 2
        PartnerFactory.create_batch(2, region="emea")
        create(manager_client, slug="emea-1", name="E1")
        create(manager_client, slug="emea-2", name="E2")
        services.segments_evaluate_all()
        stale = create(manager_client, slug="stale", name="Stale", refresh_interval_minutes=5)
        Segment.objects.filter(pk=stale.json()["id"]).update(
            created_at=timezone.now() - dt.timedelta(hours=1)
        )
        # when
        warnings = manager_client.get(f"{URL}warnings/").json()
        # then
        kinds = {(warning["kind"], warning["segment"]) for warning in warnings}
        assert ("tiny", "emea-1") in kinds
        assert ("overlap", "emea-1") in kinds
        assert ("stale", "stale") in kinds
        assert ("over_segmentation", None) in kinds


def test_fields_catalogue_lists_every_field_with_ops(manager_client):
    response = manager_client.get(f"{URL}fields/")
    assert response.status_code == 200
    names = {field["name"] for field in response.json()}
    assert {"region", "tier", "annual_revenue", "joined_at", "industries", "segment"} <= names
