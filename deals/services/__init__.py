"""The writes of the deals app (HackSoft style: `<entity>_<action>`, keyword-only)."""

from deals.services.accounts import (
    account_get_or_create,
    normalize_company_name,
    normalize_domain,
)
from deals.services.registrations import (
    DEAL_FIELDS,
    TRANSITIONS,
    DealTransitionError,
    deal_approve,
    deal_create,
    deal_extension_approve,
    deal_extension_reject,
    deal_extension_request,
    deal_mark_lost,
    deal_mark_won,
    deal_reject,
    deal_submit,
    deal_transitions_unannounced,
    deal_update,
    deal_withdraw,
    deals_bulk_decide,
    deals_expire_due,
    deals_mark_overdue,
    deals_remind_expiring,
)
from deals.services.rules import incentive_rule_create, incentive_rule_update
from deals.services.sla import add_business_days

__all__ = [
    "DEAL_FIELDS",
    "TRANSITIONS",
    "DealTransitionError",
    "account_get_or_create",
    "add_business_days",
    "deal_approve",
    "deal_create",
    "deal_extension_approve",
    "deal_extension_reject",
    "deal_extension_request",
    "deal_mark_lost",
    "deal_mark_won",
    "deal_reject",
    "deal_submit",
    "deal_transitions_unannounced",
    "deal_update",
    "deal_withdraw",
    "deals_bulk_decide",
    "deals_expire_due",
    "deals_mark_overdue",
    "deals_remind_expiring",
    "incentive_rule_create",
    "incentive_rule_update",
    "normalize_company_name",
    "normalize_domain",
]
