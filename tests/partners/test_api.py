import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from knox.models import AuthToken

from partners.models import Contact, Partner
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    UserFactory,
    tier,
)

pytestmark = pytest.mark.django_db

PARTNERS_URL = "/api/partners/"
CONTACTS_URL = "/api/contacts/"


def result_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


class TestAuthentication:
    def test_token_endpoint_returns_a_token_for_valid_credentials(self, api_client):
        # given
        UserFactory(username="ana", is_staff=True)
        # when
        response = api_client.post(
            "/api/auth/token/", {"username": "ana", "password": "correct-horse-battery"}
        )
        # then
        assert response.status_code == 200
        token = response.json()["token"]
        # Only a digest is stored; the token is the one that authenticates its user.
        assert AuthToken.objects.get(user__username="ana").digest != token
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert api_client.get(PARTNERS_URL).status_code == 200

    def test_token_endpoint_rejects_a_wrong_password_with_400(self, api_client):
        UserFactory(username="ana", is_staff=True)
        response = api_client.post("/api/auth/token/", {"username": "ana", "password": "nope"})
        assert response.status_code == 400
        assert "token" not in response.json()

    @pytest.mark.parametrize("url", [PARTNERS_URL, CONTACTS_URL])
    def test_anonymous_requests_are_refused_with_401(self, api_client, url):
        response = api_client.get(url)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Token")

    def test_an_invalid_token_is_refused_with_401(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert api_client.get(PARTNERS_URL).status_code == 401

    @pytest.mark.parametrize("url", [PARTNERS_URL, CONTACTS_URL])
    def test_partner_users_are_refused_with_403(self, partner_client, url):
        assert partner_client.get(url).status_code == 403

    def test_a_staff_token_lists_partners(self, manager_client):
        PartnerFactory()
        response = manager_client.get(PARTNERS_URL)
        assert response.status_code == 200
        assert response.json()["count"] == 1


class TestPartnerCrud:
    def test_create_partner_with_tags_creates_unknown_slugs(self, manager_client):
        # when
        response = manager_client.post(
            PARTNERS_URL,
            {
                "external_id": "CRM-1",
                "name": "Acme Cloud",
                "partner_type": "msp",
                "tier": "gold",
                "region": "emea",
                "country": "DE",
                "annual_revenue": "1200000.50",
                "lifecycle_stage": "onboarding",
                "industries": ["finance", "Retail"],
                "technologies": ["aws"],
                "certifications": ["cloud-architect"],
                "attributes": {"crm_owner": "kim"},
            },
        )
        # then
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["tier"] == "gold"
        assert body["industries"] == ["finance", "retail"]
        assert body["technologies"] == ["aws"]
        assert body["certifications"] == ["cloud-architect"]
        assert body["certification_details"][0]["slug"] == "cloud-architect"
        partner = Partner.objects.get(external_id="CRM-1")
        assert partner.annual_revenue == Decimal("1200000.50")
        assert partner.attributes == {"crm_owner": "kim"}

    def test_create_rejects_unknown_tier_and_choice_with_400(self, manager_client):
        response = manager_client.post(
            PARTNERS_URL,
            {"external_id": "X", "name": "X", "partner_type": "wizard", "tier": "diamond"},
        )
        assert response.status_code == 400
        assert set(response.json()) >= {"partner_type", "tier"}
        assert not Partner.objects.exists()

    def test_create_rejects_duplicate_external_id_with_400(self, manager_client):
        PartnerFactory(external_id="DUP")
        response = manager_client.post(
            PARTNERS_URL, {"external_id": "DUP", "name": "Other", "partner_type": "var"}
        )
        assert response.status_code == 400
        assert "external_id" in response.json()

    def test_create_rejects_tech_savviness_out_of_range(self, manager_client):
        response = manager_client.post(
            PARTNERS_URL,
            {"external_id": "T", "name": "T", "partner_type": "var", "tech_savviness": 9},
        )
        assert response.status_code == 400
        assert "tech_savviness" in response.json()

    def test_partial_update_replaces_tags_and_keeps_other_fields(self, manager_client):
        # given
        partner = PartnerFactory(industries=["finance", "retail"], region="emea")
        # when
        response = manager_client.patch(
            f"{PARTNERS_URL}{partner.id}/", {"industries": ["energy"], "tier": None}
        )
        # then
        assert response.status_code == 200, response.content
        assert response.json()["industries"] == ["energy"]
        partner.refresh_from_db()
        assert partner.region == "emea"
        assert partner.tier is None
        assert list(partner.industries.values_list("slug", flat=True)) == ["energy"]

    def test_delete_removes_the_partner_and_its_contacts(self, manager_client):
        contact = ContactFactory()
        response = manager_client.delete(f"{PARTNERS_URL}{contact.partner_id}/")
        assert response.status_code == 204
        assert not Partner.objects.exists()
        assert not Contact.objects.exists()

    def test_unknown_partner_is_404(self, manager_client):
        assert manager_client.get(f"{PARTNERS_URL}999999/").status_code == 404

    def test_only_active_certifications_are_listed(self, manager_client):
        # given
        partner = PartnerFactory()
        PartnerCertificationFactory(
            partner=partner, certification=CertificationFactory(slug="valid")
        )
        PartnerCertificationFactory(
            partner=partner,
            certification=CertificationFactory(slug="expired"),
            expires_at=timezone.localdate(),
        )
        # when
        body = manager_client.get(f"{PARTNERS_URL}{partner.id}/").json()
        # then
        assert body["certifications"] == ["valid"]


class TestPartnerFilters:
    @pytest.fixture
    def partners(self):
        return {
            "a": PartnerFactory(
                name="Alpha Networks",
                external_id="A-1",
                partner_type="var",
                tier=tier("gold"),
                region="emea",
                country="DE",
                employee_count=50,
                annual_revenue=Decimal("1000000"),
                lifecycle_stage="active",
                joined_at=dt.date(2020, 1, 1),
                tech_savviness=2,
                revenue_12m=Decimal("300000"),
                deals_won_12m=4,
                engagement_score=80.0,
                last_activity_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                attributes={"crm_owner": "kim", "score": 7},
                industries=["finance"],
                technologies=["aws", "security"],
            ),
            "b": PartnerFactory(
                name="Beta Data",
                external_id="B-2",
                partner_type="msp",
                tier=tier("silver"),
                region="apac",
                country="SG",
                employee_count=500,
                annual_revenue=Decimal("9000000"),
                lifecycle_stage="onboarding",
                joined_at=dt.date(2024, 6, 1),
                tech_savviness=5,
                revenue_12m=Decimal("2000000"),
                deals_won_12m=40,
                engagement_score=20.0,
                last_activity_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                attributes={"crm_owner": "lee"},
                industries=["retail"],
                technologies=["azure"],
            ),
            "c": PartnerFactory(
                name="Gamma Cloud",
                external_id="C-3",
                partner_type="isv",
                tier=None,
                region=None,
                country=None,
                employee_count=None,
                annual_revenue=None,
                lifecycle_stage="churned",
                joined_at=None,
                tech_savviness=None,
                revenue_12m=None,
                deals_won_12m=None,
            ),
        }

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("name=alpha", {"a"}),
            ("external_id=A-1,C-3", {"a", "c"}),
            ("partner_type=var&partner_type=isv", {"a", "c"}),
            ("tier=gold", {"a"}),
            ("tier=gold,silver", {"a", "b"}),
            ("tier_rank_min=3", {"a"}),
            ("tier_rank_max=2", {"b"}),
            ("has_tier=false", {"c"}),
            ("region=apac", {"b"}),
            ("country=DE", {"a"}),
            ("lifecycle_stage=churned", {"c"}),
            ("employee_count_min=100", {"b"}),
            ("employee_count_max=100", {"a"}),
            ("annual_revenue_min=5000000", {"b"}),
            ("tech_savviness_min=2&tech_savviness_max=2", {"a"}),
            ("revenue_12m_min=1000000", {"b"}),
            ("deals_won_12m_max=10", {"a"}),
            ("engagement_score_min=50", {"a"}),
            ("joined_at_after=2023-01-01", {"b"}),
            ("joined_at_before=2021-01-01", {"a"}),
            ("last_activity_at_after=2026-01-01T00:00:00Z", {"a"}),
            ("industries=retail", {"b"}),
            ("technologies=aws,azure", {"a", "b"}),
            ("certifications=cloud-architect", {"a"}),
            ("attributes=crm_owner:lee", {"b"}),
            ("attributes=score:7", {"a"}),
            ("search=beta", {"b"}),
            ("search=C-3", {"c"}),
        ],
    )
    def test_filter(self, manager_client, partners, query, expected):
        # given
        PartnerCertificationFactory(
            partner=partners["a"], certification=CertificationFactory(slug="cloud-architect")
        )
        PartnerCertificationFactory(
            partner=partners["b"],
            certification=CertificationFactory(slug="cloud-architect"),
            expires_at=dt.date(2020, 1, 1),
        )
        # when
        ids = result_ids(manager_client.get(f"{PARTNERS_URL}?{query}"))
        # then
        assert ids == {partners[key].id for key in expected}

    @pytest.mark.parametrize(
        "query",
        [
            "partner_type=wizard",
            "region=mars",
            "tier=diamond",
            "employee_count_min=lots",
            "joined_at_after=yesterday",
            "attributes=novalue",
        ],
    )
    def test_invalid_filter_values_are_400_not_500(self, manager_client, partners, query):
        assert manager_client.get(f"{PARTNERS_URL}?{query}").status_code == 400

    def test_ordering_by_revenue_descending(self, manager_client, partners):
        response = manager_client.get(f"{PARTNERS_URL}?ordering=-revenue_12m&has_tier=true")
        names = [row["name"] for row in response.json()["results"]]
        assert names == ["Beta Data", "Alpha Networks"]


