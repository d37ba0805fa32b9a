"""The per-partner deal figures (deals.stats): right on known data at the 12-month edges,
refreshed set-based for the given partners only, announced when they move, and read by the
dynamic segments through the change-driven path."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from deals import stats
from deals.models import DealStatus, PartnerDealStats
from deals.services import (
    deal_approve,
    deal_create,
    deal_mark_lost,
    deal_submit,
    deals_expire_due,
)
from deals.tasks import deal_stats_refresh_all_task
from partners.signals import partners_changed
from segments.models import EvaluationRun, EvaluationTrigger, Membership
from segments.services import segment_evaluate
from tests.deals.factories import DealRegistrationFactory
from tests.partners.factories import PartnerFactory, UserFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 15, 12, 0))
SINCE = timezone.make_aware(dt.datetime(2025, 6, 15, 0, 0))  # local midnight a year back
JUST_BEFORE = SINCE - dt.timedelta(seconds=1)
INSIDE = timezone.make_aware(dt.datetime(2026, 1, 10, 9, 0))
TODAY = dt.date(2026, 6, 15)
RATES = {"EUR": "1.5"}


def deal(partner, status, *, amount="100", currency="USD", **fields):
    return DealRegistrationFactory(
        partner=partner, status=status, amount=Decimal(amount), currency=currency, **fields
    )


def figures(partner):
    row = PartnerDealStats.objects.get(partner=partner)
    return {name: getattr(row, name) for name in stats.EMPTY_FIGURES}


@pytest.fixture
def known(db):
    """One partner's registrations around the edges of the window (see each comment)."""
    partner = PartnerFactory()
    # submitted exactly at the window's start: registered, open
    deal(partner, DealStatus.SUBMITTED, amount="100", submitted_at=SINCE)
    # submitted and approved a second before it, protected until today: open (200 EUR = 300)
    deal(
        partner, DealStatus.APPROVED, amount="200", currency="EUR",
        submitted_at=JUST_BEFORE, decided_at=JUST_BEFORE, protection_ends_on=TODAY,
    )  # fmt: skip
    # approved in the window, protection ended yesterday (the sweep has not run): not open
    deal(
        partner, DealStatus.APPROVED, amount="1000",
        submitted_at=INSIDE, decided_at=INSIDE, protection_ends_on=TODAY - dt.timedelta(days=1),
    )  # fmt: skip
    # won and won in the window: two wins
    for _ in range(2):
        deal(
            partner, DealStatus.WON, amount="5000",
            submitted_at=INSIDE, decided_at=INSIDE, closed_at=INSIDE,
        )  # fmt: skip
    # lost in the window, and one lost a second before it (not counted)
    deal(partner, DealStatus.LOST, submitted_at=INSIDE, decided_at=INSIDE, closed_at=SINCE)
    deal(
        partner, DealStatus.LOST,
        submitted_at=JUST_BEFORE, decided_at=JUST_BEFORE, closed_at=JUST_BEFORE,
    )  # fmt: skip
    # expired in the window: approved, closed, but neither won nor lost
    deal(partner, DealStatus.EXPIRED, submitted_at=INSIDE, decided_at=INSIDE, closed_at=INSIDE)
    # submitted in a currency without a rate: open, but not in the amount
    deal(partner, DealStatus.SUBMITTED, amount="9999", currency="JPY", submitted_at=INSIDE)
    # rejected in the window: registered, not approved; a draft: nothing
    deal(partner, DealStatus.REJECTED, submitted_at=INSIDE, decided_at=INSIDE)
    deal(partner, DealStatus.DRAFT)
    # after now (a clock skew): not in the window
    deal(partner, DealStatus.REJECTED, submitted_at=NOW + dt.timedelta(minutes=1))
    return partner


