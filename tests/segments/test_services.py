import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from partners import services as partner_services
from partners.models import Partner
from segments import services
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    Membership,
    MembershipEvent,
    PendingPartnerChange,
    Segment,
)
from segments.rules import RuleError, compile_rule
from segments.services import bulk, changes, evaluation
from segments.signals import segment_members_changed
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)

pytestmark = pytest.mark.django_db

EMEA = {"field": "region", "op": "eq", "value": "emea"}


def make_segment(slug: str, rule=None, kind: str = "dynamic", **extra) -> Segment:
    return services.segment_create(
        data={
            "name": slug.replace("-", " ").title(),
            "slug": slug,
            "objective": f"Test objective for {slug}",
            "kind": kind,
            "rule": rule,
            **extra,
        }
    )


def member_ids(segment: Segment) -> set[int]:
    return set(Membership.objects.filter(segment=segment).values_list("partner_id", flat=True))


def events(segment: Segment) -> list[tuple[int, str]]:
    return sorted(MembershipEvent.objects.filter(segment=segment).values_list("partner_id", "kind"))


class TestEvaluate:
    def test_evaluation_adds_matching_partners_and_records_joined_events(self):
        # given
        emea = PartnerFactory.create_batch(3, region="emea")
        PartnerFactory(region="apac")
        PartnerFactory(region=None)
        segment = make_segment("emea", EMEA)
        # when
        run = services.segment_evaluate(segment_id=segment.id)
        # then
        assert run.status == EvaluationStatus.SUCCEEDED
        assert (run.matched, run.joined, run.left) == (3, 3, 0)
        assert member_ids(segment) == {partner.id for partner in emea}
        assert events(segment) == sorted((partner.id, "joined") for partner in emea)
        segment.refresh_from_db()
        assert segment.member_count == 3
        assert segment.last_evaluated_at is not None
        assert segment.next_evaluation_at > segment.last_evaluated_at

    def test_evaluate_records_left_event_when_partner_no_longer_matches(self):
        # given
        staying, leaving = PartnerFactory.create_batch(2, region="emea")
        segment = make_segment("emea", EMEA)
        services.segment_evaluate(segment_id=segment.id)
        partner_services.partner_update(partner=leaving, data={"region": "na"})
        # when
        run = services.segment_evaluate(segment_id=segment.id)
        # then
        assert (run.matched, run.joined, run.left) == (1, 0, 1)
        assert member_ids(segment) == {staying.id}
        left_event = MembershipEvent.objects.get(segment=segment, kind="left")
        assert left_event.partner_id == leaving.id
        assert left_event.run_id == run.id

    def test_a_repeated_run_changes_nothing_and_writes_no_events(self):
        # given
        PartnerFactory.create_batch(4, region="emea")
        segment = make_segment("emea", EMEA)
        services.segment_evaluate(segment_id=segment.id)
        before = MembershipEvent.objects.count()
        # when
        run = services.segment_evaluate(segment_id=segment.id)
        # then
        assert (run.matched, run.joined, run.left) == (4, 0, 0)
        assert MembershipEvent.objects.count() == before

    def test_a_run_for_an_older_version_is_stale_and_changes_nothing(self):
        # given
        PartnerFactory(region="emea")
        segment = make_segment("emea", EMEA)
        services.segment_update(
            segment=segment, data={"rule": {"field": "region", "op": "eq", "value": "na"}}
        )
        # when
        run = services.segment_evaluate(segment_id=segment.id, expected_version=1)
        # then
        assert run.status == EvaluationStatus.STALE
        assert member_ids(segment) == set()
        assert MembershipEvent.objects.count() == 0

    def test_a_statement_timeout_fails_the_run_and_keeps_the_previous_membership(
        self, settings, monkeypatch
    ):
        # given: a segment with members, then a change that would empty it
        partner = PartnerFactory(region="emea")
        segment = make_segment("emea", EMEA)
        services.segment_evaluate(segment_id=segment.id)
        partner_services.partner_update(partner=partner, data={"region": "na"})
        settings.PRM_SEGMENT_STATEMENT_TIMEOUT_MS = 100
        real_apply = evaluation._apply_rule

        def slow_apply(**kwargs):
            result = real_apply(**kwargs)  # the membership is changed inside the transaction…
            with connection.cursor() as cursor:  # …then the run overruns its time limit
                cursor.execute("SELECT pg_sleep(2)")
            return result

        monkeypatch.setattr(evaluation, "_apply_rule", slow_apply)
        # when
        run = services.segment_evaluate(segment_id=segment.id)
        # then
        assert run.status == EvaluationStatus.FAILED
        assert "statement timeout" in run.error
        assert member_ids(segment) == {partner.id}
        assert MembershipEvent.objects.filter(kind="left").count() == 0
        segment.refresh_from_db()
        assert segment.consecutive_failures == 1
        assert "statement timeout" in segment.last_error
        assert segment.next_evaluation_at > timezone.now()

    def test_failures_back_off_exponentially(self, monkeypatch):
        # given
        segment = make_segment("emea", EMEA, refresh_interval_minutes=10)

        def broken(**kwargs):
            raise OperationalError("database went away")

        monkeypatch.setattr(evaluation, "_apply_rule", broken)
        # when
        services.segment_evaluate(segment_id=segment.id)
        services.segment_evaluate(segment_id=segment.id)
        # then: 10 minutes, then 20 minutes
        segment.refresh_from_db()
        assert segment.consecutive_failures == 2
        delay = segment.next_evaluation_at - timezone.now()
        assert dt.timedelta(minutes=19) < delay <= dt.timedelta(minutes=20)


