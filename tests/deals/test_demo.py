"""The demo deal registrations: seeded after the demo partners and segments, every state with
a history that agrees with it, the demo partner user's company in every state, conflicts
between partners, figures refreshed, and a second run that adds nothing."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Max, Min, OuterRef, Subquery
from django.utils import timezone

from deals.demo import CONFLICT_REJECTION, DEMO_PARTNER_EXTERNAL_ID, demo_deals_seed
from deals.models import (
    DealConflict,
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
    IncentiveRule,
    PartnerDealStats,
)
from deals.stats import deal_stats_refresh_all
from partners.models import Contact
from tests.partners.factories import ensure_default_tiers

pytestmark = pytest.mark.django_db

DECIDED = (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once for the module (it takes a while), in a transaction rolled back
    at the end: each test runs in a savepoint inside it, as usual."""
    with django_db_blocker.unblock(), transaction.atomic():
        # (the default tiers first: a transactional test before this module may have flushed
        # them, and the autouse fixture that restores them runs per test, after this one)
        ensure_default_tiers()
        # given the demo partners, logins and segments, as `make run` seeds them first
        call_command("seed_demo", "--partners", "200", "--seed", "7", stdout=StringIO())
        call_command("seed_demo_segments", stdout=StringIO())
        # when the programs are seeded, the deals last
        out = StringIO()
        call_command("seed_demo_programs", "--seed", "7", stdout=out)
        yield _printed_figures(out.getvalue())
        transaction.set_rollback(True)


def _printed_figures(output: str) -> dict[str, int]:
    """seed_demo_programs' "key=value, ..." figures."""
    figures = output.strip().split(": ", 1)[1]
    return {
        key: int(value)
        for key, value in (item.split("=") for item in figures.split(", "))
        if value.isdigit()
    }


def _states(queryset) -> set[str]:
    return set(queryset.values_list("status", flat=True).distinct())


def test_every_state_and_the_demo_partner_user_in_each(demo):
    # then the counts printed with the other programs' are the rows written
    deals = DealRegistration.objects.all()
    assert demo["deals"] == deals.count()
    assert 150 <= demo["deals"] <= 260
    assert 30 <= demo["deal_partners"] <= 45
    assert 30 <= demo["deal_customers"] <= 45
    assert demo["deal_rules"] == IncentiveRule.objects.count() >= 8
    # and every state is there for the manager's queue and pipeline
    assert _states(deals) == set(DealStatus.values)
    # and the demo partner user's company has registrations in every state, by that user
    contact = Contact.objects.select_related("partner").get(user__username="partner")
    assert contact.partner.external_id == DEMO_PARTNER_EXTERNAL_ID
    own = deals.filter(partner=contact.partner)
    assert _states(own) == set(DealStatus.values)
    assert set(own.values_list("submitted_by__username", flat=True)) == {"partner"}
    now = timezone.now()
    today = timezone.localdate()
    # one of its reviews is overdue, marked by the sweep
    assert own.filter(status=DealStatus.SUBMITTED, review_due_at__lt=now).exists()
    assert own.filter(status=DealStatus.SUBMITTED, overdue_at__isnull=False).exists()
    # one approval's protection ends within the reminder window, and it was reminded
    ending = own.filter(
        status=DealStatus.APPROVED, protection_ends_on__lte=today + dt.timedelta(days=7)
    )
    assert ending.exists()
    assert all(deal.expiry_reminded_at is not None for deal in ending)
    # one approved registration waits for an extension decision
    assert own.filter(
        status=DealStatus.APPROVED, extension_status=ExtensionStatus.REQUESTED
    ).exists()
    # its rejection gives the reason: another partner registered the customer first
    rejected = own.get(status=DealStatus.REJECTED)
    assert rejected.decision_reason == CONFLICT_REJECTION
    assert rejected.has_conflict
    # and every rejection anywhere says why
    assert not deals.filter(status=DealStatus.REJECTED, decision_reason="").exists()


def test_history_agrees_with_the_states(demo):
    deals = DealRegistration.objects.all()
    now = timezone.now()
    # then each registration's last transition leads to its state, the first creates it
    last = DealTransition.objects.filter(deal=OuterRef("pk")).order_by("-at", "-id")
    first = DealTransition.objects.filter(deal=OuterRef("pk")).order_by("at", "id")
    rows = deals.annotate(
        last_to=Subquery(last.values("to_status")[:1]),
        first_action=Subquery(first.values("action")[:1]),
    )
    assert (
        not rows.exclude(last_to=F("status"))
        .exclude(
            # an extension keeps the state: its transition goes from approved to approved
            status=DealStatus.APPROVED
        )
        .exists()
    )
    assert set(rows.values_list("first_action", flat=True)) == {"create"}
    assert not rows.filter(status=DealStatus.APPROVED).exclude(last_to="approved").exists()
    # and the transitions are in the order they happened (by time as by id)
    for deal_id, times in _transition_times().items():
        assert times == sorted(times), deal_id
    # and timestamps lie in the last 12 months, ordered created <= submitted <= decided
    year_ago = now - dt.timedelta(days=365)
    bounds = deals.aggregate(
        first=Min("created_at"), last=Max("created_at"), last_transition=Max("transitions__at")
    )
    assert year_ago <= bounds["first"] and bounds["last"] <= now
    assert bounds["last_transition"] <= now
    assert DealTransition.objects.filter(at__lt=year_ago).count() == 0
    assert not deals.filter(submitted_at__lt=F("created_at")).exists()
    assert not deals.filter(decided_at__lt=F("submitted_at")).exists()
    assert not deals.filter(closed_at__lt=F("decided_at")).exists()
    assert not deals.exclude(status=DealStatus.DRAFT).filter(submitted_at__isnull=True).exists()
    assert not deals.filter(status=DealStatus.DRAFT, submitted_at__isnull=False).exists()
    assert not deals.filter(status__in=DECIDED, decided_at__isnull=True).exists()
    # the history is spread over the year, not written today
    months = {created.month for created in deals.values_list("created_at", flat=True)}
    assert len(months) >= 10


