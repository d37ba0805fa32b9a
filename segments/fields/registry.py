"""The fields a rule can name, and the catalogue the segment builder and API show."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db.models import (
    DecimalField,
    FloatField,
    IntegerField,
)
from django_countries.data import COUNTRIES

from partners.models import (
    Certification,
    Industry,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    Region,
    Technology,
    Tier,
)
from partners.tiers.requirements import QualifyingQuery, tier_requirements_load
from segments.fields.base import (
    ATTRIBUTE_KEY,
    ATTRIBUTE_PREFIX,
    OP_LABELS,
    FieldSpec,
    FieldType,
    TagSource,
)
from segments.fields.types import (
    TYPES,
    next_tier_gap_pct,
)


def _choice(name: str, label: str, choices: Sequence[tuple[str, Any]], normalize) -> FieldSpec:
    return FieldSpec(
        name=name,
        type=FieldType.CHOICE,
        label=label,
        column=name,
        choices=tuple(choices),
        normalize=normalize,
    )


def _number_field(name: str, label: str, help_text: str = "") -> FieldSpec:
    return FieldSpec(
        name=name, type=FieldType.NUMBER, label=label, column=name, help_text=help_text
    )


def _next_tier_field(name: str, label: str, value, output_field, help_text: str) -> FieldSpec:
    """A measure of each partner's way to its next tier, computed by the tier program's own
    QualifyingQuery (so a rule and the tier progress card read the same figures): `value`
    maps (query, next tier) to the expression. The tiers are read when the rule compiles."""

    def expression(today):
        query = QualifyingQuery(tier_requirements_load(), today=today)
        return query.next_tier_value(lambda tier: value(query, tier), output_field)

    return FieldSpec(
        name=name,
        type=FieldType.NUMBER,
        label=label,
        expression=expression,
        output_field=output_field,
        help_text=help_text,
    )


def _tags(name: str, label: str, source: TagSource, help_text: str = "") -> FieldSpec:
    return FieldSpec(name=name, type=FieldType.TAGS, label=label, tags=source, help_text=help_text)


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _choice("partner_type", "Partner type", PartnerType.choices, str.lower),
        _choice("region", "Region", Region.choices, str.lower),
        _choice("country", "Country", tuple(COUNTRIES.items()), str.upper),
        _choice("lifecycle_stage", "Lifecycle stage", LifecycleStage.choices, str.lower),
        FieldSpec(
            name="tier",
            type=FieldType.TIER,
            label="Tier",
            column="tier",
            help_text="By tier slug; at least / at most compare tier ranks.",
        ),
        _number_field("employee_count", "Employees"),
        _number_field("annual_revenue", "Annual revenue"),
        _number_field("tech_savviness", "Tech savviness", "1 (needs basics) to 5 (specialist)."),
        _number_field("revenue_12m", "Revenue (last 12 months)"),
        _number_field("deals_won_12m", "Deals won (last 12 months)"),
        _number_field("engagement_score", "Engagement score"),
        _number_field("enablement_completion_pct", "Enablement completed (%)", "0 to 100 percent."),
        FieldSpec(
            name="next_tier_gap_pct",
            type=FieldType.NUMBER,
            label="Gap to next tier (%)",
            expression=next_tier_gap_pct,
            output_field=FloatField(),
            help_text="Revenue only: how far revenue (12 months) is below the next tier's "
            "minimum, in percent of that minimum; negative when above it, empty at the top "
            "tier. For every requirement, see progress to next tier.",
        ),
        _next_tier_field(
            "next_tier_progress_pct",
            "Progress to next tier (%)",
            lambda query, tier: query.progress_pct(tier),
            FloatField(),
            "0 to 100: the share met of the next tier's requirement furthest from met "
            "(revenue, deals, certifications, enablement), as the tier progress card shows; "
            "100 when the partner qualifies, empty at the top tier.",
        ),
        _next_tier_field(
            "next_tier_unmet_requirements",
            "Next tier: requirements not met",
            lambda query, tier: query.unmet_count(tier),
            IntegerField(),
            "How many of the next tier's requirements the partner does not meet yet.",
        ),
        _next_tier_field(
            "next_tier_revenue_gap",
            "Next tier: revenue missing",
            lambda query, tier: query.requirement_gap(tier, "min_revenue_12m"),
            DecimalField(max_digits=16, decimal_places=2),
            "Revenue (12 months) still missing for the next tier's minimum; 0 when met.",
        ),
        _next_tier_field(
            "next_tier_deals_gap",
            "Next tier: deals won missing",
            lambda query, tier: query.requirement_gap(tier, "min_deals_won_12m"),
            IntegerField(),
            "Deals won (12 months) still missing for the next tier; 0 when met.",
        ),
        _next_tier_field(
            "next_tier_certifications_missing",
            "Next tier: certifications missing",
            lambda query, tier: query.requirement_gap(tier, "min_active_certifications"),
            IntegerField(),
            "Active certifications (of those the next tier counts) still missing; 0 when met.",
        ),
        FieldSpec(
            name="at_risk",
            type=FieldType.BOOLEAN,
            label="At risk",
            column="is_at_risk",
            choices=((True, "Yes"), (False, "No")),
            help_text="Revenue (last 3 months against the 3 before) and engagement both falling; "
            "refreshed daily by insights.",
        ),
        FieldSpec(name="joined_at", type=FieldType.DATE, label="Joined", column="joined_at"),
        FieldSpec(
            name="last_activity_at",
            type=FieldType.DATE,
            label="Last activity",
            column="last_activity_at",
            help_text="Compared by local date.",
        ),
        _tags(
            "industries",
            "Industries",
            TagSource(
                lambda today: Partner.industries.through.objects.all(),
                "industry__slug",
                "industry",
                model=Industry,
            ),
        ),
        _tags(
            "technologies",
            "Technologies",
            TagSource(
                lambda today: Partner.technologies.through.objects.all(),
                "technology__slug",
                "technology",
                model=Technology,
            ),
        ),
        _tags(
            "certifications",
            "Certifications",
            TagSource(
                lambda today: PartnerCertification.objects.active(on=today),
                "certification__slug",
                "certification",
                model=Certification,
            ),
            help_text="Unexpired certifications only.",
        ),
        FieldSpec(name="name", type=FieldType.TEXT, label="Name", column="name"),
        FieldSpec(
            name="segment",
            type=FieldType.SEGMENT,
            label="Segment membership",
            help_text="Member of another segment (by slug).",
        ),
    )
}

# The names of the fields apps above segments contributed (register_field).
CONTRIBUTED: set[str] = set()
FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


def register_field(spec: FieldSpec) -> FieldSpec:
    """Add a field an app above segments contributes to the registry (segments imports no
    such app: the dependency points up to down). Call it from the app's AppConfig.ready(),
    e.g. deals/apps.py registers deals_registered_12m and open_pipeline_amount.

    The spec is any FieldSpec of an existing type; a value kept in another app's table is a
    derived field: `expression(today)` on Partner (typically a Subquery correlated on
    OuterRef("pk"), wrapped in Coalesce for the value a partner without a row reads as) and
    its `output_field`. From then on the field is like a built-in one: rules name it, the
    checker and compiler (PostgreSQL and SQLite), explain, field_catalogue() and the API's
    field list, the builder (under `spec.group`) all see it. Registering a contributed name
    again replaces it (ready() may run more than once); a built-in name, an attribute
    pattern or a bad name is a ValueError."""
    if not FIELD_NAME.fullmatch(spec.name):
        raise ValueError(f"{spec.name!r}: a field name is lower-case letters, digits and _")
    if spec.name in FIELDS and spec.name not in CONTRIBUTED:
        raise ValueError(f"{spec.name!r} is a built-in field of the registry")
    if spec.type not in TYPES or spec.type in (FieldType.CUSTOM, FieldType.SEGMENT):
        raise ValueError(f"{spec.name!r}: a contributed field needs a value type, not {spec.type}")
    if spec.column is None and (spec.expression is None or spec.output_field is None):
        raise ValueError(f"{spec.name!r}: give a Partner column, or an expression and output_field")
    FIELDS[spec.name] = spec
    CONTRIBUTED.add(spec.name)
    return spec


def unregister_field(name: str) -> None:
    """Take a contributed field out again (tests of the hook)."""
    if name not in CONTRIBUTED:
        raise ValueError(f"{name!r} is not a contributed field")
    CONTRIBUTED.discard(name)
    FIELDS.pop(name, None)


_CUSTOM_TEMPLATE = FieldSpec(
    name=f"{ATTRIBUTE_PREFIX}<key>",
    type=FieldType.CUSTOM,
    label="Custom attribute",
    help_text="A key of the partner's custom attributes, e.g. attributes.partner_since.",
)


def get_field(name: Any) -> FieldSpec | None:
    """The field a condition names, including `attributes.<key>`; None if there is none."""
    if not isinstance(name, str):
        return None
    if name in FIELDS:
        return FIELDS[name]
    key = name.removeprefix(ATTRIBUTE_PREFIX)
    if key != name and ATTRIBUTE_KEY.fullmatch(key):
        return FieldSpec(
            name=name,
            type=FieldType.CUSTOM,
            label=f"Attribute {key}",
            attribute_key=key,
        )
    return None


def _tag_choices(spec: FieldSpec) -> list[dict[str, str]]:
    return [
        {"value": slug, "label": name}
        for slug, name in spec.tags.model.objects.order_by("name", "slug").values_list(
            "slug", "name"
        )
    ]


def field_catalogue() -> list[dict[str, Any]]:
    """Every field for the segment builder and the API: name, label, type, ops (with labels and
    the kind of value each takes), choices where there is a fixed set or a catalogue (the tags
    and certifications that exist now, by name; a rule may still name another slug), and a
    help text. One query for the tiers and one per tag catalogue."""
    tiers = [
        {"value": slug, "label": name}
        for slug, name in Tier.objects.order_by("rank").values_list("slug", "name")
    ]
    entries = []
    for spec in (*FIELDS.values(), _CUSTOM_TEMPLATE):
        handler = TYPES[spec.type]
        if spec.type == FieldType.TIER:
            choices = tiers
        elif spec.tags is not None and spec.tags.model is not None:
            choices = _tag_choices(spec)
        elif spec.choices:
            choices = [{"value": value, "label": str(label)} for value, label in spec.choices]
        else:
            choices = None
        entries.append(
            {
                "name": spec.name,
                "label": spec.label,
                "type": str(spec.type),
                "ops": list(spec.ops),
                "op_labels": {op: OP_LABELS[op] for op in spec.ops},
                "value_kinds": {op: handler.value_kinds[op] for op in spec.ops},
                "choices": choices,
                "help_text": spec.help_text,
            }
        )
    return entries
