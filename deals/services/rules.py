"""Incentive rules: created and edited here (the manager's forms and the API). A rule change
never touches an approved registration: its incentive was copied onto it at approval."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from deals.models import IncentiveRule
from prm.formatting import is_currency

RULE_FIELDS = (
    "name",
    "segment",
    "tier",
    "currency",
    "min_amount",
    "max_amount",
    "discount_pct",
    "rebate_pct",
    "protection_days",
    "auto_approve_below",
    "priority",
    "is_active",
)


def _band_errors(rule: IncentiveRule) -> dict[str, list[str]]:
    """What the model's constraints refuse, said by field before the database says it."""
    errors: dict[str, list[str]] = {}
    currency = str(rule.currency or "").strip().upper()
    if len(currency) != 3 or not is_currency(currency):
        errors["currency"] = [f"{currency or 'An empty code'} is not an ISO 4217 currency code."]
    rule.currency = currency
    low, high = rule.min_amount, rule.max_amount
    if low is not None and Decimal(low) < 0:
        errors["min_amount"] = ["The band cannot start below 0."]
    if low is not None and high is not None and Decimal(high) <= Decimal(low):
        errors["max_amount"] = ["The band must end above where it starts."]
    limit = rule.auto_approve_below
    if limit is not None and Decimal(limit) <= 0:
        errors["auto_approve_below"] = ["Leave it empty, or give an amount above 0."]
    return errors


def _save(rule: IncentiveRule, data: dict[str, Any]) -> IncentiveRule:
    unknown = sorted(set(data) - set(RULE_FIELDS))
    if unknown:
        raise ValidationError({name: ["Not a field of an incentive rule."] for name in unknown})
    for name, value in data.items():
        setattr(rule, name, value)
    errors = _band_errors(rule)
    try:
        rule.full_clean(exclude=list(errors))
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    rule.save()
    return rule


@transaction.atomic
def incentive_rule_create(*, data: dict[str, Any]) -> IncentiveRule:
    """A new rule from the fields of RULE_FIELDS; raises ValidationError by field."""
    return _save(IncentiveRule(), data)


@transaction.atomic
def incentive_rule_update(*, rule: IncentiveRule, data: dict[str, Any]) -> IncentiveRule:
    """Change some fields of a rule; approved registrations keep what they were given."""
    rule = IncentiveRule.objects.select_for_update().get(pk=rule.pk)
    return _save(rule, data)
