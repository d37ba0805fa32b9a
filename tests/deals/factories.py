"""Rows of the deals app for tests. Factories write rows directly (no services, no signals);
tests that exercise a transition call the services."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from deals.models import Account, DealRegistration, DealStatus, DealTransition, IncentiveRule
from tests.partners.factories import PartnerFactory


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n} GmbH")
    normalized_name = factory.Sequence(lambda n: f"customer {n}")
    domain = factory.Sequence(lambda n: f"customer{n}.example")
    country = "DE"


class DealRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealRegistration

    partner = factory.SubFactory(PartnerFactory)
    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Opportunity {n}")
    amount = Decimal("50000.00")
    currency = "EUR"
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=60))
    status = DealStatus.DRAFT


class DealTransitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealTransition

    deal = factory.SubFactory(DealRegistrationFactory)
    from_status = ""
    to_status = DealStatus.DRAFT
    action = "create"


class IncentiveRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncentiveRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    currency = "EUR"
    min_amount = Decimal("0")
    discount_pct = Decimal("5")
    rebate_pct = Decimal("1")
    protection_days = 90
