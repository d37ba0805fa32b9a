"""Which incentive rule prices a registration, and why: a read, used by the preview a partner
sees before submitting and by the approval that locks the incentive in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from deals.models import IncentiveRule
from partners.models import Partner
from segments.models import Membership

# Specificity: a rule naming both a segment and a tier is the most specific.
SPECIFICITY_LABELS = {
    3: "segment + tier + deal size",
    2: "segment + deal size",
    1: "tier + deal size",
    0: "deal size only",
}


def rule_specificity(rule: IncentiveRule) -> int:
    return (2 if rule.segment_id else 0) + (1 if rule.tier_id else 0)


@dataclass(frozen=True)
class IncentiveQuote:
    """The incentive a rule gives a deal, with the explanation shown next to it."""

    rule: IncentiveRule
    discount_pct: Decimal
    rebate_pct: Decimal
    protection_days: int
    auto_approve_below: Decimal | None
    explanation: dict[str, Any]

    def auto_approves(self, amount: Decimal) -> bool:
        return self.auto_approve_below is not None and Decimal(amount) < self.auto_approve_below


def _rule_summary(rule: IncentiveRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "segment": rule.segment.slug if rule.segment_id else None,
        "tier": rule.tier.slug if rule.tier_id else None,
        "currency": rule.currency,
        "min_amount": str(rule.min_amount),
        "max_amount": None if rule.max_amount is None else str(rule.max_amount),
        "priority": rule.priority,
        "specificity": SPECIFICITY_LABELS[rule_specificity(rule)],
    }


def _mismatch(
    rule: IncentiveRule, *, partner: Partner, amount: Decimal, currency: str, segment_ids: set
) -> str | None:
    """Why the rule does not apply to this deal; None when it does."""
    if rule.currency != currency:
        return f"prices deals in {rule.currency}, not {currency}"
    if amount < rule.min_amount:
        return f"deal size below the band's {rule.min_amount}"
    if rule.max_amount is not None and amount >= rule.max_amount:
        return f"deal size at or above the band's {rule.max_amount}"
    if rule.tier_id and rule.tier_id != partner.tier_id:
        return f"for {rule.tier.name} partners only"
    if rule.segment_id and rule.segment_id not in segment_ids:
        return f"for members of {rule.segment.name} only"
    return None


def incentive_resolve(*, partner: Partner, amount: Decimal, currency: str) -> IncentiveQuote | None:
    """The incentive of a deal of `amount` `currency` by `partner` now: among the active rules
    that match, the most specific (segment + tier > segment > tier > size band only), then the
    highest priority, then the oldest. None when no rule matches. Two queries."""
    amount = Decimal(amount).quantize(Decimal("0.01"))
    currency = str(currency).upper()
    rules = list(IncentiveRule.objects.filter(is_active=True).select_related("segment", "tier"))
    wanted_segments = {rule.segment_id for rule in rules if rule.segment_id}
    segment_ids = (
        set(
            Membership.objects.filter(
                partner_id=partner.pk, segment_id__in=wanted_segments
            ).values_list("segment_id", flat=True)
        )
        if wanted_segments
        else set()
    )
    matching, considered = [], []
    for rule in rules:
        why_not = _mismatch(
            rule, partner=partner, amount=amount, currency=currency, segment_ids=segment_ids
        )
        considered.append({**_rule_summary(rule), "matches": why_not is None, "why_not": why_not})
        if why_not is None:
            matching.append(rule)
    if not matching:
        return None
    matching.sort(key=lambda rule: (-rule_specificity(rule), -rule.priority, rule.id))
    chosen = matching[0]
    for entry in considered:
        if entry["matches"] and entry["id"] != chosen.id:
            entry["why_not"] = _lost_to(entry, chosen)
    explanation = {
        "rule": _rule_summary(chosen),
        "why": f"the most specific matching rule ({SPECIFICITY_LABELS[rule_specificity(chosen)]})"
        + (", then the highest priority" if len(matching) > 1 else ""),
        "amount": str(amount),
        "currency": currency,
        "candidates": considered,
    }
    return IncentiveQuote(
        rule=chosen,
        discount_pct=chosen.discount_pct,
        rebate_pct=chosen.rebate_pct,
        protection_days=chosen.protection_days,
        auto_approve_below=chosen.auto_approve_below,
        explanation=explanation,
    )


def _lost_to(entry: dict[str, Any], chosen: IncentiveRule) -> str:
    chosen_level = rule_specificity(chosen)
    level = next(key for key, label in SPECIFICITY_LABELS.items() if label == entry["specificity"])
    if level < chosen_level:
        return f"less specific than {chosen.name}"
    if entry["priority"] < chosen.priority:
        return f"lower priority than {chosen.name}"
    return f"as specific and as high in priority as {chosen.name}, which is older"
