"""The partner portal's company profile and the public application form in a real browser."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from partners.models import Partner
from tests.browser.conftest import MANAGER_PASSWORD
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    IndustryFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    UserFactory,
    tier,
)

PASSWORD = "partner-browser-pw"


def _company():
    for slug, name in [
        ("healthcare", "Healthcare"),
        ("financial-services", "Financial services"),
        ("manufacturing", "Manufacturing"),
        ("retail", "Retail"),
        ("public-sector", "Public sector"),
        ("education", "Education"),
    ]:
        IndustryFactory(slug=slug, name=name)
    for slug, name in [
        ("aws", "AWS"),
        ("azure", "Microsoft Azure"),
        ("kubernetes", "Kubernetes"),
        ("sap", "SAP"),
        ("salesforce", "Salesforce"),
        ("security", "Security"),
    ]:
        TechnologyFactory(slug=slug, name=name)
    partner = PartnerFactory(
        name="Acme Integrations",
        partner_type="si",
        tier=tier("gold"),
        country="DE",
        region="emea",
        employee_count=320,
        joined_at=dt.date(2021, 5, 1),
        industries=["healthcare", "manufacturing"],
        technologies=["aws", "kubernetes", "security"],
        attributes={"website": "https://acme-integrations.example"},
    )
    today = timezone.localdate()
    for name, expires in [("Cloud Architect", 300), ("Security Specialist", 45)]:
        PartnerCertificationFactory(
            partner=partner,
            certification=CertificationFactory(name=name),
            expires_at=today + dt.timedelta(days=expires),
        )
    user = UserFactory(username="anna@acme.example", first_name="Anna")
    user.set_password(PASSWORD)
    user.save()
    ContactFactory(
        partner=partner,
        user=user,
        first_name="Anna",
        last_name="Schmidt",
        email="anna@acme.example",
        role="executive",
        job_title="Managing director",
        is_partner_admin=True,
    )
    for first, last, role, title in [
        ("Jonas", "Weber", "technical", "Solutions architect"),
        ("Lea", "Fischer", "sales", "Account executive"),
        ("Tom", "Becker", "marketing", "Marketing manager"),
    ]:
        ContactFactory(
            partner=partner,
            first_name=first,
            last_name=last,
            role=role,
            job_title=title,
            email=f"{first.lower()}@acme.example",
        )
    return partner


def test_partner_admin_edits_the_company_profile(page, live_server, screenshot):
    # given a partner admin signed in through the login form
    partner = _company()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("anna@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    # when they open the company page
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Company").click()
    expect(page.get_by_role("heading", name="Acme Integrations", exact=True)).to_be_visible()
    expect(page.locator("#company-profile")).to_contain_text("320")
    expect(page.get_by_text("Cloud Architect")).to_be_visible()
    screenshot("portal-company")
    # and edit the profile
    page.get_by_role("link", name="Edit profile").click()
    screenshot("portal-company-edit")
    page.get_by_label("Employees").fill("450")
    page.get_by_label("Retail").check()
    page.get_by_label("SAP").check()
    page.get_by_role("button", name="Save profile").click()
    # then the profile shows the change
    expect(page.get_by_text("Your company profile is saved.")).to_be_visible()
    expect(page.locator("#company-profile")).to_contain_text("450")
    partner = Partner.objects.get(pk=partner.pk)
    assert partner.employee_count == 450
    assert set(partner.industries.values_list("slug", flat=True)) == {
        "healthcare",
        "manufacturing",
        "retail",
    }
    assert "sap" in set(partner.technologies.values_list("slug", flat=True))
    # and the contacts and the team are one click away
    page.locator(".nav-underline").get_by_role("link", name="Contacts").click()
    expect(page.locator("#contact-table")).to_contain_text("Jonas Weber")
    screenshot("portal-company-contacts")
    page.get_by_role("link", name="Preferences of Anna Schmidt").click()
    expect(page.get_by_role("heading", name="Your communication preferences")).to_be_visible()
    page.get_by_label("Product news").uncheck()
    screenshot("portal-preferences")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_text("Your communication preferences are saved.")).to_be_visible()
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Team").click()
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Work e-mail").fill("grace@acme.example")
    page.get_by_label("Role").select_option("technical")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Grace Hopper is invited")).to_be_visible()
    expect(page.locator("#team-table")).to_contain_text("Invitation sent")
    screenshot("portal-team")


def test_the_public_application_form_and_its_approval(
    page, live_server, screenshot, browser_manager
):
    # given the catalogue of industries and technologies
    _company()
    page.set_default_timeout(15_000)
    # when a visitor follows "Become a partner" from the sign-in page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Become a partner").click()
    expect(page.get_by_role("heading", name="Become a partner")).to_be_visible()
    screenshot("portal-apply")
    # and applies
    page.get_by_label("Company name").fill("Northwind Cloud")
    page.get_by_label("How you work with customers").select_option("msp")
    page.get_by_label("Healthcare").check()
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("North")
    page.get_by_label("Work e-mail").fill("nora@northwind.example")
    page.get_by_label("Your role").select_option("executive")
    page.get_by_label("I agree to the partner program terms").check()
    page.get_by_role("button", name="Send application").click()
    # then they are thanked and the applicant waits for a manager
    expect(page.get_by_role("heading", name="Thank you for applying")).to_be_visible()
    assert Partner.objects.get(name="Northwind Cloud").lifecycle_stage == "applicant"
    # and when a manager approves it on the applications page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(browser_manager.username)
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.goto(f"{live_server.url}/portal/applications/")
    expect(page.locator("[data-applicant]")).to_contain_text("Northwind Cloud")
    screenshot("portal-applications")
    # (the queue asks first, in a modal)
    page.locator("[data-applicant]").filter(has_text="Northwind Cloud").get_by_role(
        "link", name="Approve"
    ).click()
    page.locator("#queue-confirm").get_by_role("button", name="Approve").click()
    # then the partner is onboarding
    expect(page.get_by_text("Northwind Cloud is approved")).to_be_visible()
    assert Partner.objects.get(name="Northwind Cloud").lifecycle_stage == "onboarding"


def test_forgot_password_from_the_sign_in_page(page, live_server, screenshot):
    # given a partner user
    _company()
    page.set_default_timeout(15_000)
    # when they follow "Forgot your password?" and give their address
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    screenshot("password-reset")
    page.get_by_label("Email").fill("anna@acme.example")
    page.get_by_role("button", name="Send the reset link").click()
    # then they are told to check their e-mail
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