class TestRulesOnSave:
    def test_an_invalid_rule_is_refused_with_its_path(self):
        with pytest.raises(RuleError) as error:
            make_segment("bad", {"all": [{"field": "annual_revenue", "op": "gte", "value": "x"}]})
        assert error.value.errors[0]["path"] == "/all/0/value"
        assert not Segment.objects.exists()

    def test_a_dynamic_segment_needs_a_rule_and_a_static_one_has_none(self):
        with pytest.raises(RuleError):
            make_segment("no-rule", None)
        with pytest.raises(RuleError):
            make_segment("static-with-rule", EMEA, kind="static")

    def test_a_rule_naming_an_unknown_segment_is_refused(self):
        with pytest.raises(RuleError):
            make_segment("a", {"field": "segment", "op": "in", "value": "missing"})

    def test_a_cycle_between_segments_is_refused(self):
        # given: c -> b -> a
        make_segment("a", EMEA)
        make_segment("b", {"field": "segment", "op": "in", "value": "a"})
        make_segment("c", {"field": "segment", "op": "in", "value": "b"})
        # when / then: a -> c would close the cycle
        with pytest.raises(RuleError) as error:
            services.segment_update(
                segment=Segment.objects.get(slug="a"),
                data={"rule": {"field": "segment", "op": "not_in", "value": "c"}},
            )
        assert "cycle" in error.value.errors[0]["message"]
        assert Segment.objects.get(slug="a").rule == EMEA

    def test_a_segment_that_others_name_cannot_be_deleted(self):
        from django.core.exceptions import ValidationError

        base = make_segment("a", EMEA)
        make_segment("b", {"field": "segment", "op": "in", "value": "a"})
        with pytest.raises(ValidationError):
            services.segment_delete(segment=base)

    def test_changing_the_rule_bumps_the_version(self):
        segment = make_segment("a", EMEA)
        services.segment_update(segment=segment, data={"description": "same rule"})
        segment.refresh_from_db()
        assert segment.version == 1
        services.segment_update(segment=segment, data={"rule": {"all": []}})
        segment.refresh_from_db()
        assert segment.version == 2


