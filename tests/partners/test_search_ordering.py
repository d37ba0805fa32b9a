"""A searched partner list is ordered exactly as the same list without search would be, though
its ORDER BY is written so that PostgreSQL sorts the matches (partners.filters
.search_result_ordering) instead of walking the name index."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.filters import search_result_ordering
from partners.models import Partner
from tests.partners.factories import PartnerFactory

PARTNERS_URL = "/api/partners/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def searchable_partners():
    # One null and no ties: ?ordering=revenue_12m adds no tie-break, so ties have no order.
    revenues = [
        Decimal("5.00"),
        None,
        Decimal("1.00"),
        Decimal("2.00"),
        Decimal("3.00"),
        Decimal("4.00"),
    ]
    names = ["Cloud Zeta", "Alpha Cloud", "Cloud Alpha", "Mid Cloudworks", "Beta", "Cloudy Bay"]
    return [
        PartnerFactory(name=name, external_id=f"SRCH-{index}", revenue_12m=revenue)
        for index, (name, revenue) in enumerate(zip(names, revenues, strict=True))
    ]


@pytest.mark.parametrize(
    "ordering", ["", "-name", "external_id", "-external_id", "revenue_12m", "-revenue_12m"]
)
def test_searched_api_list_keeps_the_order_of_the_unsearched_list(
    manager_client, searchable_partners, ordering
):
    # given the order the list has without search, narrowed to the matches in Python
    query = f"&ordering={ordering}" if ordering else ""
    unsearched = manager_client.get(f"{PARTNERS_URL}?page_size=100{query}").json()["results"]
    expected = [row["id"] for row in unsearched if "cloud" in row["name"].lower()]
    # when
    searched = manager_client.get(f"{PARTNERS_URL}?search=cloud{query}").json()["results"]
    # then
    assert [row["id"] for row in searched] == expected
    assert len(expected) == 5


def test_searched_api_list_asks_for_the_order_the_name_index_cannot_serve(
    manager_client, searchable_partners
):
    with CaptureQueriesContext(connection) as captured:
        manager_client.get(f"{PARTNERS_URL}?search=cloud")
    page_query = next(
        query["sql"]
        for query in captured.captured_queries
        if 'FROM "partners_partner"' in query["sql"] and "LIMIT" in query["sql"]
    )
    assert 'ORDER BY "partners_partner"."name" ASC NULLS FIRST' in page_query


def test_search_result_ordering_leaves_nullable_columns_as_given():
    ordering = search_result_ordering(["-name", "revenue_12m", "-tier__rank", "id"])
    assert ordering[1:3] == ["revenue_12m", "-tier__rank"]
    rows = Partner.objects.order_by(*ordering).query.get_compiler("default").as_sql()[0]
    assert '"partners_partner"."name" DESC NULLS LAST' in rows
    assert '"partners_partner"."id" ASC NULLS FIRST' in rows
