"""Deal registration in the partner portal, in a real browser: a partner user signs in,
registers a deal, previews its incentive (htmx swaps the card in), submits it and finds it in
the list as submitted."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import DealRegistration, DealStatus
from tests.deals.factories import IncentiveRuleFactory
from tests.partners.factories import (
    ContactFactory,
    PartnerFactory,
    TechnologyFactory,
    UserFactory,
    tier,
)

PASSWORD = "partner-deals-browser-pw"


@pytest.fixture
def partner_page(page, live_server, transactional_db):
    """A partner user of a gold partner, signed in through the login form, and the rule
    that prices their mid-size EUR deals."""
    partner = PartnerFactory(name="Contoso Systems", tier=tier("gold"))
    for slug, name in [("aws", "AWS"), ("kubernetes", "Kubernetes"), ("sap", "SAP")]:
        TechnologyFactory(slug=slug, name=name)
    user = UserFactory(username="carla@contoso.example", first_name="Carla", last_name="Conte")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    ContactFactory(partner=partner, user=user, first_name="Carla", last_name="Conte")
    IncentiveRuleFactory(
        name="Gold mid-market",
        tier=tier("gold"),
        min_amount=Decimal("50000"),
        discount_pct=Decimal("15"),
        rebate_pct=Decimal("4"),
        protection_days=120,
        auto_approve_below=Decimal("20000"),
    )
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    page.partner = partner
    return page


def test_a_partner_registers_a_deal_with_a_preview_and_submits_it(
    partner_page, live_server, screenshot
):
    page = partner_page
    close = timezone.localdate() + dt.timedelta(days=75)
    # given the deal registration page, reached from the portal's navigation
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Deals").click()
    expect(page.get_by_role("heading", name="Deal registrations")).to_be_visible()
    page.get_by_role("link", name="Register a deal").first.click()
    expect(page.get_by_role("heading", name="Register a deal")).to_be_visible()
    # when the partner fills in the deal
    page.get_by_label("Customer name").fill("Fabrikam Manufacturing GmbH")
    page.get_by_label("Customer web domain").fill("fabrikam.de")
    page.get_by_label("Customer country").select_option("DE")
    page.get_by_label("Opportunity").fill("Fabrikam SAP on Kubernetes")
    page.get_by_label("SAP").check()
    page.get_by_label("Kubernetes").check()
    page.get_by_label("Amount").fill("180000")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Expected close date").fill(close.isoformat())
    # and previews the incentive (htmx swaps the card, the form stays as typed)
    with page.expect_response(
        lambda response: (
            response.request.method == "POST"
            and response.request.headers.get("hx-request") == "true"
        )
    ) as previewed:
        page.get_by_role("button", name="Preview incentive").click()
    assert previewed.value.status == 200
    preview = page.locator("#incentive-preview")
    expect(preview).to_contain_text("Gold mid-market")
    expect(preview).to_contain_text("15.00%")
    expect(preview).to_contain_text("120 days")
    expect(preview).to_contain_text("Reviewed by the channel team")
    expect(page.get_by_label("Opportunity")).to_have_value("Fabrikam SAP on Kubernetes")
    assert DealRegistration.objects.count() == 0
    screenshot("portal-deal-new")
    # and submits it, confirming
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit for review").click()
    # then its page says it is submitted, with the history
    expect(page.get_by_text("is submitted: the channel team reviews it")).to_be_visible()
    expect(page.locator("#deal-state")).to_contain_text("Submitted")
    expect(page.locator("#deal-history")).to_contain_text("Submitted for review")
    screenshot("portal-deal-detail")
    deal = DealRegistration.objects.get()
    assert (deal.partner, deal.status) == (page.partner, DealStatus.SUBMITTED)
    assert sorted(deal.technologies.values_list("slug", flat=True)) == ["kubernetes", "sap"]
    # and the list shows it as submitted, in the open pipeline
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Deals").click()
    row = page.locator(f"#deal-{deal.pk}")
    expect(row).to_contain_text("Fabrikam SAP on Kubernetes")
    expect(row).to_contain_text("Fabrikam Manufacturing GmbH")
    expect(row.locator("[data-status]")).to_have_text("Submitted")
    expect(page.locator("[data-open-pipeline]")).to_contain_text("180,000")
    screenshot("portal-deal-list")


def test_a_partner_withdraws_a_submitted_deal_from_its_page(partner_page, live_server):
    page = partner_page
    close = timezone.localdate() + dt.timedelta(days=30)
    # given a submitted registration of theirs
    page.goto(f"{live_server.url}/portal/deals/new/")
    page.get_by_label("Customer name").fill("Tailspin Toys")
    page.get_by_label("Opportunity").fill("Tailspin analytics")
    page.get_by_label("Amount").fill("60000")
    page.get_by_label("Currency").fill("EUR")
    page.get_by_label("Expected close date").fill(close.isoformat())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("is saved as a draft")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-action=submit]").get_by_role("button", name="Submit for review").click()
    expect(page.locator("#deal-state")).to_contain_text("Submitted")
    # when they withdraw it with a reason, confirming
    page.locator("[data-action=withdraw] summary").click()
    page.get_by_label("Reason (optional)").fill("The customer postponed the project.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-action=withdraw]").get_by_role("button", name="Withdraw").click()
    # then it is withdrawn, and the history says why
    expect(page.get_by_text("is withdrawn")).to_be_visible()
    expect(page.locator("#deal-state")).to_contain_text("Withdrawn")
    expect(page.locator("#deal-history")).to_contain_text("The customer postponed the project.")
    assert DealRegistration.objects.get().status == DealStatus.WITHDRAWN
