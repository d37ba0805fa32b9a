"""The partner pages in a real browser: import with a row error, the list and a partner page."""

import datetime as dt
import re
from decimal import Decimal

from playwright.sync_api import expect

from partners.imports import PARTNER_COLUMNS
from partners.models import LifecycleStage, Partner, PartnerType, Region
from tests.partners.factories import (
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    UserFactory,
    tier,
)

HEADER = ",".join(PARTNER_COLUMNS)
GOOD = (
    "BR-1,Bright Cloud,msp,gold,emea,DE,80,2000000,active,2023-05-01,4,healthcare,aws;azure,,"
    "750000,9"
)
BAD = "BR-2,Broken Row,wizard,diamond,na,US,10,,active,,,,,,,"


def _csv(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_import_shows_the_row_error_then_imports_a_good_file(manager_page, screenshot, tmp_path):
    page = manager_page
    page.goto(f"{page.live_server_url}/partners/import/")
    expect(page.get_by_role("heading", name="Import")).to_be_visible()
    # when a file with a bad row is uploaded
    page.get_by_label("CSV or XLSX file").set_input_files(_csv(tmp_path, "bad.csv", GOOD, BAD))
    page.get_by_role("button", name="Upload and import").click()
    # then the row error is shown with its row number, and nothing was imported
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("nothing was imported")
    row = errors.locator("tbody tr").filter(has_text="partner_type")
    expect(row.locator("td").first).to_have_text("3")
    expect(row).to_contain_text("wizard")
    tier_row = errors.locator("tbody tr").filter(has_text="diamond")
    expect(tier_row.locator("td").first).to_have_text("3")
    screenshot("partners-import-errors")
    assert not Partner.objects.filter(external_id__in=["BR-1", "BR-2"]).exists()
    # when the corrected file is uploaded
    page.get_by_label("CSV or XLSX file").set_input_files(_csv(tmp_path, "good.csv", GOOD))
    page.get_by_role("button", name="Upload and import").click()
    # then it is imported
    expect(page.get_by_test_id("import-result")).to_contain_text("1 partners created")
    assert Partner.objects.get(external_id="BR-1").tier.slug == "gold"


def _partners(count: int) -> Partner:
    types = list(PartnerType.values)
    regions = [(Region.EMEA, "DE"), (Region.NA, "US"), (Region.APAC, "JP"), (Region.LATAM, "BR")]
    tiers = [tier("registered"), tier("silver"), tier("gold"), tier("platinum"), None]
    stages = list(LifecycleStage.values)
    industries = ["healthcare", "finance", "retail", "manufacturing", "education"]
    technologies = ["aws", "azure", "security", "data-analytics", "networking"]
    names = ["Apex", "Orbit", "Nimbus", "Vertex", "Summit", "Harbor", "Quantum"]
    suffixes = ["Solutions", "Cloud", "Systems", "Data"]
    for number in range(count):
        region, country = regions[number % 4]
        PartnerFactory(
            name=f"{names[number % 7]} {suffixes[number % 4]} {number}",
            partner_type=types[number % len(types)],
            tier=tiers[number % 5],
            region=region,
            country=country,
            lifecycle_stage=stages[number % len(stages)],
            revenue_12m=Decimal(25_000 * (number * 7 % 40 + 1)),
            deals_won_12m=number * 3 % 41,
            engagement_score=round(20 + number * 2.7 % 80, 1),
            enablement_completion_pct=float(number * 13 % 101),
            industries=[industries[number % 5], industries[(number + 2) % 5]],
            technologies=[technologies[number % 5]],
        )
    featured = Partner.objects.order_by("id").first()
    featured.tier = tier("silver")
    featured.attributes = {"crm_owner": "Jane Doe", "marketplace_listed": True}
    featured.save()
    login = UserFactory(username="ada.portal")
    ContactFactory(
        partner=featured,
        first_name="Ada",
        last_name="Byron",
        user=login,
        role="executive",
        job_title="CEO",
    )
    ContactFactory(
        partner=featured,
        first_name="Grace",
        last_name="Hopper",
        role="technical",
        job_title="Head of engineering",
        email_opt_in=False,
    )
    PartnerCertificationFactory(
        partner=featured,
        certification__slug="cloud-architect",
        certification__name="Cloud Architect",
    )
    PartnerCertificationFactory(
        partner=featured,
        certification__slug="security-pro",
        certification__name="Security Professional",
    )
    today = dt.date.today().replace(day=1)
    for months_ago in range(12):
        month = (today - dt.timedelta(days=31 * months_ago)).replace(day=1)
        PerformanceRecordFactory(
            partner=featured,
            month=month,
            revenue=Decimal(20_000 + months_ago * 3_500 % 17_000),
            deals_registered=3 + months_ago % 4,
            deals_won=1 + months_ago % 3,
        )
    return featured


def test_partner_list_filters_sorts_and_opens_a_partner(manager_page, screenshot):
    featured = _partners(25)
    page = manager_page
    page.goto(f"{page.live_server_url}/partners/")
    expect(page.get_by_role("heading", name="Partners", exact=True)).to_be_visible()
    expect(page.locator("table.partner-table tbody tr")).to_have_count(25)
    expect(page.get_by_test_id("partner-total")).to_contain_text("25 partners")
    screenshot("partners-list")
    # filter by a tier from the sidebar
    page.get_by_label("Gold").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_test_id("partner-total")).to_contain_text("5 matching")
    expect(page.locator("table.partner-table tbody tr")).to_have_count(5)
    screenshot("partners-list-filtered")
    # sort by revenue from the header, then open the featured partner
    page.get_by_role("link", name="Revenue 12m").click()
    expect(page).to_have_url(re.compile(r"ordering=-revenue_12m"))
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Revenue 12m")
    page.goto(f"{page.live_server_url}/partners/?search={featured.name.replace(' ', '+')}")
    page.get_by_role("link", name=featured.name, exact=True).click()
    expect(page.get_by_role("heading", name=featured.name)).to_be_visible()
    expect(page.locator("#contacts").get_by_text("Ada Byron")).to_be_visible()
    expect(page.get_by_text("Tier progress")).to_be_visible()
    page.wait_for_load_state("networkidle")  # the panels other apps contribute
    screenshot("partner-detail")
    # the edit form shows a bad value next to its field and saves nothing
    page.get_by_role("link", name="Edit profile").click()
    page.get_by_label("Tech savviness (1-5)").fill("9")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    screenshot("partner-edit-errors")
    featured.refresh_from_db()
    assert featured.tech_savviness == 3
