"""The applications queue (prm/queues.py on portal/views/apply.py): newest first, search,
state tabs, pagination that keeps them, confirmations, and all-or-nothing bulk decisions."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from partners import onboarding
from partners.models import LifecycleStage, Partner
from tests.partners.factories import ContactFactory, PartnerFactory

pytestmark = pytest.mark.django_db

APPLICATIONS = reverse("portal:applications")
BULK = reverse("portal:applications-bulk")


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def applicant(name: str, *, days_ago: int = 0, **contact) -> Partner:
    """An applicant partner with its admin contact, applied `days_ago` days ago."""
    partner = PartnerFactory(name=name, lifecycle_stage=LifecycleStage.APPLICANT, tier=None)
    ContactFactory(partner=partner, is_partner_admin=True, **contact)
    Partner.objects.filter(pk=partner.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return partner


def names(response) -> list[str]:
    return [partner.name for partner in response.context["applicants"]]


def stage(partner: Partner) -> str:
    partner.refresh_from_db()
    return partner.lifecycle_stage


class TestTheList:
    def test_newest_first_pending_by_default(self, staff):
        applicant("Old Co", days_ago=9)
        applicant("New Co", days_ago=1)
        applicant("Mid Co", days_ago=5)
        PartnerFactory(name="Active Partner")
        response = staff.get(APPLICATIONS)
        assert response.status_code == 200
        assert names(response) == ["New Co", "Mid Co", "Old Co"]
        assert response.context["queue_state"].value == "pending"

    def test_the_state_filter_shows_decided_applications(self, staff, manager):
        approved, declined = applicant("Approved Co"), applicant("Declined Co")
        applicant("Waiting Co")
        onboarding.partner_application_approve(partner=approved, by=manager)
        onboarding.partner_application_reject(partner=declined, by=manager, reason="No.")
        assert names(staff.get(APPLICATIONS, {"state": "approved"})) == ["Approved Co"]
        response = staff.get(APPLICATIONS, {"state": "rejected"})
        assert names(response) == ["Declined Co"]
        assert "“No.”" in response.content.decode()
        counts = {s["value"]: s["count"] for s in response.context["queue_states"]}
        assert counts == {"pending": 1, "approved": 1, "rejected": 1}

    def test_an_unknown_state_is_a_400_with_the_field(self, staff):
        response = staff.get(APPLICATIONS, {"state": "lost"})
        assert response.status_code == 400
        assert "state" in response.context["queue_filter"].errors

    @pytest.mark.parametrize(
        "query", ["northwind", "Nora", "nora north", "NORA@NORTHWIND.example", "north clinic"]
    )
    def test_search_by_company_contact_name_or_email(self, staff, query):
        partner = applicant(
            "Northwind Clinics",
            first_name="Nora",
            last_name="North",
            email="nora@northwind.example",
        )
        # a second matching contact does not list the company twice
        ContactFactory(partner=partner, first_name="Nora", last_name="Northby")
        applicant("Contoso", first_name="Carl", last_name="Cole", email="carl@contoso.example")
        assert names(staff.get(APPLICATIONS, {"q": query})) == ["Northwind Clinics"]

    def test_search_with_no_match_says_so(self, staff):
        applicant("Contoso")
        response = staff.get(APPLICATIONS, {"q": "zzz"})
        assert names(response) == []
        assert "No application matches this search." in response.content.decode()

    def test_fifty_a_page_and_the_page_links_keep_the_filters(self, staff):
        for number in range(55):
            applicant(f"Acme {number:02d}", days_ago=number)
        applicant("Other")
        response = staff.get(APPLICATIONS, {"q": "acme", "state": "pending"})
        assert len(names(response)) == 50
        assert names(response)[0] == "Acme 00"
        body = response.content.decode()
        next_link = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', body).group(1)
        assert "q=acme" in next_link and "state=pending" in next_link
        page_two = staff.get(APPLICATIONS + next_link.replace("&amp;", "&"))
        assert names(page_two) == [f"Acme {n}" for n in range(50, 55)]

    def test_the_page_has_a_constant_number_of_queries(self, staff, django_assert_num_queries):
        for number in range(3):
            applicant(f"Few {number}")
        with django_assert_num_queries(QUERIES_PER_PAGE):
            assert staff.get(APPLICATIONS, {"q": "few"}).status_code == 200
        for number in range(40):
            partner = applicant(f"Many {number}")
            ContactFactory(partner=partner)
        with django_assert_num_queries(QUERIES_PER_PAGE):
            assert staff.get(APPLICATIONS, {"q": "many"}).status_code == 200

    def test_partner_users_are_refused(self, client, partner_user):
        client.force_login(partner_user)
        assert client.get(APPLICATIONS).status_code == 403
        assert client.post(BULK, {"ids": [1], "action": "approve"}).status_code == 403


# session, user, the state counts, the page count, the rows, industries, technologies,
# contacts
QUERIES_PER_PAGE = 8


class TestConfirmations:
    def test_the_list_has_the_modal_and_confirm_links(self, staff):
        partner = applicant("Northwind")
        body = staff.get(APPLICATIONS).content.decode()
        assert 'id="queue-confirm"' in body and "data-queue-modal-form" in body
        approve = reverse("portal:application-approve", args=[partner.pk])
        assert f'data-queue-url="{approve}"' in body
        assert 'data-queue-confirm="row"' in body and 'data-queue-confirm="bulk"' in body
        assert f'name="ids" value="{partner.pk}" form="queue-bulk"' in body
        assert "js/queue.js" in body

    def test_without_javascript_approve_leads_to_a_confirm_page(self, staff):
        partner = applicant("Northwind")
        url = reverse("portal:application-approve", args=[partner.pk])
        response = staff.get(url, {"q": "north"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-queue-confirm-page" in body and "Approve Northwind?" in body
        assert f'action="{url}"' in body and "csrfmiddlewaretoken" in body
        assert 'name="q" value="north"' in body
        assert stage(partner) == LifecycleStage.APPLICANT

    def test_the_decline_confirm_page_asks_for_an_optional_reason(self, staff):
        partner = applicant("Northwind")
        response = staff.get(reverse("portal:application-reject", args=[partner.pk]))
        assert "Reason (optional, sent to the applicant)" in response.content.decode()

    def test_an_unconfirmed_bulk_post_answers_the_confirm_page(self, staff):
        first, second = applicant("First Co"), applicant("Second Co")
        response = staff.post(BULK, {"ids": [first.pk, second.pk], "action": "approve"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-queue-confirm-page" in body and "Approve 2 applications?" in body
        assert "First Co" in body and "Second Co" in body
        assert body.count('name="ids"') == 2 and 'name="confirmed" value="1"' in body
        assert stage(first) == stage(second) == LifecycleStage.APPLICANT

    def test_the_confirm_page_of_a_decided_application_offers_nothing(self, staff, manager):
        partner = applicant("Northwind")
        onboarding.partner_application_approve(partner=partner, by=manager)
        response = staff.get(reverse("portal:application-reject", args=[partner.pk]))
        body = response.content.decode()
        assert "None of the selected applications is in the queue any more." in body
        assert re.search(r'<button class="btn btn-danger" type="submit" disabled>', body)

    def test_the_bulk_confirm_page_marks_a_row_decided_meanwhile(self, staff, manager):
        waiting, decided = applicant("Waiting Co"), applicant("Decided Co")
        onboarding.partner_application_approve(partner=decided, by=manager)
        response = staff.post(BULK, {"ids": [waiting.pk, decided.pk], "action": "reject"})
        body = response.content.decode()
        assert "Decided Co (already decided, refused)" in body
        assert "Waiting Co</li>" in body

    def test_posts_need_the_csrf_token(self, manager):
        partner = applicant("Northwind")
        client = Client(enforce_csrf_checks=True)
        client.force_login(manager)
        data = {"ids": [partner.pk], "action": "approve", "confirmed": "1"}
        assert client.post(BULK, data).status_code == 403
        approve = reverse("portal:application-approve", args=[partner.pk])
        assert client.post(approve).status_code == 403
        assert stage(partner) == LifecycleStage.APPLICANT


class TestBulk:
    def test_bulk_approve_decides_each_and_says_how_many(
        self, staff, django_capture_on_commit_callbacks
    ):
        first, second = applicant("First Co"), applicant("Second Co")
        third = applicant("Third Co")
        data = {
            "ids": [first.pk, second.pk],
            "action": "approve",
            "confirmed": "1",
            "q": "co",
            "state": "pending",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(BULK, data)
        assert response.status_code == 302
        assert response.url == f"{APPLICATIONS}?state=pending&q=co"
        assert stage(first) == stage(second) == LifecycleStage.ONBOARDING
        assert stage(third) == LifecycleStage.APPLICANT
        assert len(mail.outbox) == 2  # the welcome of each
        page = staff.get(response.url)
        assert "2 applications approved." in page.content.decode()
        assert names(page) == ["Third Co"]

    def test_bulk_decline_sends_the_reason_to_each(self, staff, django_capture_on_commit_callbacks):
        first, second = applicant("First Co"), applicant("Second Co")
        data = {
            "ids": [first.pk, second.pk],
            "action": "reject",
            "confirmed": "1",
            "reason": "Outside our regions.",
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(BULK, data, follow=True)
        assert "2 applications declined." in response.content.decode()
        assert stage(first) == stage(second) == LifecycleStage.CHURNED
        assert len(mail.outbox) == 2
        assert all("Outside our regions." in message.body for message in mail.outbox)

    def test_a_row_no_longer_pending_refuses_the_whole_selection(
        self, staff, manager, django_capture_on_commit_callbacks
    ):
        first, decided, last = applicant("First Co"), applicant("Decided Co"), applicant("Last")
        onboarding.partner_application_reject(partner=decided, by=manager, reason="No.")
        data = {"ids": [first.pk, decided.pk, last.pk], "action": "approve", "confirmed": "1"}
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(BULK, data)
        assert response.status_code == 409
        body = response.content.decode()
        assert "Nothing was approved" in body and "1 of the 3 selected" in body
        assert "Decided Co: already decided" in body
        assert stage(first) == stage(last) == LifecycleStage.APPLICANT
        assert stage(decided) == LifecycleStage.CHURNED
        assert mail.outbox == []

    def test_a_service_refusal_half_way_undoes_the_rows_before_it(
        self, staff, manager, monkeypatch, django_capture_on_commit_callbacks
    ):
        first, second = applicant("First Co"), applicant("Second Co")
        approve = onboarding.partner_application_approve

        def approve_then_refuse_the_second(*, partner, by):
            if partner.pk == second.pk:
                # as if another manager decided it between the check and the decision
                Partner.objects.filter(pk=second.pk).update(lifecycle_stage="churned")
            return approve(partner=partner, by=by)

        monkeypatch.setattr(
            onboarding, "partner_application_approve", approve_then_refuse_the_second
        )
        data = {"ids": [first.pk, second.pk], "action": "approve", "confirmed": "1"}
        with django_capture_on_commit_callbacks(execute=True):
            response = staff.post(BULK, data)
        assert response.status_code == 409
        assert "already been decided" in response.content.decode()
        assert stage(first) == LifecycleStage.APPLICANT
        assert mail.outbox == []

    @pytest.mark.parametrize(
        "data",
        [
            {"action": "approve", "confirmed": "1"},
            {"ids": ["x"], "action": "approve", "confirmed": "1"},
            {"ids": ["1"], "action": "delete", "confirmed": "1"},
        ],
    )
    def test_bad_input_is_a_400_with_the_field(self, staff, data):
        partner = applicant("Northwind")
        response = staff.post(BULK, data)
        assert response.status_code == 400
        assert "Selection:" in response.content.decode() or "Action:" in (response.content.decode())
        assert stage(partner) == LifecycleStage.APPLICANT

    def test_an_unknown_row_is_refused(self, staff):
        partner = applicant("Northwind")
        data = {"ids": [partner.pk, 987654], "action": "approve", "confirmed": "1"}
        response = staff.post(BULK, data)
        assert response.status_code == 409
        assert "#987654: not found" in response.content.decode()
        assert stage(partner) == LifecycleStage.APPLICANT

    def test_a_single_decision_keeps_the_filters(self, staff):
        partner = applicant("Northwind")
        url = reverse("portal:application-approve", args=[partner.pk])
        response = staff.post(url, {"q": "north", "state": "pending", "confirmed": "1"})
        assert response.status_code == 302
        assert response.url == f"{APPLICATIONS}?state=pending&q=north"
        assert stage(partner) == LifecycleStage.ONBOARDING

    def test_a_single_decision_on_a_decided_row_is_a_409(self, staff, manager):
        partner = applicant("Northwind")
        onboarding.partner_application_approve(partner=partner, by=manager)
        url = reverse("portal:application-reject", args=[partner.pk])
        response = staff.post(url, {"reason": "Late."})
        assert response.status_code == 409
        assert "already been decided" in response.content.decode()
        assert stage(partner) == LifecycleStage.ONBOARDING
