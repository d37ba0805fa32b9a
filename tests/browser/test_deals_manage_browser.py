"""The channel manager's deal pages in a real browser: a conflicting registration reviewed
with the competing one side by side and approved with a reason, and a bulk rejection from the
review queue through its confirmation modal."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from deals.models import DealRegistration, DealStatus
from deals.services import deal_create
from tests.partners.factories import PartnerFactory, tier


def _register(partner, user, **overrides):
    values = {
        "partner": partner,
        "user": user,
        "account_name": "Acme GmbH",
        "account_domain": "https://www.acme.de/",
        "account_country": "DE",
        "name": "Acme data platform",
        "amount": "120000",
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=60),
        "submit": True,
    }
    return deal_create(**{**values, **overrides})


def test_a_conflicting_registration_is_reviewed_side_by_side_and_approved(
    manager_page, browser_manager, screenshot
):
    page = manager_page
    first = _register(PartnerFactory(name="Northwind Ltd", tier=tier("gold")), browser_manager)
    later = _register(
        PartnerFactory(name="Contoso AG", tier=tier("silver")),
        browser_manager,
        name="Acme analytics",
        amount="80000",
    )
    assert later.has_conflict
    # the queue shows the flagged registration with its badge; the nav leads there
    page.get_by_role("link", name="Review queue").click()
    row = page.locator(f"#queue-deal-{later.pk}")
    expect(row.locator("[data-conflict-badge]")).to_be_visible()
    expect(page.locator(f"#queue-deal-{first.pk} [data-conflict-badge]")).to_have_count(0)
    screenshot("deals-review-queue")
    # the registration's page puts the competing one beside it, with the evidence
    row.get_by_role("link", name="Acme analytics").click()
    competing = page.locator(f"[data-competing='{first.pk}']")
    expect(competing).to_be_visible()
    expect(competing.locator("[data-evidence]")).to_have_text("Same web domain")
    expect(competing.locator("[data-similarity]")).to_have_text("100%")
    expect(competing.locator("[data-competing-partner]")).to_have_text("Northwind Ltd")
    expect(competing.locator("[data-matched-field='domain'] td").nth(1)).to_have_text("acme.de")
    expect(page.locator("#deal-incentive")).to_contain_text("Incentive that would apply now")
    screenshot("deals-conflict-side-by-side")
    # approved with a reason
    decisions = page.locator("#deal-decisions")
    decisions.locator("[data-action='approve'] summary").click()
    decisions.get_by_label("Reason (optional, shown to the partner)").fill(
        "Contoso brought the customer to the demo first."
    )
    decisions.locator("[data-action='approve']").get_by_role("button", name="Approve").click()
    expect(page.get_by_text("“Acme analytics” approved.")).to_be_visible()
    expect(page.locator("#deal-state [data-status]")).to_have_text("Approved")
    expect(page.locator("#deal-incentive")).to_contain_text("Incentive locked in at approval")
    expect(page.locator("#deal-history [data-transition='approve']")).to_contain_text(
        "Contoso brought the customer to the demo first."
    )
    later.refresh_from_db()
    assert later.status == DealStatus.APPROVED
    assert later.decision_reason == "Contoso brought the customer to the demo first."
    assert later.decided_by == browser_manager


def test_the_selected_registrations_are_rejected_in_bulk_with_a_reason(
    manager_page, browser_manager, screenshot
):
    page = manager_page
    deals = [
        _register(
            PartnerFactory(name=f"Reseller {index}"),
            browser_manager,
            account_name=f"Customer {index}",
            account_domain=f"customer{index}.de",
            name=f"Opportunity {index}",
        )
        for index in range(3)
    ]
    page.goto(f"{page.live_server_url}/deals/review/")
    reject = page.get_by_role("button", name="Reject selected")
    expect(reject).to_be_disabled()
    for deal in deals[:2]:
        page.locator(f"#queue-deal-{deal.pk}").get_by_role("checkbox").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    reject.click()
    modal = page.locator("#queue-confirm")
    expect(modal.get_by_role("heading")).to_have_text("Reject 2 registrations?")
    expect(modal.locator("[data-queue-modal-items] li")).to_have_count(2)
    # nothing is decided before the confirmation
    assert DealRegistration.objects.filter(status=DealStatus.REJECTED).count() == 0
    modal.get_by_label("Reason (required, sent to the partner)").fill("Outside our territory.")
    screenshot("deals-bulk-reject")
    modal.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("2 registrations rejected.")).to_be_visible()
    expect(page.locator(f"#queue-deal-{deals[2].pk}")).to_be_visible()
    expect(page.locator(f"#queue-deal-{deals[0].pk}")).to_have_count(0)
    for deal in deals[:2]:
        deal.refresh_from_db()
        assert (deal.status, deal.decision_reason) == (
            DealStatus.REJECTED,
            "Outside our territory.",
        )
    deals[2].refresh_from_db()
    assert deals[2].status == DealStatus.SUBMITTED


def test_the_pipeline_draws_its_charts(manager_page, browser_manager, screenshot):
    page = manager_page
    gold = PartnerFactory(name="Gold reseller", tier=tier("gold"))
    _register(gold, browser_manager)
    _register(
        PartnerFactory(name="Silver reseller", tier=tier("silver")),
        browser_manager,
        account_name="Initech",
        account_domain="initech.com",
        amount="45000",
    )
    page.get_by_role("link", name="Pipeline").click()
    for chart in ("deal-stage-chart", "deal-tier-chart"):
        expect(page.locator(f"canvas[data-chart='{chart}']")).to_have_attribute(
            "data-chart-drawn", "1"
        )
    expect(page.locator("#pipeline-tiers [data-row='Gold']")).to_contain_text("€120,000")
    screenshot("deals-pipeline")
