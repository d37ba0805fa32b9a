"""The "Enablement" panel of the manager's partner page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.panels import partner_panels
from tests.enablement.factories import EnrollmentFactory, LearningPathFactory
from tests.partners.factories import ContactFactory, PartnerCertificationFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def url(partner) -> str:
    return reverse("enablement:partner-panel", args=[partner.pk])


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def test_the_panel_is_registered_for_the_partner_page():
    panel = next(panel for panel in partner_panels() if panel.key == "enablement")
    assert (panel.title, panel.url_name, panel.order) == (
        "Enablement",
        "enablement:partner-panel",
        20,
    )


def test_anonymous_and_partner_users_are_kept_out(client, partner_user):
    partner = PartnerFactory()
    response = client.get(url(partner))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(partner_user)
    assert client.get(url(partner)).status_code == 403


def test_shows_completion_progress_per_contact_and_certifications(staff):
    # given
    partner = PartnerFactory(enablement_completion_pct=50)
    ada = ContactFactory(partner=partner, first_name="Ada", last_name="King")
    EnrollmentFactory(contact=ada, path=LearningPathFactory(title="Cloud basics"), progress_pct=40)
    EnrollmentFactory(
        contact=ada,
        path=LearningPathFactory(title="Security"),
        progress_pct=100,
        completed_at=timezone.now(),
    )
    ContactFactory(partner=partner, first_name="Bob", last_name="Idle")
    PartnerCertificationFactory(
        partner=partner,
        certification__name="Cloud Architect",
        expires_at=timezone.localdate() + dt.timedelta(days=90),
    )
    EnrollmentFactory(path=LearningPathFactory(title="Someone else's path"))
    # when
    response = staff.get(url(partner))
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="enablement-panel"' in html
    assert "50%" in html and "Cloud basics" in html and 'style="width: 40%"' in html
    assert "Security" in html and "Done" in html
    assert "Bob Idle" in html and "Not enrolled in any learning path" in html
    assert "Cloud Architect" in html
    assert "Someone else" not in html
    assert (response.context["enrolled"], response.context["completed"]) == (2, 1)


def test_unknown_partner_is_404(staff):
    assert staff.get(reverse("enablement:partner-panel", args=[999999])).status_code == 404


def test_query_count_does_not_grow_with_contacts(staff):
    partner = PartnerFactory()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(url(partner)).status_code == 200
        return len(queries)

    for _ in range(2):
        EnrollmentFactory(contact=ContactFactory(partner=partner))
        PartnerCertificationFactory(partner=partner)
    few = count()
    for _ in range(10):
        EnrollmentFactory(contact=ContactFactory(partner=partner))
        PartnerCertificationFactory(partner=partner)
    assert count() == few
