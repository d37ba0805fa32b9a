import csv
import io
import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from django.urls import reverse

from tests.insights.conftest import revenue
from tests.partners.factories import PartnerFactory, PerformanceRecordFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

PAGES = {
    "overview": "",
    "compare": "",
    "matrix": "",
    "forecast": "?partner=Partner",
    "deals": "",
    "suggestions": "?numeric=revenue_12m&numeric=engagement_score&tags=technologies&k=2",
}


@pytest.fixture
def world(db):
    """Two segments of partners with a year of records and two clear groups."""
    from segments.services import segment_evaluate

    for index in range(3):
        small = PartnerFactory(
            revenue_12m=100_000 + index, engagement_score=10 + index, technologies=["aws"]
        )
        large = PartnerFactory(
            revenue_12m=1_000_000 + index, engagement_score=90 - index, technologies=["azure"]
        )
        for month in range(1, 13):
            revenue(small, 2025, month, 1000 + 10 * month)
            revenue(large, 2025, month, 9000 + 50 * month)
    small_segment = SegmentFactory(
        name="Small", rule={"field": "revenue_12m", "op": "lt", "value": 500_000}
    )
    large_segment = SegmentFactory(
        name="Large", rule={"field": "revenue_12m", "op": "gte", "value": 500_000}
    )
    for segment in (small_segment, large_segment):
        segment_evaluate(segment_id=segment.id)
    return {"small": small_segment, "large": large_segment}


def _url(name, world, query=""):
    url = reverse(f"insights:{name}") + query
    if name == "compare":
        url += f"?segments={world['small'].id},{world['large'].id}"
    return url


def _charts(content: str) -> list[dict]:
    scripts = re.findall(
        r'<script id="([^"]+)" type="application/json">(.*?)</script>', content, re.S
    )
    return [json.loads(body) for _, body in scripts]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_for_staff_with_its_charts(client, manager, world, name):
    client.force_login(manager)

    response = client.get(_url(name, world, PAGES[name]))

    assert response.status_code == 200
    content = response.content.decode()
    charts = _charts(content)
    assert charts and all({"type", "data"} <= set(chart) for chart in charts)
    # Every canvas names a chart configuration of its own.
    canvases = re.findall(r'<canvas data-chart="([^"]*)"', content)
    scripts = re.findall(r'<script id="([^"]+)" type="application/json">', content)
    assert canvases and sorted(canvases) == sorted(scripts) and len(set(canvases)) == len(canvases)
    assert '<a href="/insights/" class="nav-link active">' in content


def test_overview_shows_each_segment_with_members_and_revenue(client, manager, world):
    client.force_login(manager)

    content = client.get(reverse("insights:overview")).content.decode()

    assert "Small" in content and "Large" in content
    charts = _charts(content)
    members = next(
        c for c in charts if c["type"] == "line" and c["options"]["plugins"].get("title")
    )
    assert {dataset["label"] for dataset in members["data"]["datasets"]} == {"Small", "Large"}


def test_matrix_plots_partners_as_a_scatter_with_quadrant_counts(client, manager, world):
    client.force_login(manager)

    content = client.get(reverse("insights:matrix")).content.decode()

    (chart,) = [c for c in _charts(content) if c["type"] == "scatter"]
    points = sum(len(d["data"]) for d in chart["data"]["datasets"] if not d.get("isMedian"))
    assert points == 6