class TestDependencyOrder:
    def test_segments_are_evaluated_after_the_segments_they_name(self):
        # given: created in reverse dependency order on purpose
        make_segment("base", EMEA)
        make_segment("middle", {"field": "segment", "op": "in", "value": "base"})
        top = make_segment("top", {"field": "segment", "op": "in", "value": "middle"})
        services.segment_update(
            segment=Segment.objects.get(slug="base"),
            data={"rule": {"field": "region", "op": "in", "value": ["emea", "na"]}},
        )
        partner = PartnerFactory(region="na")
        # when
        ordered = [segment.slug for segment in services.segments_evaluation_order()]
        services.segments_evaluate_all()
        # then: one pass is enough because the order is right
        assert ordered.index("base") < ordered.index("middle") < ordered.index("top")
        assert member_ids(top) == {partner.id}


class TestEvaluateAll:
    def test_levels_put_each_segment_above_the_segments_it_names(self):
        # given
        make_segment("base", EMEA)
        make_segment("other", {"field": "region", "op": "eq", "value": "na"})
        make_segment("middle", {"field": "segment", "op": "in", "value": "base"})
        make_segment(
            "top",
            {
                "all": [
                    {"field": "segment", "op": "in", "value": "middle"},
                    {"field": "segment", "op": "not_in", "value": ["other"]},
                ]
            },
        )
        # when
        levels = services.segments_dependency_levels(services.segments_evaluation_order())
        # then
        assert [sorted(segment.slug for segment in level) for level in levels] == [
            ["base", "other"],
            ["middle"],
            ["top"],
        ]

    def test_runs_count_matches_joins_and_leaves_and_each_move_has_one_event_of_its_run(self):
        # given
        emea = make_segment("emea", EMEA)
        na = make_segment("na", {"field": "region", "op": "eq", "value": "na"})
        top = make_segment("top", {"field": "segment", "op": "in", "value": "emea"})
        stays, moves, arrives = (PartnerFactory(region=region) for region in ("emea", "emea", "na"))
        services.segments_evaluate_all()
        partner_services.partner_update(partner=moves, data={"region": "na"})
        partner_services.partner_update(partner=arrives, data={"region": "emea"})
        # when
        runs = {run.segment_id: run for run in services.segments_evaluate_all()}
        # then
        assert [run.segment_id for run in runs.values()][-1] == top.id
        for segment in (emea, top):
            run = runs[segment.id]
            assert (run.status, run.matched, run.joined, run.left) == ("succeeded", 2, 1, 1)
            assert member_ids(segment) == {stays.id, arrives.id}
            assert events(segment) == sorted(
                [(stays.id, "joined"), (moves.id, "joined"), (arrives.id, "joined"),
                 (moves.id, "left")]
            )  # fmt: skip
            last = MembershipEvent.objects.filter(segment=segment, run=run)
            assert sorted(last.values_list("partner_id", "kind")) == sorted(
                [(arrives.id, "joined"), (moves.id, "left")]
            )
        assert (runs[na.id].matched, runs[na.id].joined, runs[na.id].left) == (1, 1, 1)
        for segment in (emea, na, top):
            segment.refresh_from_db()
            assert segment.member_count == len(member_ids(segment))
            assert segment.last_evaluated_at is not None

    def test_segments_beyond_the_group_size_are_evaluated_in_further_groups(self, monkeypatch):
        # given
        monkeypatch.setattr(bulk, "EVALUATION_GROUP_SIZE", 2)
        regions = ["emea", "na", "apac", "latam", "emea"]
        segments = [
            make_segment(f"s{index}", {"field": "region", "op": "eq", "value": region})
            for index, region in enumerate(regions)
        ]
        partners = {region: PartnerFactory(region=region) for region in set(regions)}
        # when
        runs = services.segments_evaluate_all()
        # then
        assert [run.status for run in runs] == ["succeeded"] * 5
        for segment, region in zip(segments, regions, strict=True):
            assert member_ids(segment) == {partners[region].id}
            assert events(segment) == [(partners[region].id, "joined")]

    def test_a_failing_segment_fails_alone_and_its_group_is_evaluated(self, monkeypatch):
        # given: one rule fails in the database (division by zero)
        latam = {"field": "region", "op": "eq", "value": "latam"}
        real_rule_sql = evaluation._rule_sql

        def rule_sql(*, rule, partner_ids):
            if rule == latam:
                return "SELECT (1 / 0)::bigint AS id", ()
            return real_rule_sql(rule=rule, partner_ids=partner_ids)

        # the group's statement and, one by one, the single-segment path
        monkeypatch.setattr(bulk, "_rule_sql", rule_sql)
        monkeypatch.setattr(evaluation, "_rule_sql", rule_sql)
        emea = make_segment("emea", EMEA)
        broken = make_segment("latam", latam)
        partner = PartnerFactory(region="emea")
        # when
        runs = {run.segment_id: run for run in services.segments_evaluate_all()}
        # then: the group rolled back, left no run behind, and each segment ran on its own
        assert runs[broken.id].status == EvaluationStatus.FAILED
        assert "division by zero" in runs[broken.id].error
        assert runs[emea.id].status == EvaluationStatus.SUCCEEDED
        assert EvaluationRun.objects.filter(segment=emea).count() == 1
        assert member_ids(emea) == {partner.id}
        assert events(emea) == [(partner.id, "joined")]
        broken.refresh_from_db()
        assert broken.consecutive_failures == 1

    def test_a_segment_whose_rule_changed_since_the_order_was_read_is_stale(self, monkeypatch):
        # given: the rule changes between reading the order and evaluating
        segment = make_segment("emea", EMEA)
        PartnerFactory(region="emea")
        real_order = bulk.segments_evaluation_order

        def order_then_edit(**kwargs):
            ordered = real_order(**kwargs)
            Segment.objects.filter(pk=segment.pk).update(version=segment.version + 1)
            return ordered

        monkeypatch.setattr(bulk, "segments_evaluation_order", order_then_edit)
        # when
        (run,) = services.segments_evaluate_all()
        # then
        assert run.status == EvaluationStatus.STALE
        assert member_ids(segment) == set()
        assert not MembershipEvent.objects.exists()


