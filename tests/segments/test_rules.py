import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper
from django.db.utils import ConnectionHandler
from django.utils import timezone

from partners.models import LifecycleStage, Partner, PartnerType, Region, Tier
from segments.fields import MAX_DAYS, MAX_LIST_VALUES, MAX_NUMBER, next_tier_gap_pct, types
from segments.rules import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    MAX_GROUPS,
    RuleError,
    compile_rule,
    explain_rule,
    explain_rules,
    rule_segment_slugs,
    validate_rule,
)
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 15)
ALL = {"acme", "beta", "gamma", "delta"}


def at(day: str, time: str = "00:00") -> dt.datetime:
    """An aware timestamp in the current (local) time zone."""
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day}T{time}"))


@pytest.fixture
def world():
    """Four partners with known values; beta has every optional value missing (null)."""
    acme = PartnerFactory(
        name="Acme Cloud GmbH",
        partner_type=PartnerType.VAR,
        region=Region.EMEA,
        country="DE",
        lifecycle_stage=LifecycleStage.ACTIVE,
        tier=tier("gold"),
        employee_count=120,
        annual_revenue=Decimal("2500000.00"),
        tech_savviness=4,
        revenue_12m=Decimal("1500000.00"),
        deals_won_12m=25,
        engagement_score=72.5,
        enablement_completion_pct=80.0,
        joined_at=dt.date(2022, 3, 1),
        last_activity_at=at("2025-06-10", "10:00"),
        industries=["finance", "health"],
        technologies=["aws", "azure"],
        attributes={"score": 5, "plan": "pro", "beta": True},
    )
    beta = PartnerFactory(
        name="beta systems",
        partner_type=PartnerType.MSP,
        region=None,
        country=None,
        lifecycle_stage=LifecycleStage.APPLICANT,
        tier=None,
        employee_count=None,
        annual_revenue=None,
        tech_savviness=None,
        revenue_12m=None,
        deals_won_12m=None,
        engagement_score=None,
        enablement_completion_pct=None,
        joined_at=None,
        last_activity_at=None,
        attributes={},
    )
    gamma = PartnerFactory(
        name="Gamma Networks",
        partner_type=PartnerType.SI,
        region=Region.NA,
        country="US",
        lifecycle_stage=LifecycleStage.ONBOARDING,
        tier=tier("silver"),
        employee_count=10,
        annual_revenue=Decimal("100000.50"),
        tech_savviness=1,
        revenue_12m=Decimal("750000.00"),
        deals_won_12m=3,
        engagement_score=10.0,
        enablement_completion_pct=0.0,
        joined_at=dt.date(2025, 6, 1),
        last_activity_at=at("2025-01-01", "00:00"),
        industries=["retail"],
        technologies=["aws"],
        attributes={"score": "5", "plan": "free", "beta": False, "size": None},
    )
    delta = PartnerFactory(
        name="Delta Distribution",
        partner_type=PartnerType.DISTRIBUTOR,
        region=Region.APAC,
        country="JP",
        lifecycle_stage=LifecycleStage.ACTIVE,
        tier=tier("platinum"),
        employee_count=5000,
        annual_revenue=Decimal("90000000.00"),
        tech_savviness=5,
        revenue_12m=Decimal("6000000.00"),
        deals_won_12m=80,
        engagement_score=99.0,
        enablement_completion_pct=100.0,
        joined_at=dt.date(2019, 12, 31),
        last_activity_at=at("2025-06-15", "23:59"),
        industries=["finance"],
        technologies=["gcp"],
        attributes={"score": 9.5, "plan": ["pro"], "beta": "yes"},
    )
    cloud = CertificationFactory(slug="cloud-architect")
    security = CertificationFactory(slug="security-pro")
    # An expiry date is the first day a certification no longer counts.
    PartnerCertificationFactory(partner=acme, certification=cloud, expires_at=dt.date(2026, 1, 1))
    PartnerCertificationFactory(partner=acme, certification=security, expires_at=TODAY)
    PartnerCertificationFactory(partner=gamma, certification=cloud, expires_at=None)
    PartnerCertificationFactory(
        partner=delta, certification=security, expires_at=TODAY + dt.timedelta(days=1)
    )
    vip = SegmentFactory(slug="vip")
    MembershipFactory(segment=vip, partner=acme)
    MembershipFactory(segment=vip, partner=gamma)
    MembershipFactory(segment=SegmentFactory(slug="distributors"), partner=delta)
    return {"acme": acme, "beta": beta, "gamma": gamma, "delta": delta}


def matching(rule, today: dt.date = TODAY) -> set[str]:
    """Keys of the world's partners the rule matches."""
    ids = set(Partner.objects.filter(compile_rule(rule, today=today)).values_list("id", flat=True))
    return {key for key, partner in _world_ids().items() if partner in ids}


def _world_ids() -> dict[str, int]:
    names = {
        "Acme Cloud GmbH": "acme",
        "beta systems": "beta",
        "Gamma Networks": "gamma",
        "Delta Distribution": "delta",
    }
    return {names[name]: pk for pk, name in Partner.objects.values_list("id", "name")}


def cond(field, op, value=None) -> dict:
    node = {"field": field, "op": op}
    if value is not None or op != "exists":
        node["value"] = value
    return node


# ---------------------------------------------------------------------------------------
# Operators, field type by field type
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("region", "eq", "emea"), {"acme"}),
        (cond("region", "eq", "EMEA"), {"acme"}),
        (cond("region", "ne", "emea"), {"beta", "gamma", "delta"}),
        (cond("region", "in", ["emea", "na"]), {"acme", "gamma"}),
        (cond("region", "not_in", ["emea", "na"]), {"beta", "delta"}),
        (cond("country", "eq", "de"), {"acme"}),
        (cond("country", "ne", "DE"), {"beta", "gamma", "delta"}),
        (cond("country", "in", ["US", "jp"]), {"gamma", "delta"}),
        (cond("partner_type", "in", ["VAR", "msp"]), {"acme", "beta"}),
        (cond("partner_type", "not_in", ["var"]), {"beta", "gamma", "delta"}),
        (cond("lifecycle_stage", "eq", "active"), {"acme", "delta"}),
    ],
)
def test_choice_operators_match_the_partners_with_that_value(world, rule, expected):
    # given the world
    # when
    result = matching(rule)
    # then
    assert result == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("tier", "eq", "gold"), {"acme"}),
        (cond("tier", "eq", "GOLD"), {"acme"}),
        (cond("tier", "ne", "gold"), {"beta", "gamma", "delta"}),
        (cond("tier", "in", ["silver", "gold"]), {"acme", "gamma"}),
        (cond("tier", "not_in", ["silver", "gold"]), {"beta", "delta"}),
        (cond("tier", "at_least", "gold"), {"acme", "delta"}),
        (cond("tier", "at_least", "registered"), {"acme", "gamma", "delta"}),
        (cond("tier", "at_most", "silver"), {"gamma"}),
        (cond("tier", "at_most", "platinum"), {"acme", "gamma", "delta"}),
        ({"not": cond("tier", "at_least", "gold")}, {"beta", "gamma"}),
    ],
)
def test_tier_operators_compare_slugs_and_ranks_and_never_match_no_tier(world, rule, expected):
    assert matching(rule) == expected