class TestPagination:
    def test_page_size_and_links(self, manager_client):
        # given
        PartnerFactory.create_batch(7)
        # when
        first = manager_client.get(f"{PARTNERS_URL}?page_size=3").json()
        last = manager_client.get(f"{PARTNERS_URL}?page_size=3&page=3").json()
        # then
        assert first["count"] == 7
        assert len(first["results"]) == 3
        assert first["previous"] is None
        assert "page=2" in first["next"]
        assert len(last["results"]) == 1
        assert last["next"] is None

    def test_page_size_is_capped_at_1000(self, manager_client):
        PartnerFactory.create_batch(3)
        response = manager_client.get(f"{PARTNERS_URL}?page_size=5000")
        assert response.status_code == 200
        assert len(response.json()["results"]) == 3

    def test_a_page_past_the_end_is_404(self, manager_client):
        PartnerFactory()
        assert manager_client.get(f"{PARTNERS_URL}?page=9").status_code == 404

    def test_list_runs_a_constant_number_of_queries(
        self, manager_client, django_assert_max_num_queries
    ):
        # given: many partners, each with tags, a tier and a certification
        for _ in range(30):
            partner = PartnerFactory(
                tier=tier("silver"), industries=["finance"], technologies=["aws"]
            )
            PartnerCertificationFactory(
                partner=partner, certification=CertificationFactory(slug="support-pro")
            )
        # when / then: auth + count + page + 3 prefetches, whatever the page size
        with django_assert_max_num_queries(7):
            small = manager_client.get(f"{PARTNERS_URL}?page_size=2")
        with django_assert_max_num_queries(7):
            large = manager_client.get(f"{PARTNERS_URL}?page_size=30")
        assert len(small.json()["results"]) == 2
        assert len(large.json()["results"]) == 30


