"""Which incentive rule prices a deal: the most specific match wins (segment + tier, then
segment, then tier, then the size band alone), ties by priority then age; bands are
[min, max); the explanation says why; the preview is the incentive locked at approval."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from deals.incentives import incentive_resolve
from deals.services import deal_approve, deal_create, deal_submit
from tests.deals.factories import IncentiveRuleFactory
from tests.partners.factories import PartnerFactory, UserFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_member():
    partner = PartnerFactory(tier=tier("gold"))
    segment = SegmentFactory(slug="cloud-builders", name="Cloud builders")
    MembershipFactory(partner=partner, segment=segment)
    return partner, segment


def _quote(partner, amount="100000", currency="EUR"):
    return incentive_resolve(partner=partner, amount=Decimal(amount), currency=currency)


def test_the_most_specific_matching_rule_wins_at_each_level(gold_member):
    partner, segment = gold_member
    band = IncentiveRuleFactory(name="Band", priority=100)
    tiered = IncentiveRuleFactory(name="Gold", tier=tier("gold"), priority=50)
    assert _quote(partner).rule == tiered
    segmented = IncentiveRuleFactory(name="Cloud", segment=segment, priority=10)
    assert _quote(partner).rule == segmented
    both = IncentiveRuleFactory(name="Cloud gold", segment=segment, tier=tier("gold"))
    quote = _quote(partner)
    assert quote.rule == both
    assert quote.explanation["rule"]["specificity"] == "segment + tier + deal size"
    why_not = {c["name"]: c["why_not"] for c in quote.explanation["candidates"]}
    assert why_not == {
        "Band": "less specific than Cloud gold",
        "Gold": "less specific than Cloud gold",
        "Cloud": "less specific than Cloud gold",
        "Cloud gold": None,
    }
    assert band.pk  # the band alone still prices partners outside the segment and tier
    assert _quote(PartnerFactory(tier=tier("silver"))).rule == band


def test_a_rule_for_a_segment_or_tier_the_partner_is_not_in_does_not_match(gold_member):
    partner, _ = gold_member
    band = IncentiveRuleFactory(name="Band")
    IncentiveRuleFactory(name="Silver", tier=tier("silver"))
    IncentiveRuleFactory(name="Other segment", segment=SegmentFactory(name="Resellers"))
    quote = _quote(partner)
    assert quote.rule == band
    why_not = {c["name"]: c["why_not"] for c in quote.explanation["candidates"]}
    assert why_not["Silver"] == "for Silver partners only"
    assert why_not["Other segment"] == "for members of Resellers only"


def test_ties_go_to_the_higher_priority_then_the_older_rule(gold_member):
    partner, _ = gold_member
    older = IncentiveRuleFactory(name="Older", tier=tier("gold"), priority=5)
    IncentiveRuleFactory(name="Newer", tier=tier("gold"), priority=5)
    assert _quote(partner).rule == older
    higher = IncentiveRuleFactory(name="Higher", tier=tier("gold"), priority=9)
    quote = _quote(partner)
    assert quote.rule == higher
    assert quote.explanation["why"].endswith("then the highest priority")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.01", "Small"), ("49999.99", "Small"), ("50000", "Large"), ("9000000", "Large")],
)
def test_bands_include_their_start_and_exclude_their_end(amount, expected):
    IncentiveRuleFactory(name="Small", min_amount=0, max_amount=50000)
    IncentiveRuleFactory(name="Large", min_amount=50000, max_amount=None)
    assert _quote(PartnerFactory(), amount=amount).rule.name == expected


def test_currency_and_inactive_rules_do_not_match():
    IncentiveRuleFactory(name="Dollars", currency="USD")
    IncentiveRuleFactory(name="Retired", is_active=False)
    assert _quote(PartnerFactory(), currency="EUR") is None
    assert _quote(PartnerFactory(), currency="usd").rule.name == "Dollars"


def test_the_preview_is_the_incentive_locked_at_approval_and_stays_locked(gold_member):
    partner, segment = gold_member
    manager = UserFactory(is_staff=True)
    rule = IncentiveRuleFactory(
        name="Cloud gold", segment=segment, tier=tier("gold"), discount_pct=Decimal("14"),
        rebate_pct=Decimal("2.5"), protection_days=120,
    )  # fmt: skip
    preview = _quote(partner, amount="250000")
    deal = deal_create(
        partner=partner, user=manager, account_name="Globex Ltd", account_country="GB",
        name="Globex migration", amount="250000", currency="EUR",
        expected_close_date=timezone.localdate() + dt.timedelta(days=45),
    )  # fmt: skip
    deal = deal_approve(deal=deal_submit(deal=deal, user=manager), user=manager)
    assert (deal.incentive_rule, deal.discount_pct, deal.rebate_pct, deal.protection_days) == (
        preview.rule,
        preview.discount_pct,
        preview.rebate_pct,
        preview.protection_days,
    )
    assert deal.incentive_explanation == preview.explanation
    # a later change of the rule, or a new more specific one, leaves the approved deal alone
    rule.discount_pct = Decimal("1")
    rule.save()
    IncentiveRuleFactory(name="Even better", segment=segment, tier=tier("gold"), priority=99)
    deal.refresh_from_db()
    assert deal.discount_pct == Decimal("14.00")
    assert deal.incentive_explanation["rule"]["name"] == "Cloud gold"


def test_without_a_matching_rule_approval_gives_no_incentive_and_the_default_protection(
    settings,
):
    settings.PRM_DEAL_DEFAULT_PROTECTION_DAYS = 45
    manager = UserFactory(is_staff=True)
    deal = deal_create(
        partner=PartnerFactory(), user=manager, account_name="Initech", account_country="US",
        name="Initech printers", amount="1000", currency="JPY",
        expected_close_date=timezone.localdate() + dt.timedelta(days=10),
    )  # fmt: skip
    deal = deal_approve(deal=deal_submit(deal=deal, user=manager), user=manager)
    assert (deal.incentive_rule, deal.discount_pct, deal.protection_days) == (None, 0, 45)
    assert deal.protection_ends_on == timezone.localdate() + dt.timedelta(days=45)
