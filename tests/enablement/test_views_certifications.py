"""The manager's certification catalogue pages."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import Certification
from tests.enablement.factories import LearningPathFactory
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    tier,
)

pytestmark = pytest.mark.django_db

LIST = reverse("enablement:certification-list")
CREATE = reverse("enablement:certification-create")


def url(name: str, *args) -> str:
    return reverse(f"enablement:{name}", args=args)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def cloud():
    """A certification with two active holders (one expiring in 10 days) and one expired."""
    certification = CertificationFactory(slug="cloud-architect", name="Cloud Architect")
    PartnerCertificationFactory(
        certification=certification, partner__name="Active Co", expires_at=days(200)
    )
    PartnerCertificationFactory(
        certification=certification, partner__name="Soon Co", expires_at=days(10)
    )
    PartnerCertificationFactory(
        certification=certification, partner__name="Lapsed Co", expires_at=days(-5)
    )
    return certification


class TestAccess:
    def test_anonymous_and_partner_users_are_kept_out(self, client, partner_user, cloud):
        pages = [
            LIST,
            CREATE,
            url("certification-detail", cloud.pk),
            url("certification-update", cloud.pk),
            url("certification-delete", cloud.pk),
        ]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        client.force_login(partner_user)
        for page in pages:
            assert client.get(page).status_code == 403, page


class TestList:
    def test_counts_active_holders_and_expiring_soon(self, staff, cloud):
        LearningPathFactory(awards_certification=cloud)
        tier("gold").required_certifications.add(cloud)
        CertificationFactory(name="Unheld")
        response = staff.get(LIST)
        assert response.status_code == 200
        assert response.context["nav"] == "certifications"
        row = next(c for c in response.context["page_obj"] if c.pk == cloud.pk)
        assert (row.holder_count, row.expiring_count, row.expired_count, row.path_count) == (
            2,
            1,
            1,
            1,
        )
        html = response.content.decode()
        assert "Cloud Architect" in html and "Unheld" in html and "Gold" in html

    def test_search(self, staff, cloud):
        CertificationFactory(name="Security Pro")
        response = staff.get(LIST, {"q": "secur"})
        assert [c.name for c in response.context["page_obj"]] == ["Security Pro"]

    def test_query_count_does_not_grow_with_rows(self, staff):
        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(LIST).status_code == 200
            return len(queries)

        for _ in range(3):
            PartnerCertificationFactory()
        few = count()
        for _ in range(20):
            certification = PartnerCertificationFactory().certification
            tier("silver").required_certifications.add(certification)
        assert count() == few


class TestDetail:
    def test_lists_holders_with_expiry(self, staff, cloud):
        response = staff.get(url("certification-detail", cloud.pk))
        assert response.status_code == 200
        names = [award.partner.name for award in response.context["page_obj"]]
        assert names == ["Lapsed Co", "Soon Co", "Active Co"]
        html = response.content.decode()
        assert "Expired" in html and days(10).strftime("%-d %b %Y") in html

    @pytest.mark.parametrize(
        ("state", "names"),
        [
            ("active", ["Soon Co", "Active Co"]),
            ("expiring", ["Soon Co"]),
            ("expired", ["Lapsed Co"]),
        ],
    )
    def test_filters_holders_by_state(self, staff, cloud, state, names):
        response = staff.get(url("certification-detail", cloud.pk), {"state": state})
        assert [award.partner.name for award in response.context["page_obj"]] == names

    def test_an_unknown_state_shows_everyone(self, staff, cloud):
        response = staff.get(url("certification-detail", cloud.pk), {"state": "bogus"})
        assert response.status_code == 200
        assert len(response.context["page_obj"]) == 3

    def test_unknown_certification_is_404(self, staff):
        assert staff.get(url("certification-detail", 999999)).status_code == 404


class TestCreateEditDelete:
    def test_creates_a_certification(self, staff):
        response = staff.post(
            CREATE,
            {
                "name": "Data Engineer",
                "slug": "data-engineer",
                "validity_days": "730",
                "skills": "SQL, Spark, SQL",
            },
        )
        certification = Certification.objects.get(slug="data-engineer")
        assert response.status_code == 302
        assert response["Location"] == url("certification-detail", certification.pk)
        assert certification.validity_days == 730 and certification.skills == ["SQL", "Spark"]

    def test_invalid_and_duplicate_input_is_shown_next_to_the_fields(self, staff, cloud):
        response = staff.post(
            CREATE, {"name": "", "slug": "cloud-architect", "validity_days": "-3"}
        )
        assert response.status_code == 400
        assert {"name", "validity_days"} <= set(response.context["form"].errors)
        response = staff.post(CREATE, {"name": "Again", "slug": "cloud-architect"})
        assert response.status_code == 400
        assert "slug" in response.context["form"].errors
        assert Certification.objects.filter(slug="cloud-architect").count() == 1

    def test_edits_a_certification(self, staff, cloud):
        form = staff.get(url("certification-update", cloud.pk)).context["form"]
        assert form.initial["name"] == "Cloud Architect"
        response = staff.post(
            url("certification-update", cloud.pk),
            {"name": "Cloud Architect II", "slug": "cloud-architect", "validity_days": ""},
        )
        assert response.status_code == 302
        cloud.refresh_from_db()
        assert (cloud.name, cloud.validity_days) == ("Cloud Architect II", None)

    def test_deletes_an_unused_certification(self, staff):
        certification = CertificationFactory()
        response = staff.post(url("certification-delete", certification.pk))
        assert response.status_code == 302
        assert not Certification.objects.filter(pk=certification.pk).exists()

    def test_a_held_certification_is_kept_with_a_reason(self, staff, cloud):
        response = staff.post(url("certification-delete", cloud.pk))
        assert response.status_code == 409
        assert "Partners hold it" in response.content.decode()
        assert Certification.objects.filter(pk=cloud.pk).exists()
