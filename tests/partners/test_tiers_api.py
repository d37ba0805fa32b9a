"""The tier program API: /api/tiers/, /api/tier-changes/, /api/partners/{id}/tier-progress/."""

from decimal import Decimal

import pytest

from partners import tiers
from partners.models import Partner, Tier, TierChange, TierChangeStatus
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)

pytestmark = pytest.mark.django_db

TIERS_URL = "/api/tiers/"
CHANGES_URL = "/api/tier-changes/"
EVALUATE_URL = "/api/tiers/evaluate/"
WHAT_IF_URL = "/api/tiers/what-if/"


def progress_url(partner) -> str:
    return f"/api/partners/{partner.id}/tier-progress/"


def gold_partner(**kwargs):
    partner = PartnerFactory(**({"revenue_12m": Decimal("1000000"), "deals_won_12m": 20} | kwargs))
    PartnerCertificationFactory.create_batch(2, partner=partner)
    return partner


@pytest.fixture
def pending_change():
    """A pending silver -> gold change."""
    partner = gold_partner(tier=tier("silver"))
    tiers.tiers_evaluate(apply=False)
    return TierChange.objects.get(partner=partner)


STAFF_ENDPOINTS = [
    ("get", TIERS_URL, None),
    ("get", f"{TIERS_URL}gold/", None),
    ("patch", f"{TIERS_URL}gold/", {"min_deals_won_12m": 1}),
    ("post", EVALUATE_URL, {}),
    ("post", WHAT_IF_URL, {"thresholds": {}}),
    ("get", CHANGES_URL, None),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
    def test_anonymous_callers_are_refused_with_401(self, api_client, method, url, body):
        assert getattr(api_client, method)(url, body).status_code == 401

    @pytest.mark.parametrize(("method", "url", "body"), STAFF_ENDPOINTS)
    def test_partner_users_are_refused_with_403(self, partner_client, method, url, body):
        assert getattr(partner_client, method)(url, body).status_code == 403

    @pytest.mark.parametrize("action", ["approve", "reject"])
    def test_partner_users_cannot_decide_changes(self, partner_client, pending_change, action):
        response = partner_client.post(f"{CHANGES_URL}{pending_change.id}/{action}/")
        assert response.status_code == 403
        pending_change.refresh_from_db()
        assert pending_change.status == TierChangeStatus.PENDING

    def test_anonymous_callers_get_no_tier_progress(self, api_client):
        assert api_client.get(progress_url(PartnerFactory())).status_code == 401

    def test_a_partner_user_sees_only_their_own_companys_progress(
        self, partner_client, partner_user
    ):
        own = partner_user.contact.partner
        assert partner_client.get(progress_url(own)).status_code == 200
        # another company's partner is not there at all (partners.scoping): 404, not 403
        assert partner_client.get(progress_url(PartnerFactory())).status_code == 404

    def test_the_api_root_still_lists_partners(self, manager_client):
        body = manager_client.get("/api/").json()
        assert body["partners"].endswith("/api/partners/")
        assert body["tiers"].endswith("/api/tiers/")


class TestTiers:
    def test_lists_tiers_with_their_requirements_by_rank(self, manager_client):
        # given
        Tier.objects.get(slug="gold").required_certifications.set(
            [CertificationFactory(slug="cloud-architect")]
        )
        PartnerFactory(tier=tier("gold"))
        # when
        response = manager_client.get(TIERS_URL)
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 4
        gold = body["results"][2]
        assert [row["slug"] for row in body["results"]] == [
            "registered",
            "silver",
            "gold",
            "platinum",
        ]
        assert gold["min_revenue_12m"] == "1000000.00"
        assert gold["min_deals_won_12m"] == 20
        assert gold["min_active_certifications"] == 2
        assert gold["required_certifications"] == ["cloud-architect"]
        assert gold["min_enablement_completion_pct"] is None
        assert gold["is_automatic"] is True
        assert gold["partner_count"] == 1

    @pytest.mark.parametrize("key", ["gold", "id"])
    def test_managers_edit_thresholds_by_slug_or_id(self, manager_client, key):
        # given
        CertificationFactory(slug="cloud-architect")
        gold = Tier.objects.get(slug="gold")
        url = f"{TIERS_URL}{gold.slug if key == 'gold' else gold.id}/"
        # when
        response = manager_client.patch(
            url,
            {
                "min_revenue_12m": "800000",
                "min_deals_won_12m": None,
                "min_enablement_completion_pct": 75,
                "required_certifications": ["cloud-architect"],
                "slug": "ignored",
            },
        )
        # then
        assert response.status_code == 200, response.content
        gold.refresh_from_db()
        assert gold.slug == "gold"
        assert gold.min_revenue_12m == Decimal("800000")
        assert gold.min_deals_won_12m is None
        assert gold.min_enablement_completion_pct == 75.0
        assert list(gold.required_certifications.values_list("slug", flat=True)) == [
            "cloud-architect"
        ]
        assert response.json()["required_certifications"] == ["cloud-architect"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"min_revenue_12m": "-1"}, "min_revenue_12m"),
            ({"min_deals_won_12m": -3}, "min_deals_won_12m"),
            ({"min_enablement_completion_pct": 120}, "min_enablement_completion_pct"),
            ({"required_certifications": ["no-such-certification"]}, "required_certifications"),
        ],
    )
    def test_invalid_thresholds_are_refused_with_400(self, manager_client, body, field):
        response = manager_client.patch(f"{TIERS_URL}gold/", body)
        assert response.status_code == 400
        assert field in response.json()
        assert Tier.objects.get(slug="gold").min_revenue_12m == Decimal("1000000")

    def test_an_unknown_tier_is_404(self, manager_client):
        assert manager_client.get(f"{TIERS_URL}diamond/").status_code == 404