def test_incentives_protection_and_sla_are_consistent(demo):
    deals = DealRegistration.objects.all()
    today = timezone.localdate()
    # then an incentive is locked on every registration an approval led to
    approved = deals.filter(status__in=DECIDED)
    assert not approved.filter(discount_pct__isnull=True).exists()
    assert not approved.filter(protection_days__isnull=True).exists()
    assert approved.filter(incentive_rule__isnull=False).count() >= approved.count() * 0.8
    # from several rules, tier and segment rules among them
    used = IncentiveRule.objects.filter(pk__in=approved.values("incentive_rule_id")).values_list(
        "name", flat=True
    )
    assert len(set(used)) >= 5
    assert {"Gold partners", "Platinum partners"} & set(used)
    # and some were approved on submission, under the auto-approval limit
    auto = DealTransition.objects.filter(action="auto_approve")
    assert auto.exists()
    assert not auto.filter(deal__amount__gte=25000).exists()
    # and an approved registration's protection has not ended; an expired one's has, and
    # it was approved for as long as its protection days say
    assert not deals.filter(status=DealStatus.APPROVED, protection_ends_on__lt=today).exists()
    for deal in deals.filter(status=DealStatus.EXPIRED):
        assert deal.protection_ends_on < today
        extra = deal.extension_days if deal.extension_status == ExtensionStatus.APPROVED else 0
        assert deal.protection_ends_on == timezone.localdate(deal.decided_at) + dt.timedelta(
            days=deal.protection_days + extra
        )
        assert deal.closed_at.date() > deal.protection_ends_on
    # and no review is overdue that the sweep did not mark
    assert not deals.filter(
        status=DealStatus.SUBMITTED, review_due_at__lt=timezone.now(), overdue_at__isnull=True
    ).exists()
    # and open registrations expect to close ahead, closed ones near their close
    assert not deals.filter(
        status__in=[DealStatus.SUBMITTED, DealStatus.APPROVED], expected_close_date__lt=today
    ).exists()


def test_conflicts_between_partners_and_figures(demo):
    conflicts = DealConflict.objects.select_related("deal__account", "competing__account")
    # then some registrations were flagged against another partner's, for one customer
    assert conflicts.count() >= 5
    assert all(c.deal.partner_id != c.competing.partner_id for c in conflicts)
    assert all(c.deal.account_id == c.competing.account_id for c in conflicts)
    assert {"domain", "name"} <= set(conflicts.values_list("matched_on", flat=True))
    # found when the flagged one was submitted, while the other was open
    for conflict in conflicts:
        assert conflict.created_at == conflict.deal.submitted_at
        assert conflict.competing.submitted_at < conflict.deal.submitted_at
    # and some wait in the review queue
    assert (
        DealRegistration.objects.filter(status=DealStatus.SUBMITTED, has_conflict=True).count() >= 2
    )
    # and the figures are those of a refresh now: a second refresh moves nothing
    assert PartnerDealStats.objects.count() == demo["deal_partners"]
    assert deal_stats_refresh_all()["moved"] == 0
    assert PartnerDealStats.objects.filter(deals_registered_12m__gt=0).count() >= 30


def test_a_second_run_adds_nothing(demo):
    before = (
        DealRegistration.objects.count(),
        DealTransition.objects.count(),
        IncentiveRule.objects.count(),
    )
    # when the seed runs again (make run seeds on every start)
    again = demo_deals_seed(seed=7)
    # then nothing is written
    assert again == {}
    assert (
        DealRegistration.objects.count(),
        DealTransition.objects.count(),
        IncentiveRule.objects.count(),
    ) == before


def _transition_times() -> dict[int, list]:
    times: dict[int, list] = {}
    for deal_id, at in DealTransition.objects.order_by("deal_id", "id").values_list(
        "deal_id", "at"
    ):
        times.setdefault(deal_id, []).append(at)
    return times


def test_states_by_partner_are_spread(demo):
    # then registrations spread over partners (none holds most of them)
    counts = (
        DealRegistration.objects.values("partner_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    assert max(counts) <= 20
