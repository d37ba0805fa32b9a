"""The tier changes queue (prm/queues.py on partners/tiers/views.py): newest first, search by
partner, state tabs, pagination that keeps them, confirmations, all-or-nothing bulk
decisions, and the API's ?search= through the same FilterSet."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.models import (
    TierChange,
    TierChangeDirection,
    TierChangeSource,
    TierChangeStatus,
)
from tests.partners.factories import PartnerFactory, tier

pytestmark = pytest.mark.django_db

QUEUE = reverse("tiers:changes")
BULK = reverse("tiers:changes-bulk")


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def change(name: str, *, days_ago: int = 0, status=TierChangeStatus.PENDING, **partner):
    """A silver → gold change of a silver partner `name`, found `days_ago` days ago."""
    partner = PartnerFactory(name=name, tier=tier("silver"), **partner)
    row = TierChange.objects.create(
        partner=partner,
        from_tier=tier("silver"),
        to_tier=tier("gold"),
        direction=TierChangeDirection.UP,
        source=TierChangeSource.SCHEDULE,
        status=status,
    )
    TierChange.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return row


def names(response) -> list[str]:
    return [row.partner.name for row in response.context["page_obj"].object_list]


def status(row: TierChange) -> str:
    row.refresh_from_db()
    return row.status


class TestTheList:
    def test_newest_first_pending_by_default(self, staff):
        change("Old", days_ago=9)
        change("New", days_ago=1)
        change("Mid", days_ago=4)
        change("Done", status=TierChangeStatus.APPLIED)
        response = staff.get(QUEUE)
        assert response.status_code == 200
        assert names(response) == ["New", "Mid", "Old"]
        assert response.context["nav"] == "tiers"

    def test_the_state_filter(self, staff):
        change("Waiting")
        change("Applied", status=TierChangeStatus.APPLIED)
        change("Refused", status=TierChangeStatus.REJECTED)
        change("Overtaken", status=TierChangeStatus.SUPERSEDED)
        for state, expected in [
            ("applied", ["Applied"]),
            ("rejected", ["Refused"]),
            ("superseded", ["Overtaken"]),
        ]:
            assert names(staff.get(QUEUE, {"state": state})) == expected
        response = staff.get(QUEUE, {"state": "rejected"})
        assert 'data-queue-confirm="row"' not in response.content.decode()
        assert staff.get(QUEUE, {"state": "nope"}).status_code == 400

    @pytest.mark.parametrize("query", ["northwind", "WIND", "EXT-42"])
    def test_search_by_partner_name_or_external_id(self, staff, query):
        change("Northwind Traders", external_id="EXT-42")
        change("Contoso", external_id="EXT-7")
        assert names(staff.get(QUEUE, {"q": query})) == ["Northwind Traders"]

    def test_fifty_a_page_and_the_page_links_keep_the_filters(self, staff):
        for number in range(52):
            change(f"Acme {number:02d}", days_ago=number)
        response = staff.get(QUEUE, {"q": "acme", "state": "pending"})
        assert len(names(response)) == 50
        body = response.content.decode()
        next_link = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', body).group(1)
        assert "q=acme" in next_link and "state=pending" in next_link
        assert names(staff.get(QUEUE + next_link.replace("&amp;", "&"))) == ["Acme 50", "Acme 51"]

    def test_the_page_has_a_constant_number_of_queries(self, staff, django_assert_num_queries):
        for number in range(2):
            change(f"Few {number}")
        # session, user, the state counts, the page count, the rows (partner, tiers, decider)
        with django_assert_num_queries(5):
            assert staff.get(QUEUE, {"q": "few"}).status_code == 200
        for number in range(30):
            change(f"Many {number}")
        with django_assert_num_queries(5):
            assert staff.get(QUEUE, {"q": "many"}).status_code == 200

    def test_partner_users_are_refused(self, client, partner_user):
        row = change("Northwind")
        client.force_login(partner_user)
        assert client.get(QUEUE).status_code == 403
        data = {"ids": [row.pk], "action": "approve", "confirmed": "1"}
        assert client.post(BULK, data).status_code == 403
        assert status(row) == TierChangeStatus.PENDING

    def test_the_tier_page_links_to_the_queue(self, staff):
        assert f'href="{QUEUE}"' in staff.get(reverse("tiers:list")).content.decode()


class TestConfirmations:
    def test_the_queue_has_the_modal_and_confirm_links(self, staff):
        row = change("Northwind")
        body = staff.get(QUEUE).content.decode()
        assert 'id="queue-confirm"' in body and "js/queue.js" in body
        assert f'data-queue-ids="{row.pk}"' in body and 'data-queue-confirm="bulk"' in body
        assert f'name="ids" value="{row.pk}" form="queue-bulk"' in body

    def test_without_javascript_a_row_action_leads_to_a_confirm_page(self, staff):
        row = change("Northwind")
        response = staff.get(BULK, {"ids": row.pk, "action": "reject", "q": "north"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-queue-confirm-page" in body and "Reject Northwind (Silver → Gold)?" in body
        assert f'name="ids" value="{row.pk}"' in body and 'name="q" value="north"' in body
        assert status(row) == TierChangeStatus.PENDING

    def test_a_get_never_decides(self, staff):
        row = change("Northwind")
        staff.get(BULK, {"ids": row.pk, "action": "approve", "confirmed": "1"})
        assert status(row) == TierChangeStatus.PENDING

    def test_approve_on_the_tier_page_asks_first(self, staff):
        change("Northwind")
        body = staff.get(reverse("tiers:list")).content.decode()
        assert 'hx-confirm="Approve this move? Northwind moves to Gold."' in body


class TestBulk:
    def test_bulk_approve_moves_each_partner_and_says_how_many(self, staff, manager):
        first, second, other = change("First"), change("Second"), change("Other")
        data = {"ids": [first.pk, second.pk], "action": "approve", "confirmed": "1", "q": "s"}
        response = staff.post(BULK, data)
        assert response.status_code == 302 and response.url == f"{QUEUE}?q=s"
        for row in (first, second):
            assert status(row) == TierChangeStatus.APPLIED
            row.partner.refresh_from_db()
            assert row.partner.tier == tier("gold") and row.decided_by == manager
        assert status(other) == TierChangeStatus.PENDING
        assert "2 tier changes approved." in staff.get(response.url).content.decode()

    def test_bulk_reject_keeps_the_tiers(self, staff):
        first, second = change("First"), change("Second")
        data = {"ids": [first.pk, second.pk], "action": "reject", "confirmed": "1"}
        response = staff.post(BULK, data, follow=True)
        assert "2 tier changes rejected." in response.content.decode()
        for row in (first, second):
            assert status(row) == TierChangeStatus.REJECTED
            row.partner.refresh_from_db()
            assert row.partner.tier == tier("silver")

    def test_a_row_no_longer_pending_refuses_the_whole_selection(self, staff):
        first = change("First")
        decided = change("Decided", status=TierChangeStatus.REJECTED)
        data = {"ids": [first.pk, decided.pk], "action": "approve", "confirmed": "1"}
        response = staff.post(BULK, data)
        assert response.status_code == 409
        body = response.content.decode()
        assert "Nothing was approved: 1 of the 2 selected tier changes" in body
        assert "Decided (Silver → Gold): already decided" in body
        assert status(first) == TierChangeStatus.PENDING
        first.partner.refresh_from_db()
        assert first.partner.tier == tier("silver")

    def test_bad_ids_are_a_400(self, staff):
        response = staff.post(BULK, {"ids": ["1; drop"], "action": "approve", "confirmed": "1"})
        assert response.status_code == 400
        assert "is not a row id" in response.content.decode()


def test_the_api_searches_by_partner(manager_client):
    wanted = change("Northwind Traders")
    change("Contoso")
    response = manager_client.get("/api/tier-changes/", {"search": "northwind traders"})
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [row["id"] for row in rows] == [wanted.pk]
