"""The tier program (partners/tiers/): qualifying tiers, evaluation with history and approval,
what-if, progress toward the next tier.

Default tiers (migration 0003): registered (no requirements) < silver (250k revenue, 5 deals,
1 certification) < gold (1M, 20, 2) < platinum (5M, 50, 3).
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners import tiers
from partners.models import Partner, Tier, TierChange, TierChangeSource, TierChangeStatus
from partners.signals import partners_changed
from partners.tasks import tiers_evaluate_task
from partners.tiers.requirements import QualifyingQuery, ThresholdsError, tier_requirements_load
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    UserFactory,
    tier,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def certify(partner, count: int = 1, *, slugs=None, expires_at=None, **kwargs):
    """Give a partner `count` certifications (or the named ones), active unless told."""
    slugs = slugs or [f"{partner.external_id.lower()}-cert-{n}" for n in range(count)]
    for slug in slugs:
        PartnerCertificationFactory(
            partner=partner,
            certification=CertificationFactory(slug=slug),
            expires_at=expires_at if expires_at is not None else TODAY + dt.timedelta(days=100),
            **kwargs,
        )
    return partner


def silver_partner(**kwargs):
    """Meets silver exactly (250k revenue, 5 deals, one active certification), not gold."""
    values = {"revenue_12m": Decimal("250000"), "deals_won_12m": 5} | kwargs
    return certify(PartnerFactory(**values), 1)


def gold_partner(**kwargs):
    values = {"revenue_12m": Decimal("1000000"), "deals_won_12m": 20} | kwargs
    return certify(PartnerFactory(**values), 2)


def qualifying() -> dict[int, str | None]:
    """{partner id: slug of the tier it qualifies for now}."""
    query = QualifyingQuery(tier_requirements_load(), today=TODAY)
    return {
        row["id"]: query.slug(row["qualifying_tier_id"])
        for row in query.partners().values("id", "qualifying_tier_id")
    }


def tier_slug(partner) -> str | None:
    partner.refresh_from_db()
    return partner.tier.slug if partner.tier else None


@pytest.fixture
def changed_signals():
    received: list[dict] = []

    def receiver(sender, partner_ids, reason, **kwargs):
        received.append({"partner_ids": partner_ids, "reason": reason})

    partners_changed.connect(receiver)
    yield received
    partners_changed.disconnect(receiver)


# ---------------------------------------------------------------------------------------
# The qualifying tier
# ---------------------------------------------------------------------------------------


class TestQualifyingTier:
    def test_a_partner_meeting_every_silver_requirement_but_not_gold_qualifies_for_silver(self):
        # given
        partner = silver_partner()
        # when
        result = qualifying()
        # then
        assert result[partner.id] == "silver"

    def test_the_highest_tier_whose_requirements_are_all_met_wins(self):
        # given
        platinum = certify(PartnerFactory(revenue_12m=Decimal("5000000"), deals_won_12m=50), 3)
        gold = gold_partner()
        # when
        result = qualifying()
        # then
        assert result[platinum.id] == "platinum"
        assert result[gold.id] == "gold"

    @pytest.mark.parametrize(
        ("revenue", "deals", "certifications"),
        [
            (Decimal("249999.99"), 5, 1),  # revenue one cent short
            (Decimal("250000"), 4, 1),  # one deal short
            (Decimal("250000"), 5, 0),  # no certification
        ],
    )
    def test_missing_one_requirement_by_the_smallest_amount_falls_to_the_tier_below(
        self, revenue, deals, certifications
    ):
        # given
        partner = certify(PartnerFactory(revenue_12m=revenue, deals_won_12m=deals), certifications)
        # when / then
        assert qualifying()[partner.id] == "registered"

    @pytest.mark.parametrize("field", ["revenue_12m", "deals_won_12m"])
    def test_a_null_partner_value_fails_a_set_requirement(self, field):
        # given a silver partner whose value is unknown
        partner = silver_partner(**{field: None})
        # when / then
        assert qualifying()[partner.id] == "registered"

    def test_a_null_requirement_is_met_even_by_a_null_partner_value(self):
        # given silver without a revenue requirement
        Tier.objects.filter(slug="silver").update(min_revenue_12m=None)
        partner = silver_partner(revenue_12m=None)
        # when / then
        assert qualifying()[partner.id] == "silver"

    def test_expired_certifications_do_not_count(self):
        # given: expired yesterday, expiring today (the first day it no longer counts), tomorrow
        expired = certify(
            PartnerFactory(revenue_12m=Decimal("300000"), deals_won_12m=6),
            1,
            expires_at=TODAY - dt.timedelta(days=1),
        )
        expiring_today = certify(
            PartnerFactory(revenue_12m=Decimal("300000"), deals_won_12m=6), 1, expires_at=TODAY
        )
        valid = certify(
            PartnerFactory(revenue_12m=Decimal("300000"), deals_won_12m=6),
            1,
            expires_at=TODAY + dt.timedelta(days=1),
        )
        # when
        result = qualifying()
        # then
        assert result[expired.id] == "registered"
        assert result[expiring_today.id] == "registered"
        assert result[valid.id] == "silver"

    def test_certifications_without_expiry_count(self):
        partner = PartnerFactory(revenue_12m=Decimal("300000"), deals_won_12m=6)
        PartnerCertificationFactory(partner=partner, expires_at=None)
        assert qualifying()[partner.id] == "silver"

    def test_only_certifications_from_the_required_set_count_when_the_tier_names_some(self):
        # given gold counts only cloud-architect and security-pro
        gold = Tier.objects.get(slug="gold")
        gold.required_certifications.set(
            [
                CertificationFactory(slug="cloud-architect"),
                CertificationFactory(slug="security-pro"),
            ]
        )
        numbers = {"revenue_12m": Decimal("1000000"), "deals_won_12m": 20}
        both = certify(PartnerFactory(**numbers), slugs=["cloud-architect", "security-pro"])
        one_of_them = certify(PartnerFactory(**numbers), slugs=["cloud-architect", "sales-basics"])
        others = certify(PartnerFactory(**numbers), slugs=["sales-basics", "sales-advanced"])
        expired_one = certify(PartnerFactory(**numbers), slugs=["cloud-architect"])
        certify(expired_one, slugs=["security-pro"], expires_at=TODAY)
        # when
        result = qualifying()
        # then: silver has no set, so any certification counts there
        assert result[both.id] == "gold"
        assert result[one_of_them.id] == "silver"
        assert result[others.id] == "silver"
        assert result[expired_one.id] == "silver"

    def test_enablement_completion_requirement_fails_below_and_on_null(self):
        # given gold needs 80% enablement
        Tier.objects.filter(slug="gold").update(min_enablement_completion_pct=80.0)
        null = gold_partner(enablement_completion_pct=None)
        below = gold_partner(enablement_completion_pct=79.9)
        exact = gold_partner(enablement_completion_pct=80.0)
        # when
        result = qualifying()
        # then
        assert (result[null.id], result[below.id], result[exact.id]) == ("silver", "silver", "gold")

    def test_a_non_automatic_tier_is_never_qualified_for(self):
        # given an invitation-only tier above platinum, with no requirements at all
        Tier.objects.create(slug="strategic", name="Strategic", rank=10, is_automatic=False)
        partner = gold_partner()
        # when / then
        assert qualifying()[partner.id] == "gold"

    def test_without_a_tier_open_to_all_a_partner_meeting_none_qualifies_for_no_tier(self):
        # given registered now needs some revenue
        Tier.objects.filter(slug="registered").update(min_revenue_12m=Decimal("1"))
        partner = PartnerFactory(revenue_12m=None)
        # when / then
        assert qualifying()[partner.id] is None


# ---------------------------------------------------------------------------------------
# Evaluation, automatic mode
# ---------------------------------------------------------------------------------------


class TestEvaluateAutomatic:
    def test_moves_partners_to_their_qualifying_tier_and_records_applied_changes(self):
        # given
        up = gold_partner(tier=tier("silver"))
        down = silver_partner(tier=tier("platinum"))
        untiered = PartnerFactory(tier=None, revenue_12m=None)
        stays = silver_partner(tier=tier("silver"))
        # when
        result = tiers.tiers_evaluate(apply=True)
        # then
        assert result == {
            "evaluated": 4,
            "up": 2,
            "down": 1,
            "applied": 3,
            "pending": 0,
            "superseded": 0,
            "held": 0,
        }
        assert [tier_slug(p) for p in (up, down, untiered, stays)] == [
            "gold",
            "silver",
            "registered",
            "silver",
        ]
        changes = {change.partner_id: change for change in TierChange.objects.all()}
        assert set(changes) == {up.id, down.id, untiered.id}
        assert all(change.status == TierChangeStatus.APPLIED for change in changes.values())
        assert all(change.decided_at is not None for change in changes.values())
        assert (changes[up.id].direction, changes[down.id].direction) == ("up", "down")
        assert changes[untiered.id].from_tier is None
        assert changes[untiered.id].direction == "up"
        assert changes[up.id].source == TierChangeSource.MANUAL

    def test_reasons_list_the_requirements_of_the_new_tier_and_why_the_old_one_is_lost(self):
        # given a platinum partner that only meets silver now
        partner = silver_partner(tier=tier("platinum"), deals_won_12m=60)
        # when
        tiers.tiers_evaluate(apply=True)
        # then
        reasons = TierChange.objects.get(partner=partner).reasons
        assert reasons["to_tier"] == {
            "tier": "silver",
            "requirements": [
                {
                    "requirement": "min_revenue_12m",
                    "required": 250000.0,
                    "actual": 250000.0,
                    "met": True,
                },
                {"requirement": "min_deals_won_12m", "required": 5, "actual": 60, "met": True},
                {
                    "requirement": "min_active_certifications",
                    "required": 1,
                    "actual": 1,
                    "met": True,
                },
            ],
        }
        assert reasons["from_tier"]["tier"] == "platinum"
        unmet = {
            check["requirement"]: (check["required"], check["actual"])
            for check in reasons["from_tier"]["requirements"]
            if not check["met"]
        }
        assert unmet == {
            "min_revenue_12m": (5000000.0, 250000.0),
            "min_active_certifications": (3, 1),
        }

    def test_reasons_name_the_certifications_that_count(self):
        Tier.objects.get(slug="silver").required_certifications.set(
            [CertificationFactory(slug="cloud-architect")]
        )
        partner = certify(
            PartnerFactory(revenue_12m=Decimal("300000"), deals_won_12m=5),
            slugs=["cloud-architect"],
        )
        tiers.tiers_evaluate(apply=True)
        checks = TierChange.objects.get(partner=partner).reasons["to_tier"]["requirements"]
        assert checks[-1] == {
            "requirement": "min_active_certifications",
            "required": 1,
            "actual": 1,
            "met": True,
            "certifications": ["cloud-architect"],
        }

    def test_a_second_run_changes_and_records_nothing(self):
        # given
        gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=True)
        # when
        result = tiers.tiers_evaluate(apply=True)
        # then
        assert (result["up"], result["down"], result["applied"]) == (0, 0, 0)
        assert TierChange.objects.count() == 1

    def test_partners_on_a_non_automatic_tier_are_left_alone(self):
        # given
        strategic = Tier.objects.create(
            slug="strategic", name="Strategic", rank=10, is_automatic=False
        )
        partner = PartnerFactory(tier=strategic, revenue_12m=None)
        # when
        tiers.tiers_evaluate(apply=True)
        # then
        assert tier_slug(partner) == "strategic"
        assert not TierChange.objects.exists()

    def test_moved_partners_are_announced_after_commit(
        self, changed_signals, django_capture_on_commit_callbacks
    ):
        # given
        moved = gold_partner(tier=tier("silver"))
        silver_partner(tier=tier("silver"))
        # when
        with django_capture_on_commit_callbacks(execute=True):
            tiers.tiers_evaluate(apply=True)
        # then
        assert changed_signals == [{"partner_ids": [moved.id], "reason": "tier"}]

    def test_nothing_is_announced_when_nobody_moves(
        self, changed_signals, django_capture_on_commit_callbacks
    ):
        silver_partner(tier=tier("silver"))
        with django_capture_on_commit_callbacks(execute=True):
            tiers.tiers_evaluate(apply=True)
        assert changed_signals == []

    def test_an_applying_run_supersedes_changes_still_pending(self):
        # given a pending change from an approval-mode run
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        # when
        result = tiers.tiers_evaluate(apply=True)
        # then
        assert result["superseded"] == 1
        assert tier_slug(partner) == "gold"
        assert sorted(TierChange.objects.values_list("status", flat=True)) == [
            TierChangeStatus.APPLIED,
            TierChangeStatus.SUPERSEDED,
        ]

    def test_the_scheduled_task_applies_by_default_and_records_its_source(self):
        # given the default (no approval required)
        partner = gold_partner(tier=tier("silver"))
        # when
        tiers_evaluate_task.delay()
        # then
        assert tier_slug(partner) == "gold"
        assert TierChange.objects.get().source == TierChangeSource.SCHEDULE


# ---------------------------------------------------------------------------------------
# Evaluation, approval mode
# ---------------------------------------------------------------------------------------


class TestEvaluateWithApproval:
    def test_the_setting_queues_pending_changes_and_leaves_partner_tiers_alone(
        self, settings, changed_signals, django_capture_on_commit_callbacks
    ):
        # given
        settings.PRM_TIER_CHANGES_REQUIRE_APPROVAL = True
        partner = gold_partner(tier=tier("silver"))
        # when
        with django_capture_on_commit_callbacks(execute=True):
            result = tiers.tiers_evaluate()
        # then
        assert (result["up"], result["applied"], result["pending"]) == (1, 0, 1)
        assert tier_slug(partner) == "silver"
        change = TierChange.objects.get()
        assert (change.status, change.from_tier.slug, change.to_tier.slug) == (
            TierChangeStatus.PENDING,
            "silver",
            "gold",
        )
        assert change.decided_at is None
        assert changed_signals == []

    def test_approving_applies_the_tier_and_announces_the_partner(
        self, changed_signals, django_capture_on_commit_callbacks
    ):
        # given
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        manager = UserFactory(is_staff=True)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            change = tiers.tier_change_approve(change=TierChange.objects.get(), user=manager)
        # then
        assert tier_slug(partner) == "gold"
        assert (change.status, change.decided_by) == (TierChangeStatus.APPLIED, manager)
        assert change.decided_at is not None
        assert changed_signals == [{"partner_ids": [partner.id], "reason": "tier"}]

    def test_rejecting_keeps_the_tier(self):
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        manager = UserFactory(is_staff=True)
        change = tiers.tier_change_reject(change=TierChange.objects.get(), user=manager)
        assert tier_slug(partner) == "silver"
        assert (change.status, change.decided_by) == (TierChangeStatus.REJECTED, manager)

    def test_a_later_run_with_the_same_target_keeps_the_pending_change(self):
        # given
        gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        first = TierChange.objects.get()
        # when
        result = tiers.tiers_evaluate(apply=False)
        # then
        assert (result["pending"], result["superseded"]) == (1, 0)
        assert list(TierChange.objects.values_list("id", "status")) == [
            (first.id, TierChangeStatus.PENDING)
        ]

    def test_a_later_run_with_a_different_target_supersedes_the_pending_change(self):
        # given a pending silver -> gold; the partner then reaches platinum
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        first = TierChange.objects.get()
        Partner.objects.filter(pk=partner.pk).update(
            revenue_12m=Decimal("5000000"), deals_won_12m=50
        )
        certify(partner, slugs=["one-more"])
        # when
        result = tiers.tiers_evaluate(apply=False)
        # then
        assert (result["pending"], result["superseded"]) == (1, 1)
        first.refresh_from_db()
        assert first.status == TierChangeStatus.SUPERSEDED
        assert TierChange.objects.pending().get().to_tier.slug == "platinum"

    def test_a_pending_change_is_superseded_when_the_partner_no_longer_moves(self):
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        Partner.objects.filter(pk=partner.pk).update(revenue_12m=Decimal("300000"))
        result = tiers.tiers_evaluate(apply=False)
        assert (result["up"], result["pending"], result["superseded"]) == (0, 0, 1)
        assert TierChange.objects.get().status == TierChangeStatus.SUPERSEDED

    def test_approving_after_the_partner_moved_meanwhile_supersedes_the_change(self):
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        Partner.objects.filter(pk=partner.pk).update(tier=tier("platinum"))
        change = tiers.tier_change_approve(change=TierChange.objects.get(), user=None)
        assert change.status == TierChangeStatus.SUPERSEDED
        assert tier_slug(partner) == "platinum"

    @pytest.mark.parametrize("decide", [tiers.tier_change_approve, tiers.tier_change_reject])
    def test_a_decided_change_cannot_be_decided_again(self, decide):
        gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        change = tiers.tier_change_reject(change=TierChange.objects.get(), user=None)
        with pytest.raises(ValidationError):
            decide(change=change, user=None)

    def test_a_rejected_move_is_not_proposed_again(self):
        # given
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        tiers.tier_change_reject(change=TierChange.objects.get(), user=None)
        # when
        result = tiers.tiers_evaluate(apply=False)
        # then
        assert (result["up"], result["pending"], result["held"]) == (1, 0, 1)
        assert not TierChange.objects.pending().exists()
        # ...but a different move is
        Partner.objects.filter(pk=partner.pk).update(
            revenue_12m=Decimal("5000000"), deals_won_12m=50
        )
        certify(partner, slugs=["one-more"])
        assert tiers.tiers_evaluate(apply=False)["pending"] == 1

    def test_at_most_one_pending_change_per_partner_is_enforced_by_the_database(self):
        from django.db import IntegrityError, transaction

        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        with pytest.raises(IntegrityError), transaction.atomic():
            TierChange.objects.create(
                partner=partner, direction="up", status="pending", source="manual"
            )


# ---------------------------------------------------------------------------------------
# Constant query count
# ---------------------------------------------------------------------------------------


def _world(count: int) -> None:
    """`count` partners: a fifth each move up to gold, down to silver and from no tier to
    registered; the rest stay silver."""
    for n in range(count):
        kind = n % 5
        if kind == 0:
            gold_partner(tier=tier("silver"))
        elif kind == 1:
            silver_partner(tier=tier("platinum"))
        elif kind == 2:
            PartnerFactory(tier=None)
        else:
            silver_partner(tier=tier("silver"))


@pytest.mark.parametrize("apply", [True, False])
def test_evaluation_runs_as_many_queries_for_50_partners_as_for_5(
    apply, django_assert_max_num_queries
):
    # given the queries of an evaluation of 5 partners
    _world(5)
    with CaptureQueriesContext(connection) as with_5:
        tiers.tiers_evaluate(apply=apply)
    TierChange.objects.all().delete()
    Partner.objects.all().delete()
    _world(50)
    # when / then
    with django_assert_max_num_queries(len(with_5)):
        result = tiers.tiers_evaluate(apply=apply)
    assert result["up"] + result["down"] == 30
    assert TierChange.objects.count() == 30


# ---------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------


class TestWhatIf:
    def test_counts_and_samples_the_moves_under_proposed_thresholds_without_writing(self):
        # given gold partners, silver partners with 600k, and an untiered partner
        golds = [gold_partner(tier=tier("gold"), name=f"Gold {n}") for n in range(2)]
        rising = [
            silver_partner(
                tier=tier("silver"),
                revenue_12m=Decimal("600000"),
                deals_won_12m=20,
                name=f"Rising {n}",
            )
            for n in range(3)
        ]
        certify(rising[0], slugs=["extra-0"])
        certify(rising[1], slugs=["extra-1"])
        untiered = PartnerFactory(tier=None, name="Untiered", revenue_12m=None)
        rows_before = (Partner.objects.count(), TierChange.objects.count())
        tiers_before = list(Tier.objects.values())
        # when gold needs only 500k but 3 certifications
        with CaptureQueriesContext(connection) as captured:
            result = tiers.tiers_what_if(
                thresholds={"gold": {"min_revenue_12m": 500000, "min_active_certifications": 3}}
            )
        # then: golds (2 certifications) fall to silver; rising[0..1] (2 certs) stay silver
        assert result["partners"] == 6
        assert (result["up"], result["down"], result["unchanged"]) == (1, 2, 3)
        assert result["moves"] == [
            {"tier_from": None, "tier_to": "registered", "direction": "up", "count": 1},
            {"tier_from": "gold", "tier_to": "silver", "direction": "down", "count": 2},
        ]
        assert [row["name"] for row in result["sample_down"]] == ["Gold 0", "Gold 1"]
        assert result["sample_down"][0] == {
            "id": golds[0].id,
            "external_id": golds[0].external_id,
            "name": "Gold 0",
            "tier_from": "gold",
            "tier_to": "silver",
        }
        assert [row["id"] for row in result["sample_up"]] == [untiered.id]
        # nothing written
        statements = [query["sql"].lstrip().split()[0].upper() for query in captured]
        assert not {"INSERT", "UPDATE", "DELETE"} & set(statements), statements
        assert (Partner.objects.count(), TierChange.objects.count()) == rows_before
        assert list(Tier.objects.values()) == tiers_before
        assert all(tier_slug(p) == "gold" for p in golds)

    def test_lower_thresholds_move_partners_up(self):
        # given two silver partners with 700k, 12 deals and two certifications
        partners = [
            certify(
                PartnerFactory(
                    tier=tier("silver"), revenue_12m=Decimal("700000"), deals_won_12m=12
                ),
                2,
            )
            for _ in range(2)
        ]
        # when
        result = tiers.tiers_what_if(
            thresholds={"gold": {"min_revenue_12m": 700000, "min_deals_won_12m": 10}}
        )
        # then
        assert (result["up"], result["down"]) == (2, 0)
        assert {row["id"] for row in result["sample_up"]} == {p.id for p in partners}

    def test_a_null_proposal_removes_the_requirement(self):
        partner = certify(
            PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("300000"), deals_won_12m=20), 2
        )
        result = tiers.tiers_what_if(thresholds={"gold": {"min_revenue_12m": None}})
        assert result["sample_up"] == [
            {
                "id": partner.id,
                "external_id": partner.external_id,
                "name": partner.name,
                "tier_from": "silver",
                "tier_to": "gold",
            }
        ]

    def test_samples_are_capped(self):
        for _ in range(4):
            PartnerFactory(tier=None)
        result = tiers.tiers_what_if(thresholds={}, sample_size=3)
        assert result["up"] == 4
        assert len(result["sample_up"]) == 3

    def test_empty_thresholds_predict_exactly_what_the_evaluation_does(self):
        _world(10)
        predicted = tiers.tiers_what_if(thresholds={})
        result = tiers.tiers_evaluate(apply=True)
        assert (predicted["up"], predicted["down"]) == (result["up"], result["down"])

    @pytest.mark.parametrize(
        ("thresholds", "path"),
        [
            ({"diamond": {"min_revenue_12m": 1}}, "/diamond"),
            ({"gold": {"min_revenue_12m": -1}}, "/gold/min_revenue_12m"),
            ({"gold": {"min_revenue_12m": "a lot"}}, "/gold/min_revenue_12m"),
            ({"gold": {"min_deals_won_12m": True}}, "/gold/min_deals_won_12m"),
            ({"gold": {"min_deals_won_12m": 2.5}}, "/gold/min_deals_won_12m"),
            (
                {"gold": {"min_enablement_completion_pct": 101}},
                "/gold/min_enablement_completion_pct",
            ),
            ({"gold": {"min_employees": 1}}, "/gold/min_employees"),
            ({"gold": 5}, "/gold"),
            ([], ""),
        ],
    )
    def test_invalid_thresholds_are_reported_with_their_path(self, thresholds, path):
        with pytest.raises(ThresholdsError) as error:
            tiers.tiers_what_if(thresholds=thresholds)
        assert [item["path"] for item in error.value.errors] == [path]


# ---------------------------------------------------------------------------------------
# Progress toward the next tier
# ---------------------------------------------------------------------------------------


class TestProgress:
    def test_lists_what_is_missing_for_the_next_tier_in_numbers(self):
        # given a silver partner: 400k revenue, 12 deals, 1 certification; gold: 1M, 20, 2
        partner = certify(
            PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("400000"), deals_won_12m=12), 1
        )
        # when
        progress = tiers.tier_progress(partner=partner)
        # then
        assert progress["tier"] == {"slug": "silver", "name": "Silver", "rank": 2}
        assert progress["next_tier"] == {
            "slug": "gold",
            "name": "Gold",
            "rank": 3,
            "is_automatic": True,
        }
        assert progress["requirements"] == [
            {
                "requirement": "min_revenue_12m",
                "required": Decimal("1000000"),
                "actual": Decimal("400000"),
                "missing": Decimal("600000"),
                "met": False,
            },
            {
                "requirement": "min_deals_won_12m",
                "required": 20,
                "actual": 12,
                "missing": 8,
                "met": False,
            },
            {
                "requirement": "min_active_certifications",
                "required": 2,
                "actual": 1,
                "missing": 1,
                "met": False,
            },
        ]
        # (0.4 + 0.6 + 0.5) / 3
        assert progress["pct"] == 50.0
        # (1M - 400k) / 1M
        assert progress["next_tier_gap_pct"] == pytest.approx(60.0)
        assert progress["qualifying_tier"]["slug"] == "silver"
        assert progress["pending_change"] is None

    def test_a_met_requirement_has_nothing_missing_and_null_values_miss_everything(self):
        Tier.objects.filter(slug="gold").update(min_enablement_completion_pct=75.0)
        partner = certify(
            PartnerFactory(tier=tier("silver"), revenue_12m=None, deals_won_12m=25), 3
        )
        progress = tiers.tier_progress(partner=partner)
        by_requirement = {check["requirement"]: check for check in progress["requirements"]}
        assert by_requirement["min_revenue_12m"]["missing"] == Decimal("1000000")
        assert by_requirement["min_revenue_12m"]["met"] is False
        assert (
            by_requirement["min_deals_won_12m"]["missing"],
            by_requirement["min_deals_won_12m"]["met"],
        ) == (0, True)
        assert by_requirement["min_enablement_completion_pct"]["missing"] == 75.0
        # revenue 0, deals 1, certifications 1, enablement 0
        assert progress["pct"] == 50.0
        assert progress["next_tier_gap_pct"] is None

    def test_a_partner_without_a_tier_looks_at_the_lowest_tier(self):
        partner = PartnerFactory(tier=None)
        progress = tiers.tier_progress(partner=partner)
        assert progress["tier"] is None
        assert progress["next_tier"]["slug"] == "registered"
        assert progress["requirements"] == []
        assert progress["pct"] == 100.0

    def test_the_top_tier_has_no_next_tier(self):
        partner = PartnerFactory(tier=tier("platinum"))
        progress = tiers.tier_progress(partner=partner)
        assert (progress["next_tier"], progress["pct"], progress["next_tier_gap_pct"]) == (
            None,
            None,
            None,
        )

    def test_a_pending_change_is_shown(self):
        partner = gold_partner(tier=tier("silver"))
        tiers.tiers_evaluate(apply=False)
        progress = tiers.tier_progress(partner=partner)
        assert progress["pending_change"]["to_tier"] == "gold"
        assert progress["qualifying_tier"]["slug"] == "gold"

    def test_next_tier_gap_pct_agrees_with_the_segment_field(self):
        from segments.fields import next_tier_gap_pct

        # given partners around every threshold, with and without tier and revenue
        partners = [
            PartnerFactory(tier=None, revenue_12m=Decimal("100000")),
            PartnerFactory(tier=tier("registered"), revenue_12m=Decimal("100000")),
            PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("1200000")),
            PartnerFactory(tier=tier("gold"), revenue_12m=Decimal("1234567.89")),
            PartnerFactory(tier=tier("gold"), revenue_12m=None),
            PartnerFactory(tier=tier("platinum"), revenue_12m=Decimal("1")),
        ]
        # when
        expected = dict(
            Partner.objects.annotate(gap=next_tier_gap_pct(TODAY)).values_list("id", "gap")
        )
        # then
        for partner in partners:
            gap = tiers.tier_progress(partner=partner)["next_tier_gap_pct"]
            assert gap == pytest.approx(expected[partner.id]), partner
