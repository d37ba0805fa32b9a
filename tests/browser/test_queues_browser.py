"""The review queues in a real browser: the confirmation modal of one row, and a bulk
decision on the selected rows (prm/queues.py, static/js/queue.js)."""

from playwright.sync_api import expect

from partners.models import (
    LifecycleStage,
    Partner,
    TierChange,
    TierChangeDirection,
    TierChangeSource,
    TierChangeStatus,
)
from tests.partners.factories import ContactFactory, PartnerFactory, tier


def _applicant(name: str) -> Partner:
    partner = PartnerFactory(name=name, lifecycle_stage=LifecycleStage.APPLICANT, tier=None)
    ContactFactory(partner=partner, is_partner_admin=True)
    return partner


def test_approve_asks_in_a_modal_and_bulk_decline_takes_a_reason(manager_page, screenshot):
    page = manager_page
    single, first, second = _applicant("Single Co"), _applicant("First Co"), _applicant("Last Co")
    page.goto(f"{page.live_server_url}/portal/applications/")
    # when Approve is clicked, a modal asks first and nothing is decided yet
    page.locator(f"#applicant-{single.pk}").get_by_role("link", name="Approve").click()
    modal = page.locator("#queue-confirm")
    expect(modal).to_be_visible()
    expect(modal.get_by_role("heading")).to_have_text("Approve Single Co?")
    single.refresh_from_db()
    assert single.lifecycle_stage == LifecycleStage.APPLICANT
    # cancelling closes it
    modal.get_by_role("button", name="Cancel", exact=True).click()
    expect(modal).to_be_hidden()
    page.locator(f"#applicant-{single.pk}").get_by_role("link", name="Approve").click()
    modal.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Single Co is approved and onboarding")).to_be_visible()
    single.refresh_from_db()
    assert single.lifecycle_stage == LifecycleStage.ONBOARDING
    # when every row left is selected and declined with a reason
    bulk_decline = page.get_by_role("button", name="Decline selected")
    expect(bulk_decline).to_be_disabled()
    page.get_by_label("Select all on this page").check()
    expect(page.get_by_text("2 selected")).to_be_visible()
    bulk_decline.click()
    expect(modal.get_by_role("heading")).to_have_text("Decline 2 applications?")
    expect(modal.locator("[data-queue-modal-items] li")).to_have_text(["Last Co", "First Co"])
    expect(modal.get_by_role("button", name="Decline")).to_be_visible()
    screenshot("queue-bulk-decline")
    modal.get_by_label("Reason (optional, sent to the applicant)").fill("Outside our regions.")
    modal.get_by_role("button", name="Decline").click()
    # then both are declined with that reason
    expect(page.get_by_text("2 applications declined.")).to_be_visible()
    for partner in (first, second):
        partner.refresh_from_db()
        assert partner.lifecycle_stage == LifecycleStage.CHURNED
        assert partner.attributes["application"]["reason"] == "Outside our regions."


def test_a_tier_change_is_rejected_from_its_queue(manager_page, screenshot):
    page = manager_page
    partner = PartnerFactory(name="Northwind", tier=tier("silver"))
    change = TierChange.objects.create(
        partner=partner,
        from_tier=tier("silver"),
        to_tier=tier("gold"),
        direction=TierChangeDirection.UP,
        source=TierChangeSource.SCHEDULE,
    )
    page.goto(f"{page.live_server_url}/partners/tiers/changes/?q=north")
    screenshot("queue-tier-changes")
    # the link the modal stands in for is the confirmation page
    href = page.locator(f"#queue-change-{change.pk}").get_by_role("link", name="Reject")
    page.goto(page.live_server_url + href.get_attribute("href"))
    expect(page.get_by_role("heading", name="Reject Northwind (Silver → Gold)?")).to_be_visible()
    screenshot("queue-confirm-page")
    page.go_back()
    page.locator(f"#queue-change-{change.pk}").get_by_role("link", name="Reject").click()
    modal = page.locator("#queue-confirm")
    expect(modal.get_by_role("heading")).to_have_text("Reject Northwind?")
    modal.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("1 tier change rejected.")).to_be_visible()
    assert page.url.endswith("/partners/tiers/changes/?q=north")
    change.refresh_from_db()
    assert change.status == TierChangeStatus.REJECTED
