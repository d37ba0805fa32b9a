"""Django admin of the deals app: a back office for support, not the channel manager's tool
(deals.views is). Registrations change state only through deals.services, which record the
transition, check conflicts and lock the incentive, so their state, decision and incentive
fields are read-only here, and transitions, conflicts and figures cannot be edited at all.

Every list page joins what its columns show (list_select_related): a constant number of
queries whatever the number of rows."""

from __future__ import annotations

from django.contrib import admin

from deals.models import (
    Account,
    DealConflict,
    DealRegistration,
    DealTransition,
    IncentiveRule,
    PartnerDealStats,
)
from deals.services.rules import RULE_FIELDS


class ReadOnlyAdminMixin:
    """The record of what happened: viewable, never added, changed or deleted by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "domain", "country", "industry", "created_at"]
    list_filter = ["country", "industry"]
    search_fields = ["name", "normalized_name", "domain"]
    list_select_related = ["industry"]
    # The conflict check compares the normalised name: it follows the name, never typed.
    readonly_fields = ["normalized_name", "created_at"]
    ordering = ["name", "id"]


@admin.register(IncentiveRule)
class IncentiveRuleAdmin(admin.ModelAdmin):
    list_display = list(RULE_FIELDS)
    list_filter = ["is_active", "currency", "tier"]
    search_fields = ["name", "segment__name", "segment__slug"]
    list_select_related = ["segment", "tier"]
    autocomplete_fields = ["segment"]
    readonly_fields = ["created_at", "updated_at"]


class DealTransitionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DealTransition
    fields = ["at", "action", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields
    ordering = ["at", "id"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class DealConflictInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DealConflict
    fk_name = "deal"
    fields = ["competing", "matched_on", "similarity", "shared_technologies", "created_at"]
    readonly_fields = fields
    extra = 0
    verbose_name = "conflict with an earlier registration"
    verbose_name_plural = "conflicts with earlier registrations"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("competing", "competing__partner")


# The fields only the services write: state, review, decision, incentive, protection.
SERVICE_FIELDS = [
    "status",
    "submitted_at",
    "review_due_at",
    "overdue_at",
    "decided_at",
    "decided_by",
    "decision_reason",
    "protection_ends_on",
    "expiry_reminded_at",
    "closed_at",
    "incentive_rule",
    "discount_pct",
    "rebate_pct",
    "protection_days",
    "incentive_explanation",
    "has_conflict",
    "extension_status",
    "extension_days",
    "extension_reason",
    "created_at",
    "updated_at",
]


@admin.register(DealRegistration)
class DealRegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "partner",
        "account",
        "amount",
        "currency",
        "status",
        "has_conflict",
        "expected_close_date",
        "created_at",
    ]
    list_display_links = ["id", "name"]
    list_filter = ["status", "has_conflict", "currency", "extension_status"]
    search_fields = [
        "name",
        "account__name",
        "account__domain",
        "partner__name",
        "partner__external_id",
    ]
    list_select_related = ["partner", "account"]
    autocomplete_fields = ["partner", "account"]
    raw_id_fields = ["submitted_by"]
    filter_horizontal = ["technologies"]
    readonly_fields = SERVICE_FIELDS
    # Newest first by id: the primary key's index (created_at has none).
    ordering = ["-id"]
    show_full_result_count = False  # no COUNT(*) over millions of rows on every page
    inlines = [DealTransitionInline, DealConflictInline]


@admin.register(DealTransition)
class DealTransitionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["deal", "action", "from_status", "to_status", "actor", "at"]
    list_filter = ["action", "to_status"]
    search_fields = ["deal__name", "reason"]
    list_select_related = ["deal", "actor"]
    ordering = ["-id"]
    show_full_result_count = False


@admin.register(PartnerDealStats)
class PartnerDealStatsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "partner",
        "deals_registered_12m",
        "deals_approved_12m",
        "won_12m",
        "lost_12m",
        "deal_win_rate_12m",
        "open_pipeline_amount",
        "open_pipeline_count",
        "refreshed_at",
    ]
    search_fields = ["partner__name", "partner__external_id"]
    list_select_related = ["partner"]
    ordering = ["partner_id"]
