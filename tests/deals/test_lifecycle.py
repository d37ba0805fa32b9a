"""A registration's path through the services, end to end on small known data: the happy
path, the incentive locked at approval, conflicts by domain, and auto-approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import DealConflict, DealStatus, DealTransition, IncentiveRule
from deals.services import (
    DealTransitionError,
    deal_approve,
    deal_create,
    deal_submit,
)
from tests.partners.factories import PartnerFactory, UserFactory, tier

pytestmark = pytest.mark.django_db


def _deal(partner, user, **overrides):
    values = {
        "partner": partner,
        "user": user,
        "account_name": "Acme GmbH",
        "account_domain": "https://www.acme.de/",
        "account_country": "DE",
        "name": "Acme data platform",
        "amount": "120000",
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=60),
    }
    return deal_create(**{**values, **overrides})


def test_a_draft_submitted_and_approved_locks_the_incentive_of_that_moment():
    # given a band rule and a gold-tier rule for the deal's size, a gold partner, a manager
    manager = UserFactory(is_staff=True)
    partner = PartnerFactory(tier=tier("gold"))
    IncentiveRule.objects.create(
        name="Band", currency="EUR", min_amount=0, discount_pct=5, rebate_pct=1,
        protection_days=60,
    )  # fmt: skip
    gold = IncentiveRule.objects.create(
        name="Gold", tier=tier("gold"), currency="EUR", min_amount=0, discount_pct=12,
        rebate_pct=3, protection_days=120,
    )  # fmt: skip
    deal = _deal(partner, manager)
    # when it is submitted and approved
    deal = deal_submit(deal=deal, user=manager)
    deal = deal_approve(deal=deal, user=manager, reason="Good fit")
    # then the gold rule (more specific) is locked in, and a later change leaves it alone
    gold.discount_pct = 1
    gold.save()
    deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED
    assert deal.incentive_rule == gold
    assert deal.discount_pct == Decimal("12.00")
    assert deal.protection_ends_on == timezone.localdate() + dt.timedelta(days=120)
    assert list(DealTransition.objects.filter(deal=deal).values_list("action", flat=True)) == [
        "create",
        "submit",
        "approve",
    ]


def test_an_invalid_transition_names_the_current_state():
    manager = UserFactory(is_staff=True)
    deal = _deal(PartnerFactory(), manager)
    with pytest.raises(DealTransitionError) as refused:
        deal_approve(deal=deal, user=manager)
    assert refused.value.state == DealStatus.DRAFT


def test_bad_input_is_refused_field_by_field_and_nothing_is_written():
    manager = UserFactory(is_staff=True)
    with pytest.raises(ValidationError) as refused:
        _deal(
            PartnerFactory(),
            manager,
            amount="-5",
            currency="XXY",
            account_name=" ",
            expected_close_date=timezone.localdate() - dt.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {
        "amount",
        "currency",
        "account_name",
        "expected_close_date",
    }
    assert not DealTransition.objects.exists()


def test_another_partners_open_registration_for_the_same_domain_is_a_conflict():
    manager = UserFactory(is_staff=True)
    first = deal_submit(deal=_deal(PartnerFactory(), manager), user=manager)
    second = deal_submit(
        deal=_deal(PartnerFactory(), manager, account_name="ACME Deutschland"), user=manager
    )
    assert not first.has_conflict
    assert second.has_conflict
    conflict = DealConflict.objects.get(deal=second)
    assert (conflict.competing_id, conflict.matched_on, conflict.similarity) == (
        first.id,
        "domain",
        1.0,
    )


def test_a_small_deal_without_conflict_is_approved_on_submission():
    manager = UserFactory(is_staff=True)
    IncentiveRule.objects.create(
        name="Small deals", currency="EUR", min_amount=0, max_amount=50000, discount_pct=3,
        rebate_pct=0, protection_days=30, auto_approve_below=10000,
    )  # fmt: skip
    deal = deal_submit(deal=_deal(PartnerFactory(), manager, amount="9000"), user=manager)
    assert deal.status == DealStatus.APPROVED
    assert deal.transitions.last().action == "auto_approve"


def test_a_partner_user_cannot_decide_on_a_registration():
    from django.core.exceptions import PermissionDenied

    from tests.partners.factories import ContactFactory

    manager = UserFactory(is_staff=True)
    partner = PartnerFactory()
    partner_user = UserFactory()
    ContactFactory(partner=partner, user=partner_user)
    deal = deal_submit(deal=_deal(partner, partner_user), user=partner_user)
    with pytest.raises(PermissionDenied):
        deal_approve(deal=deal, user=partner_user)
    deal.refresh_from_db()
    assert deal.status == DealStatus.SUBMITTED
    assert deal_approve(deal=deal, user=manager).status == DealStatus.APPROVED


def test_a_partner_user_cannot_register_for_another_partner():
    partner_user = UserFactory()
    from tests.partners.factories import ContactFactory

    ContactFactory(user=partner_user)
    with pytest.raises(ValidationError) as refused:
        _deal(PartnerFactory(), partner_user)
    assert "partner" in refused.value.message_dict
