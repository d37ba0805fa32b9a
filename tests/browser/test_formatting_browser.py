"""Money and numbers in a German browser: the page and its chart write them as de-DE does,
with the currency, and the page's scripts run without an error."""

import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from tests.browser.conftest import MANAGER_PASSWORD, watch_console
from tests.partners.factories import PartnerFactory, PerformanceRecordFactory, tier

NBSP = "\xa0"


def test_a_german_browser_sees_money_with_its_currency_in_the_page_and_the_chart(
    browser, live_server, browser_manager
):
    partner = PartnerFactory(
        name="Müller Systemhaus", tier=tier("silver"), revenue_12m=Decimal("719389.20")
    )
    first = dt.date.today().replace(day=1)
    for months_ago, revenue in enumerate((Decimal("1250000"), Decimal("80000"))):
        month = (first - dt.timedelta(days=31 * months_ago)).replace(day=1)
        PerformanceRecordFactory(partner=partner, month=month, revenue=revenue)
    context = browser.new_context(locale="de-DE", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    try:
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(browser_manager.username)
        page.get_by_label("Password").fill(MANAGER_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/dashboard/")

        page.goto(f"{live_server.url}/partners/{partner.pk}/")

        expect(page.get_by_text(f"719.389{NBSP}$ / 1.000.000{NBSP}$")).to_be_visible()
        canvas = page.locator("canvas[data-chart='partner-performance']")
        expect(canvas).to_have_attribute("data-chart-drawn", "1")
        ticks, tooltip = canvas.evaluate(
            """(canvas) => {
                const chart = Chart.getChart(canvas);
                const label = chart.options.plugins.tooltip.callbacks.label;
                return [
                    chart.scales.y.ticks.map((tick) => tick.label),
                    label({dataset: chart.data.datasets[0], parsed: {y: 1250000}}),
                ];
            }"""
        )
        assert all("$" in tick for tick in ticks), ticks
        assert any("Mio." in tick for tick in ticks), ticks  # 1,2 Mio. $: German short money
        assert tooltip == f"Revenue: 1.250.000{NBSP}$"
        assert not problems, problems
    finally:
        context.close()