def test_tier_at_least_follows_ranks_edited_after_the_rule_was_written(world):
    # given silver is moved above platinum
    Tier.objects.filter(slug="silver").update(rank=9)
    # when
    result = matching(cond("tier", "at_least", "platinum"))
    # then
    assert result == {"gamma", "delta"}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("employee_count", "eq", 120), {"acme"}),
        (cond("employee_count", "ne", 120), {"beta", "gamma", "delta"}),
        (cond("employee_count", "gt", 120), {"delta"}),
        (cond("employee_count", "gte", 120), {"acme", "delta"}),
        (cond("employee_count", "lt", 120), {"gamma"}),
        (cond("employee_count", "lte", 120), {"acme", "gamma"}),
        (cond("employee_count", "between", [10, 120]), {"acme", "gamma"}),
        (cond("employee_count", "between", [11, 119]), set()),
        (cond("employee_count", "between", [120, 120]), {"acme"}),
        # fractions on an integer column are compared as numbers, not rounded
        (cond("employee_count", "eq", 120.5), set()),
        (cond("employee_count", "gte", 119.5), {"acme", "delta"}),
        (cond("employee_count", "lt", 10.5), {"gamma"}),
        (cond("employee_count", "lte", 9.9), set()),
        # values beyond the column's range
        (cond("employee_count", "gt", -1), {"acme", "gamma", "delta"}),
        (cond("employee_count", "lt", MAX_NUMBER), {"acme", "gamma", "delta"}),
        (cond("employee_count", "gt", MAX_NUMBER), set()),
        (cond("annual_revenue", "eq", 100000.5), {"gamma"}),
        (cond("annual_revenue", "gt", 100000.49), {"acme", "gamma", "delta"}),
        (cond("annual_revenue", "between", [100000.5, 2500000]), {"acme", "gamma"}),
        (cond("tech_savviness", "between", [1, 4]), {"acme", "gamma"}),
        (cond("revenue_12m", "gte", 1500000), {"acme", "delta"}),
        (cond("deals_won_12m", "lt", 25), {"gamma"}),
        (cond("engagement_score", "gte", 72.5), {"acme", "delta"}),
        (cond("engagement_score", "ne", 72.5), {"beta", "gamma", "delta"}),
        (cond("enablement_completion_pct", "eq", 0), {"gamma"}),
        (cond("enablement_completion_pct", "lt", 50), {"gamma"}),
    ],
)
def test_number_operators_are_false_for_null_and_between_is_inclusive(world, rule, expected):
    assert matching(rule) == expected


def test_next_tier_gap_pct_is_the_percent_missing_to_the_next_tiers_revenue_threshold(world):
    # given (default thresholds: silver 250k, gold 1M, platinum 5M; registered none)
    Tier.objects.filter(slug="registered").update(min_revenue_12m=Decimal("50000"))
    untiered = PartnerFactory(tier=None, revenue_12m=Decimal("100000"))
    above = PartnerFactory(tier=tier("silver"), revenue_12m=Decimal("1200000"))
    no_revenue = PartnerFactory(tier=tier("silver"), revenue_12m=None)
    # when
    gaps = dict(Partner.objects.annotate(gap=next_tier_gap_pct(TODAY)).values_list("id", "gap"))
    # then
    assert gaps[world["acme"].id] == pytest.approx(70.0)  # gold -> platinum: (5M - 1.5M) / 5M
    assert gaps[world["gamma"].id] == pytest.approx(25.0)  # silver -> gold: (1M - 750k) / 1M
    assert gaps[world["delta"].id] is None  # platinum: no next tier
    assert gaps[world["beta"].id] is None  # no revenue
    assert gaps[untiered.id] == pytest.approx(-100.0)  # -> registered: (50k - 100k) / 50k
    assert gaps[above.id] == pytest.approx(-20.0)  # (1M - 1.2M) / 1M
    assert gaps[no_revenue.id] is None


def test_next_tier_gap_pct_is_null_when_the_next_tier_has_no_or_a_zero_threshold(world):
    # given gold (the tier after silver) has no revenue threshold, platinum a zero one
    Tier.objects.filter(slug="gold").update(min_revenue_12m=None)
    Tier.objects.filter(slug="platinum").update(min_revenue_12m=Decimal("0"))
    # when
    gaps = dict(Partner.objects.annotate(gap=next_tier_gap_pct(TODAY)).values_list("id", "gap"))
    # then
    assert gaps[world["gamma"].id] is None
    assert gaps[world["acme"].id] is None


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("next_tier_gap_pct", "eq", 70), {"acme"}),
        (cond("next_tier_gap_pct", "ne", 70), {"beta", "gamma", "delta"}),
        (cond("next_tier_gap_pct", "gt", 0), {"acme", "gamma"}),
        (cond("next_tier_gap_pct", "lte", 25), {"gamma"}),
        (cond("next_tier_gap_pct", "between", [20, 30]), {"gamma"}),
    ],
)
def test_next_tier_gap_pct_conditions_match_by_the_derived_value(world, rule, expected):
    assert matching(rule) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("joined_at", "before", "2022-03-01"), {"delta"}),
        (cond("joined_at", "after", "2022-03-01"), {"gamma"}),
        (cond("joined_at", "between", ["2019-12-31", "2022-03-01"]), {"acme", "delta"}),
        (cond("joined_at", "within_last_days", 14), {"gamma"}),  # on or after 2025-06-01
        (cond("joined_at", "within_last_days", 13), set()),
        (cond("joined_at", "more_than_days_ago", 14), {"acme", "delta"}),  # before 06-01
        (cond("joined_at", "more_than_days_ago", 15), {"acme", "delta"}),
        (cond("last_activity_at", "before", "2025-01-01"), set()),
        (cond("last_activity_at", "before", "2025-01-02"), {"gamma"}),
        (cond("last_activity_at", "after", "2025-06-10"), {"delta"}),
        (cond("last_activity_at", "after", "2025-06-09"), {"acme", "delta"}),
        (
            cond("last_activity_at", "between", ["2025-01-01", "2025-06-10"]),
            {"acme", "gamma"},
        ),
        (cond("last_activity_at", "between", ["2025-06-15", "2025-06-15"]), {"delta"}),
        (cond("last_activity_at", "within_last_days", 0), {"delta"}),
        (cond("last_activity_at", "within_last_days", 5), {"acme", "delta"}),
        (cond("last_activity_at", "more_than_days_ago", 5), {"gamma"}),
        (cond("last_activity_at", "after", "9999-12-31"), set()),
        (cond("last_activity_at", "before", "9999-12-31"), {"acme", "gamma", "delta"}),
        (cond("last_activity_at", "before", "0001-01-01"), set()),
        (cond("last_activity_at", "after", "0001-01-01"), {"acme", "gamma", "delta"}),
    ],
)
def test_date_operators_with_a_fixed_today(world, rule, expected):
    assert matching(rule) == expected


