"""Fields an app above segments contributes to the registry (segments.fields.register_field):
the hook itself, and the deal figures deals registers through it, in every place a field is
used: the rule checker and compiler (PostgreSQL and SQLite), the change-driven re-check,
explain, the field catalogue, the API's field list and the builder."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import IntegerField, Value
from django.db.utils import ConnectionHandler
from django.urls import reverse
from django.utils import timezone

from deals.models import PartnerDealStats
from partners.models import Partner
from segments.fields import (
    FIELDS,
    FieldSpec,
    FieldType,
    field_catalogue,
    get_field,
    register_field,
    unregister_field,
)
from segments.models import Membership
from segments.rules import RuleError, compile_rule, explain_rule, validate_rule
from segments.services import segment_evaluate, segments_recheck_partners
from segments.views.display import RuleDescriber, builder_catalogue
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
DEAL_FIELDS = (
    "deals_registered_12m",
    "deals_approved_12m",
    "deal_win_rate_12m",
    "open_pipeline_amount",
)


def cond(field, op, value):
    return {"field": field, "op": op, "value": value}


@pytest.fixture
def partners(db):
    """big: figures with a win rate; none_closed: figures, no closed deal; bare: no row."""
    big, none_closed, bare = PartnerFactory(), PartnerFactory(), PartnerFactory()
    PartnerDealStats.objects.create(
        partner=big, deals_registered_12m=12, deals_approved_12m=9,
        deal_win_rate_12m=Decimal("75.00"), open_pipeline_amount=Decimal("250000.50"),
        open_pipeline_count=4, refreshed_at=timezone.now(),
    )  # fmt: skip
    PartnerDealStats.objects.create(
        partner=none_closed, deals_registered_12m=1, deals_approved_12m=0,
        deal_win_rate_12m=None, open_pipeline_amount=Decimal("900.00"),
        open_pipeline_count=1, refreshed_at=timezone.now(),
    )  # fmt: skip
    return {"big": big, "none_closed": none_closed, "bare": bare}


def matching(rule, partners) -> set[str]:
    ids = set(Partner.objects.filter(compile_rule(rule, today=TODAY)).values_list("id", flat=True))
    return {key for key, partner in partners.items() if partner.id in ids}


# -- the hook ----------------------------------------------------------------------------------


def test_deals_contributes_its_four_number_fields_through_the_hook():
    assert [name for name in FIELDS if name in DEAL_FIELDS] == list(DEAL_FIELDS)
    for name in DEAL_FIELDS:
        spec = get_field(name)
        assert (spec.type, spec.column, spec.group) == (FieldType.NUMBER, None, "Deals")
    assert get_field("open_pipeline_amount").money


def _constant(name, **overrides):
    values = {
        "name": name,
        "type": FieldType.NUMBER,
        "label": "Forty-two",
        "expression": lambda today: Value(42),
        "output_field": IntegerField(),
    }
    return FieldSpec(**{**values, **overrides})


def test_a_registered_field_is_usable_at_once_and_can_be_taken_out():
    # given a field of another app
    register_field(_constant("answer_42"))
    try:
        partner = PartnerFactory()
        # then a rule can name it, and it reaches the catalogue
        assert validate_rule(cond("answer_42", "eq", 42)) == []
        assert partner.id in set(
            Partner.objects.filter(compile_rule(cond("answer_42", "gt", 41))).values_list(
                "id", flat=True
            )
        )
        assert "answer_42" in {entry["name"] for entry in field_catalogue()}
        # registering it again replaces it (ready() may run twice)
        register_field(_constant("answer_42", label="The answer"))
        assert get_field("answer_42").label == "The answer"
    finally:
        unregister_field("answer_42")
    assert get_field("answer_42") is None
    assert [error["path"] for error in validate_rule(cond("answer_42", "eq", 42))] == ["/field"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_constant("region"), "built-in"),
        (_constant("Bad-Name"), "lower-case"),
        (_constant("attributes.x"), "lower-case"),
        (_constant("no_value", expression=None), "expression and output_field"),
        (_constant("a_segment", type=FieldType.SEGMENT), "value type"),
    ],
)
def test_the_hook_refuses_what_would_break_the_registry(spec, message):
    with pytest.raises(ValueError, match=message):
        register_field(spec)
    assert FIELDS.get(spec.name) is not spec


def test_only_a_contributed_field_can_be_taken_out():
    with pytest.raises(ValueError, match="not a contributed field"):
        unregister_field("region")
    assert "region" in FIELDS


# -- the deal fields in rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (cond("open_pipeline_amount", "gt", 1000), {"big"}),
        (cond("open_pipeline_amount", "lt", 1000), {"none_closed", "bare"}),
        # a partner without figures has 0 open
        (cond("open_pipeline_amount", "eq", 0), {"bare"}),
        (cond("deals_registered_12m", "between", [1, 12]), {"big", "none_closed"}),
        (cond("deals_approved_12m", "eq", 0), {"none_closed", "bare"}),
        # the win rate is empty without a closed deal: neither below nor above anything
        (cond("deal_win_rate_12m", "gte", 50), {"big"}),
        (cond("deal_win_rate_12m", "lt", 50), set()),
        ({"not": cond("deal_win_rate_12m", "lt", 50)}, {"big", "none_closed", "bare"}),
        (cond("deal_win_rate_12m", "ne", 75), {"none_closed", "bare"}),
    ],
)
def test_the_deal_fields_match_with_missing_figures_as_zero(partners, rule, expected):
    assert matching(rule, partners) == expected


def test_a_deal_field_value_is_checked_like_any_number():
    errors = validate_rule(cond("open_pipeline_amount", "gt", "lots"))
    assert errors == [{"path": "/value", "message": "expected a number"}]
    with pytest.raises(RuleError):
        compile_rule(cond("open_pipeline_amount", "gt", "lots"))


def test_the_change_driven_recheck_reads_the_deal_fields(partners):
    # given a dynamic segment over the pipeline, evaluated
    segment = SegmentFactory(rule=cond("open_pipeline_amount", "gte", 1000))
    segment_evaluate(segment_id=segment.id)
    assert set(Membership.objects.filter(segment=segment).values_list("partner_id", flat=True)) == {
        partners["big"].id
    }
    # when the figures move and only those partners are re-checked (the change path)
    PartnerDealStats.objects.filter(partner=partners["big"]).update(open_pipeline_amount=0)
    PartnerDealStats.objects.filter(partner=partners["none_closed"]).update(
        open_pipeline_amount=5000
    )
    segments_recheck_partners(partner_ids=[partners["big"].id, partners["none_closed"].id])
    # then
    members = set(Membership.objects.filter(segment=segment).values_list("partner_id", flat=True))
    assert members == {partners["none_closed"].id}


def test_explain_shows_the_figures_and_missing_ones_as_zero(partners):
    rule = {
        "all": [
            cond("open_pipeline_amount", "gt", 1000),
            cond("deal_win_rate_12m", "gte", 50),
            cond("deals_registered_12m", "gte", 1),
        ]
    }
    big = explain_rule(rule, partner_id=partners["big"].id, today=TODAY)
    bare = explain_rule(rule, partner_id=partners["bare"].id, today=TODAY)
    assert big["result"] is True
    assert [child["actual"] for child in big["children"]] == [250000.5, 75.0, 12]
    assert bare["result"] is False
    assert [child["actual"] for child in bare["children"]] == [0, None, 0]


def test_the_deal_fields_compile_for_sqlite():
    sqlite = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3"}})["default"]
    rule = {"any": [{"not": cond(name, "gte", 1)} for name in DEAL_FIELDS]}
    queryset = Partner.objects.filter(compile_rule(rule, today=TODAY)).values("id")
    sql, _ = queryset.query.get_compiler(connection=sqlite).as_sql()
    assert sql.count("deals_partnerdealstats") == len(DEAL_FIELDS)
    assert "COALESCE" in sql


# -- catalogue, API, builder ----------------------------------------------------------------


def test_the_catalogue_and_the_api_list_the_deal_fields(manager_client):
    catalogue = {entry["name"]: entry for entry in field_catalogue()}
    for name in DEAL_FIELDS:
        assert catalogue[name]["type"] == "number"
        assert catalogue[name]["value_kinds"]["between"] == "number_range"
        assert catalogue[name]["help_text"]
    response = manager_client.get("/api/segments/fields/")
    assert response.status_code == 200
    assert set(DEAL_FIELDS) <= {entry["name"] for entry in response.json()}


def test_the_builder_groups_the_deal_fields_and_prints_the_pipeline_as_money(client, manager):
    client.force_login(manager)
    response = client.get(reverse("segments:create"))
    assert response.status_code == 200
    groups = {entry["name"]: entry["group"] for entry in response.context["catalogue"]}
    assert {groups[name] for name in DEAL_FIELDS} == {"Deals"}
    assert {entry["group"] for entry in builder_catalogue()} >= {"Deals", "Profile"}
    described = RuleDescriber().describe(cond("open_pipeline_amount", "gt", 50000))
    assert described["value"] == "$50,000"
    assert RuleDescriber().describe(cond("deals_registered_12m", "gt", 5000))["value"] == "5,000"
