"""The partner portal's home page (portal:home)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.models import Channel
from partners.models import ContactRole
from tests.communications.factories import MessageFactory, SurveyFactory
from tests.enablement.factories import (
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

URL = reverse("portal:home")


@pytest.fixture
def partner():
    return PartnerFactory(
        name="Acme Integrations",
        tier=tier("silver"),
        revenue_12m=Decimal("400000"),
        deals_won_12m=12,
    )


def _contact(partner, role=ContactRole.SALES, username="acme-user"):
    return ContactFactory(partner=partner, role=role, user=UserFactory(username=username))


@pytest.fixture
def contact(partner):
    return _contact(partner)


@pytest.fixture
def signed_in(client, contact):
    client.force_login(contact.user)
    return client


def _portal_message(contact, subject, **kwargs):
    return MessageFactory(contact=contact, channel=Channel.PORTAL, subject=subject, **kwargs)


def test_home_sends_anonymous_visitors_to_login(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_refuses_staff(client, manager):
    client.force_login(manager)

    assert client.get(URL).status_code == 403


def test_home_refuses_a_login_without_contact(client):
    client.force_login(UserFactory(username="no-contact"))

    assert client.get(URL).status_code == 403


def test_home_shows_tier_and_what_is_missing_for_the_next_tier_in_numbers(signed_in, partner):
    PartnerCertificationFactory(partner=partner)

    response = signed_in.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["nav"] == "home"
    assert response.context["progress"]["tier"]["slug"] == "silver"
    assert response.context["progress"]["next_tier"]["slug"] == "gold"
    # gold: 1,000,000 revenue, 20 deals, 2 certifications
    assert "600,000 more revenue" in html
    assert "8 more deals won" in html
    assert "1 more active certification" in html


def test_home_marks_a_met_requirement_and_shows_no_missing_amount_for_it(signed_in, partner):
    partner.deals_won_12m = 25
    partner.save()

    html = signed_in.get(URL).content.decode()

    assert 'data-testid="missing-min_deals_won_12m"' not in html
    assert 'data-testid="missing-min_revenue_12m"' in html


def test_home_at_the_top_tier_says_so(signed_in, partner):
    partner.tier = tier("platinum")
    partner.save()

    response = signed_in.get(URL)

    assert response.context["progress"]["next_tier"] is None
    assert "top of the partner program" in response.content.decode()


def test_home_of_a_partner_without_tier_points_at_the_lowest_tier(signed_in, partner):
    partner.tier = None
    partner.save()

    response = signed_in.get(URL)

    assert response.status_code == 200
    assert response.context["progress"]["next_tier"]["slug"] == "registered"
    assert "No tier yet" in response.content.decode()
    assert "qualify at the next tier evaluation" in response.content.decode()


def _headline(html: str) -> tuple[str, str]:
    pct = re.search(r'data-testid="tier-pct">([^<]*)<', html).group(1)
    line = re.search(r'data-testid="tier-headline">(.*?)</div>', html, re.S).group(1)
    return pct, " ".join(line.split())


def test_home_headline_is_the_requirement_furthest_from_met_not_an_average(signed_in, partner):
    # given revenue at 14% of gold's $1,000,000, deals and certifications met
    partner.revenue_12m = Decimal("140000")
    partner.deals_won_12m = 25
    partner.save()
    PartnerCertificationFactory.create_batch(2, partner=partner)

    # when
    pct, line = _headline(signed_in.get(URL).content.decode())

    # then: 14%, where the mean of the three shares would say 71%
    assert pct == "14%"
    assert line == "2 of 3 requirements met · furthest to go: revenue, last 12 months"


def test_home_headline_never_says_100_percent_before_every_requirement_is_met(signed_in, partner):
    partner.revenue_12m = Decimal("999000")
    partner.deals_won_12m = 25
    partner.save()
    PartnerCertificationFactory.create_batch(2, partner=partner)

    pct, line = _headline(signed_in.get(URL).content.decode())

    assert pct == "99%"
    assert line.startswith("2 of 3 requirements met")


def test_home_headline_when_every_requirement_is_met(signed_in, partner):
    partner.revenue_12m = Decimal("1200000")
    partner.deals_won_12m = 25
    partner.save()
    PartnerCertificationFactory.create_batch(2, partner=partner)

    pct, line = _headline(signed_in.get(URL).content.decode())

    assert pct == "100%"
    assert line == "All 3 requirements met: you move up at the next tier evaluation"


def test_home_goals_show_attainment_against_the_next_tier(signed_in):
    goals = {goal["unit"]: goal for goal in signed_in.get(URL).context["goals"]}

    assert goals["money"]["target"] == Decimal("1000000")
    assert goals["money"]["attainment"] == 40.0
    assert goals["deals"]["attainment"] == 60.0


def test_home_charts_own_performance_records_only(signed_in, partner):
    this_month = timezone.localdate().replace(day=1)
    PerformanceRecordFactory(partner=partner, month=this_month, revenue=Decimal("31337"))
    PerformanceRecordFactory(partner=PartnerFactory(), month=this_month, revenue=Decimal("99999"))

    response = signed_in.get(URL)

    chart = response.context["performance_chart"]
    assert chart["data"]["datasets"][0]["data"] == [31337.0]
    assert 'data-chart="portal-performance-chart"' in response.content.decode()


def test_home_highlights_certifications_expiring_within_60_days(signed_in, partner):
    today = timezone.localdate()
    PartnerCertificationFactory(
        partner=partner,
        certification=CertificationFactory(name="Cloud Architect"),
        expires_at=today + dt.timedelta(days=20),
    )
    PartnerCertificationFactory(
        partner=partner,
        certification=CertificationFactory(name="Security Pro"),
        expires_at=today + dt.timedelta(days=200),
    )
    PartnerCertificationFactory(
        partner=PartnerFactory(), certification=CertificationFactory(name="Foreign Cert")
    )

    response = signed_in.get(URL)

    html = response.content.decode()
    rows = response.context["certifications"]
    assert [(row["award"].certification.name, row["state"]) for row in rows] == [
        ("Cloud Architect", "expiring"),
        ("Security Pro", "active"),
    ]
    assert "20 days left" in html
    assert "Foreign Cert" not in html


def test_home_lists_own_portal_messages_with_unread_count(signed_in, contact, partner):
    _portal_message(contact, "Welcome to Gold")
    _portal_message(contact, "Already read", read_at=timezone.now())
    MessageFactory(contact=contact, channel=Channel.EMAIL, subject="Email only")
    _portal_message(ContactFactory(partner=partner), "For a colleague")
    _portal_message(ContactFactory(), "For another company")

    response = signed_in.get(URL)

    html = response.content.decode()
    assert "Welcome to Gold" in html
    assert "Already read" in html
    assert "Email only" not in html
    assert "For a colleague" not in html
    assert "For another company" not in html
    assert response.context["unread_count"] == 1


def test_home_flags_a_message_with_a_survey(signed_in, contact):
    survey = SurveyFactory()
    _portal_message(
        contact, "Tell us", campaign=survey.campaign, occurrence__campaign=survey.campaign
    )

    assert "Includes a short survey" in signed_in.get(URL).content.decode()


def test_home_recommends_only_content_the_contact_may_see(signed_in):
    ContentItemFactory(title="Open playbook")
    ContentItemFactory(title="Gold-only deck", min_tier=tier("gold"))
    ContentItemFactory(title="Draft item", published_at=None)
    ContentItemFactory(title="Engineers only", roles=[ContactRole.TECHNICAL])

    html = signed_in.get(URL).content.decode()

    assert "Open playbook" in html
    assert "Gold-only deck" not in html
    assert "Draft item" not in html
    assert "Engineers only" not in html


def test_home_shows_the_contacts_own_learning_paths_with_progress(signed_in, contact, partner):
    path = LearningPathFactory(title="Cloud onboarding")
    LearningStepFactory(path=path)
    EnrollmentFactory(contact=contact, path=path, progress_pct=50)
    EnrollmentFactory(
        contact=ContactFactory(partner=partner), path=LearningPathFactory(title="Colleague path")
    )

    response = signed_in.get(URL)

    html = response.content.decode()
    assert "Cloud onboarding" in html
    assert "50%" in html
    assert "Colleague path" not in html


def test_home_never_names_the_segments_the_partner_is_in(signed_in, partner):
    MembershipFactory(partner=partner, segment=StaticSegmentFactory(name="Churn risk EMEA"))

    assert "Churn risk EMEA" not in signed_in.get(URL).content.decode()


def _section_order(html):
    return [html.index(f'id="{section}"') for section in ("goals", "learning")]


def test_home_puts_goals_first_for_sales_contacts(signed_in):
    goals, learning = _section_order(signed_in.get(URL).content.decode())

    assert goals < learning


def test_home_puts_learning_first_for_technical_contacts(client, partner):
    contact = _contact(partner, role=ContactRole.TECHNICAL, username="engineer")
    client.force_login(contact.user)

    goals, learning = _section_order(client.get(URL).content.decode())

    assert learning < goals


def test_home_links_to_learning_inbox_and_company(signed_in):
    html = signed_in.get(URL).content.decode()

    for name in ("portal:learning", "portal:inbox", "portal:company"):
        assert f'href="{reverse(name)}"' in html


def test_home_writes_nothing(signed_in, contact):
    message = _portal_message(contact, "")

    with CaptureQueriesContext(connection) as queries:
        signed_in.get(URL)

    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    message.refresh_from_db()
    assert message.read_at is None
    assert [sql for sql in writes if "django_session" not in sql] == []


def _fill(partner, contact, count, start=0):
    today = timezone.localdate().replace(day=1)
    for index in range(start, start + count):
        month = (today - dt.timedelta(days=31 * index)).replace(day=1)
        PerformanceRecordFactory(partner=partner, month=month)
        PartnerCertificationFactory(partner=partner)
        _portal_message(contact, f"Message {index}")
        ContentItemFactory()
        path = LearningPathFactory()
        LearningStepFactory(path=path)
        EnrollmentFactory(contact=contact, path=path)


def _queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_home_makes_a_constant_number_of_queries(signed_in, partner, contact):
    _fill(partner, contact, 1)
    few = _queries(signed_in)
    _fill(partner, contact, 8, start=1)

    assert _queries(signed_in) == few
