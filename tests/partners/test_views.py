"""The channel manager's partner pages: list, export, partner page, edit forms, contacts."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners import panels
from partners.models import Contact, LifecycleStage, Partner, PartnerType, Region
from partners.views import listing
from tests.partners.factories import (
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    UserFactory,
    tier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def _page_ids(response) -> list[int]:
    return [partner.id for partner in response.context["page_obj"].object_list]


def _api_ids(manager_client, query: str) -> list[int]:
    response = manager_client.get(f"/api/partners/?{query}")
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def mixed_partners():
    """A varied set of partners to filter, search and sort."""
    partners = [
        PartnerFactory(
            name="Alpha Cloud",
            partner_type=PartnerType.MSP,
            tier=tier("gold"),
            region=Region.EMEA,
            country="DE",
            revenue_12m=Decimal("900000"),
            industries=["healthcare"],
            technologies=["aws"],
        ),
        PartnerFactory(
            name="Beta Integrators",
            partner_type=PartnerType.SI,
            tier=tier("silver"),
            region=Region.NA,
            country="US",
            revenue_12m=Decimal("100000"),
            lifecycle_stage=LifecycleStage.ONBOARDING,
            industries=["finance"],
            technologies=["azure"],
        ),
        PartnerFactory(
            name="Gamma Resellers",
            partner_type=PartnerType.RESELLER,
            tier=None,
            region=Region.APAC,
            country="JP",
            revenue_12m=None,
            employee_count=5000,
            industries=["healthcare", "retail"],
        ),
        PartnerFactory(
            name="Delta Cloud Partners",
            partner_type=PartnerType.MSP,
            tier=tier("platinum"),
            region=Region.EMEA,
            country="FR",
            revenue_12m=Decimal("2500000"),
            lifecycle_stage=LifecycleStage.DORMANT,
            technologies=["aws", "gcp"],
        ),
    ]
    PartnerCertificationFactory(partner=partners[0], certification__slug="cloud-architect")
    return partners


# Access -------------------------------------------------------------------------------------


def _staff_urls(partner: Partner, contact: Contact) -> list[str]:
    return [
        reverse("partners:list"),
        reverse("partners:export"),
        reverse("partners:create"),
        reverse("partners:import"),
        reverse("partners:import-template", args=["partners"]),
        reverse("partners:detail", args=[partner.pk]),
        reverse("partners:update", args=[partner.pk]),
        reverse("partners:delete", args=[partner.pk]),
        reverse("partners:contact-create", args=[partner.pk]),
        reverse("partners:contact-update", args=[contact.pk]),
        reverse("partners:contact-delete", args=[contact.pk]),
    ]


def test_every_partner_page_sends_anonymous_visitors_to_login(client):
    contact = ContactFactory()
    for url in _staff_urls(contact.partner, contact):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_every_partner_page_is_forbidden_to_a_partner_user(client, partner_user):
    contact = ContactFactory()
    client.force_login(partner_user)
    for url in _staff_urls(contact.partner, contact):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("partners:delete", args=[contact.partner.pk])).status_code == 403
    assert Partner.objects.filter(pk=contact.partner.pk).exists()


def test_every_partner_page_renders_for_a_manager(staff_client):
    contact = ContactFactory()
    for url in _staff_urls(contact.partner, contact):
        assert staff_client.get(url).status_code == 200, url


# List ---------------------------------------------------------------------------------------


def test_list_shows_partners_with_tier_and_stage(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:list"))
    assert response.status_code == 200
    assert response.context["nav"] == "partners"
    content = response.content.decode()
    for partner in mixed_partners:
        assert partner.name in content
        assert reverse("partners:detail", args=[partner.pk]) in content
    assert "Platinum" in content and "Dormant" in content
    assert _page_ids(response) == sorted(
        (p.id for p in mixed_partners), key=lambda i: Partner.objects.get(id=i).name
    )


@pytest.mark.parametrize(
    "query",
    [
        "partner_type=msp",
        "partner_type=msp,si",
        "partner_type=msp&partner_type=reseller",
        "tier=gold,platinum",
        "region=emea&lifecycle_stage=active",
        "country=JP",
        "industries=healthcare",
        "technologies=aws&ordering=-revenue_12m",
        "certifications=cloud-architect",
        "has_certification=false",
        "revenue_12m_min=500000",
        "employee_count_min=1000&employee_count_max=9000",
        "has_tier=false",
        "search=cloud",
        "search=alpha cloud",
        "tier_rank_min=3",
        "ordering=-tier__rank",
        "ordering=revenue_12m",
        "ordering=not_a_field",
    ],
)
def test_list_selects_and_orders_the_same_partners_as_the_api(
    staff_client, manager_client, mixed_partners, query
):
    response = staff_client.get(f"{reverse('partners:list')}?{query}")
    assert response.status_code == 200
    assert _page_ids(response) == _api_ids(manager_client, query)


def test_list_sorts_by_a_column_header_both_ways(staff_client, mixed_partners):
    ascending = _page_ids(staff_client.get(reverse("partners:list") + "?ordering=revenue_12m"))
    descending = _page_ids(staff_client.get(reverse("partners:list") + "?ordering=-revenue_12m"))
    revenues = [Partner.objects.get(id=i).revenue_12m for i in ascending]
    known = [r for r in revenues if r is not None]
    assert known == sorted(known)
    assert descending == ascending[::-1]  # PostgreSQL: NULL sorts as largest, as in the API
    response = staff_client.get(reverse("partners:list") + "?ordering=-revenue_12m")
    column = next(c for c in response.context["columns"] if c["field"] == "revenue_12m")
    assert column["direction"] == "desc" and column["next"] == "revenue_12m"
    assert 'aria-sort="descending"' in response.content.decode()


def test_list_with_an_unknown_tier_is_a_400_with_the_error_shown(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:list") + "?tier=diamond")
    assert response.status_code == 400
    assert "tier" in response.context["query"].errors
    assert "Some filters are not valid" in response.content.decode()


def test_list_with_a_bad_number_is_a_400(staff_client):
    response = staff_client.get(reverse("partners:list") + "?revenue_12m_min=lots")
    assert response.status_code == 400
    assert "revenue_12m" in response.context["query"].errors


def test_list_with_a_null_character_in_the_search_is_a_400(staff_client):
    response = staff_client.get(reverse("partners:list") + "?search=a%00b")
    assert response.status_code == 400
    assert "search" in response.context["query"].errors


def test_filter_sidebar_keeps_filters_it_has_no_input_for(staff_client, mixed_partners):
    response = staff_client.get(
        reverse("partners:list") + "?tier_rank_min=2&search=cloud&region=emea"
    )
    hidden = response.context["sidebar"]["hidden"]
    assert ("tier_rank_min", "2") in hidden and ("search", "cloud") in hidden
    assert all(key != "region" for key, _ in hidden)


def test_list_redirects_a_query_with_blank_values_to_its_clean_url(staff_client):
    # given what the filter form sends without its script: every field, most left blank
    query = (
        "?tier=gold&annual_revenue_min=&annual_revenue_max=&revenue_12m_min=100000"
        "&joined_at_after=&has_tier=&attributes=+&search=&tier=&page="
    )

    # when
    response = staff_client.get(reverse("partners:list") + query)

    # then the list answers at the URL a person would type
    assert response.status_code == 302
    assert response["Location"] == "/partners/?tier=gold&revenue_12m_min=100000"


def test_list_with_only_blank_values_redirects_to_the_whole_list(staff_client):
    response = staff_client.get(reverse("partners:list") + "?search=&has_tier=&page=")

    assert (response.status_code, response["Location"]) == (302, "/partners/")


def test_list_links_carry_the_clean_query_only(staff_client, mixed_partners):
    PartnerFactory.create_batch(listing.PAGE_SIZE + 1, tier=tier("gold"))

    html = staff_client.get(reverse("partners:list") + "?tier=gold").content.decode()

    assert 'href="?tier=gold&amp;page=2"' in html  # the next page
    assert 'href="?tier=gold&amp;ordering=-revenue_12m"' in html  # a column header
    assert "=&amp;" not in html and '=&"' not in html  # no blank parameter anywhere


def test_list_shows_active_filters_as_removable_chips(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:list") + "?partner_type=msp,si&region=emea")
    chips = response.context["chips"]
    labels = {(chip["label"], chip["value"]) for chip in chips}
    assert ("Type", "Managed service provider") in labels
    assert ("Region", "Europe, Middle East and Africa") in labels
    msp = next(chip for chip in chips if chip["value"] == "Managed service provider")
    assert "partner_type=si" in msp["url"] and "msp" not in msp["url"]


def test_list_pages_without_counting_the_whole_set(staff_client):
    PartnerFactory.create_batch(listing.PAGE_SIZE + 5)
    with CaptureQueriesContext(connection) as queries:
        first = staff_client.get(reverse("partners:list") + "?region=emea")
    assert len(first.context["page_obj"].object_list) == listing.PAGE_SIZE
    assert first.context["page_obj"].has_next()
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)
    second = staff_client.get(reverse("partners:list") + "?region=emea&page=2")
    assert len(second.context["page_obj"].object_list) == 5
    assert not second.context["page_obj"].has_next()
    assert set(_page_ids(first)).isdisjoint(_page_ids(second))


def test_list_page_past_the_end_is_an_empty_page_not_an_error(staff_client):
    PartnerFactory()
    response = staff_client.get(reverse("partners:list") + "?page=99")
    assert response.status_code == 200
    assert "no partners on this page" in response.content.decode()
    assert staff_client.get(reverse("partners:list") + "?page=abc").status_code == 200


def test_list_total_is_the_estimate_for_a_large_unfiltered_table(staff_client, monkeypatch):
    PartnerFactory()
    monkeypatch.setattr(listing.selectors, "partner_count_estimate", lambda: 1_000_000)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("partners:list"))
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert response.context["total"].kind == "estimate"
    assert "≈ 1,000,000 partners" in response.content.decode()


def test_list_total_of_a_filter_is_capped(staff_client, monkeypatch):
    PartnerFactory.create_batch(5, region=Region.NA)
    monkeypatch.setattr(listing, "COUNT_CAP", 3)
    response = staff_client.get(reverse("partners:list") + "?region=na")
    assert response.context["total"].kind == "at_least"
    assert "3+ matching" in response.content.decode()


def test_count_estimate_reads_the_planner_statistics():
    PartnerFactory.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE partners_partner")
    assert listing.selectors.partner_count_estimate() == 3


def test_list_total_is_exact_when_small(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:list") + "?region=emea")
    assert response.context["total"].kind == "exact"
    assert response.context["total"].value == 2


def _partners_with_profiles(count: int) -> None:
    for number in range(count):
        partner = PartnerFactory(
            tier=tier("silver" if number % 2 else "gold"),
            industries=["healthcare", f"industry-{number % 3}"],
            technologies=["aws"],
        )
        PartnerCertificationFactory(partner=partner)


def _list_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("partners:list") + query)
    assert response.status_code == 200
    return len(queries)


def test_list_runs_a_constant_number_of_queries(staff_client):
    _partners_with_profiles(3)
    few = _list_queries(staff_client), _list_queries(staff_client, "?industries=healthcare")
    _partners_with_profiles(27)
    many = _list_queries(staff_client), _list_queries(staff_client, "?industries=healthcare")
    assert few == many


# Export -------------------------------------------------------------------------------------


def _csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_export_csv_has_exactly_the_filtered_partners(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:export") + "?partner_type=msp&file_format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert sorted(row["external_id"] for row in rows) == sorted(
        p.external_id for p in mixed_partners if p.partner_type == PartnerType.MSP
    )


def test_export_follows_search_and_ordering(staff_client, mixed_partners):
    response = staff_client.get(
        reverse("partners:export") + "?search=cloud&ordering=-revenue_12m&file_format=csv"
    )
    assert [row["name"] for row in _csv_rows(response)] == [
        "Delta Cloud Partners",
        "Alpha Cloud",
    ]


def test_export_xlsx_has_the_filtered_partners(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:export") + "?region=emea&file_format=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2


def test_export_with_an_unknown_format_is_a_400(staff_client):
    assert staff_client.get(reverse("partners:export") + "?file_format=pdf").status_code == 400


def test_export_with_invalid_filters_is_a_400(staff_client):
    response = staff_client.get(reverse("partners:export") + "?tier=diamond&file_format=csv")
    assert response.status_code == 400


def test_list_export_links_carry_the_current_filters(staff_client, mixed_partners):
    response = staff_client.get(reverse("partners:list") + "?region=emea&ordering=name&page=1")
    content = response.content.decode()
    assert "export/?region=emea&amp;ordering=name&amp;file_format=csv" in content
    assert "export/?region=emea&amp;ordering=name&amp;file_format=xlsx" in content


# Partner page -------------------------------------------------------------------------------


def test_detail_shows_profile_contacts_tier_progress_and_certifications(staff_client):
    partner = PartnerFactory(
        name="Zeta Systems",
        tier=tier("silver"),
        industries=["healthcare"],
        technologies=["aws"],
        attributes={"crm_owner": "Jane"},
    )
    portal_user = UserFactory(username="zeta-login")
    ContactFactory(partner=partner, first_name="Grace", last_name="Hopper", user=portal_user)
    PartnerCertificationFactory(partner=partner, certification__name="Cloud Architect")
    PerformanceRecordFactory(partner=partner, revenue=Decimal("12345"))
    response = staff_client.get(reverse("partners:detail", args=[partner.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    for text in (
        "Zeta Systems",
        "Grace Hopper",
        "zeta-login",
        "Cloud Architect",
        "crm_owner",
        "Jane",
        "Healthcare",
        "Tier progress",
        "$12,345",
    ):
        assert text in content, text
    assert response.context["progress"]["next_tier"]["slug"] == "gold"


def test_detail_of_a_missing_partner_is_a_404(staff_client):
    assert staff_client.get(reverse("partners:detail", args=[987654])).status_code == 404


def test_detail_renders_each_registered_panel_as_an_htmx_card(staff_client):
    partner = PartnerFactory()
    panels.partner_panel_register(
        key="test-panel", title="Test panel", url_name="partners:detail", order=1
    )
    try:
        response = staff_client.get(reverse("partners:detail", args=[partner.pk]))
    finally:
        panels._panels.pop("test-panel", None)
    content = response.content.decode()
    assert 'data-panel="test-panel"' in content
    assert f'hx-get="{reverse("partners:detail", args=[partner.pk])}"' in content
    assert 'hx-trigger="load"' in content
    assert "Test panel" in content


def test_detail_runs_a_constant_number_of_queries(staff_client):
    def queries_for(partner):
        with CaptureQueriesContext(connection) as queries:
            staff_client.get(reverse("partners:detail", args=[partner.pk]))
        return len(queries)

    small = PartnerFactory()
    ContactFactory(partner=small)
    big = PartnerFactory(industries=["a", "b", "c"], technologies=["x", "y"])
    ContactFactory.create_batch(8, partner=big)
    for _ in range(3):
        PartnerCertificationFactory(partner=big)
    assert queries_for(small) == queries_for(big)


# Create, edit, delete -----------------------------------------------------------------------


def _form_data(**overrides) -> dict:
    data = {
        "name": "Omega Partners",
        "external_id": "OMEGA-1",
        "partner_type": "msp",
        "tier": tier("silver").pk,
        "lifecycle_stage": "active",
        "region": "emea",
        "country": "NL",
        "employee_count": "50",
        "annual_revenue": "1000000",
        "joined_at": "2024-01-15",
        "tech_savviness": "4",
        "revenue_12m": "",
        "deals_won_12m": "",
        "industries": [],
        "new_industries": "healthcare, fin-tech",
        "technologies": [],
        "new_technologies": "aws",
        "certifications": [],
        "attributes": 'crm_owner: Jane\nseats: 12\ncode: "007"',
    }
    data.update(overrides)
    return data


def test_create_partner_saves_profile_tags_and_attributes(staff_client):
    response = staff_client.post(reverse("partners:create"), _form_data())
    partner = Partner.objects.get(external_id="OMEGA-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:detail", args=[partner.pk])
    assert partner.tier.slug == "silver" and partner.country == "NL"
    assert sorted(partner.industries.values_list("slug", flat=True)) == ["fin-tech", "healthcare"]
    assert list(partner.technologies.values_list("slug", flat=True)) == ["aws"]
    assert partner.attributes == {"crm_owner": "Jane", "seats": 12, "code": "007"}


def test_create_partner_with_errors_shows_them_and_saves_nothing(staff_client):
    response = staff_client.post(
        reverse("partners:create"),
        _form_data(name="", tech_savviness="9", partner_type="wizard", attributes="no colon"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert {"name", "tech_savviness", "partner_type", "attributes"} <= set(form.errors)
    assert "Nothing was saved" in response.content.decode()
    assert not Partner.objects.filter(external_id="OMEGA-1").exists()


def test_create_partner_with_a_taken_external_id_is_a_field_error(staff_client):
    PartnerFactory(external_id="OMEGA-1")
    response = staff_client.post(reverse("partners:create"), _form_data())
    assert response.status_code == 400
    assert "external_id" in response.context["form"].errors
    assert Partner.objects.filter(external_id="OMEGA-1").count() == 1


def test_create_partner_with_a_bad_tag_slug_is_a_field_error(staff_client):
    response = staff_client.post(reverse("partners:create"), _form_data(new_industries="Bad Tag!"))
    assert response.status_code == 400
    assert "new_industries" in response.context["form"].errors
    assert not Partner.objects.filter(external_id="OMEGA-1").exists()


def test_edit_form_shows_the_current_values(staff_client):
    partner = PartnerFactory(
        industries=["healthcare"], attributes={"seats": 12, "code": "007", "zip": "12"}
    )
    response = staff_client.get(reverse("partners:update", args=[partner.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["industries"] == ["healthcare"]
    content = response.content.decode()
    # a text that reads as JSON is quoted, so that saving the form keeps it a text
    assert "seats: 12" in content and "code: 007" in content and "zip: &quot;12&quot;" in content


def test_edit_partner_saves_changes(staff_client):
    partner = PartnerFactory(industries=["healthcare"])
    data = _form_data(
        external_id=partner.external_id,
        name="Renamed",
        industries=["healthcare"],
        new_industries="",
        new_technologies="",
        attributes="",
    )
    response = staff_client.post(reverse("partners:update", args=[partner.pk]), data)
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.name == "Renamed"
    assert list(partner.industries.values_list("slug", flat=True)) == ["healthcare"]
    assert partner.attributes == {}


def test_edit_partner_keeps_certification_dates_when_unchanged(staff_client):
    partner = PartnerFactory()
    award = PartnerCertificationFactory(partner=partner, certification__slug="cloud-architect")
    data = _form_data(
        external_id=partner.external_id, certifications=["cloud-architect"], attributes=""
    )
    earned_at = award.earned_at
    response = staff_client.post(reverse("partners:update", args=[partner.pk]), data)
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.earned_at == earned_at
    assert partner.certifications.count() == 1


def test_invalid_edit_shows_errors_and_changes_nothing(staff_client):
    partner = PartnerFactory(name="Before", industries=["healthcare"], tech_savviness=3)
    other = PartnerFactory()
    data = _form_data(
        name="After",
        external_id=other.external_id,
        tech_savviness="0",
        industries=[],
        new_industries="retail",
    )
    response = staff_client.post(reverse("partners:update", args=[partner.pk]), data)
    assert response.status_code == 400
    assert {"external_id", "tech_savviness"} <= set(response.context["form"].errors)
    partner.refresh_from_db()
    assert partner.name == "Before" and partner.tech_savviness == 3
    assert list(partner.industries.values_list("slug", flat=True)) == ["healthcare"]
    assert "Edit Before" in response.content.decode()


def test_delete_partner_asks_then_deletes(staff_client):
    partner = PartnerFactory(name="Doomed")
    ContactFactory(partner=partner)
    confirm = staff_client.get(reverse("partners:delete", args=[partner.pk]))
    assert confirm.status_code == 200 and "Doomed" in confirm.content.decode()
    assert Partner.objects.filter(pk=partner.pk).exists()
    response = staff_client.post(reverse("partners:delete", args=[partner.pk]), follow=True)
    assert not Partner.objects.filter(pk=partner.pk).exists()
    assert response.redirect_chain[-1][0] == reverse("partners:list")
    assert "Partner “Doomed” deleted." in response.content.decode()


def test_delete_partner_that_is_protected_shows_a_message(staff_client, monkeypatch):
    partner = PartnerFactory(name="Kept")

    def refuse(*, partner):
        raise ProtectedError("protected", set())

    monkeypatch.setattr("partners.views.partners.services.partner_delete", refuse)
    response = staff_client.post(reverse("partners:delete", args=[partner.pk]), follow=True)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert Partner.objects.filter(pk=partner.pk).exists()


# Contacts -----------------------------------------------------------------------------------


def _contact_data(**overrides) -> dict:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada@Example.com",
        "role": "technical",
        "job_title": "CTO",
        "phone": "",
        "language": "en",
        "interests": "cloud, security",
        "email_opt_in": "on",
    }
    data.update(overrides)
    return data


def test_add_contact_from_the_partner_page(staff_client):
    partner = PartnerFactory()
    response = staff_client.post(
        reverse("partners:contact-create", args=[partner.pk]), _contact_data()
    )
    assert response.status_code == 302
    contact = partner.contacts.get()
    assert contact.email == "ada@example.com"
    assert contact.interests == ["cloud", "security"] and contact.email_opt_in
    assert not contact.is_partner_admin


def test_add_contact_with_a_taken_email_shows_the_error_and_saves_nothing(staff_client):
    ContactFactory(email="ada@example.com")
    partner = PartnerFactory()
    response = staff_client.post(
        reverse("partners:contact-create", args=[partner.pk]), _contact_data()
    )
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    assert not partner.contacts.exists()


def test_add_contact_with_missing_fields_is_a_400(staff_client):
    partner = PartnerFactory()
    response = staff_client.post(
        reverse("partners:contact-create", args=[partner.pk]),
        _contact_data(first_name="", role="", email="not-an-email"),
    )
    assert response.status_code == 400
    assert {"first_name", "role", "email"} <= set(response.context["form"].errors)
    assert not partner.contacts.exists()


def test_edit_contact(staff_client):
    contact = ContactFactory(first_name="Old")
    response = staff_client.post(
        reverse("partners:contact-update", args=[contact.pk]),
        _contact_data(first_name="New", email=contact.email, is_partner_admin="on"),
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "New" and contact.role == "technical"
    assert contact.is_partner_admin


def test_invalid_contact_edit_changes_nothing(staff_client):
    contact = ContactFactory(first_name="Old")
    response = staff_client.post(
        reverse("partners:contact-update", args=[contact.pk]),
        _contact_data(first_name="New", email="broken"),
    )
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.first_name == "Old"


def test_delete_contact_asks_then_deletes_keeping_the_login(staff_client):
    user = UserFactory(username="kept-login")
    contact = ContactFactory(user=user)
    confirm = staff_client.get(reverse("partners:contact-delete", args=[contact.pk]))
    assert "kept-login" in confirm.content.decode()
    response = staff_client.post(reverse("partners:contact-delete", args=[contact.pk]))
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()
    user.refresh_from_db()
    assert user.pk


def test_contact_delete_only_by_post(staff_client):
    contact = ContactFactory()
    staff_client.get(reverse("partners:contact-delete", args=[contact.pk]))
    assert Contact.objects.filter(pk=contact.pk).exists()