class TestEvaluate:
    def test_evaluate_now_queues_changes_when_asked_not_to_apply(self, manager_client):
        # given
        partner = gold_partner(tier=tier("silver"))
        # when
        response = manager_client.post(EVALUATE_URL, {"apply": False})
        # then
        assert response.status_code == 200
        assert response.json() | {"evaluated": None} == {
            "evaluated": None,
            "up": 1,
            "down": 0,
            "applied": 0,
            "pending": 1,
            "superseded": 0,
            "held": 0,
        }
        partner.refresh_from_db()
        assert partner.tier.slug == "silver"

    def test_evaluate_now_applies_by_default(self, manager_client):
        partner = gold_partner(tier=tier("silver"))
        response = manager_client.post(EVALUATE_URL, {})
        assert response.json()["applied"] == 1
        partner.refresh_from_db()
        assert partner.tier.slug == "gold"
        assert TierChange.objects.get().source == "manual"

    def test_evaluate_now_follows_the_approval_setting(self, manager_client, settings):
        settings.PRM_TIER_CHANGES_REQUIRE_APPROVAL = True
        gold_partner(tier=tier("silver"))
        assert manager_client.post(EVALUATE_URL).json()["pending"] == 1


class TestTierChanges:
    def test_lists_changes_with_partner_tiers_and_reasons(self, manager_client, pending_change):
        response = manager_client.get(CHANGES_URL)
        assert response.status_code == 200
        [row] = response.json()["results"]
        assert row["id"] == pending_change.id
        assert (row["from_tier"], row["to_tier"], row["direction"], row["status"]) == (
            "silver",
            "gold",
            "up",
            "pending",
        )
        assert row["partner"] == pending_change.partner_id
        assert row["reasons"]["to_tier"]["tier"] == "gold"

    def test_filters_by_status_partner_and_direction(self, manager_client, pending_change):
        # given: an applying run supersedes the pending silver -> gold, applies it, and
        # moves a platinum partner without certifications down to registered
        other = PartnerFactory(tier=tier("platinum"))
        tiers.tiers_evaluate(apply=True)
        superseded = pending_change.id
        gold_up = TierChange.objects.get(partner=pending_change.partner, status="applied").id
        down = TierChange.objects.get(partner=other).id

        def ids(query: str) -> set[int]:
            response = manager_client.get(f"{CHANGES_URL}?{query}")
            assert response.status_code == 200, response.content
            return {row["id"] for row in response.json()["results"]}

        # when / then
        assert ids("status=applied") == {gold_up, down}
        assert ids("status=superseded") == {superseded}
        assert ids("status=superseded,pending") == {superseded}
        assert ids(f"partner={other.id}") == {down}
        assert ids("direction=down") == {down}
        assert ids("direction=up&status=applied") == {gold_up}
        assert ids("to_tier=gold") == {superseded, gold_up}
        assert manager_client.get(f"{CHANGES_URL}?status=bogus").status_code == 400

    def test_approve_applies_the_change(self, manager_client, manager, pending_change):
        # when
        response = manager_client.post(f"{CHANGES_URL}{pending_change.id}/approve/")
        # then
        assert response.status_code == 200
        assert response.json()["status"] == "applied"
        assert response.json()["decided_by"] == manager.username
        assert Partner.objects.get(pk=pending_change.partner_id).tier.slug == "gold"

    def test_reject_keeps_the_tier(self, manager_client, pending_change):
        response = manager_client.post(f"{CHANGES_URL}{pending_change.id}/reject/")
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"
        assert Partner.objects.get(pk=pending_change.partner_id).tier.slug == "silver"

    def test_deciding_a_change_twice_is_refused_with_400(self, manager_client, pending_change):
        manager_client.post(f"{CHANGES_URL}{pending_change.id}/reject/")
        response = manager_client.post(f"{CHANGES_URL}{pending_change.id}/approve/")
        assert response.status_code == 400
        assert "status" in response.json()
        assert Partner.objects.get(pk=pending_change.partner_id).tier.slug == "silver"


