"""Every transition of a registration from every state: the ones the state machine allows
happen and are recorded with who, when and why; every other is refused with the current state
and writes nothing."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deals.models import DealStatus, DealTransition, ExtensionStatus
from deals.services import (
    TRANSITIONS,
    DealTransitionError,
    deal_approve,
    deal_extension_approve,
    deal_extension_reject,
    deal_extension_request,
    deal_mark_lost,
    deal_mark_won,
    deal_reject,
    deal_submit,
    deal_update,
    deal_withdraw,
    deals_bulk_decide,
)
from tests.deals.factories import DealRegistrationFactory
from tests.partners.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

# The manager-facing action → the service that performs it.
SERVICES = {
    "submit": lambda deal, user: deal_submit(deal=deal, user=user),
    "approve": lambda deal, user: deal_approve(deal=deal, user=user, reason="Fits"),
    "reject": lambda deal, user: deal_reject(deal=deal, user=user, reason="Not a fit"),
    "withdraw": lambda deal, user: deal_withdraw(deal=deal, user=user, reason="Lost interest"),
    "won": lambda deal, user: deal_mark_won(deal=deal, user=user, reason="Signed"),
    "lost": lambda deal, user: deal_mark_lost(deal=deal, user=user, reason="Competitor"),
}


def _deal_in(status):
    today = timezone.localdate()
    extra = {}
    if status in (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED):
        extra = {"protection_ends_on": today + dt.timedelta(days=30), "protection_days": 30}
    return DealRegistrationFactory(status=status, **extra)


@pytest.fixture
def manager():
    return UserFactory(is_staff=True)


CASES = [(action, state) for action in SERVICES for state in DealStatus.values]


@pytest.mark.parametrize(("action", "state"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_each_action_from_each_state(action, state, manager):
    deal = _deal_in(state)
    sources, target = TRANSITIONS[action]
    if state in sources:
        changed = SERVICES[action](deal, manager)
        changed.refresh_from_db()
        assert changed.status == target
        recorded = DealTransition.objects.get(deal=deal, action=action)
        assert (recorded.from_status, recorded.to_status, recorded.actor) == (
            state,
            target,
            manager,
        )
        assert recorded.at is not None
    else:
        with pytest.raises(DealTransitionError) as refused:
            SERVICES[action](deal, manager)
        assert refused.value.state == state
        assert deal.get_status_display().lower() in refused.value.detail
        deal.refresh_from_db()
        assert deal.status == state
        assert not DealTransition.objects.filter(deal=deal).exists()


def test_the_reason_of_a_decision_is_recorded_and_a_rejection_needs_one(manager):
    deal = _deal_in(DealStatus.SUBMITTED)
    with pytest.raises(ValidationError) as refused:
        deal_reject(deal=deal, user=manager, reason="  ")
    assert "reason" in refused.value.message_dict
    deal_reject(deal=deal, user=manager, reason="Customer is a direct account")
    deal.refresh_from_db()
    assert deal.decision_reason == "Customer is a direct account"
    assert deal.decided_by == manager
    assert deal.transitions.get().reason == "Customer is a direct account"


def test_only_a_draft_can_be_edited(manager):
    deal = _deal_in(DealStatus.SUBMITTED)
    with pytest.raises(DealTransitionError) as refused:
        deal_update(deal=deal, user=manager, name="Renamed")
    assert refused.value.state == DealStatus.SUBMITTED
    draft = _deal_in(DealStatus.DRAFT)
    assert deal_update(deal=draft, user=manager, name="Renamed").name == "Renamed"


class TestExtension:
    def test_asked_once_approved_by_a_manager_and_extends_the_protection(self, manager):
        deal = _deal_in(DealStatus.APPROVED)
        partner_user = UserFactory()
        ContactFactory(partner=deal.partner, user=partner_user)
        ends = deal.protection_ends_on
        deal_extension_request(deal=deal, user=partner_user, days=30, reason="Board meets late")
        with pytest.raises(PermissionDenied):
            deal_extension_approve(deal=deal, user=partner_user)
        deal = deal_extension_approve(deal=deal, user=manager, reason="OK")
        assert deal.protection_ends_on == ends + dt.timedelta(days=30)
        assert deal.extension_status == ExtensionStatus.APPROVED
        with pytest.raises(DealTransitionError):
            deal_extension_request(deal=deal, user=partner_user, days=10, reason="Again")
        assert list(deal.transitions.values_list("action", flat=True)) == [
            "extension_request",
            "extension_approve",
        ]

    def test_a_rejected_extension_leaves_the_protection_and_cannot_be_asked_again(self, manager):
        deal = _deal_in(DealStatus.APPROVED)
        ends = deal.protection_ends_on
        deal_extension_request(deal=deal, user=manager, days=30, reason="Slow procurement")
        deal = deal_extension_reject(deal=deal, user=manager, reason="Already long")
        assert (deal.protection_ends_on, deal.extension_status) == (
            ends,
            ExtensionStatus.REJECTED,
        )
        with pytest.raises(DealTransitionError):
            deal_extension_request(deal=deal, user=manager, days=5, reason="Please")

    @pytest.mark.parametrize("days", [0, -3, 91, "ten", None])
    def test_a_bad_number_of_days_is_refused(self, manager, days):
        deal = _deal_in(DealStatus.APPROVED)
        with pytest.raises(ValidationError) as refused:
            deal_extension_request(deal=deal, user=manager, days=days, reason="x")
        assert "days" in refused.value.message_dict
        deal.refresh_from_db()
        assert deal.extension_status == ExtensionStatus.NONE

    @pytest.mark.parametrize("state", [s for s in DealStatus.values if s != "approved"])
    def test_only_an_approved_registration_can_be_extended(self, manager, state):
        with pytest.raises(DealTransitionError) as refused:
            deal_extension_request(deal=_deal_in(state), user=manager, days=5, reason="x")
        assert refused.value.state == state

    def test_there_is_nothing_to_decide_without_a_request(self, manager):
        with pytest.raises(DealTransitionError):
            deal_extension_approve(deal=_deal_in(DealStatus.APPROVED), user=manager)


class TestBulk:
    def test_decides_all_or_none(self, manager):
        waiting = [_deal_in(DealStatus.SUBMITTED) for _ in range(3)]
        decided = _deal_in(DealStatus.REJECTED)
        with pytest.raises(DealTransitionError):
            deals_bulk_decide(
                deal_ids=[d.pk for d in [*waiting, decided]],
                user=manager,
                decision="approve",
            )
        for deal in waiting:
            deal.refresh_from_db()
            assert deal.status == DealStatus.SUBMITTED
        assert not DealTransition.objects.exists()
        deals_bulk_decide(
            deal_ids=[d.pk for d in waiting], user=manager, decision="reject", reason="Dupes"
        )
        assert {d.status for d in type(decided).objects.filter(pk__in=[w.pk for w in waiting])} == {
            DealStatus.REJECTED
        }

    @pytest.mark.parametrize(
        ("ids", "decision", "reason", "field"),
        [
            ([], "approve", "", "deal_ids"),
            (None, "maybe", "", "decision"),
            (None, "reject", "", "reason"),
            ([999_999], "approve", "", "deal_ids"),
        ],
    )
    def test_bad_input_names_the_field(self, manager, ids, decision, reason, field):
        deal = _deal_in(DealStatus.SUBMITTED)
        with pytest.raises(ValidationError) as refused:
            deals_bulk_decide(
                deal_ids=[deal.pk] if ids is None else ids,
                user=manager,
                decision=decision,
                reason=reason,
            )
        assert field in refused.value.message_dict

    def test_a_partner_user_cannot_bulk_decide(self):
        deal = _deal_in(DealStatus.SUBMITTED)
        partner_user = UserFactory()
        ContactFactory(partner=deal.partner, user=partner_user)
        with pytest.raises(PermissionDenied):
            deals_bulk_decide(deal_ids=[deal.pk], user=partner_user, decision="approve")


def test_the_state_machine_is_the_one_of_the_design():
    # draft → submitted → approved | rejected | withdrawn; approved → won | lost | expired
    edges = {
        (source, target) for action, (sources, target) in TRANSITIONS.items() for source in sources
    }
    assert edges == {
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("submitted", "rejected"),
        ("submitted", "withdrawn"),
        ("approved", "won"),
        ("approved", "lost"),
        ("approved", "expired"),
    }