class TestStaticSegments:
    def test_members_are_added_and_removed_by_hand_with_events(self):
        # given
        first, second = PartnerFactory.create_batch(2)
        segment = make_segment("vip", kind="static")
        # when
        services.segment_members_add(segment=segment, partner_ids=[first.id, second.id])
        services.segment_members_add(segment=segment, partner_ids=[first.id])
        services.segment_members_remove(segment=segment, partner_ids=[second.id])
        # then
        assert member_ids(segment) == {first.id}
        assert events(segment) == sorted(
            [(first.id, "joined"), (second.id, "joined"), (second.id, "left")]
        )
        segment.refresh_from_db()
        assert segment.member_count == 1

    def test_members_from_external_ids_report_unknown_ids_and_write_nothing(self):
        from django.core.exceptions import ValidationError

        PartnerFactory(external_id="KNOWN")
        segment = make_segment("vip", kind="static")
        with pytest.raises(ValidationError):
            services.segment_members_set_from_external_ids(
                segment=segment, external_ids=["KNOWN", "UNKNOWN"]
            )
        assert member_ids(segment) == set()

    def test_replace_makes_members_exactly_the_given_partners(self):
        keep, drop = PartnerFactory(external_id="K"), PartnerFactory(external_id="D")
        segment = make_segment("vip", kind="static")
        services.segment_members_add(segment=segment, partner_ids=[keep.id, drop.id])
        result = services.segment_members_set_from_external_ids(
            segment=segment, external_ids=["K"], replace=True
        )
        assert member_ids(segment) == {keep.id}
        assert result == {"joined": 0, "left": 1, "members": 1}

    def test_a_dynamic_segment_cannot_be_edited_by_hand(self):
        from django.core.exceptions import ValidationError

        segment = make_segment("emea", EMEA)
        with pytest.raises(ValidationError):
            services.segment_members_add(segment=segment, partner_ids=[PartnerFactory().id])


