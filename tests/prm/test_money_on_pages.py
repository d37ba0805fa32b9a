"""Money shows its currency and numbers follow the reader's locale on every page that shows
them (prm_format's filters), while inputs and inline styles keep machine numbers; tiers are
shown by name, never by slug."""

import re
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from partners import tiers
from partners.models import TierChange
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
NBSP = "\xa0"


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def silver():
    """A silver partner on its way to gold (gold: $1,000,000, 20 deals, 2 certifications)."""
    return PartnerFactory(
        name="Acme Integrations",
        tier=tier("silver"),
        revenue_12m=Decimal("719389.20"),
        annual_revenue=Decimal("2500000.00"),
        deals_won_12m=25,
    )


def _html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_partner_list_shows_revenue_with_its_currency(staff, silver):
    html = _html(staff.get(reverse("partners:list")))

    assert "$719,389" in html


def test_partner_list_writes_money_and_numbers_as_the_browsers_locale_does(staff, silver):
    silver.engagement_score = Decimal("55.55")
    silver.save()

    html = _html(staff.get(reverse("partners:list"), **GERMAN))

    assert f"719.389{NBSP}$" in html
    assert ">55,6<" in html  # the engagement score, one decimal
    assert "$719,389" not in html


def test_partner_page_shows_every_amount_with_its_currency(staff, silver):
    PerformanceRecordFactory(partner=silver, revenue=Decimal("12345.40"))

    html = _html(staff.get(reverse("partners:detail", args=[silver.pk])))

    assert "$719,389" in html  # revenue, last 12 months
    assert "$2,500,000" in html  # annual revenue
    assert "$12,345" in html  # the performance records' total
    assert "$719,389 / $1,000,000" in html  # tier progress to gold
    # no amount without its currency
    assert not re.search(r"[^$\d,]719,389", html)


def test_partner_page_keeps_machine_numbers_in_styles_and_attributes(staff, silver):
    silver.enablement_completion_pct = Decimal("72.5")
    silver.save()

    html = _html(staff.get(reverse("partners:detail", args=[silver.pk]), **GERMAN))

    assert f"719.389{NBSP}$ / 1.000.000{NBSP}$" in html
    assert f"73{NBSP}%" in html
    assert 'style="width: 72%"' in html or 'style="width: 73%"' in html
    assert "width: 72,5" not in html and "width: 73,0" not in html


def test_tier_pages_show_thresholds_with_their_currency(staff):
    html = _html(staff.get(reverse("tiers:list")))

    assert "≥ $1,000,000" in html
    assert "≥ $5,000,000" in html


def test_tier_form_inputs_keep_machine_numbers_in_any_locale(staff):
    html = _html(staff.get(reverse("tiers:update", args=["gold"]), **GERMAN))

    assert 'value="1000000.00"' in html
    assert "1.000.000,00" not in html


def test_what_if_shows_current_thresholds_with_their_currency(staff):
    html = _html(staff.get(reverse("tiers:what-if")))

    assert "now: $1,000,000" in html


def test_a_pending_tier_change_names_its_tier_and_its_reasons_show_money(staff, silver):
    for _ in range(2):
        PartnerCertificationFactory(partner=silver)
    silver.revenue_12m = Decimal("1200000")
    silver.save()
    tiers.tiers_evaluate(apply=False)
    assert TierChange.objects.pending().filter(partner=silver, to_tier__slug="gold").exists()

    detail = _html(staff.get(reverse("partners:detail", args=[silver.pk])))
    tier_list = _html(staff.get(reverse("tiers:list")))

    assert "to <strong>Gold</strong> awaits approval" in detail
    assert "Revenue (12 mo): $1,200,000 ≥ $1,000,000" in tier_list
    assert "Deals won (12 mo): 25 ≥ 20" in tier_list


def test_segment_members_show_revenue_with_its_currency(staff, silver):
    segment = SegmentFactory()
    MembershipFactory(segment=segment, partner=silver)

    html = _html(staff.get(reverse("segments:detail", args=[segment.pk]) + "?tab=members"))

    assert "$719,389" in html


def test_segment_explain_shows_money_thresholds_and_values_with_the_currency(staff, silver):
    segment = SegmentFactory(
        rule={"all": [{"field": "revenue_12m", "op": "gte", "value": 1000000}]}
    )

    html = _html(staff.get(reverse("segments:explain", args=[segment.pk]), {"partner": silver.pk}))

    assert "$1,000,000" in html
    assert "actual: $719,389.20" in html


def test_segment_list_writes_large_counts_in_the_browsers_locale(staff):
    SegmentFactory(name="Everyone", member_count=12345)

    assert "12,345" in _html(staff.get(reverse("segments:list")))
    assert "12.345" in _html(staff.get(reverse("segments:list"), **GERMAN))


@override_settings(PRM_CURRENCY="EUR")
def test_the_currency_of_partner_figures_is_prm_currency(staff, silver):
    html = _html(staff.get(reverse("partners:detail", args=[silver.pk])))

    assert "€719,389" in html
    assert 'data-currency="EUR"' in html


def test_pages_tell_the_charts_the_locale_and_currency(staff, silver):
    PerformanceRecordFactory(partner=silver)

    html = _html(staff.get(reverse("partners:detail", args=[silver.pk]), **GERMAN))

    assert '<html lang="en" data-bs-theme="light" data-locale="de-DE" data-currency="USD">' in html
    assert '"formats": {"y": "money"}' in html  # the performance chart's revenue axis


class TestPortalHome:
    @pytest.fixture
    def signed_in(self, client, silver):
        contact = ContactFactory(partner=silver, user=UserFactory(username="acme-user"))
        client.force_login(contact.user)
        return client

    def test_requirements_and_goals_show_money_with_its_currency(self, signed_in):
        html = _html(signed_in.get(reverse("portal:home")))

        assert "$719,389 of $1,000,000" in html
        assert "$280,611 more revenue" in html
        assert '<span class="fs-4 fw-semibold">$719,389</span>' in html  # the revenue goal

    def test_certifications_a_tier_names_are_shown_by_name(self, signed_in):
        gold = tier("gold")
        gold.required_certifications.add(
            CertificationFactory(slug="cloud-architect", name="Cloud Architect")
        )

        html = _html(signed_in.get(reverse("portal:home")))

        assert "(Cloud Architect)" in html
        assert "cloud-architect" not in html
