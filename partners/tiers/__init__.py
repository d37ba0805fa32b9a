"""The tier program: each tier's requirements, the set-based evaluation that moves partners
between tiers (automatically or after a manager's approval) with a TierChange history, a
what-if on proposed thresholds, and each partner's progress toward its next tier.

    requirements.py  the requirements and the one qualifying-tier query (pure)
    services.py      tiers_evaluate, tier_change_approve, tier_change_reject, tier_update
    selectors.py     tier_list, tier_change_list, tiers_what_if, tier_progress
    filters.py       TierChangeFilterSet
    bench.py         timings on the current data (not used by the product)
"""

from partners.tiers.requirements import ThresholdsError
from partners.tiers.selectors import tier_change_list, tier_list, tier_progress, tiers_what_if
from partners.tiers.services import (
    tier_change_approve,
    tier_change_reject,
    tier_update,
    tiers_evaluate,
)

__all__ = [
    "ThresholdsError",
    "tier_change_approve",
    "tier_change_list",
    "tier_change_reject",
    "tier_list",
    "tier_progress",
    "tier_update",
    "tiers_evaluate",
    "tiers_what_if",
]