class TestChangeDriven:
    def test_changed_partners_are_queued_once_and_rechecked_in_a_batch(self):
        # given
        segment = make_segment("emea", EMEA)
        services.segment_evaluate(segment_id=segment.id)
        partner = PartnerFactory(region="apac")
        other = PartnerFactory(region="apac")
        # when: the same partner changes twice, then the batch runs
        services.segments_partners_changed(partner_ids=[partner.id])
        partner_services.partner_update(partner=partner, data={"region": "emea"})
        services.segments_partners_changed(partner_ids=[partner.id])
        assert PendingPartnerChange.objects.count() == 1
        result = services.segments_process_pending_changes()
        # then: only the changed partner was looked at, and one run was recorded
        assert result == {"partners": 1, "segments_changed": 1, "remaining": 0}
        assert member_ids(segment) == {partner.id}
        assert other.id not in member_ids(segment)
        run = EvaluationRun.objects.get(segment=segment, trigger=EvaluationTrigger.CHANGE)
        assert (run.joined, run.left, run.partner_count) == (1, 0, 1)
        segment.refresh_from_db()
        assert segment.member_count == 1

    def test_recheck_follows_dependencies_in_one_pass(self):
        make_segment("base", EMEA)
        top = make_segment("top", {"field": "segment", "op": "in", "value": "base"})
        partner = PartnerFactory(region="emea")
        services.segments_recheck_partners(partner_ids=[partner.id])
        assert member_ids(top) == {partner.id}

    def test_recheck_writes_each_move_once_with_its_run_and_announces_it(
        self, django_capture_on_commit_callbacks
    ):
        # given: two segments of one level, one above them, one nobody moves in or out of
        emea = make_segment("emea", EMEA)
        na = make_segment("na", {"field": "region", "op": "eq", "value": "na"})
        top = make_segment("top", {"field": "segment", "op": "in", "value": ["emea", "na"]})
        quiet = make_segment("latam", {"field": "region", "op": "eq", "value": "latam"})
        leaver, joiner = PartnerFactory(region="emea"), PartnerFactory(region="apac")
        services.segments_evaluate_all()
        partner_services.partner_update(partner=leaver, data={"region": "apac"})
        partner_services.partner_update(partner=joiner, data={"region": "na"})
        announced = []

        def receiver(sender, segment_id, joined_ids, left_ids, **kwargs):
            announced.append((segment_id, joined_ids, left_ids))

        segment_members_changed.connect(receiver)
        # when
        try:
            with django_capture_on_commit_callbacks(execute=True):
                outcomes = services.segments_recheck_partners(partner_ids=[leaver.id, joiner.id])
        finally:
            segment_members_changed.disconnect(receiver)
        # then
        assert sorted(announced) == sorted(
            [
                (emea.id, [], [leaver.id]),
                (na.id, [joiner.id], []),
                (top.id, [joiner.id], [leaver.id]),
            ]
        )
        assert set(outcomes) == {emea.id, na.id, top.id}
        assert not EvaluationRun.objects.filter(segment=quiet, trigger="change").exists()
        for segment, joined, left in ((emea, 0, 1), (na, 1, 0), (top, 1, 1)):
            run = EvaluationRun.objects.get(segment=segment, trigger=EvaluationTrigger.CHANGE)
            assert (run.status, run.joined, run.left, run.partner_count) == (
                "succeeded",
                joined,
                left,
                2,
            )
            assert MembershipEvent.objects.filter(run=run).count() == joined + left
            segment.refresh_from_db()
            assert segment.member_count == len(member_ids(segment))
        assert member_ids(top) == {joiner.id}
        assert events(top) == sorted(
            [(leaver.id, "joined"), (leaver.id, "left"), (joiner.id, "joined")]
        )

    def test_recheck_agrees_with_the_rules_for_every_kind_of_condition(self):
        # given: segments over columns, the tier (a join), tags, certifications, attributes,
        # a derived field, text and another segment; then some partners change
        rules = {
            "emea": EMEA,
            "gold-up": {"field": "tier", "op": "at_least", "value": "gold"},
            "aws": {"field": "technologies", "op": "has_any", "value": ["aws"]},
            "certified": {"field": "certifications", "op": "has", "value": "cloud-architect"},
            "pro": {"field": "attributes.plan", "op": "eq", "value": "pro"},
            "near-next-tier": {"field": "next_tier_gap_pct", "op": "lte", "value": 50},
            "named-cloud": {"field": "name", "op": "contains", "value": "CLOUD"},
            "emea-not-aws": {
                "all": [
                    {"field": "segment", "op": "in", "value": "emea"},
                    {"field": "segment", "op": "not_in", "value": ["aws"]},
                ]
            },
        }
        segments = [make_segment(slug, rule) for slug, rule in rules.items()]
        cloud = CertificationFactory(slug="cloud-architect")
        partners = [
            PartnerFactory(region="emea", tier=tier("gold"), attributes={"plan": "pro"}),
            PartnerFactory(region="na", technologies=["aws"], name="Blue Cloud"),
            PartnerFactory(region="apac", tier=tier("silver"), revenue_12m=None),
            PartnerFactory(region="emea", technologies=["aws"], tier=tier("platinum")),
        ]
        PartnerCertificationFactory(partner=partners[2], certification=cloud, expires_at=None)
        services.segments_evaluate_all()
        first, second, third, _ = partners
        Partner.objects.filter(pk=first.pk).update(
            region="na", tier=tier("silver"), name="Cloud Nine"
        )
        Partner.objects.filter(pk=second.pk).update(region="emea", attributes={"plan": "pro"})
        second.technologies.clear()
        PartnerCertificationFactory(partner=first, certification=cloud, expires_at=None)
        third.certifications.all().delete()
        # when
        services.segments_recheck_partners(partner_ids=[first.id, second.id, third.id])
        # then
        for segment in segments:
            expected = set(
                Partner.objects.filter(compile_rule(segment.rule)).values_list("id", flat=True)
            )
            assert member_ids(segment) == expected, segment.slug
        assert EvaluationRun.objects.filter(trigger=EvaluationTrigger.CHANGE).count() >= 6

    def test_recheck_that_changes_nothing_records_no_run(self):
        segment = make_segment("emea", EMEA)
        partner = PartnerFactory(region="apac")
        services.segments_recheck_partners(partner_ids=[partner.id])
        assert not EvaluationRun.objects.filter(segment=segment).exists()

    def test_partner_edits_reach_segments_through_the_signal(
        self, django_capture_on_commit_callbacks
    ):
        # given (tasks run eagerly in the unit tests)
        segment = make_segment("emea", EMEA)
        partner = PartnerFactory(region="apac")
        # when
        with django_capture_on_commit_callbacks(execute=True):
            partner_services.partner_update(partner=partner, data={"region": "emea"})
        # then
        assert member_ids(segment) == {partner.id}

    def test_a_static_change_rechecks_segments_that_name_it(
        self, django_capture_on_commit_callbacks
    ):
        static = make_segment("vip", kind="static")
        top = make_segment(
            "vip-emea", {"all": [EMEA, {"field": "segment", "op": "in", "value": "vip"}]}
        )
        partner = PartnerFactory(region="emea")
        with django_capture_on_commit_callbacks(execute=True):
            services.segment_members_add(segment=static, partner_ids=[partner.id])
        assert member_ids(top) == {partner.id}


