from collections import Counter

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from partners import tiers
from partners.models import (
    Certification,
    Contact,
    Industry,
    Partner,
    PartnerCertification,
    PerformanceRecord,
    Technology,
    Tier,
    TierChange,
)
from partners.services import partner_delete, partners_mark_changed


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "rank",
        "min_revenue_12m",
        "min_deals_won_12m",
        "min_active_certifications",
        "min_enablement_completion_pct",
        "is_automatic",
    ]
    list_filter = ["is_automatic"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["required_certifications"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "rank", "description", "benefits"]}),
        (
            "Requirements (empty = no requirement)",
            {
                "fields": [
                    "is_automatic",
                    "min_revenue_12m",
                    "min_deals_won_12m",
                    "min_active_certifications",
                    "required_certifications",
                    "min_enablement_completion_pct",
                ]
            },
        ),
    ]


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    """The tier change history; pending changes are approved or rejected via the actions."""

    list_display = [
        "partner",
        "from_tier",
        "to_tier",
        "direction",
        "status",
        "source",
        "created_at",
        "decided_at",
        "decided_by",
    ]
    list_filter = ["status", "direction", "source", "to_tier"]
    search_fields = ["partner__name", "partner__external_id"]
    list_select_related = ["partner", "from_tier", "to_tier", "decided_by"]
    date_hierarchy = "created_at"
    actions = ["approve", "reject"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        # History: every field is written by the tier services, never by hand.
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _decide(self, request, queryset, decide) -> None:
        outcomes: Counter[str] = Counter()
        for change in queryset.order_by("id"):
            try:
                outcomes[decide(change=change, user=request.user).status] += 1
            except ValidationError:
                outcomes["not pending, left as they are"] += 1
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.message_user(request, f"Tier changes: {summary}.", messages.INFO)

    @admin.action(description="Approve the selected pending changes", permissions=["change"])
    def approve(self, request, queryset) -> None:
        self._decide(request, queryset, tiers.tier_change_approve)

    @admin.action(description="Reject the selected pending changes", permissions=["change"])
    def reject(self, request, queryset) -> None:
        self._decide(request, queryset, tiers.tier_change_reject)


@admin.register(Industry, Technology)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "validity_days"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["first_name", "last_name", "email", "role", "email_opt_in"]
    show_change_link = True


class PartnerCertificationInline(admin.TabularInline):
    model = PartnerCertification
    extra = 0
    autocomplete_fields = ["certification"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "external_id",
        "partner_type",
        "tier",
        "region",
        "country",
        "lifecycle_stage",
        "revenue_12m",
    ]
    list_filter = ["partner_type", "tier", "region", "lifecycle_stage", "tech_savviness"]
    search_fields = ["name", "external_id"]
    list_select_related = ["tier"]
    autocomplete_fields = ["industries", "technologies"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ContactInline, PartnerCertificationInline]
    # Counting a million rows on every page view is slow; the paginator shows "more" instead.
    show_full_result_count = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Admin edits bypass the API; announce them like any other change to the profile.
        partners_mark_changed(partner_ids=[form.instance.pk], reason="admin")

    def delete_queryset(self, request, queryset):
        for partner in queryset:
            partner_delete(partner=partner)

    def delete_model(self, request, obj):
        partner_delete(partner=obj)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "partner", "role", "language", "email_opt_in"]
    list_filter = ["role", "email_opt_in", "language"]
    search_fields = ["first_name", "last_name", "email", "partner__name"]
    list_select_related = ["partner"]
    raw_id_fields = ["partner", "user"]
    show_full_result_count = False


@admin.register(PerformanceRecord)
class PerformanceRecordAdmin(admin.ModelAdmin):
    list_display = ["partner", "month", "revenue", "deals_registered", "deals_won"]
    list_select_related = ["partner"]
    raw_id_fields = ["partner"]
    date_hierarchy = "month"
    show_full_result_count = False