def test_last_activity_at_compares_by_the_local_date(world):
    # given gamma's last activity, 2025-01-01 00:00 UTC, is 2024-12-31 in New York
    with timezone.override(ZoneInfo("America/New_York")):
        Partner.objects.filter(pk=world["gamma"].pk).update(
            last_activity_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        )
        # when
        result = matching(cond("last_activity_at", "before", "2025-01-01"))
    # then
    assert result == {"gamma"}


def test_last_activity_at_is_compared_on_the_bare_column_so_its_index_can_serve(world):
    # given
    q = compile_rule(cond("last_activity_at", "within_last_days", 7), today=TODAY)
    # when
    sql = str(Partner.objects.filter(q).query)
    # then
    assert '"partners_partner"."last_activity_at" >= 2025-06-08 00:00:00' in sql


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("industries", "has", "finance"), {"acme", "delta"}),
        (cond("industries", "has", "FINANCE"), {"acme", "delta"}),
        (cond("industries", "has_any", ["health", "retail"]), {"acme", "gamma"}),
        (cond("industries", "has_all", ["finance", "health"]), {"acme"}),
        (cond("industries", "has_all", ["finance", "unknown"]), set()),
        (cond("industries", "has_none", ["finance"]), {"beta", "gamma"}),
        (cond("technologies", "has_all", ["aws", "aws"]), {"acme", "gamma"}),
        (cond("technologies", "has", "unknown-tag"), set()),
        (cond("technologies", "has_none", ["aws", "gcp"]), {"beta"}),
    ],
)
def test_tag_operators(world, rule, expected):
    assert matching(rule) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (TODAY, {"delta"}),  # acme's expires today: no longer counts
        (TODAY - dt.timedelta(days=1), {"acme", "delta"}),
        (TODAY + dt.timedelta(days=1), set()),  # delta's expires tomorrow
    ],
)
def test_certifications_count_only_while_unexpired(world, today, expected):
    assert matching(cond("certifications", "has", "security-pro"), today=today) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("certifications", "has", "cloud-architect"), {"acme", "gamma"}),
        (cond("certifications", "has_all", ["cloud-architect", "security-pro"]), set()),
        (cond("certifications", "has_none", ["security-pro"]), {"acme", "beta", "gamma"}),
        (cond("certifications", "has_any", ["security-pro", "cloud-architect"]), ALL - {"beta"}),
    ],
)
def test_certification_operators_use_active_certifications(world, rule, expected):
    assert matching(rule) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("name", "eq", "ACME cloud gmbh"), {"acme"}),
        (cond("name", "eq", "Acme"), set()),
        (cond("name", "contains", "NETWORK"), {"gamma"}),
        (cond("name", "startswith", "BETA"), {"beta"}),
        (cond("name", "startswith", "systems"), set()),
        (cond("name", "contains", "%"), set()),
        (cond("name", "contains", "_"), set()),
    ],
)
def test_text_operators_are_case_insensitive_and_literal(world, rule, expected):
    assert matching(rule) == expected


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("segment", "in", "vip"), {"acme", "gamma"}),
        (cond("segment", "in", ["vip", "distributors"]), {"acme", "gamma", "delta"}),
        (cond("segment", "not_in", "vip"), {"beta", "delta"}),
        (cond("segment", "not_in", ["vip", "distributors"]), {"beta"}),
    ],
)
def test_segment_operators_match_members_of_the_named_segments(
    world, segment_sql_form, rule, expected
):
    assert matching(rule) == expected


@pytest.fixture(params=["postgresql", "portable"])
def segment_sql_form(request, monkeypatch):
    """Segment conditions in PostgreSQL's form (ids read once, compared with segment_id) and
    in the portable one (segment_id IN the ids), which is valid PostgreSQL too."""
    if request.param == "portable":
        monkeypatch.setattr(types._SegmentNamed, "as_postgresql", types._SegmentNamed.as_sql)
    return request.param


def test_segment_conditions_compare_segment_ids_read_once_per_statement(world):
    # The (partner, segment) index is probed for both columns only when the ids are a value
    # (an InitPlan), not a join to the segments by slug.
    one = str(Partner.objects.filter(compile_rule(cond("segment", "in", "vip"))).query)
    several = str(
        Partner.objects.filter(compile_rule(cond("segment", "in", ["vip", "distributors"]))).query
    )
    assert '"segment_id" = (SELECT' in one
    assert '"segment_id" = ANY(ARRAY(SELECT' in several
    assert "JOIN" not in one and "JOIN" not in several


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # acme 5, gamma "5" (a string), delta 9.5, beta has no attributes
        (cond("attributes.score", "eq", 5), {"acme"}),
        (cond("attributes.score", "eq", 5.0), {"acme"}),
        (cond("attributes.score", "eq", "5"), {"gamma"}),
        (cond("attributes.score", "ne", 5), {"beta", "gamma", "delta"}),
        (cond("attributes.score", "in", [5, "5"]), {"acme", "gamma"}),
        (cond("attributes.score", "gt", 4), {"acme", "delta"}),
        (cond("attributes.score", "gte", 9.5), {"delta"}),
        (cond("attributes.score", "lt", 100), {"acme", "delta"}),
        (cond("attributes.score", "lte", 5), {"acme"}),
        (cond("attributes.score", "exists"), {"acme", "gamma", "delta"}),
        # acme true, gamma false, delta "yes"
        (cond("attributes.beta", "eq", True), {"acme"}),
        (cond("attributes.beta", "eq", False), {"gamma"}),
        (cond("attributes.beta", "eq", "yes"), {"delta"}),
        (cond("attributes.beta", "eq", 1), set()),
        (cond("attributes.beta", "in", [1, True]), {"acme"}),
        (cond("attributes.beta", "in", [0, False]), {"gamma"}),
        (cond("attributes.beta", "gt", 0), set()),
        # acme "pro", gamma "free", delta ["pro"] (a list)
        (cond("attributes.plan", "eq", "pro"), {"acme"}),
        (cond("attributes.plan", "eq", "PRO"), set()),
        (cond("attributes.plan", "in", ["pro", "free"]), {"acme", "gamma"}),
        (cond("attributes.plan", "gt", 0), set()),
        (cond("attributes.plan", "exists"), {"acme", "gamma", "delta"}),
        # gamma has "size": null; nobody has "missing"
        (cond("attributes.size", "exists"), set()),
        (cond("attributes.size", "ne", 1), ALL),
        (cond("attributes.missing", "exists"), set()),
        (cond("attributes.missing", "eq", "x"), set()),
        (cond("attributes.missing", "ne", "x"), ALL),
    ],
)
def test_attribute_operators_compare_json_values_of_the_same_type(world, rule, expected):
    assert matching(rule) == expected