class TestScheduler:
    def test_claim_due_returns_due_segments_in_dependency_order_once(self):
        # given
        base = make_segment("base", EMEA)
        top = make_segment("top", {"field": "segment", "op": "in", "value": "base"})
        not_due = make_segment("later", EMEA)
        Segment.objects.filter(pk=not_due.pk).update(
            next_evaluation_at=timezone.now() + dt.timedelta(hours=1)
        )
        # when
        first = services.segments_claim_due()
        second = services.segments_claim_due()
        # then
        assert first == [base.id, top.id]
        assert second == []

    def test_sweeper_fails_runs_stuck_in_running(self):
        segment = make_segment("emea", EMEA)
        stuck = EvaluationRun.objects.create(
            segment=segment,
            trigger="schedule",
            segment_version=1,
            started_at=timezone.now() - dt.timedelta(hours=2),
        )
        fresh = EvaluationRun.objects.create(
            segment=segment, trigger="schedule", segment_version=1, started_at=timezone.now()
        )
        assert services.evaluation_runs_sweep_stuck(older_than_minutes=30) == 1
        stuck.refresh_from_db()
        fresh.refresh_from_db()
        assert stuck.status == EvaluationStatus.FAILED
        assert "lost" in stuck.error
        assert fresh.status == EvaluationStatus.RUNNING


