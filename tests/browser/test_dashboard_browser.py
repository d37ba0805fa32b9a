"""The dashboard and the ecosystem map in a real browser, on demo-like data."""

import datetime as dt
import itertools

from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from communications.models import CampaignStatus
from partners.models import LifecycleStage, PartnerType, Region
from segments.models import Segment
from segments.services import segment_evaluate
from tests.communications.factories import CampaignFactory, MessageFactory, OccurrenceFactory
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    IndustryFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    tier,
)
from tests.segments.factories import SegmentFactory

INDUSTRIES = [
    ("financial-services", "Financial services"),
    ("healthcare", "Healthcare"),
    ("manufacturing", "Manufacturing"),
    ("public-sector", "Public sector"),
    ("retail", "Retail"),
    ("education", "Education"),
]
TECHNOLOGIES = [
    ("aws", "AWS"),
    ("azure", "Azure"),
    ("google-cloud", "Google Cloud"),
    ("kubernetes", "Kubernetes"),
    ("security", "Security"),
    ("data-analytics", "Data & analytics"),
    ("ai-ml", "AI / ML"),
]
REGIONS = [Region.EMEA, Region.NA, Region.EMEA, Region.APAC, Region.LATAM, Region.NA]
TYPES = [PartnerType.VAR, PartnerType.MSP, PartnerType.SI, PartnerType.RESELLER, PartnerType.ISV]
STAGES = [
    LifecycleStage.ACTIVE,
    LifecycleStage.ACTIVE,
    LifecycleStage.ONBOARDING,
    LifecycleStage.ACTIVE,
    LifecycleStage.DORMANT,
    LifecycleStage.APPLICANT,
    LifecycleStage.CHURNED,
]