def test_attribute_comparisons_do_not_fail_on_values_that_are_not_numbers(world):
    # given values of every JSON type under one key
    for index, value in enumerate(["12abc", "", True, None, [1], {"a": 1}, 3]):
        PartnerFactory(attributes={"mixed": value}, name=f"mixed {index}")
    # when
    names = set(
        Partner.objects.filter(compile_rule(cond("attributes.mixed", "gte", 0))).values_list(
            "name", flat=True
        )
    )
    # then
    assert names == {"mixed 6"}


def test_attribute_keys_with_spaces_and_dashes_are_looked_up_literally(world):
    # given
    partner = PartnerFactory(attributes={"account owner": "ada", "go-live": 2024})
    # when
    owner = set(
        Partner.objects.filter(
            compile_rule(cond("attributes.account owner", "eq", "ada"))
        ).values_list("id", flat=True)
    )
    live = set(
        Partner.objects.filter(compile_rule(cond("attributes.go-live", "lt", 2025))).values_list(
            "id", flat=True
        )
    )
    # then
    assert owner == live == {partner.id}


# ---------------------------------------------------------------------------------------
# Groups and two-valued logic
# ---------------------------------------------------------------------------------------


def test_empty_all_matches_every_partner_and_empty_any_none(world):
    assert matching({"all": []}) == ALL
    assert matching({"any": []}) == set()
    assert matching({"not": {"all": []}}) == set()
    assert matching({"not": {"any": []}}) == ALL


def test_all_any_and_not_combine_conditions(world):
    # given
    rule = {
        "all": [
            {"any": [cond("region", "eq", "emea"), cond("region", "eq", "apac")]},
            {"not": cond("tier", "eq", "platinum")},
        ]
    }
    # when / then
    assert matching(rule) == {"acme"}


def test_the_design_example_rule_compiles_and_matches(world):
    # given
    CertificationFactory(slug="cloud-architect")
    rule = {
        "all": [
            {"field": "partner_type", "op": "in", "value": ["var", "msp"]},
            {"field": "region", "op": "eq", "value": "emea"},
            {"field": "annual_revenue", "op": "gte", "value": 1000000},
            {
                "any": [
                    {"field": "certifications", "op": "has", "value": "cloud-architect"},
                    {"field": "technologies", "op": "has_any", "value": ["aws", "azure"]},
                ]
            },
            {"not": {"field": "tier", "op": "eq", "value": "gold"}},
        ]
    }
    # when / then
    assert matching(rule) == set()
    rule["all"][4] = {"not": {"field": "tier", "op": "eq", "value": "silver"}}
    assert matching(rule) == {"acme"}


def test_deep_nesting_of_fifteen_levels_compiles_to_the_innermost_condition(world):
    # given 14 nested groups (all / any / double not) around one condition
    rule = cond("region", "eq", "emea")
    for level in range(14):
        rule = [{"all": [rule]}, {"any": [rule]}, {"not": {"not": rule}}][level % 3]
    # when
    errors = validate_rule(rule)
    # then
    assert errors == []
    assert matching(rule) == {"acme"}


# Every operator of every field type, on fields that are null for beta (and segments,
# attributes and tags it lacks): each must be true or false for every partner.
EVERY_OPERATOR = [
    cond("region", "eq", "emea"),
    cond("region", "ne", "emea"),
    cond("region", "in", ["emea", "na"]),
    cond("region", "not_in", ["emea", "na"]),
    cond("country", "eq", "DE"),
    cond("country", "not_in", ["DE"]),
    cond("partner_type", "ne", "var"),
    cond("lifecycle_stage", "in", ["active"]),
    cond("tier", "eq", "gold"),
    cond("tier", "ne", "gold"),
    cond("tier", "in", ["gold", "silver"]),
    cond("tier", "not_in", ["gold"]),
    cond("tier", "at_least", "silver"),
    cond("tier", "at_most", "gold"),
    *(
        cond(field, op, value)
        for field in (
            "employee_count",
            "annual_revenue",
            "engagement_score",
            "next_tier_gap_pct",
            # contributed by deals (register_field): 0 without figures, the win rate null
            "deals_registered_12m",
            "deal_win_rate_12m",
            "open_pipeline_amount",
        )
        for op, value in [
            ("eq", 120),
            ("ne", 120),
            ("gt", 50),
            ("gte", 50),
            ("lt", 50),
            ("lte", 50),
            ("between", [10, 100]),
        ]
    ),
    *(
        cond(field, op, value)
        for field in ("joined_at", "last_activity_at")
        for op, value in [
            ("before", "2025-01-02"),
            ("after", "2022-03-01"),
            ("between", ["2022-01-01", "2025-06-10"]),
            ("within_last_days", 30),
            ("more_than_days_ago", 30),
        ]
    ),
    *(
        cond(field, op, value)
        for field in ("industries", "certifications")
        for op, value in [
            ("has", "finance"),
            ("has_any", ["finance", "cloud-architect"]),
            ("has_all", ["finance", "health"]),
            ("has_none", ["finance", "security-pro"]),
        ]
    ),
    cond("name", "eq", "acme cloud gmbh"),
    cond("name", "contains", "ta"),
    cond("name", "startswith", "g"),
    cond("segment", "in", "vip"),
    cond("segment", "not_in", ["vip"]),
    *(
        cond(field, op, value)
        for field in ("attributes.score", "attributes.size", "attributes.plan")
        for op, value in [
            ("eq", 5),
            ("ne", "5"),
            ("in", [5, "pro", True]),
            ("gt", 4),
            ("gte", 5),
            ("lt", 6),
            ("lte", 5),
            ("exists", None),
        ]
    ),
]