class TestContacts:
    def test_create_contact_lowercases_email(self, manager_client):
        partner = PartnerFactory()
        response = manager_client.post(
            CONTACTS_URL,
            {
                "partner": partner.id,
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "Grace@Example.COM",
                "role": "technical",
                "interests": ["cloud"],
            },
        )
        assert response.status_code == 201, response.content
        assert response.json()["email"] == "grace@example.com"
        assert response.json()["partner_external_id"] == partner.external_id

    def test_duplicate_email_is_400(self, manager_client):
        existing = ContactFactory(email="dup@example.com")
        response = manager_client.post(
            CONTACTS_URL,
            {
                "partner": existing.partner_id,
                "first_name": "X",
                "email": "DUP@example.com",
                "role": "sales",
            },
        )
        assert response.status_code == 400
        assert "email" in response.json()

    def test_filters_by_role_and_partner(self, manager_client):
        sales = ContactFactory(role="sales")
        ContactFactory(role="technical")
        response = manager_client.get(f"{CONTACTS_URL}?role=sales&partner={sales.partner_id}")
        assert result_ids(response) == {sales.id}

    def test_search_by_email(self, manager_client):
        wanted = ContactFactory(email="findme@example.com")
        ContactFactory()
        assert result_ids(manager_client.get(f"{CONTACTS_URL}?search=findme")) == {wanted.id}

    def test_update_and_delete(self, manager_client):
        contact = ContactFactory(role="sales")
        response = manager_client.patch(f"{CONTACTS_URL}{contact.id}/", {"role": "executive"})
        assert response.status_code == 200
        assert response.json()["role"] == "executive"
        assert manager_client.delete(f"{CONTACTS_URL}{contact.id}/").status_code == 204
        assert not Contact.objects.exists()


class TestSchema:
    def test_openapi_schema_and_docs_are_served(self, manager_client):
        schema = manager_client.get("/api/schema/")
        assert schema.status_code == 200
        assert b"/api/partners/" in schema.content
        assert manager_client.get("/api/docs/").status_code == 200
