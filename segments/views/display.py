"""Rules and explanations as readable trees for the templates: field and operator labels,
values spelled out with their choice labels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from prm.formatting import format_money, format_number
from segments.fields import ATTRIBUTE_PREFIX, FIELDS, OP_LABELS, field_catalogue

# Where each field sits in the builder's field menu.
FIELD_GROUPS = {
    "partner_type": "Profile",
    "region": "Profile",
    "country": "Profile",
    "lifecycle_stage": "Profile",
    "tier": "Profile",
    "name": "Profile",
    "joined_at": "Profile",
    "employee_count": "Company",
    "annual_revenue": "Company",
    "tech_savviness": "Company",
    "revenue_12m": "Performance",
    "deals_won_12m": "Performance",
    "engagement_score": "Performance",
    "last_activity_at": "Performance",
    "next_tier_gap_pct": "Performance",
    "next_tier_progress_pct": "Performance",
    "next_tier_unmet_requirements": "Performance",
    "next_tier_revenue_gap": "Performance",
    "next_tier_deals_gap": "Performance",
    "next_tier_certifications_missing": "Performance",
    "enablement_completion_pct": "Performance",
    "at_risk": "Performance",
    "industries": "Capabilities",
    "technologies": "Capabilities",
    "certifications": "Capabilities",
    "segment": "Segments",
}
GROUP_LABELS = {"all": "All of", "any": "Any of", "not": "Not"}
# Number fields that are money (in PRM_CURRENCY): shown with the currency.
MONEY_FIELDS = frozenset({"annual_revenue", "revenue_12m", "next_tier_revenue_gap"})


def _group(name: str) -> str:
    """A built-in field's group here; a contributed one's (register_field) from its spec."""
    spec = FIELDS.get(name)
    return FIELD_GROUPS.get(name) or (spec.group if spec is not None else "") or "Custom"


def _is_money(name: str) -> bool:
    spec = FIELDS.get(name)
    return name in MONEY_FIELDS or (spec is not None and spec.money)


def builder_catalogue() -> list[dict[str, Any]]:
    """The field catalogue with each field's menu group."""
    return [{**entry, "group": _group(entry["name"])} for entry in field_catalogue()]


class RuleDescriber:
    """Turns rule nodes (or explain_rule nodes) into dicts the templates render."""

    def __init__(self, catalogue: list[dict[str, Any]] | None = None) -> None:
        self.fields = {entry["name"]: entry for entry in (catalogue or builder_catalogue())}

    def describe(self, node: Any, path: str = "") -> dict[str, Any]:
        if isinstance(node, dict) and "group" in node:  # an explain_rule group
            return {
                "is_group": True,
                "kind": node["group"],
                "label": GROUP_LABELS.get(node["group"], node["group"]),
                "result": node["result"],
                "children": [self.describe(child) for child in node["children"]],
            }
        if isinstance(node, dict):
            for kind in ("all", "any", "not"):
                if kind in node:
                    members = [node[kind]] if kind == "not" else node[kind]
                    members = members if isinstance(members, list) else []
                    return {
                        "is_group": True,
                        "kind": kind,
                        "label": GROUP_LABELS[kind],
                        "result": None,
                        "children": [
                            self.describe(member, f"{path}/{kind}/{index}")
                            for index, member in enumerate(members)
                        ],
                    }
            return self._condition(node)
        return {"is_group": False, "field": "?", "op": "", "value": str(node), "result": None}

    def _condition(self, node: dict[str, Any]) -> dict[str, Any]:
        name = str(node.get("field", "?"))
        entry = self.fields.get(name)
        if entry is None and name.startswith(ATTRIBUTE_PREFIX):
            label = f"Attribute “{name.removeprefix(ATTRIBUTE_PREFIX)}”"
        else:
            label = entry["label"] if entry else name
        op = str(node.get("op", ""))
        described = {
            "is_group": False,
            "field": label,
            "op": OP_LABELS.get(op, op),
            "value": self._value(entry, op, node.get("value")),
            "result": node.get("result"),
        }
        if "actual" in node:
            described["actual"] = self._value(entry, "in", node["actual"], empty="(none)")
        return described

    def _value(self, entry: dict | None, op: str, value: Any, empty: str = "") -> str:
        labels = {c["value"]: c["label"] for c in (entry or {}).get("choices") or []}
        is_number = (entry or {}).get("type") == "number"
        is_money = is_number and _is_money(entry["name"])

        def one(item: Any) -> str:
            if isinstance(item, bool):
                return "yes" if item else "no"
            if is_number and isinstance(item, int | float | Decimal):
                # in the reader's locale; money with its currency, cents only where there are
                if not is_money:
                    return format_number(item)
                return format_money(item, digits=0 if item == int(item) else None)
            return str(labels.get(item, item))

        if op == "exists":
            return ""
        if value is None or value == []:
            return empty
        if op == "between" and isinstance(value, list) and len(value) == 2:
            return f"{one(value[0])} and {one(value[1])}"
        if op in ("within_last_days", "more_than_days_ago"):
            return f"{value} days"
        if isinstance(value, list):
            return ", ".join(one(item) for item in value)
        if isinstance(value, dict):
            return ", ".join(f"{key}: {one(item)}" for key, item in value.items())
        return one(value)