COMPLEMENTS = [
    (cond("region", "eq", "emea"), cond("region", "ne", "emea")),
    (cond("country", "in", ["DE", "US"]), cond("country", "not_in", ["DE", "US"])),
    (cond("tier", "eq", "gold"), cond("tier", "ne", "gold")),
    (cond("tier", "in", ["gold", "silver"]), cond("tier", "not_in", ["gold", "silver"])),
    (cond("employee_count", "eq", 10), cond("employee_count", "ne", 10)),
    (cond("next_tier_gap_pct", "eq", 25), cond("next_tier_gap_pct", "ne", 25)),
    (cond("industries", "has_any", ["retail"]), cond("industries", "has_none", ["retail"])),
    (cond("certifications", "has_any", ["x"]), cond("certifications", "has_none", ["x"])),
    (cond("segment", "in", ["vip"]), cond("segment", "not_in", ["vip"])),
    (cond("attributes.score", "eq", 5), cond("attributes.score", "ne", 5)),
]


def _ids(rule) -> set[int]:
    return set(Partner.objects.filter(compile_rule(rule, today=TODAY)).values_list("id", flat=True))


@pytest.mark.parametrize("rule", EVERY_OPERATOR, ids=lambda rule: f"{rule['field']}-{rule['op']}")
def test_a_condition_and_its_not_partition_all_partners(world, rule):
    # given
    everyone = set(Partner.objects.values_list("id", flat=True))
    # when
    positive = _ids(rule)
    negative = _ids({"not": rule})
    nested = _ids({"not": {"all": [{"not": {"any": [rule]}}]}})
    # then
    assert positive | negative == everyone
    assert not positive & negative
    assert nested == positive


@pytest.mark.parametrize("rule", EVERY_OPERATOR, ids=lambda rule: f"{rule['field']}-{rule['op']}")
def test_a_condition_is_never_null_in_sql(world, rule):
    # given
    q = compile_rule(rule, today=TODAY)
    # when
    values = list(
        Partner.objects.annotate(
            matches=ExpressionWrapper(q, output_field=BooleanField()),
            fails=ExpressionWrapper(~q, output_field=BooleanField()),
        ).values_list("matches", "fails")
    )
    # then
    assert all(matches in (True, False) and fails is (not matches) for matches, fails in values)


@pytest.mark.parametrize(
    ("positive", "negative"), COMPLEMENTS, ids=lambda rule: f"{rule['field']}-{rule['op']}"
)
def test_negative_operators_are_exact_complements_of_the_positive_ones(world, positive, negative):
    # given
    everyone = set(Partner.objects.values_list("id", flat=True))
    # when
    matched, unmatched = _ids(positive), _ids(negative)
    # then
    assert matched | unmatched == everyone
    assert not matched & unmatched


def test_a_rule_over_every_field_type_is_one_query(world, django_assert_num_queries):
    # given
    rule = {"all": [{"not": rule} for rule in EVERY_OPERATOR[::3]] + EVERY_OPERATOR[1::7]}
    q = compile_rule(rule, today=TODAY)
    # when / then
    with django_assert_num_queries(1):
        list(Partner.objects.filter(q).values_list("id", flat=True))


@pytest.mark.parametrize("rule", [{"any": []}, cond("employee_count", "gt", MAX_NUMBER)])
def test_a_rule_that_matches_nothing_still_compiles_to_sql_text(world, rule):
    # given
    queryset = Partner.objects.filter(compile_rule(rule)).values("id")
    # when
    sql, params = queryset.query.sql_with_params()
    # then
    assert "WHERE" in sql
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchall() == []


def test_every_operator_also_compiles_for_sqlite():
    # given a SQLite connection (the embedded quick start); the suite runs on PostgreSQL
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3"}})["default"]
    SegmentFactory(slug="vip")
    rule = {"all": [{"not": {"any": [rule]}} for rule in EVERY_OPERATOR]}
    queryset = Partner.objects.filter(compile_rule(rule, today=TODAY)).values("id")
    # when
    sql, _ = queryset.query.get_compiler(connection=sqlite).as_sql()
    # then
    assert "json_type" in sql
    assert "@>" not in sql


# ---------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------