@override_settings(PRM_CURRENCY="USD", PRM_DEAL_EXCHANGE_RATES=RATES)
def test_the_figures_of_known_registrations_at_the_edges_of_the_window(known):
    # when
    moved = stats.deal_stats_refresh(partner_ids=[known.id], now=NOW)
    # then
    assert moved == {known.id}
    assert figures(known) == {
        # SINCE, the approved-in-window one, 2 won, lost, expired, JPY, rejected
        "deals_registered_12m": 8,
        # the approved-in-window one, 2 won, the lost one in the window, expired
        "deals_approved_12m": 5,
        # closed in the window: 2 won, 1 lost (the other lost one closed a second before)
        "won_12m": 2,
        "lost_12m": 1,
        # 2 won / (2 won + 1 lost)
        "deal_win_rate_12m": Decimal("66.67"),
        # 100 USD + 200 EUR at 1.5; the JPY one has no rate
        "open_pipeline_amount": Decimal("400.00"),
        "open_pipeline_count": 3,
    }
    assert PartnerDealStats.objects.get(partner=known).refreshed_at == NOW


def test_the_window_starts_at_local_midnight_a_year_back_and_29_february_rolls_to_28():
    assert stats.window_start(NOW) == SINCE
    leap = timezone.make_aware(dt.datetime(2028, 2, 29, 23, 59))
    assert stats.window_start(leap) == timezone.make_aware(dt.datetime(2027, 2, 28))


def test_no_closed_deal_leaves_the_win_rate_empty_and_no_deal_leaves_no_row():
    # given a partner with an open deal only, one without any deal
    busy, idle = PartnerFactory(), PartnerFactory()
    deal(busy, DealStatus.SUBMITTED, submitted_at=INSIDE)
    # when
    stats.deal_stats_refresh(partner_ids=[busy.id, idle.id, 10**12], now=NOW)
    # then (an unknown partner id is ignored)
    assert figures(busy)["deal_win_rate_12m"] is None
    assert figures(busy)["open_pipeline_count"] == 1
    assert not PartnerDealStats.objects.filter(partner=idle).exists()


def test_a_refresh_touches_only_the_given_partners_in_two_statements(
    django_assert_num_queries,
):
    # given two partners whose deals changed since their figures were written
    mine, other = PartnerFactory(), PartnerFactory()
    for partner in (mine, other):
        deal(partner, DealStatus.SUBMITTED, submitted_at=INSIDE)
    stats.deal_stats_refresh(partner_ids=[mine.id, other.id], now=NOW)
    for partner in (mine, other):
        deal(partner, DealStatus.SUBMITTED, amount="50", submitted_at=INSIDE)
    later = NOW + dt.timedelta(hours=1)
    # when only one is refreshed: (lock on PostgreSQL,) aggregate, upsert, in a savepoint
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 4):
        stats.deal_stats_refresh(partner_ids=[mine.id], now=later)
    # then
    assert figures(mine)["open_pipeline_amount"] == Decimal("150.00")
    assert figures(other)["open_pipeline_amount"] == Decimal("100.00")
    assert PartnerDealStats.objects.get(partner=other).refreshed_at == NOW


def test_the_partners_whose_figures_moved_are_announced_with_the_fields_that_moved(
    django_capture_on_commit_callbacks,
):
    # given two partners with figures, of whom only one has a new deal
    moving, still = PartnerFactory(), PartnerFactory()
    for partner in (moving, still):
        deal(partner, DealStatus.SUBMITTED, submitted_at=INSIDE)
    stats.deal_stats_refresh(partner_ids=[moving.id, still.id], now=NOW)
    deal(moving, DealStatus.SUBMITTED, amount="7", submitted_at=INSIDE)
    announced = []

    def receiver(sender, partner_ids, reason=None, fields=None, **kwargs):
        announced.append((partner_ids, reason, fields))

    partners_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            moved = stats.deal_stats_refresh(partner_ids=[moving.id, still.id], now=NOW)
    finally:
        partners_changed.disconnect(receiver)
    # then
    assert moved == {moving.id}
    assert announced == [([moving.id], "deals", ["deals_registered_12m", "open_pipeline_amount"])]


def test_the_daily_refresh_rolls_the_window_for_every_partner_in_chunks():
    # given figures of three partners, one of whose deals leaves the window a day later
    partners = [PartnerFactory() for _ in range(3)]
    for partner in partners:
        deal(partner, DealStatus.REJECTED, submitted_at=INSIDE)
    deal(partners[1], DealStatus.REJECTED, submitted_at=SINCE)
    stats.deal_stats_refresh_all(chunk_size=2, now=NOW)
    assert figures(partners[1])["deals_registered_12m"] == 2
    # when a day later
    result = stats.deal_stats_refresh_all(chunk_size=2, now=NOW + dt.timedelta(days=1))
    # then
    assert result == {"partners": 3, "moved": 1}
    assert [figures(partner)["deals_registered_12m"] for partner in partners] == [1, 1, 1]