def test_suggestions_link_each_cluster_to_the_prefilled_builder(client, manager, world):
    client.force_login(manager)

    response = client.get(reverse("insights:suggestions") + PAGES["suggestions"])

    links = re.findall(r'href="(/segments/new/\?[^"]+)"', response.content.decode())
    assert len(links) == 2
    rule = json.loads(parse_qs(urlparse(links[0].replace("&amp;", "&")).query)["rule"][0])
    builder = client.get(links[0].replace("&amp;", "&"))
    assert builder.status_code == 200
    assert json.dumps(rule) in builder.content.decode().replace("&quot;", '"')


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_are_for_staff_only(client, partner_user, world, name):
    url = _url(name, world, PAGES[name])

    assert client.get(url).status_code == 302
    client.force_login(partner_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    ("name", "query", "table", "rows"),
    [
        ("overview", "?periods=4", "segment-kpis", 2 * 4),  # 2 segments x 4 months
        ("compare", "", "segment-comparison", 12),  # one row per compared KPI
        ("matrix", "", "value-need-quadrants", 4),
        ("matrix", "", "value-need-partners", 6),
        ("forecast", "", "segment-forecast", 2),
        ("forecast", "", "partner-forecast", 6),
        ("deals", "", "segment-deals", 2),
        ("suggestions", PAGES["suggestions"], "suggested-segments", 2),
    ],
)
def test_every_table_downloads_as_csv_and_xlsx(client, manager, world, name, query, table, rows):
    client.force_login(manager)
    base = _url(name, world, query)
    separator = "&" if "?" in base else "?"

    as_csv = client.get(f"{base}{separator}format=csv&table={table}")
    as_xlsx = client.get(f"{base}{separator}format=xlsx&table={table}")

    assert as_csv.status_code == 200 and as_xlsx.status_code == 200
    assert f'filename="{table}-' in as_csv["Content-Disposition"]
    csv_rows = list(csv.reader(io.StringIO(as_csv.content.decode())))
    assert len(csv_rows) == rows + 1
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.max_row == rows + 1
    assert [cell.value for cell in sheet[1]] == csv_rows[0]


def test_compare_prints_its_figures_with_separators_and_fixed_places(client, manager, world):
    from django.utils import timezone

    # given a large figure this month for one member of "Large"
    today = timezone.localdate()
    member = world["large"].memberships.order_by("partner_id").first().partner
    PerformanceRecordFactory(
        partner=member, month=today.replace(day=1), revenue=Decimal("1537456771.94")
    )
    client.force_login(manager)

    # when
    response = client.get(_url("compare", world))

    # then money is whole with its currency, counts grouped, a missing rate a dash
    table = re.search(r'<table[^>]*id="compare-table".*?</table>', response.content.decode(), re.S)
    cells = {
        row[0]: row[1:]
        for row in (
            re.findall(r"<td[^>]*>(.*?)</td>", line)
            for line in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)
        )
        if row
    }
    assert cells["Revenue (period)"] == ["$1,537,456,772", "$0"]  # Large, Small (by name)
    assert cells["Members"] == ["3", "3"]
    assert cells["Open rate (%)"] == ["\N{EN DASH}", "\N{EN DASH}"]
    assert "1537456771" not in table.group(0)


def test_downloads_make_formula_like_text_inert(client, manager, db):
    PartnerFactory(name='=HYPERLINK("http://evil")', revenue_12m=10)
    client.force_login(manager)

    response = client.get(reverse("insights:matrix") + "?format=csv&table=value-need-partners")

    assert "'=HYPERLINK" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("overview", "?period=week"),
        ("overview", "?periods=abc"),
        ("overview", "?periods=999"),
        ("overview", "?format=pdf"),
        ("matrix", "?format=csv&table=secrets"),
        ("matrix", "?segment=999999"),
        ("suggestions", "?numeric=password&k=2"),
        ("suggestions", "?numeric=revenue_12m&k=50"),
        ("suggestions", "?numeric=revenue_12m&k=7"),  # more clusters than partners
    ],
)
def test_bad_parameters_are_a_400_with_the_reason(client, manager, world, name, query):
    client.force_login(manager)

    response = client.get(reverse(f"insights:{name}") + query)

    assert response.status_code == 400
    assert response.content.decode().startswith("Bad request: ")


def test_compare_refuses_unknown_segments(client, manager, world):
    client.force_login(manager)

    response = client.get(reverse("insights:compare") + "?segments=999999")

    assert response.status_code == 400
    assert "unknown segments: 999999" in response.content.decode()


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_take_the_same_number_of_queries_for_more_partners(
    client, manager, world, name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(manager)
    url = _url(name, world, PAGES[name])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for index in range(6):
        partner = PartnerFactory(
            revenue_12m=50_000 + index, engagement_score=20, technologies=["aws"]
        )
        for month in range(1, 13):
            revenue(partner, 2025, month, 500)
    for segment in (world["small"], world["large"]):
        from segments.services import segment_evaluate

        segment_evaluate(segment_id=segment.id)

    with django_assert_max_num_queries(len(before)):
        client.get(url)


@pytest.mark.parametrize(
    "name", ["overview", "compare", "matrix", "forecast", "deals", "suggestions"]
)
def test_pages_render_on_an_empty_database(client, manager, name):
    client.force_login(manager)

    response = client.get(reverse(f"insights:{name}"))

    assert response.status_code == 200