GROUP_SHAPE = (
    'expected an object: a group ({"all": [...]}, {"any": [...]} or {"not": {...}}) '
    'or a condition ({"field": ..., "op": ..., "value": ...})'
)
TIERS = "registered, silver, gold, platinum"
DAYS = f"expected a whole number of days from 0 to {MAX_DAYS}"


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        ([], "", GROUP_SHAPE),
        ("region = emea", "", GROUP_SHAPE),
        ({"all": [1]}, "/all/0", GROUP_SHAPE),
        ({"not": []}, "/not", GROUP_SHAPE),
        (
            {"all": [], "any": []},
            "",
            "a group has exactly one key: all, any or not (found: all, any)",
        ),
        (
            {"all": [], "note": "x"},
            "",
            "a group has exactly one key: all, any or not (found: all, note)",
        ),
        ({"any": {}}, "/any", "expected a list of conditions and groups"),
        ({"all": [{"op": "eq", "value": 1}]}, "/all/0/field", "a condition needs a field"),
        ({"all": [cond("revenue", "eq", 1)]}, "/all/0/field", "unknown field 'revenue'"),
        ({"all": [cond(5, "eq", 1)]}, "/all/0/field", "expected a field name (a string)"),
        ({"all": [cond("attributes.", "eq", 1)]}, "/all/0/field", "unknown field 'attributes.'"),
        (
            {"all": [cond("attributes.a/b", "eq", 1)]},
            "/all/0/field",
            "unknown field 'attributes.a/b'",
        ),
        ({"all": [{"field": "region", "value": "emea"}]}, "/all/0/op", "a condition needs an op"),
        ({"all": [cond("region", None, "emea")]}, "/all/0/op", "expected an operator (a string)"),
        (
            {"all": [cond("region", "gt", "emea")]},
            "/all/0/op",
            "operator 'gt' is not supported by region (choice); use one of: eq, ne, in, not_in",
        ),
        (
            {"all": [cond("tags", "has", "x")]},
            "/all/0/field",
            "unknown field 'tags'",
        ),
        (
            {"all": [{"field": "region", "op": "eq"}]},
            "/all/0/value",
            "a value is required for 'eq'",
        ),
        (
            {"all": [{"field": "region", "op": "eq", "value": "emea", "values": 1}]},
            "/all/0/values",
            "unknown key 'values': a condition has field, op, value",
        ),
        (
            {"all": [{"field": "region", "op": "eq", "value": "emea", "a/b~": 1}]},
            "/all/0/a~1b~0",
            "unknown key 'a/b~': a condition has field, op, value",
        ),
        # choice
        (
            cond("region", "eq", "mars"),
            "/value",
            "'mars' is not a valid region; expected one of: na, latam, emea, apac",
        ),
        (cond("region", "eq", 1), "/value", "expected a region (a string)"),
        (cond("region", "in", "emea"), "/value", "expected a non-empty list of choices"),
        (cond("region", "not_in", []), "/value", "expected a non-empty list of choices"),
        (
            cond("region", "in", ["emea", "mars"]),
            "/value/1",
            "'mars' is not a valid region; expected one of: na, latam, emea, apac",
        ),
        (cond("country", "eq", "XX"), "/value", "'XX' is not a valid country"),
        (
            cond("lifecycle_stage", "eq", "gone"),
            "/value",
            "'gone' is not a valid lifecycle_stage; expected one of: "
            "applicant, onboarding, active, dormant, churned",
        ),
        # tier
        (
            cond("tier", "eq", "diamond"),
            "/value",
            f"unknown tier 'diamond'; expected one of: {TIERS}",
        ),
        (
            cond("tier", "in", ["gold", "diamond"]),
            "/value/1",
            f"unknown tier 'diamond'; expected one of: {TIERS}",
        ),
        (cond("tier", "at_least", 3), "/value", "expected a tier slug (a string)"),
        (
            cond("tier", "gt", "gold"),
            "/op",
            "operator 'gt' is not supported by tier (tier); "
            "use one of: eq, ne, in, not_in, at_least, at_most",
        ),
        # number
        (cond("employee_count", "gt", "5"), "/value", "expected a number"),
        (cond("employee_count", "gt", True), "/value", "expected a number"),
        (cond("employee_count", "gt", None), "/value", "expected a number"),
        (cond("employee_count", "gt", float("nan")), "/value", "expected a number"),
        (cond("employee_count", "eq", [5]), "/value", "expected a number"),
        (
            cond("annual_revenue", "gt", 10 * MAX_NUMBER),
            "/value",
            f"expected a number between -{MAX_NUMBER} and {MAX_NUMBER}",
        ),
        (
            cond("employee_count", "between", [5]),
            "/value",
            "expected [from, to]: a list of two numbers",
        ),
        (
            cond("employee_count", "between", {"lo": 1, "hi": 2}),
            "/value",
            "expected [from, to]: a list of two numbers",
        ),
        (cond("employee_count", "between", [1, "9"]), "/value/1", "expected a number"),
        (
            cond("employee_count", "between", [9, 1]),
            "/value",
            "the first value (9) is greater than the second (1)",
        ),
        (
            cond("employee_count", "has", 1),
            "/op",
            "operator 'has' is not supported by employee_count (number); "
            "use one of: eq, ne, gt, gte, lt, lte, between",
        ),
        # date
        (cond("joined_at", "before", "2024/01/01"), "/value", "expected a date as YYYY-MM-DD"),
        (
            cond("joined_at", "before", "2024-01-01T10:00"),
            "/value",
            "expected a date as YYYY-MM-DD",
        ),
        (cond("joined_at", "before", 20240101), "/value", "expected a date as YYYY-MM-DD"),
        (cond("joined_at", "after", "2024-02-30"), "/value", "'2024-02-30' is not a valid date"),
        (
            cond("joined_at", "between", ["2024-02-01", "2024-01-01"]),
            "/value",
            "the first value (2024-02-01) is greater than the second (2024-01-01)",
        ),
        (
            cond("joined_at", "between", ["2024-02-01", "x"]),
            "/value/1",
            "expected a date as YYYY-MM-DD",
        ),
        (cond("joined_at", "within_last_days", -1), "/value", DAYS),
        (cond("joined_at", "within_last_days", 1.5), "/value", DAYS),
        (cond("joined_at", "within_last_days", "7"), "/value", DAYS),
        (cond("joined_at", "more_than_days_ago", True), "/value", DAYS),
        (cond("joined_at", "more_than_days_ago", MAX_DAYS + 1), "/value", DAYS),
        (
            cond("joined_at", "eq", "2024-01-01"),
            "/op",
            "operator 'eq' is not supported by joined_at (date); "
            "use one of: before, after, between, within_last_days, more_than_days_ago",
        ),
        # tags
        (cond("industries", "has", ["finance"]), "/value", "expected a tag slug (a string)"),
        (cond("industries", "has", " "), "/value", "expected a tag slug (a string)"),
        (
            cond("industries", "has_any", "finance"),
            "/value",
            "expected a non-empty list of tag slugs",
        ),
        (cond("industries", "has_all", []), "/value", "expected a non-empty list of tag slugs"),
        (cond("industries", "has_none", ["a", 2]), "/value/1", "expected a tag slug (a string)"),
        (
            cond("industries", "has_any", ["x"] * (MAX_LIST_VALUES + 1)),
            "/value",
            f"expected at most {MAX_LIST_VALUES} values, got {MAX_LIST_VALUES + 1}",
        ),
        # text
        (cond("name", "eq", ""), "/value", "expected a non-empty string"),
        (cond("name", "contains", 5), "/value", "expected a non-empty string"),
        (
            cond("name", "ne", "x"),
            "/op",
            "operator 'ne' is not supported by name (text); use one of: eq, contains, startswith",
        ),
        # segment
        (cond("segment", "in", "nope"), "/value", "unknown segment 'nope'"),
        (cond("segment", "in", ["vip", "nope"]), "/value/1", "unknown segment 'nope'"),
        (cond("segment", "not_in", []), "/value", "expected a non-empty list of segment slugs"),
        (cond("segment", "in", [3]), "/value/0", "expected a segment slug (a string)"),
        (
            cond("segment", "eq", "vip"),
            "/op",
            "operator 'eq' is not supported by segment (segment); use one of: in, not_in",
        ),
        # custom
        (cond("attributes.score", "eq", [1]), "/value", "expected a string, number or boolean"),
        (cond("attributes.score", "eq", None), "/value", "expected a string, number or boolean"),
        (
            cond("attributes.score", "in", [1, {}]),
            "/value/1",
            "expected a string, number or boolean",
        ),
        (cond("attributes.score", "gt", "5"), "/value", "expected a number"),
        (
            {"field": "attributes.score", "op": "exists", "value": False},
            "/value",
            "exists takes no value",
        ),
        (
            cond("attributes.score", "not_in", [1]),
            "/op",
            "operator 'not_in' is not supported by attributes.score (custom); "
            "use one of: eq, ne, in, gt, gte, lt, lte, exists",
        ),
    ],
)
def test_validate_rule_reports_the_error_at_its_path(rule, path, message):
    # given
    SegmentFactory(slug="vip")
    # when
    errors = validate_rule(rule)
    # then
    assert errors == [{"path": path, "message": message}]


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "attributes.score", "op": "exists"},
        {"field": "attributes.score", "op": "exists", "value": None},
        {"field": "attributes.score", "op": "exists", "value": True},
        {"all": [{"any": []}, {"not": {"all": []}}]},
        cond("segment", "in", "vip"),
        cond("country", "eq", "gb"),
        cond("employee_count", "between", [5, 5]),
        cond("joined_at", "within_last_days", 0),
        cond("joined_at", "within_last_days", 7.0),
    ],
)
def test_validate_rule_accepts_valid_rules(rule):
    SegmentFactory(slug="vip")
    assert validate_rule(rule) == []