class TestWhatIf:
    def test_answers_counts_and_who_without_writing(self, manager_client):
        # given a silver partner with 700k, 12 deals and two certifications
        partner = PartnerFactory(
            tier=tier("silver"), revenue_12m=Decimal("700000"), deals_won_12m=12
        )
        PartnerCertificationFactory.create_batch(2, partner=partner)
        # when gold would need 700k and 10 deals
        response = manager_client.post(
            WHAT_IF_URL,
            {"thresholds": {"gold": {"min_revenue_12m": 700000, "min_deals_won_12m": 10}}},
        )
        # then
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["up"], body["down"], body["unchanged"]) == (1, 0, 0)
        assert body["moves"] == [
            {"tier_from": "silver", "tier_to": "gold", "direction": "up", "count": 1}
        ]
        assert body["sample_up"][0]["id"] == partner.id
        assert Tier.objects.get(slug="gold").min_revenue_12m == Decimal("1000000")
        assert not TierChange.objects.exists()

    @pytest.mark.parametrize(
        ("thresholds", "path"),
        [
            ({"diamond": {"min_revenue_12m": 1}}, "/diamond"),
            ({"gold": {"min_revenue_12m": -5}}, "/gold/min_revenue_12m"),
            ({"gold": {"min_deals_won_12m": "ten"}}, "/gold/min_deals_won_12m"),
            ({"gold": {"min_headcount": 3}}, "/gold/min_headcount"),
        ],
    )
    def test_bad_input_is_refused_with_400_and_the_path(self, manager_client, thresholds, path):
        response = manager_client.post(WHAT_IF_URL, {"thresholds": thresholds})
        assert response.status_code == 400
        [error] = response.json()["thresholds"]
        assert error["path"] == path
        assert error["message"]

    def test_missing_thresholds_are_refused_with_400(self, manager_client):
        response = manager_client.post(WHAT_IF_URL, {})
        assert response.status_code == 400
        assert "thresholds" in response.json()

    def test_a_body_that_is_not_json_is_refused_in_the_documented_error_shape(self, manager_client):
        # Found by the fuzz test: undecodable bytes were answered {"detail": …}.
        response = manager_client.generic(
            "POST", WHAT_IF_URL, b"\xf5R\x8dN", content_type="application/json"
        )
        assert response.status_code == 400
        [error] = response.json()["thresholds"]
        assert error["path"] == ""
        assert "JSON parse error" in error["message"]

    def test_missing_thresholds_are_refused_in_the_documented_error_shape(self, manager_client):
        # Found by the fuzz test: the 400 said ["This field is required."], not {path, message}.
        response = manager_client.post(WHAT_IF_URL, {})
        assert response.json() == {
            "thresholds": [{"path": "", "message": "This field is required."}]
        }


class TestTierProgress:
    def test_shows_the_missing_amounts_for_the_next_tier(self, manager_client):
        # given a silver partner: 400k revenue, 12 deals, 1 certification; gold: 1M, 20, 2
        partner = PartnerFactory(
            tier=tier("silver"), revenue_12m=Decimal("400000"), deals_won_12m=12
        )
        PartnerCertificationFactory(partner=partner)
        # when
        response = manager_client.get(progress_url(partner))
        # then
        assert response.status_code == 200
        body = response.json()
        assert body["tier"]["slug"] == "silver"
        assert body["next_tier"]["slug"] == "gold"
        assert {row["requirement"]: row["missing"] for row in body["requirements"]} == {
            "min_revenue_12m": 600000.0,
            "min_deals_won_12m": 8.0,
            "min_active_certifications": 1.0,
        }
        assert body["pct"] == 50.0
        assert body["next_tier_gap_pct"] == pytest.approx(60.0)

    def test_an_unknown_partner_is_404(self, manager_client):
        assert manager_client.get("/api/partners/999999/tier-progress/").status_code == 404
