"""End customers in the API: managers list, search and correct them; partner users never
see the list (it is every partner's customers)."""

import pytest

from deals.models import Account
from tests.deals.factories import AccountFactory, DealRegistrationFactory

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/accounts/"


def test_managers_list_customers_with_their_registration_counts(manager_client):
    # given a customer named by two registrations, one of them open
    acme = AccountFactory(name="Acme Widgets GmbH", normalized_name="acme widgets")
    DealRegistrationFactory(account=acme, status="submitted")
    DealRegistrationFactory(account=acme, status="lost")
    AccountFactory(name="Globex Corp", normalized_name="globex")
    # when a manager searches
    answer = manager_client.get(ACCOUNTS, {"search": "acme"}).json()
    # then the customer comes with its counts
    assert [row["name"] for row in answer["results"]] == ["Acme Widgets GmbH"]
    assert (answer["results"][0]["deal_count"], answer["results"][0]["open_deal_count"]) == (2, 1)


def test_the_list_filters_by_country_and_takes_constant_queries(
    manager_client, django_assert_max_num_queries
):
    for index in range(3):
        DealRegistrationFactory(account=AccountFactory(country="FR", name=f"Client {index} SA"))
    AccountFactory(country="DE")
    with django_assert_max_num_queries(6):
        answer = manager_client.get(ACCOUNTS, {"country": "FR"}).json()
    assert answer["count"] == 3


def test_a_manager_corrects_a_customer_and_its_normalised_name_follows(manager_client):
    account = AccountFactory(name="Acme Widgts GmbH", normalized_name="acme widgts")
    response = manager_client.patch(
        f"{ACCOUNTS}{account.pk}/",
        {"name": "Acme Widgets GmbH", "domain": "https://www.acme-widgets.de/"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["normalized_name"], response.json()["domain"]) == (
        "acme widgets",
        "acme-widgets.de",
    )


def test_a_correction_is_refused_by_field_and_changes_nothing(manager_client):
    AccountFactory(domain="globex.com")
    account = AccountFactory(name="Acme", normalized_name="acme", domain="acme.de")
    taken = manager_client.patch(f"{ACCOUNTS}{account.pk}/", {"domain": "globex.com"})
    assert taken.status_code == 400
    assert "domain" in taken.json()
    bad = manager_client.patch(f"{ACCOUNTS}{account.pk}/", {"name": "", "country": "ZZ"})
    assert bad.status_code == 400
    assert {"name", "country"} <= set(bad.json())
    account.refresh_from_db()
    assert (account.name, account.domain) == ("Acme", "acme.de")
    assert Account.objects.count() == 2


def test_partner_users_are_refused(partner_client):
    AccountFactory()
    assert partner_client.get(ACCOUNTS).status_code == 403