def _demo_program(partners: int = 70) -> None:
    """Partners across tiers, types, regions and stages with tags and certifications, two
    segments evaluated by the engine, and a sent campaign with opens and clicks."""
    for slug, name in INDUSTRIES:
        IndustryFactory(slug=slug, name=name)
    for slug, name in TECHNOLOGIES:
        TechnologyFactory(slug=slug, name=name)
    certification = CertificationFactory(slug="cloud-architect", name="Cloud architect")
    tiers = [tier("registered"), tier("silver"), tier("gold"), tier("platinum"), None]
    today = timezone.localdate()
    contacts = []
    for index in range(partners):
        partner = PartnerFactory(
            name=f"{['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne'][index % 6]} "
            f"{['Systems', 'Cloud', 'Digital', 'Partners', 'Labs'][index % 5]} {index}",
            tier=tiers[index % 5 if index % 7 else 0],
            partner_type=TYPES[index % len(TYPES)],
            region=REGIONS[index % len(REGIONS)],
            lifecycle_stage=STAGES[index % len(STAGES)],
            enablement_completion_pct=None if index % 6 == 0 else (index * 17) % 100,
            industries=[INDUSTRIES[index % 4][0], INDUSTRIES[(index * 3) % 5][0]],
            technologies=[TECHNOLOGIES[index % 5][0], TECHNOLOGIES[(index * 2) % 7][0]],
        )
        if index % 4 != 3:
            PartnerCertificationFactory(
                partner=partner,
                certification=certification,
                expires_at=today + dt.timedelta(days=200 if index % 9 else -5),
            )
        contacts.append(ContactFactory(partner=partner))
    for slug, name, rule in (
        (
            "emea-partners",
            "EMEA partners",
            {"all": [{"field": "region", "op": "eq", "value": "emea"}]},
        ),
        (
            "active-partners",
            "Active partners",
            {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "active"}]},
        ),
        (
            "gold-and-up",
            "Gold and up",
            {"all": [{"field": "tier", "op": "at_least", "value": "gold"}]},
        ),
    ):
        segment_evaluate(segment_id=SegmentFactory(slug=slug, name=name, rule=rule).id)
    # segments that grew over the last weeks: back-date their creation and join events
    for segment, spread in zip(Segment.objects.order_by("slug"), (27, 12, 20), strict=True):
        Segment.objects.filter(pk=segment.pk).update(
            created_at=timezone.now() - dt.timedelta(days=40)
        )
        for day, event in zip(
            itertools.cycle(range(1, spread + 1)), segment.events.order_by("id"), strict=False
        ):
            event.at = timezone.now() - dt.timedelta(days=day, hours=1)
            event.save(update_fields=["at"])
    # and what the engine warns about: a tiny segment, and one never evaluated (stale)
    segment_evaluate(
        segment_id=SegmentFactory(
            slug="latam-platinum",
            name="LATAM platinum",
            rule={
                "all": [
                    {"field": "region", "op": "eq", "value": "latam"},
                    {"field": "tier", "op": "eq", "value": "platinum"},
                ]
            },
        ).id
    )
    stale = SegmentFactory(slug="dormant-msps", name="Dormant MSPs")
    Segment.objects.filter(pk=stale.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    campaign = CampaignFactory(name="Q4 cloud launch", status=CampaignStatus.COMPLETED)
    occurrence = OccurrenceFactory(campaign=campaign)
    now = timezone.now()
    for index, contact in enumerate(contacts[:40]):
        MessageFactory(
            occurrence=occurrence,
            contact=contact,
            opened_at=now if index % 2 == 0 else None,
            clicked_at=now if index % 5 == 0 else None,
        )
    CampaignFactory(name="Partner summit invite", status=CampaignStatus.SCHEDULED)


def test_manager_sees_the_dashboard_charts_and_filters_the_ecosystem_map(manager_page, screenshot):
    # given a program with demo-like data
    _demo_program()
    cache.clear()  # the sign-in landed on the (then empty) dashboard, cached for a minute
    page = manager_page
    # when the manager opens the dashboard
    page.goto(f"{page.live_server_url}/dashboard/")
    # then the figures and the charts are there, drawn by Chart.js
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator('[data-stat="partners"]')).to_have_text("70")
    for chart_id in ("chart-tier", "chart-region", "chart-type", "chart-stage", "chart-trend"):
        canvas = page.locator(f'canvas[data-chart="{chart_id}"]')
        expect(canvas).to_be_visible()
    # Functions, not expression strings: Playwright evals a string in the page, which the
    # content security policy forbids.
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".every(c => Chart.getChart(c) !== undefined)"
    )
    expect(page.locator("#campaign-performance")).to_contain_text("Q4 cloud launch")
    expect(page.locator("#engine-warnings")).to_be_visible()
    page.wait_for_timeout(600)  # let the chart animations finish for the screenshot
    screenshot("dashboard")

    # when they switch the trend to 90 days, the chart is redrawn in place
    page.locator("#segment-trend").get_by_role("link", name="90 days").click()
    page.wait_for_function(
        "() => Chart.getChart(document.querySelector('canvas[data-chart=\"chart-trend\"]'))"
        "?.data.labels.length === 90"
    )

    # when they open the ecosystem map
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ecosystem map").click()
    expect(page.get_by_role("heading", name="Ecosystem map")).to_be_visible()
    total = page.locator('[data-total="all"]')
    everywhere = int(total.inner_text())
    assert everywhere > 0
    expect(page.locator("td.gap-empty").first).to_be_visible()
    page.wait_for_timeout(200)
    screenshot("ecosystem-map")

    # and filter by a region, the counts change
    page.get_by_label("Region").select_option("na")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**region=na**")
    in_na = int(page.locator('[data-total="all"]').inner_text())
    assert 0 < in_na < everywhere
    screenshot("ecosystem-map-na")

    # and a cell leads to the partner list of that combination
    cell = page.locator("td.heat-cell:not(.gap-empty) a").first
    href = cell.get_attribute("href")
    assert "region=na" in href and "industries=" in href and "technologies=" in href