def test_validate_rule_collects_every_error_in_rule_order():
    # given
    rule = {
        "all": [
            cond("region", "eq", "mars"),
            cond("segment", "in", ["nope"]),
            {"any": [cond("employee_count", "gt", "many"), cond("colour", "eq", "red")]},
            {"not": cond("tier", "in", ["gold", "diamond", 7])},
        ]
    }
    # when
    errors = validate_rule(rule)
    # then
    assert errors == [
        {
            "path": "/all/0/value",
            "message": "'mars' is not a valid region; expected one of: na, latam, emea, apac",
        },
        {"path": "/all/1/value/0", "message": "unknown segment 'nope'"},
        {"path": "/all/2/any/0/value", "message": "expected a number"},
        {"path": "/all/2/any/1/field", "message": "unknown field 'colour'"},
        {
            "path": "/all/3/not/value/1",
            "message": f"unknown tier 'diamond'; expected one of: {TIERS}",
        },
        {"path": "/all/3/not/value/2", "message": "expected a tier slug (a string)"},
    ]


def test_validate_rule_asks_segment_exists_once_per_slug_when_given():
    # given no segments in the database, and a callable that knows "vip"
    asked = []

    def segment_exists(slug: str) -> bool:
        asked.append(slug)
        return slug == "vip"

    rule = {"all": [cond("segment", "in", ["vip", "new"]), cond("segment", "not_in", "vip")]}
    # when
    errors = validate_rule(rule, segment_exists=segment_exists)
    # then
    assert errors == [{"path": "/all/0/value/1", "message": "unknown segment 'new'"}]
    assert sorted(asked) == ["new", "vip"]


def _nested(levels: int) -> dict:
    """A condition at depth `levels` (the root is level 1)."""
    rule = cond("region", "eq", "emea")
    for _ in range(levels - 1):
        rule = {"not": rule}
    return rule


def test_a_rule_nested_to_the_depth_limit_is_valid():
    assert validate_rule(_nested(MAX_DEPTH)) == []


def test_a_rule_nested_deeper_than_the_limit_is_rejected_where_it_goes_too_deep():
    # when
    errors = validate_rule(_nested(MAX_DEPTH + 5))
    # then
    assert errors == [
        {
            "path": "/not" * MAX_DEPTH,
            "message": f"the rule is nested too deeply: at most {MAX_DEPTH} levels",
        }
    ]


def test_a_rule_with_too_many_conditions_is_rejected_as_oversized():
    # given
    at_limit = {"any": [cond("region", "eq", "emea")] * MAX_CONDITIONS}
    over = {"any": [cond("region", "eq", "emea")] * (MAX_CONDITIONS + 1)}
    # when / then
    assert validate_rule(at_limit) == []
    assert validate_rule(over) == [
        {
            "path": "",
            "message": f"the rule is too large: {MAX_CONDITIONS + 1} conditions, "
            f"at most {MAX_CONDITIONS} allowed",
        }
    ]


def test_a_rule_with_too_many_groups_is_rejected_as_oversized():
    # given
    rule = {"all": [{"any": []}] * MAX_GROUPS}
    # when
    errors = validate_rule(rule)
    # then
    assert errors == [
        {
            "path": "",
            "message": f"the rule is too large: {MAX_GROUPS + 1} groups, "
            f"at most {MAX_GROUPS} allowed",
        }
    ]


def test_compile_rule_raises_rule_error_with_the_errors():
    # when
    with pytest.raises(RuleError) as raised:
        compile_rule({"all": [cond("region", "eq", "mars")]})
    # then
    assert raised.value.errors == [
        {
            "path": "/all/0/value",
            "message": "'mars' is not a valid region; expected one of: na, latam, emea, apac",
        }
    ]


# ---------------------------------------------------------------------------------------
# Segment references
# ---------------------------------------------------------------------------------------


def test_rule_segment_slugs_lists_every_named_segment():
    # given
    rule = {
        "all": [
            cond("segment", "in", "a"),
            {"any": [cond("segment", "not_in", ["b", "c", 3]), cond("region", "eq", "emea")]},
            {"not": cond("segment", "in", [" d "])},
        ]
    }
    # when / then
    assert rule_segment_slugs(rule) == {"a", "b", "c", "d"}


@pytest.mark.parametrize("rule", [None, [], "x", {"all": 5}, {"field": "segment"}, {"not": 1}])
def test_rule_segment_slugs_tolerates_invalid_rules(rule):
    assert rule_segment_slugs(rule) == set()


# ---------------------------------------------------------------------------------------
# Explain
# ---------------------------------------------------------------------------------------


