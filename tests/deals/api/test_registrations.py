"""The deals API end to end: registering (draft or submitted at once), editing a draft, every
transition with its 409, the incentive preview, the list's filters, the CSV, and what a partner
user may see and do (their own company only, never another partner's name in a conflict)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import (
    ConflictMatch,
    DealConflict,
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
    IncentiveRule,
)
from deals.services import deal_approve, deal_create, deal_submit
from tests.deals.factories import DealRegistrationFactory, IncentiveRuleFactory
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory, tier
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

DEALS = "/api/deals/"
CLOSE = (timezone.localdate() + dt.timedelta(days=45)).isoformat()


def body(**changes) -> dict:
    data = {
        "account": {
            "name": "Acme Widgets GmbH",
            "domain": "https://www.Acme.de/x",
            "country": "DE",
        },
        "name": "Acme data platform",
        "amount": "120000.00",
        "currency": "EUR",
        "expected_close_date": CLOSE,
        "products": [],
    }
    return {**data, **changes}


@pytest.fixture
def own_partner(partner_user):
    return partner_user.contact.partner


def submitted_for(partner, manager, **changes):
    data = {
        "account_name": "Acme Widgets GmbH",
        "account_domain": "acme.de",
        "account_country": "DE",
        "name": "Acme data platform",
        "amount": "120000",
        "currency": "EUR",
        "expected_close_date": CLOSE,
        **changes,
    }
    return deal_create(partner=partner, user=manager, submit=True, **data)


# -- registering -------------------------------------------------------------------------


def test_a_manager_registers_a_draft_for_a_partner(manager_client):
    # given a partner
    partner = PartnerFactory()
    # when a manager registers a deal for it
    response = manager_client.post(DEALS, body(partner=partner.pk), format="json")
    # then a draft is stored, with its customer normalised
    assert response.status_code == 201, response.json()
    answer = response.json()
    assert answer["state"] == "draft"
    assert answer["partner"] == partner.pk
    assert answer["account"]["normalized_name"] == "acme widgets"
    assert answer["account"]["domain"] == "acme.de"
    assert answer["incentive"] is None
    assert [step["to_status"] for step in answer["history"]] == ["draft"]
    assert DealRegistration.objects.get(pk=answer["id"]).partner == partner


def test_a_manager_must_name_the_partner(manager_client):
    response = manager_client.post(DEALS, body(), format="json")
    assert response.status_code == 400
    assert "partner" in response.json()
    assert not DealRegistration.objects.exists()


def test_bad_input_is_refused_by_field_and_writes_nothing(partner_client):
    # when the registration has a bad currency, a past close date and an unknown product
    response = partner_client.post(
        DEALS,
        body(
            currency="EURO",
            expected_close_date="2001-01-01",
            products=["no-such-tech"],
            account={"name": "Acme", "domain": "not a domain", "country": "ZZ"},
        ),
        format="json",
    )
    # then every bad field is named under the API's names, and nothing was written
    assert response.status_code == 400
    errors = response.json()
    assert {"currency", "expected_close_date", "products", "account"} <= set(errors)
    assert set(errors["account"]) == {"domain", "country"}
    assert not DealRegistration.objects.exists()


def test_a_partner_user_registers_for_their_own_company_only(partner_client, own_partner):
    # when they register without naming a partner, it is their company's
    mine = partner_client.post(DEALS, body(), format="json")
    assert mine.status_code == 201
    assert mine.json()["partner"] == own_partner.pk
    # when they name another company, it is refused
    other = PartnerFactory()
    theirs = partner_client.post(DEALS, body(partner=other.pk), format="json")
    assert theirs.status_code == 400
    assert "partner" in theirs.json()
    assert not DealRegistration.objects.filter(partner=other).exists()


def test_registering_with_submit_true_submits_at_once_and_auto_approves_small_deals(
    partner_client, own_partner
):
    # given a rule that auto-approves EUR deals under 10,000
    rule = IncentiveRuleFactory(
        name="Small deals", discount_pct=Decimal("8"), auto_approve_below=Decimal("10000")
    )
    # when the partner registers a small deal and submits it at once
    response = partner_client.post(DEALS, body(amount="5000", submit=True), format="json")
    # then it is approved with the rule's incentive locked in
    assert response.status_code == 201
    answer = response.json()
    assert answer["state"] == "approved"
    assert answer["incentive"]["rule"] == rule.pk
    assert answer["incentive"]["discount_pct"] == "8.00"
    assert answer["incentive"]["locked"] is True
    assert answer["protection_days_left"] == 90
    assert [step["action"] for step in answer["history"]] == ["create", "submit", "auto_approve"]


def test_a_draft_is_edited_and_a_submitted_one_is_refused_409(partner_client, own_partner):
    deal = partner_client.post(DEALS, body(), format="json").json()
    # when the draft is changed
    edited = partner_client.patch(
        f"{DEALS}{deal['id']}/", {"amount": "150000", "notes": "Phase two"}, format="json"
    )
    assert edited.status_code == 200
    assert (edited.json()["amount"], edited.json()["notes"]) == ("150000.00", "Phase two")
    # when it is submitted and changed again
    partner_client.post(f"{DEALS}{deal['id']}/submit/")
    frozen = partner_client.patch(f"{DEALS}{deal['id']}/", {"amount": "1"}, format="json")
    # then the change is refused with the state, and nothing changed
    assert frozen.status_code == 409
    assert frozen.json()["state"] == "submitted"
    assert DealRegistration.objects.get(pk=deal["id"]).amount == Decimal("150000")


def test_put_is_not_offered(manager_client):
    deal = DealRegistrationFactory()
    response = manager_client.put(f"{DEALS}{deal.pk}/", body(), format="json")
    assert response.status_code == 405


# -- transitions -----------------------------------------------------------------------


def test_submit_reports_the_state_and_the_conflicts_with_their_evidence(manager_client, manager):
    # given another partner's open registration for the same customer
    rival = submitted_for(PartnerFactory(name="Rival Systems"), manager)
    partner = PartnerFactory()
    draft = manager_client.post(DEALS, body(partner=partner.pk), format="json").json()
    # when the manager submits the second one
    response = manager_client.post(f"{DEALS}{draft['id']}/submit/")
    # then it is submitted, flagged against the first, with the evidence
    assert response.status_code == 200
    answer = response.json()
    assert answer["state"] == "submitted"
    assert answer["has_conflict"] is True
    assert answer["conflicts"] == [
        {
            "deal": rival.pk,
            "partner": rival.partner_id,
            "partner_name": "Rival Systems",
            "reason": "domain",
            "similarity": 1.0,
            "products": [],
        }
    ]


def test_a_partner_user_sees_that_a_conflict_exists_but_not_with_whom(
    partner_client, own_partner, manager
):
    rival = submitted_for(PartnerFactory(name="Rival Systems"), manager)
    draft = partner_client.post(DEALS, body(), format="json").json()
    response = partner_client.post(f"{DEALS}{draft['id']}/submit/")
    assert response.status_code == 200
    answer = response.json()
    assert answer["has_conflict"] is True
    assert answer["conflicts"] == [{"reason": ConflictMatch.DOMAIN}]
    text = response.content.decode()
    assert "Rival Systems" not in text
    assert f'"deal": {rival.pk}' not in text and "partner_name" not in text


def test_an_invalid_transition_is_409_with_the_current_state(manager_client, manager):
    deal = submitted_for(PartnerFactory(), manager)
    deal_approve(deal=deal, user=manager)
    for action in ("submit", "approve", "reject", "withdraw"):
        response = manager_client.post(f"{DEALS}{deal.pk}/{action}/", {"reason": "x"})
        assert response.status_code == 409, action
        assert response.json()["state"] == "approved"
        assert response.json()["detail"]
    assert DealTransition.objects.filter(deal=deal).count() == 3  # create, submit, approve


def test_reject_needs_a_reason_and_records_it(manager_client, manager):
    deal = submitted_for(PartnerFactory(), manager)
    missing = manager_client.post(f"{DEALS}{deal.pk}/reject/", {})
    assert missing.status_code == 400
    assert "reason" in missing.json()
    rejected = manager_client.post(f"{DEALS}{deal.pk}/reject/", {"reason": "Customer is direct"})
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["decision_reason"] == "Customer is direct"
    last = rejected.json()["history"][-1]
    assert (last["action"], last["actor"], last["reason"]) == (
        "reject",
        "manager",
        "Customer is direct",
    )


def test_approve_locks_the_incentive_and_a_later_rule_change_leaves_it(manager_client, manager):
    rule = IncentiveRuleFactory(discount_pct=Decimal("12"), protection_days=60)
    deal = submitted_for(PartnerFactory(), manager)
    approved = manager_client.post(f"{DEALS}{deal.pk}/approve/", {"reason": "Good fit"})
    assert approved.status_code == 200
    assert approved.json()["incentive"]["discount_pct"] == "12.00"
    # when the rule changes through the API
    changed = manager_client.patch(
        f"/api/incentive-rules/{rule.pk}/", {"discount_pct": "3"}, format="json"
    )
    assert changed.status_code == 200
    # then the approved registration keeps what it was approved with
    again = manager_client.get(f"{DEALS}{deal.pk}/").json()
    assert again["incentive"]["discount_pct"] == "12.00"
    assert again["protection_ends_on"] == (timezone.localdate() + dt.timedelta(days=60)).isoformat()


def test_a_partner_user_cannot_decide_on_their_own_registration(partner_client, own_partner):
    draft = partner_client.post(DEALS, body(), format="json").json()
    partner_client.post(f"{DEALS}{draft['id']}/submit/")
    for action in ("approve", "reject", "extension-approve", "extension-reject"):
        response = partner_client.post(f"{DEALS}{draft['id']}/{action}/", {"reason": "self"})
        assert response.status_code == 403, action
    assert DealRegistration.objects.get(pk=draft["id"]).status == DealStatus.SUBMITTED


def test_the_partner_withdraws_closes_and_asks_for_an_extension(
    partner_client, own_partner, manager, manager_client
):
    # withdraw a submitted one
    first = partner_client.post(DEALS, body(submit=True), format="json").json()
    withdrawn = partner_client.post(f"{DEALS}{first['id']}/withdraw/", {"reason": "Paused"})
    assert withdrawn.json()["state"] == "withdrawn"
    # an approved one: ask for an extension once, which the manager grants
    second = partner_client.post(DEALS, body(submit=True), format="json").json()
    manager_client.post(f"{DEALS}{second['id']}/approve/")
    ends = DealRegistration.objects.get(pk=second["id"]).protection_ends_on
    asked = partner_client.post(
        f"{DEALS}{second['id']}/extend/", {"days": 30, "reason": "Budget moved to Q3"}
    )
    assert asked.status_code == 200
    assert asked.json()["extension_status"] == ExtensionStatus.REQUESTED
    again = partner_client.post(f"{DEALS}{second['id']}/extend/", {"days": 30, "reason": "Again"})
    assert again.status_code == 409
    granted = manager_client.post(f"{DEALS}{second['id']}/extension-approve/")
    assert granted.json()["extension_status"] == ExtensionStatus.APPROVED
    assert granted.json()["protection_ends_on"] == (ends + dt.timedelta(days=30)).isoformat()
    # then mark it won
    won = partner_client.post(f"{DEALS}{second['id']}/won/", {"reason": "Signed"})
    assert won.json()["state"] == "won"
    assert won.json()["closed_at"]


def test_an_extension_of_more_than_the_maximum_is_refused(partner_client, own_partner, manager):
    deal = deal_create(
        partner=own_partner,
        user=manager,
        account_name="Acme",
        name="Acme",
        amount="1000",
        currency="EUR",
        expected_close_date=CLOSE,
        submit=True,
    )
    deal_approve(deal=deal, user=manager)
    response = partner_client.post(f"{DEALS}{deal.pk}/extend/", {"days": 9999, "reason": "More"})
    assert response.status_code == 400
    assert "days" in response.json()


def test_bulk_decisions_are_all_or_none(manager_client, manager):
    deals = [submitted_for(PartnerFactory(), manager, account_domain=f"c{i}.de") for i in range(3)]
    deal_approve(deal=deals[0], user=manager)
    ids = [deal.pk for deal in deals]
    refused = manager_client.post(
        f"{DEALS}decide/", {"ids": ids, "decision": "approve"}, format="json"
    )
    assert refused.status_code == 409
    assert DealRegistration.objects.filter(pk__in=ids[1:], status="submitted").count() == 2
    decided = manager_client.post(
        f"{DEALS}decide/",
        {"ids": ids[1:], "decision": "reject", "reason": "Duplicate"},
        format="json",
    )
    assert decided.status_code == 200
    assert sorted(row["id"] for row in decided.json()) == ids[1:]
    assert {row["state"] for row in decided.json()} == {"rejected"}


# -- incentive preview -------------------------------------------------------------------


def test_the_preview_is_the_incentive_submitting_would_lock(partner_client, own_partner, manager):
    # given a base rule and a more specific one for the partner's tier
    own_partner.tier = tier("gold")
    own_partner.save()
    IncentiveRuleFactory(name="Base", discount_pct=Decimal("5"))
    gold = IncentiveRuleFactory(name="Gold", tier=tier("gold"), discount_pct=Decimal("10"))
    # when the partner previews
    preview = partner_client.post(
        f"{DEALS}incentive-preview/", {"amount": "120000", "currency": "eur"}, format="json"
    )
    # then it names the gold rule, and submitting then approving locks the same
    assert preview.status_code == 200
    incentive = preview.json()["incentive"]
    assert (incentive["rule"], incentive["discount_pct"], incentive["locked"]) == (
        gold.pk,
        "10.00",
        False,
    )
    assert "candidates" not in incentive["explanation"]
    deal = partner_client.post(DEALS, body(submit=True), format="json").json()
    approved = deal_approve(deal=DealRegistration.objects.get(pk=deal["id"]), user=manager)
    assert approved.incentive_rule == gold


def test_the_managers_preview_lists_every_rule_considered(manager_client):
    partner = PartnerFactory()
    IncentiveRuleFactory(name="Base")
    IncentiveRuleFactory(name="Dollars", currency="USD")
    preview = manager_client.post(
        f"{DEALS}incentive-preview/",
        {"partner": partner.pk, "amount": "500", "currency": "EUR"},
        format="json",
    ).json()
    candidates = preview["incentive"]["explanation"]["candidates"]
    assert {entry["name"]: entry["matches"] for entry in candidates} == {
        "Base": True,
        "Dollars": False,
    }


def test_a_partners_preview_never_shows_a_segment_it_is_not_in(partner_client, own_partner):
    private = StaticSegmentFactory(name="Secret accelerator")
    MembershipFactory(segment=private, partner=PartnerFactory())
    IncentiveRuleFactory(name="Accelerator", segment=private, discount_pct=Decimal("20"))
    IncentiveRuleFactory(name="Base")
    response = partner_client.post(
        f"{DEALS}incentive-preview/", {"amount": "500", "currency": "EUR"}, format="json"
    )
    assert response.json()["incentive"]["rule_name"] == "Base"
    assert "Secret accelerator" not in response.content.decode()


def test_a_preview_without_a_rule_says_so_and_another_partner_is_refused(
    partner_client, own_partner
):
    none = partner_client.post(
        f"{DEALS}incentive-preview/", {"amount": "500", "currency": "EUR"}, format="json"
    )
    assert none.json() == {"matches": False, "incentive": None, "auto_approves": False}
    other = partner_client.post(
        f"{DEALS}incentive-preview/",
        {"partner": PartnerFactory().pk, "amount": "500", "currency": "EUR"},
        format="json",
    )
    assert other.status_code == 400


# -- list, filters and CSV -----------------------------------------------------------------


def test_the_list_filters_like_the_managers_page(manager_client, manager):
    flagged_partner = PartnerFactory()
    submitted_for(PartnerFactory(), manager)
    flagged = submitted_for(flagged_partner, manager)
    DealRegistrationFactory(name="Draft in dollars", currency="USD")
    by_state = manager_client.get(DEALS, {"status": "submitted"}).json()
    assert by_state["count"] == 2
    by_conflict = manager_client.get(DEALS, {"has_conflict": "true"}).json()
    assert [row["id"] for row in by_conflict["results"]] == [flagged.pk]
    by_search = manager_client.get(DEALS, {"search": "dollars", "currency": "usd"}).json()
    assert [row["name"] for row in by_search["results"]] == ["Draft in dollars"]
    bad = manager_client.get(DEALS, {"currency": "EURO", "status": "nope"})
    assert bad.status_code == 400
    assert {"currency", "status"} <= set(bad.json())


def test_the_list_takes_the_same_queries_for_few_and_many_rows(
    manager_client, manager, django_assert_max_num_queries
):
    def rows(count):
        for index in range(count):
            deal = submitted_for(PartnerFactory(), manager, account_domain=f"n{index}.de")
            DealConflict.objects.create(
                deal=deal, competing=DealRegistrationFactory(), matched_on="name", similarity=0.7
            )

    rows(2)
    with CaptureQueriesContext(connection) as few:
        manager_client.get(DEALS)
    rows(15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        answer = manager_client.get(DEALS).json()
    assert answer["count"] == 34  # 17 submitted, and the 17 they are flagged against


def test_a_partner_user_lists_and_exports_only_their_company(partner_client, own_partner, manager):
    mine = partner_client.post(DEALS, body(name="Ours"), format="json").json()
    DealRegistrationFactory(name="Theirs", partner=PartnerFactory(name="Other Company"))
    listed = partner_client.get(DEALS).json()
    assert [row["id"] for row in listed["results"]] == [mine["id"]]
    export = partner_client.get(f"{DEALS}export/")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [row["opportunity"] for row in rows] == ["Ours"]


def test_the_csv_makes_formulas_inert(manager_client):
    DealRegistrationFactory(name='=HYPERLINK("http://evil")')
    export = manager_client.get(f"{DEALS}export/")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0]["opportunity"].startswith("'=")


def test_another_companys_registration_is_404_to_a_partner_user(partner_client, own_partner):
    theirs = DealRegistrationFactory(partner=PartnerFactory())
    assert partner_client.get(f"{DEALS}{theirs.pk}/").status_code == 404
    assert partner_client.post(f"{DEALS}{theirs.pk}/submit/").status_code == 404
    assert DealRegistration.objects.get(pk=theirs.pk).status == DealStatus.DRAFT


# -- incentive rules -----------------------------------------------------------------------


def test_incentive_rules_are_managed_with_validation_by_field(manager_client, partner_client):
    created = manager_client.post(
        "/api/incentive-rules/",
        {
            "name": "Gold mid-size",
            "tier": "gold",
            "currency": "eur",
            "min_amount": "25000",
            "max_amount": "250000",
            "discount_pct": "12.5",
            "rebate_pct": "2",
            "protection_days": 120,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["currency"] == "EUR"
    assert created.json()["specificity"] == "tier + deal size"
    broken = {
        "name": "Broken",
        "currency": "EUR",
        "min_amount": "100",
        "discount_pct": "150",
        "rebate_pct": "0",
        "protection_days": 0,
    }
    out_of_range = manager_client.post("/api/incentive-rules/", broken, format="json")
    assert out_of_range.status_code == 400
    assert set(out_of_range.json()) == {"discount_pct", "protection_days"}
    broken.update(currency="XXY", max_amount="50", discount_pct="10", protection_days=30)
    bad_band = manager_client.post("/api/incentive-rules/", broken, format="json")
    assert bad_band.status_code == 400
    assert set(bad_band.json()) == {"currency", "max_amount"}
    assert not IncentiveRule.objects.filter(name="Broken").exists()
    assert partner_client.get("/api/incentive-rules/").status_code == 403


def test_the_submitter_shows_as_the_channel_team_to_partners_for_staff_actions(
    partner_client, own_partner, manager
):
    # given a registration of the partner decided by a manager
    colleague = ContactFactory(partner=own_partner, user=UserFactory(username="colleague-login"))
    deal = deal_create(
        partner=own_partner,
        user=colleague.user,
        account_name="Acme",
        name="Acme",
        amount="1000",
        currency="EUR",
        expected_close_date=CLOSE,
    )
    deal_submit(deal=deal, user=colleague.user)
    deal_approve(deal=DealRegistration.objects.get(pk=deal.pk), user=manager, reason="ok")
    # when the partner user reads it
    history = partner_client.get(f"{DEALS}{deal.pk}/").json()["history"]
    # then their colleague is named, the manager is "channel team"
    assert [step["actor"] for step in history][-1] == "channel team"
    assert "manager" not in [step["actor"] for step in history]
