"""The insights pages in a real browser: every chart is drawn, the suggested segment opens
the builder with its rule."""

import pytest
from playwright.sync_api import expect

from segments.services import segment_evaluate
from tests.insights.conftest import revenue
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

PAGES = [
    "/insights/",
    "/insights/matrix/",
    "/insights/forecast/",
    "/insights/suggestions/?numeric=revenue_12m&numeric=engagement_score&tags=technologies&k=2",
]


@pytest.fixture
def insights_data(transactional_db):
    for index in range(4):
        for value, score, tech in ((100_000, 10, "aws"), (1_000_000, 90, "azure")):
            partner = PartnerFactory(
                revenue_12m=value + index,
                engagement_score=score + index,
                enablement_completion_pct=20 * index,
                technologies=[tech],
            )
            for month in range(1, 13):
                revenue(partner, 2025, month, value // 100 + month)
    for name, rule in (
        ("Small", {"field": "revenue_12m", "op": "lt", "value": 500_000}),
        ("Large", {"field": "revenue_12m", "op": "gte", "value": 500_000}),
    ):
        segment_evaluate(segment_id=SegmentFactory(name=name, rule=rule).id)


@pytest.mark.parametrize("path", PAGES)
def test_every_insights_chart_is_drawn(manager_page, insights_data, screenshot, path):
    page = manager_page

    page.goto(page.live_server_url + path)

    charts = page.locator("canvas[data-chart]")
    expect(charts.first).to_be_visible()
    expect(page.locator("canvas[data-chart-drawn]")).to_have_count(charts.count())
    screenshot("insights" + path.split("?")[0].replace("/", "-").rstrip("-"))


def test_a_suggested_cluster_opens_the_builder_with_its_rule(manager_page, insights_data):
    page = manager_page
    page.goto(page.live_server_url + PAGES[-1])

    page.get_by_role("link", name="Create segment from this").first.click()

    page.wait_for_url("**/segments/new/**")
    expect(page.get_by_label("Name")).to_have_value("Suggested cluster 1")
    expect(page.locator(".rule-condition").first).to_be_visible()