def test_explain_rule_gives_each_nodes_result_and_the_partners_actual_values(world):
    # given
    rule = {
        "all": [
            cond("region", "eq", "EMEA"),
            {
                "any": [
                    cond("industries", "has", "retail"),
                    cond("certifications", "has_all", ["cloud-architect", "security-pro"]),
                ]
            },
            {"not": cond("tier", "at_least", "platinum")},
            cond("segment", "in", "vip"),
            cond("attributes.plan", "eq", "pro"),
            cond("attributes.missing", "exists"),
            cond("next_tier_gap_pct", "gt", 50),
            cond("last_activity_at", "within_last_days", 7),
            cond("annual_revenue", "gte", 1000000),
            cond("country", "eq", "DE"),
        ]
    }
    # when
    explanation = explain_rule(rule, partner_id=world["acme"].id, today=TODAY)
    # then
    assert explanation == {
        "path": "",
        "group": "all",
        "result": False,
        "children": [
            {
                "path": "/all/0",
                "field": "region",
                "op": "eq",
                "value": "EMEA",
                "result": True,
                "actual": "emea",
            },
            {
                "path": "/all/1",
                "group": "any",
                "result": False,
                "children": [
                    {
                        "path": "/all/1/any/0",
                        "field": "industries",
                        "op": "has",
                        "value": "retail",
                        "result": False,
                        "actual": ["finance", "health"],
                    },
                    {
                        "path": "/all/1/any/1",
                        "field": "certifications",
                        "op": "has_all",
                        "value": ["cloud-architect", "security-pro"],
                        "result": False,
                        "actual": ["cloud-architect"],
                    },
                ],
            },
            {
                "path": "/all/2",
                "group": "not",
                "result": True,
                "children": [
                    {
                        "path": "/all/2/not",
                        "field": "tier",
                        "op": "at_least",
                        "value": "platinum",
                        "result": False,
                        "actual": "gold",
                    }
                ],
            },
            {
                "path": "/all/3",
                "field": "segment",
                "op": "in",
                "value": "vip",
                "result": True,
                "actual": ["vip"],
            },
            {
                "path": "/all/4",
                "field": "attributes.plan",
                "op": "eq",
                "value": "pro",
                "result": True,
                "actual": "pro",
            },
            {
                "path": "/all/5",
                "field": "attributes.missing",
                "op": "exists",
                "value": None,
                "result": False,
                "actual": None,
            },
            {
                "path": "/all/6",
                "field": "next_tier_gap_pct",
                "op": "gt",
                "value": 50,
                "result": True,
                "actual": pytest.approx(70.0),
            },
            {
                "path": "/all/7",
                "field": "last_activity_at",
                "op": "within_last_days",
                "value": 7,
                "result": True,
                "actual": "2025-06-10T10:00:00+00:00",
            },
            {
                "path": "/all/8",
                "field": "annual_revenue",
                "op": "gte",
                "value": 1000000,
                "result": True,
                "actual": 2500000,
            },
            {
                "path": "/all/9",
                "field": "country",
                "op": "eq",
                "value": "DE",
                "result": True,
                "actual": "DE",
            },
        ],
    }


def test_explain_rule_agrees_with_compile_rule_for_every_partner_and_operator(world):
    # given
    rule = {"any": [{"not": {"all": [rule]}} for rule in EVERY_OPERATOR]}
    matched = _ids(rule)
    for partner in world.values():
        # when
        explanation = explain_rule(rule, partner_id=partner.id, today=TODAY)
        # then
        assert explanation["result"] is (partner.id in matched)
        for group, condition in zip(explanation["children"], EVERY_OPERATOR, strict=True):
            inner = group["children"][0]["children"][0]
            assert inner["result"] is (partner.id in _ids(condition)), condition


def test_explain_rule_of_a_partner_with_null_values(world):
    # given
    rule = {
        "any": [
            cond("region", "ne", "emea"),
            cond("tier", "eq", "gold"),
            cond("employee_count", "gt", 1),
            cond("industries", "has_none", ["finance"]),
            cond("attributes.score", "exists"),
        ]
    }
    # when
    explanation = explain_rule(rule, partner_id=world["beta"].id, today=TODAY)
    # then
    assert explanation["result"] is True
    assert [(child["result"], child["actual"]) for child in explanation["children"]] == [
        (True, None),
        (False, None),
        (False, None),
        (True, []),
        (False, None),
    ]


def test_explain_rule_runs_a_constant_number_of_queries(world, django_assert_num_queries):
    # given one condition of each kind, and the same repeated twenty times
    small = {
        "all": [
            cond("tier", "eq", "gold"),
            cond("segment", "in", "vip"),
            cond("industries", "has", "finance"),
            cond("technologies", "has", "aws"),
            cond("certifications", "has", "x"),
            cond("region", "eq", "emea"),
            cond("attributes.score", "gt", 1),
        ]
    }
    large = {"any": [small] * 20 + [{"not": small}] * 20}
    # tiers + segments (validation), the partner row, 3 tag lists and the segment list
    for rule in (small, large):
        # when / then
        with django_assert_num_queries(7):
            explain_rule(rule, partner_id=world["acme"].id, today=TODAY)


def test_explain_rules_explains_each_rule_as_explain_rule_in_the_queries_of_one(
    world, django_assert_num_queries
):
    # given two valid rules naming every kind of value, and an invalid one
    first = {
        "all": [
            cond("tier", "eq", "gold"),
            cond("segment", "in", "vip"),
            cond("industries", "has", "finance"),
            cond("region", "eq", "emea"),
        ]
    }
    second = {
        "any": [
            cond("technologies", "has", "aws"),
            cond("certifications", "has", "x"),
            cond("segment", "in", "vip"),
            {"not": cond("tier", "at_least", "silver")},
        ]
    }
    invalid = cond("region", "eq", "mars")
    partner_id = world["acme"].id
    # when: the same seven queries as one rule (see above), whatever the number of rules
    with django_assert_num_queries(7):
        explained = explain_rules(
            {"first": first, "invalid": invalid, "second": second},
            partner_id=partner_id,
            today=TODAY,
        )
    # then
    assert list(explained) == ["first", "invalid", "second"]
    assert explained["first"] == explain_rule(first, partner_id=partner_id, today=TODAY)
    assert explained["second"] == explain_rule(second, partner_id=partner_id, today=TODAY)
    assert isinstance(explained["invalid"], RuleError)
    assert explained["invalid"].errors[0]["path"] == "/value"


def test_explain_rule_of_an_unknown_partner_raises_does_not_exist():
    with pytest.raises(Partner.DoesNotExist):
        explain_rule({"all": []}, partner_id=999_999)


def test_explain_rule_of_an_invalid_rule_raises_rule_error(world):
    with pytest.raises(RuleError):
        explain_rule(cond("region", "eq", "mars"), partner_id=world["acme"].id)
