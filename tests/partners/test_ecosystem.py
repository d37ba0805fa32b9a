"""The ecosystem map: its selector (industries x technologies of certified partners) and page."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Industry, PartnerType, Region, Technology
from partners.selectors import ecosystem_matrix
from partners.views.ecosystem import heat_class
from tests.partners.factories import (
    IndustryFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    tier,
)

pytestmark = pytest.mark.django_db

URL = "/partners/ecosystem/"


def _certified(*, industries, technologies, expires_in_days=300, **fields):
    partner = PartnerFactory(industries=industries, technologies=technologies, **fields)
    PartnerCertificationFactory(
        partner=partner,
        expires_at=timezone.localdate() + dt.timedelta(days=expires_in_days),
    )
    return partner


def _cell(matrix, industry, technology):
    return matrix["cells"].get(
        (Industry.objects.get(slug=industry).id, Technology.objects.get(slug=technology).id), 0
    )


@pytest.fixture
def landscape():
    """EMEA: 2 banks on cloud (one also on ai), 1 retailer on cloud; NA: 1 bank on cloud;
    not counted: a bank on cloud whose certification expired today, one with none."""
    _certified(industries=["banking"], technologies=["cloud", "ai"], region=Region.EMEA)
    _certified(industries=["banking"], technologies=["cloud"], region=Region.EMEA)
    _certified(industries=["retail"], technologies=["cloud"], region=Region.EMEA)
    _certified(
        industries=["banking"],
        technologies=["cloud"],
        region=Region.NA,
        tier=tier("gold"),
        partner_type=PartnerType.MSP,
    )
    _certified(
        industries=["banking"], technologies=["cloud"], region=Region.EMEA, expires_in_days=0
    )
    PartnerFactory(industries=["banking"], technologies=["cloud"], region=Region.EMEA)
    IndustryFactory(slug="health", name="Health")
    TechnologyFactory(slug="iot", name="IoT")


# Selector --------------------------------------------------------------------------------


def test_matrix_counts_only_partners_with_an_active_certification(landscape):
    matrix = ecosystem_matrix()
    assert _cell(matrix, "banking", "cloud") == 3
    assert _cell(matrix, "banking", "ai") == 1
    assert _cell(matrix, "retail", "cloud") == 1
    assert _cell(matrix, "health", "iot") == 0


def test_matrix_totals_count_distinct_partners(landscape):
    matrix = ecosystem_matrix()
    banking = Industry.objects.get(slug="banking").id
    cloud = Technology.objects.get(slug="cloud").id
    assert matrix["industry_totals"][banking] == 3  # the cloud+ai bank counts once
    assert matrix["technology_totals"][cloud] == 4
    assert matrix["total"] == 4
    assert [industry.slug for industry in matrix["industries"]] == ["banking", "health", "retail"]


def test_matrix_filters_by_region_tier_and_type(landscape):
    assert _cell(ecosystem_matrix(region=Region.EMEA), "banking", "cloud") == 2
    assert _cell(ecosystem_matrix(region=Region.NA), "banking", "cloud") == 1
    assert ecosystem_matrix(region=Region.APAC)["total"] == 0
    assert ecosystem_matrix(tier="gold")["total"] == 1
    assert ecosystem_matrix(partner_type=PartnerType.MSP)["total"] == 1


def test_heat_class_marks_empty_and_thin_cells_as_gaps():
    assert heat_class(0, threshold=3, top=10) == "gap-empty"
    assert heat_class(2, threshold=3, top=10) == "gap-thin"
    assert heat_class(3, threshold=3, top=10) == "heat-1"
    assert heat_class(10, threshold=3, top=10) == "heat-5"
    assert heat_class(1, threshold=1, top=1) == "heat-1"


# Page ------------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={URL}"


def test_partner_user_is_forbidden(client, partner_user):
    client.force_login(partner_user)
    assert client.get(URL).status_code == 403


def test_page_shows_cells_totals_and_gaps_with_the_default_threshold(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["nav"] == "ecosystem"
    matrix = response.context["matrix"]
    cells = {
        (row["industry"].slug, cell["technology"].slug): cell
        for row in matrix["rows"]
        for cell in row["cells"]
    }
    assert cells[("banking", "cloud")]["count"] == 3
    assert not cells[("banking", "cloud")]["is_gap"]
    assert cells[("banking", "ai")]["css"] == "gap-thin"
    assert cells[("health", "iot")]["css"] == "gap-empty"
    assert matrix["covered"] == 1 and matrix["gaps"] == 8
    html = response.content.decode()
    assert 'data-technology="cloud" data-count="3"' in html
    assert 'data-total="all">4<' in html


def test_region_filter_changes_the_counts(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL, {"region": "na"})
    assert response.status_code == 200
    assert response.context["matrix"]["total"] == 1
    assert response.context["filter_summary"] == ["North America"]
    row = next(r for r in response.context["matrix"]["rows"] if r["industry"].slug == "banking")
    cloud = next(c for c in row["cells"] if c["technology"].slug == "cloud")
    assert cloud["count"] == 1
    assert "region=na" in cloud["url"]


def test_threshold_decides_which_cells_are_gaps(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL, {"threshold": "1"})
    assert response.context["matrix"]["covered"] == 3  # banking/cloud, banking/ai, retail/cloud
    response = client.get(URL, {"threshold": "4"})
    assert response.context["matrix"]["covered"] == 0


def test_cell_links_to_the_partner_list_filtered_to_that_cell(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL, {"region": "emea", "tier": "gold"})
    row = next(r for r in response.context["matrix"]["rows"] if r["industry"].slug == "retail")
    cell = next(c for c in row["cells"] if c["technology"].slug == "cloud")
    assert cell["url"].startswith("/partners/?")
    for part in ("industries=retail", "technologies=cloud", "region=emea", "tier=gold"):
        assert part in cell["url"]
    assert "has_certification=true" in cell["url"]


def test_cell_link_lists_exactly_the_partners_counted_in_the_cell(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL, {"region": "emea"})
    row = next(r for r in response.context["matrix"]["rows"] if r["industry"].slug == "banking")
    cell = next(c for c in row["cells"] if c["technology"].slug == "cloud")
    from django.http import QueryDict

    from partners.selectors import partner_list

    query = QueryDict(cell["url"].split("?", 1)[1])
    assert partner_list(filters=query).count() == cell["count"] == 2


def test_invalid_filters_are_shown_next_to_the_field_with_a_400(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"threshold": "-2", "region": "mars"})
    assert response.status_code == 400
    form = response.context["form"]
    assert "threshold" in form.errors and "region" in form.errors
    assert "invalid-feedback" in response.content.decode()


def test_empty_map_shows_an_empty_state(client, manager):
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert "No industries or technologies yet" in response.content.decode()


def test_page_runs_a_constant_number_of_queries(client, manager):
    client.force_login(manager)
    _certified(industries=["a"], technologies=["x"])
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"region": "emea"})
    for index in range(8):
        _certified(industries=[f"i{index}"], technologies=[f"t{index}", "x"])
    with CaptureQueriesContext(connection) as large:
        client.get(URL, {"region": "emea"})
    assert len(large) == len(small) <= 8


def test_cell_link_opens_the_partner_list_with_the_cell_partners(client, manager, landscape):
    client.force_login(manager)
    response = client.get(URL, {"region": "emea"})
    row = next(r for r in response.context["matrix"]["rows"] if r["industry"].slug == "retail")
    cell = next(c for c in row["cells"] if c["technology"].slug == "cloud")
    listing = client.get(cell["url"])
    assert listing.status_code == 200
    assert [partner.pk for partner in listing.context["page_obj"]] == list(
        Industry.objects.get(slug="retail").partners.values_list("pk", flat=True)
    )
