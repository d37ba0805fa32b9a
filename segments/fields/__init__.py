"""The field registry of segment rules: every field a condition can name, its type, and per
type the operators, how a value is checked and how a condition maps to SQL.

Two tables drive everything: FIELDS (name -> FieldSpec) and TYPES (type -> TypeHandler).
A new field of an existing type is one FieldSpec (a column, or an `expression` for a derived
value such as next_tier_gap_pct); a new kind of field is one TypeHandler. An app above
segments contributes its fields with register_field(spec) from its AppConfig.ready() (deals:
deals_registered_12m, deals_approved_12m, deal_win_rate_12m, open_pipeline_amount), so
segments never imports it. rules.py walks the
rule tree and asks these tables; it knows no field by name.

Every handler compiles only the positive operators, each to a condition that is never SQL
NULL (a null value is a non-match). The negative operators (NEGATED_OPS) are the exact
complement, built by rules.py with ~, so they match the partners whose value is null.
"""

from segments.fields.base import (
    ATTRIBUTE_KEY,
    ATTRIBUTE_PREFIX,
    FALSE,
    ISO_DATE,
    MAX_DAYS,
    MAX_LIST_VALUES,
    MAX_NUMBER,
    NEGATED_OPS,
    OP_LABELS,
    TRUE,
    FieldSpec,
    FieldType,
    Invalid,
    TagSource,
    TypeHandler,
    ValueReport,
)
from segments.fields.registry import (
    FIELDS,
    field_catalogue,
    get_field,
    register_field,
    unregister_field,
)
from segments.fields.types import TYPES, AttributeCondition, next_tier_gap_pct

__all__ = [
    "ATTRIBUTE_KEY",
    "ATTRIBUTE_PREFIX",
    "FALSE",
    "FIELDS",
    "ISO_DATE",
    "MAX_DAYS",
    "MAX_LIST_VALUES",
    "MAX_NUMBER",
    "NEGATED_OPS",
    "OP_LABELS",
    "TRUE",
    "TYPES",
    "AttributeCondition",
    "FieldSpec",
    "FieldType",
    "Invalid",
    "TagSource",
    "TypeHandler",
    "ValueReport",
    "field_catalogue",
    "get_field",
    "next_tier_gap_pct",
    "register_field",
    "unregister_field",
]
