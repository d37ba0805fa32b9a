import json

import pytest

from partners.models import Region, Tier
from segments.fields import (
    FIELDS,
    OP_LABELS,
    TYPES,
    FieldType,
    field_catalogue,
    get_field,
)

pytestmark = pytest.mark.django_db


DESIGN_FIELDS = {
    "partner_type": "choice",
    "region": "choice",
    "country": "choice",
    "lifecycle_stage": "choice",
    "tier": "tier",
    "employee_count": "number",
    "annual_revenue": "number",
    "tech_savviness": "number",
    "revenue_12m": "number",
    "deals_won_12m": "number",
    "engagement_score": "number",
    "enablement_completion_pct": "number",
    "next_tier_gap_pct": "number",
    # the way to the next tier by every requirement (issue 16)
    "next_tier_progress_pct": "number",
    "next_tier_unmet_requirements": "number",
    "next_tier_revenue_gap": "number",
    "next_tier_deals_gap": "number",
    "next_tier_certifications_missing": "number",
    "at_risk": "boolean",  # set by insights (issue 9)
    "joined_at": "date",
    "last_activity_at": "date",
    "industries": "tags",
    "technologies": "tags",
    "certifications": "tags",
    "name": "text",
    "segment": "segment",
    # contributed by deals through register_field (issue 17)
    "deals_registered_12m": "number",
    "deals_approved_12m": "number",
    "deal_win_rate_12m": "number",
    "open_pipeline_amount": "number",
}


def test_the_registry_has_every_field_of_the_design_with_its_type():
    assert {name: str(spec.type) for name, spec in FIELDS.items()} == DESIGN_FIELDS


@pytest.mark.parametrize(
    ("field_type", "ops"),
    [
        (FieldType.CHOICE, ("eq", "ne", "in", "not_in")),
        (FieldType.TIER, ("eq", "ne", "in", "not_in", "at_least", "at_most")),
        (FieldType.NUMBER, ("eq", "ne", "gt", "gte", "lt", "lte", "between")),
        (
            FieldType.DATE,
            ("before", "after", "between", "within_last_days", "more_than_days_ago"),
        ),
        (FieldType.TAGS, ("has", "has_any", "has_all", "has_none")),
        (FieldType.TEXT, ("eq", "contains", "startswith")),
        (FieldType.SEGMENT, ("in", "not_in")),
        (FieldType.CUSTOM, ("eq", "ne", "in", "gt", "gte", "lt", "lte", "exists")),
        (FieldType.BOOLEAN, ("eq", "ne")),
    ],
)
def test_each_type_has_the_operators_of_the_design(field_type, ops):
    assert TYPES[field_type].ops == ops


def test_get_field_returns_registered_fields():
    spec = get_field("region")
    assert (spec.name, spec.type, spec.label) == ("region", FieldType.CHOICE, "Region")
    assert spec.ops == ("eq", "ne", "in", "not_in")
    assert ("emea", "Europe, Middle East and Africa") in spec.choices


@pytest.mark.parametrize("name", ["attributes.score", "attributes.go-live", "attributes.Owner 2"])
def test_get_field_makes_a_custom_field_of_an_attribute_key(name):
    # when
    spec = get_field(name)
    # then
    assert spec.type == FieldType.CUSTOM
    assert spec.attribute_key == name.removeprefix("attributes.")
    assert spec.ops == TYPES[FieldType.CUSTOM].ops


@pytest.mark.parametrize(
    "name",
    [
        "attributes.",
        "attributes. x",
        "attributes.a.b",
        "attributes.a/b",
        'attributes.a"b',
        "attributes." + "x" * 101,
        "attribute.x",
        "revenue",
        None,
        5,
    ],
)
def test_get_field_returns_none_for_unknown_fields(name):
    assert get_field(name) is None


def test_field_catalogue_describes_every_field_and_the_attribute_pattern():
    # when
    catalogue = {entry["name"]: entry for entry in field_catalogue()}
    # then
    assert set(catalogue) == set(DESIGN_FIELDS) | {"attributes.<key>"}
    for entry in catalogue.values():
        assert set(entry) == {
            "name",
            "label",
            "type",
            "ops",
            "op_labels",
            "value_kinds",
            "choices",
            "help_text",
        }
        assert entry["op_labels"] == {op: OP_LABELS[op] for op in entry["ops"]}
        assert set(entry["value_kinds"]) == set(entry["ops"])
    assert catalogue["attributes.<key>"]["type"] == "custom"
    assert catalogue["employee_count"]["choices"] is None
    assert catalogue["employee_count"]["value_kinds"]["between"] == "number_range"


def test_field_catalogue_lists_choices_and_the_tiers_in_rank_order():
    # given a tier added by the vendor
    Tier.objects.create(slug="diamond", name="Diamond", rank=10)
    # when
    catalogue = {entry["name"]: entry for entry in field_catalogue()}
    # then
    assert catalogue["region"]["choices"] == [
        {"value": value, "label": label} for value, label in Region.choices
    ]
    assert [choice["value"] for choice in catalogue["tier"]["choices"]] == [
        "registered",
        "silver",
        "gold",
        "platinum",
        "diamond",
    ]
    assert {"value": "DE", "label": "Germany"} in catalogue["country"]["choices"]


def test_field_catalogue_is_json_serialisable():
    assert json.loads(json.dumps(field_catalogue()))