def test_the_daily_task_refreshes_and_is_on_the_beat():
    # given a partner whose row is missing (the deal was written without the services)
    partner = PartnerFactory()
    deal(partner, DealStatus.SUBMITTED, submitted_at=timezone.now())
    # when
    result = deal_stats_refresh_all_task.delay().get()
    # then
    assert result["moved"] == 1
    assert figures(partner)["deals_registered_12m"] == 1
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "deals.tasks.deal_stats_refresh_all_task"
    )
    assert entry["schedule"].hour == {2}


# -- through the services and the change-driven path -------------------------------------------


def _submitted(partner, user, amount="5000"):
    created = deal_create(
        partner=partner,
        user=user,
        account_name=f"Big Customer of {partner.pk} GmbH",
        account_domain=f"customer-of-{partner.pk}.com",
        account_country="DE",
        name="Platform",
        amount=amount,
        currency=settings.PRM_CURRENCY,
        expected_close_date=timezone.localdate() + dt.timedelta(days=60),
    )
    return deal_submit(deal=created, user=user)


def _pipeline_segment():
    segment = SegmentFactory(
        slug="growing-pipeline",
        rule={
            "all": [
                {"field": "open_pipeline_amount", "op": "gt", "value": 1000},
                {"field": "deals_approved_12m", "op": "gte", "value": 1},
            ]
        },
    )
    segment_evaluate(segment_id=segment.id)
    return segment


def _members(segment):
    return set(Membership.objects.filter(segment=segment).values_list("partner_id", flat=True))


def _cause(segment, partner):
    run = EvaluationRun.objects.filter(segment=segment, trigger=EvaluationTrigger.CHANGE).latest(
        "id"
    )
    return run.partner_changes[str(partner.id)]


def test_a_pipeline_segment_gains_the_partner_on_approval_and_loses_it_when_lost(
    django_capture_on_commit_callbacks,
):
    # given a segment of partners with an approved deal and more than 1,000 open
    manager = UserFactory(is_staff=True)
    partner, bystander = PartnerFactory(), PartnerFactory()
    segment = _pipeline_segment()
    with django_capture_on_commit_callbacks(execute=True):
        registration = _submitted(partner, manager)
    assert _members(segment) == set()  # open, but nothing approved yet
    # when it is approved
    with django_capture_on_commit_callbacks(execute=True):
        registration = deal_approve(deal=registration, user=manager, reason="Fits")
    # then the change path re-checked the partner, and says why it joined
    assert _members(segment) == {partner.id}
    assert "open_pipeline_amount" in _cause(segment, partner)["fields"]
    assert _cause(segment, partner)["reasons"] == ["deals"]
    assert figures(partner)["open_pipeline_amount"] == Decimal("5000.00")
    # when it is lost
    with django_capture_on_commit_callbacks(execute=True):
        deal_mark_lost(deal=registration, user=manager, reason="Budget cut")
    # then it leaves: nothing open any more
    assert _members(segment) == set()
    assert figures(partner)["open_pipeline_amount"] == Decimal("0.00")
    assert figures(partner)["deal_win_rate_12m"] == Decimal("0.00")
    assert bystander.id not in _members(segment)


def test_a_pipeline_segment_loses_the_partner_when_the_protection_expires(
    django_capture_on_commit_callbacks,
):
    # given a member by an approved deal
    manager = UserFactory(is_staff=True)
    partner = PartnerFactory()
    segment = _pipeline_segment()
    with django_capture_on_commit_callbacks(execute=True):
        registration = deal_approve(deal=_submitted(partner, manager), user=manager)
    assert _members(segment) == {partner.id}
    # when the SLA sweep expires it the day after its protection ends
    registration.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        expired = deals_expire_due(today=registration.protection_ends_on + dt.timedelta(days=1))
    # then
    assert expired == [registration.id]
    assert _members(segment) == set()
    assert figures(partner)["open_pipeline_count"] == 0