@pytest.mark.django_db(transaction=True)
class TestConcurrency:
    def test_concurrent_runs_of_one_segment_never_duplicate_events(self):
        # given
        partners = PartnerFactory.create_batch(50, region="emea")
        # Created directly: the service would evaluate it on commit (tasks run eagerly here).
        segment = Segment.objects.create(name="EMEA", slug="emea", objective="o", rule=EMEA)
        barrier = threading.Barrier(4)
        errors: list[BaseException] = []

        def evaluate():
            try:
                barrier.wait()
                services.segment_evaluate(segment_id=segment.id)
            except BaseException as error:  # surfaced below
                errors.append(error)
            finally:
                connections.close_all()

        # when
        threads = [threading.Thread(target=evaluate) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        # then
        assert errors == []
        assert member_ids(segment) == {partner.id for partner in partners}
        assert MembershipEvent.objects.filter(segment=segment).count() == 50
        runs = EvaluationRun.objects.filter(segment=segment, status="succeeded")
        assert sorted(run.joined for run in runs) == [0, 0, 0, 50]


class TestMembersByIdOrExternalId:
    def test_unknown_ids_of_either_kind_are_reported_and_nothing_changes(self):
        from django.core.exceptions import ValidationError

        # given
        known = PartnerFactory(external_id="KNOWN")
        segment = make_segment("vip", kind="static")
        # when
        with pytest.raises(ValidationError) as error:
            services.segment_members_change(
                segment=segment, partner_ids=[known.id, 987654], external_ids=["NOPE"]
            )
        # then
        assert set(error.value.message_dict) == {"partner_ids", "external_ids"}
        assert member_ids(segment) == set()

    def test_members_are_added_and_removed_by_external_id(self):
        partner = PartnerFactory(external_id="P-9")
        segment = make_segment("vip", kind="static")
        assert services.segment_members_change(segment=segment, external_ids=["P-9"]) == [
            partner.id
        ]
        services.segment_members_change(segment=segment, partner_ids=[partner.id], remove=True)
        assert member_ids(segment) == set()


def setting(cursor, name: str) -> str:
    cursor.execute("SELECT current_setting(%s)", [name])
    return cursor.fetchone()[0]


@pytest.mark.django_db
def test_matching_plans_probe_with_little_work_mem_and_the_settings_come_back_after():
    # given: the re-check's own work_mem for sorting its writes
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # when
        with changes._index_probe_plans(cursor):
            inside = [setting(cursor, name) for name in ("work_mem", *changes.PROBE_ONLY_SETTINGS)]
        after = [setting(cursor, name) for name in ("work_mem", *changes.PROBE_ONLY_SETTINGS)]
    # then: too little work_mem for hashing a tag's partners; the sort's 64MB again after
    assert inside == [changes.PROBE_ONLY_WORK_MEM, *["off"] * len(changes.PROBE_ONLY_SETTINGS)]
    assert after == ["64MB", *["on"] * len(changes.PROBE_ONLY_SETTINGS)]
