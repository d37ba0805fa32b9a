"""The partner portal in a real browser: a partner user signs in through the login form,
lands on their home, completes a learning step, reads a message and edits the company."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from communications.models import Channel
from enablement.models import Enrollment, StepCompletion
from partners.models import ContactRole, Partner, Region
from tests.communications.factories import MessageFactory
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

PASSWORD = "partner-browser-pw"


@pytest.fixture
def portal_world(transactional_db):
    partner = PartnerFactory(
        name="Northwind Cloud Partners",
        tier=tier("silver"),
        revenue_12m=Decimal("640000"),
        deals_won_12m=14,
        employee_count=120,
        region=Region.EMEA,
    )
    user = UserFactory(username="nina.north", first_name="Nina", last_name="North")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    contact = ContactFactory(
        partner=partner,
        user=user,
        first_name="Nina",
        last_name="North",
        job_title="Partner sales lead",
        role=ContactRole.SALES,
        is_partner_admin=True,
    )
    today = timezone.localdate()
    PartnerCertificationFactory(
        partner=partner,
        certification=CertificationFactory(slug="cloud-architect", name="Cloud Architect"),
        expires_at=today + dt.timedelta(days=24),
    )
    PartnerCertificationFactory(
        partner=partner,
        certification=CertificationFactory(slug="security-specialist", name="Security Specialist"),
        expires_at=today + dt.timedelta(days=300),
    )
    month = today.replace(day=1)
    for revenue, won in ((62000, 2), (48000, 1), (71000, 2), (55000, 1), (83000, 3), (64000, 2)):
        PerformanceRecordFactory(
            partner=partner, month=month, revenue=Decimal(revenue), deals_won=won
        )
        month = (month - dt.timedelta(days=1)).replace(day=1)
    for title in ("Selling cloud migrations", "Q4 pricing playbook", "Partner webinar recap"):
        ContentItemFactory(title=title, summary=f"{title}: what every partner should know.")
    path = LearningPathFactory(
        title="Cloud sales foundations", description="The three things every seller needs."
    )
    for order, title in enumerate(("Why customers move", "Positioning", "Closing"), start=1):
        LearningStepFactory(
            path=path, order=order, title=title, content=ContentItemFactory(title=title)
        )
    enrollment = EnrollmentFactory(contact=contact, path=path)
    message = MessageFactory(
        contact=contact,
        channel=Channel.PORTAL,
        subject="Welcome to the Q4 partner program",
        body="Hello Nina, here is what is new this quarter.",
    )
    return {"partner": partner, "contact": contact, "enrollment": enrollment, "message": message}


@pytest.fixture
def portal_page(page, live_server, portal_world):
    """A page signed in as the partner user through the real login form."""
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("nina.north")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    page.live_server_url = live_server.url
    return page


def test_partner_user_lands_on_a_personalised_home(portal_page, portal_world, screenshot):
    page = portal_page

    expect(page.get_by_role("heading", name="Welcome back, Nina")).to_be_visible()
    expect(page.locator("#tier-status")).to_contain_text("Silver")
    expect(page.locator("#tier-status")).to_contain_text("360,000 more revenue")
    expect(page.locator("#certifications")).to_contain_text("24 days left")
    expect(page.locator("#messages")).to_contain_text("Welcome to the Q4 partner program")
    expect(page.locator("canvas[data-chart='portal-performance-chart']")).to_be_visible()
    screenshot("portal-home")


def test_partner_user_completes_a_learning_step(portal_page, portal_world, screenshot):
    page = portal_page
    enrollment = portal_world["enrollment"]

    page.locator("#learning").get_by_role("link", name="Cloud sales foundations").click()
    expect(page.get_by_role("heading", name="Cloud sales foundations")).to_be_visible()
    page.get_by_role("button", name="Mark complete").first.click()
    page.wait_for_load_state()

    expect(page.get_by_text("Completed").first).to_be_visible()
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    assert enrollment.completions.count() == 1
    assert enrollment.progress_pct == pytest.approx(33.3, abs=0.1)
    screenshot("portal-learning-path")


def test_partner_user_reads_a_message(portal_page, portal_world, screenshot):
    page = portal_page
    message = portal_world["message"]

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Inbox").click()
    page.get_by_role("link", name="Welcome to the Q4 partner program").click()

    expect(page.get_by_role("heading", name="Welcome to the Q4 partner program")).to_be_visible()
    message.refresh_from_db()
    assert message.read_at is not None
    screenshot("portal-inbox-message")


def test_partner_user_edits_the_company_profile(portal_page, portal_world, screenshot):
    page = portal_page
    partner = portal_world["partner"]

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Company").click()
    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Employees").fill("245")
    page.get_by_label("Region").select_option(Region.APAC)
    page.get_by_role("button", name="Save profile").click()

    expect(page.get_by_text("Your company profile is saved.")).to_be_visible()
    partner = Partner.objects.get(pk=partner.pk)
    assert partner.employee_count == 245
    assert partner.region == Region.APAC
    screenshot("portal-company")


def test_a_technical_colleague_sees_learning_before_goals(
    page, live_server, portal_world, screenshot
):
    user = UserFactory(username="theo.tech", first_name="Theo", last_name="Tech")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    contact = ContactFactory(
        partner=portal_world["partner"],
        user=user,
        first_name="Theo",
        last_name="Tech",
        job_title="Solutions engineer",
        role=ContactRole.TECHNICAL,
    )
    path = portal_world["enrollment"].path
    enrollment = EnrollmentFactory(contact=contact, path=path, progress_pct=66.7)
    for step in path.steps.order_by("order")[:2]:
        StepCompletion.objects.create(enrollment=enrollment, step=step, completed_at=timezone.now())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("theo.tech")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")

    expect(page.get_by_role("heading", name="Welcome back, Theo")).to_be_visible()
    learning = page.locator("#learning").bounding_box()
    goals = page.locator("#goals").bounding_box()
    assert learning["y"] < goals["y"]
    screenshot("portal-home-technical")
