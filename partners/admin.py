from django.contrib import admin

from partners.models import (
    Certification,
    Contact,
    Industry,
    Partner,
    PartnerCertification,
    PerformanceRecord,
    Technology,
    Tier,
)
from partners.services import partner_delete, partners_mark_changed


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "rank", "min_revenue_12m", "min_deals_won_12m"]
    prepopulated_fields = {"slug": ["name"]}


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
