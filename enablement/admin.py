from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models

from enablement import services
from enablement.models import (
    CertificationReminder,
    ContentItem,
    ContentItemSegment,
    EngagementEvent,
    Enrollment,
    LearningPath,
    LearningPathSegment,
    LearningStep,
    StepCompletion,
)


class ContentItemAdminForm(forms.ModelForm):
    url = forms.URLField(max_length=1000, required=False, assume_scheme="https")

    class Meta:
        model = ContentItem
        fields = [
            "kind",
            "title",
            "slug",
            "summary",
            "product_group",
            "business_unit",
            "target_market",
            "file",
            "url",
            "body",
            "published_at",
            "expires_at",
            "min_tier",
            "roles",
        ]
        # A plain file input: the default one links to the file's URL, which protected
        # content does not have (files leave only through the download view).
        widgets = {"file": forms.FileInput}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):  # a new upload, not the stored file
            try:
                services.content_file_check(file=upload)
            except ValidationError as error:
                raise ValidationError(error.message_dict["file"]) from error
        return upload


class ContentItemSegmentInline(admin.TabularInline):
    model = ContentItemSegment
    extra = 0
    autocomplete_fields = ["segment"]
    verbose_name = "audience segment"


@admin.register(ContentItem)
class ContentItemAdmin(admin.ModelAdmin):
    form = ContentItemAdminForm
    list_display = ["title", "kind", "published_at", "expires_at", "min_tier", "file_name"]
    list_filter = ["kind", "product_group", "business_unit", "target_market"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["download_link", "created_at", "updated_at"]
    inlines = [ContentItemSegmentInline]

    @admin.display(description="download")
    def download_link(self, obj: ContentItem) -> str:
        from django.urls import reverse
        from django.utils.html import format_html

        if not obj.pk or not obj.file:
            return "-"
        url = reverse("enablement:content-download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.file_name)


class LearningStepInline(admin.StackedInline):
    model = LearningStep
    extra = 0
    autocomplete_fields = ["content"]
    formfield_overrides = {models.JSONField: {"widget": forms.Textarea(attrs={"rows": 4})}}


class LearningPathSegmentInline(admin.TabularInline):
    model = LearningPathSegment
    extra = 0
    autocomplete_fields = ["segment"]
    verbose_name = "audience segment"


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ["title", "is_active", "awards_certification", "auto_enrol_segment", "due_days"]
    list_filter = ["is_active"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["auto_enrol_segment"]
    inlines = [LearningPathSegmentInline, LearningStepInline]


class StepCompletionInline(admin.TabularInline):
    model = StepCompletion
    extra = 0
    readonly_fields = ["step", "completed_at", "score"]
    can_delete = False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["contact", "path", "source", "enrolled_at", "due_at", "completed_at"]
    list_filter = ["source", "path"]
    list_select_related = ["contact", "path"]
    search_fields = ["contact__email", "contact__last_name", "path__title"]
    raw_id_fields = ["contact"]
    readonly_fields = ["progress_pct", "completed_at"]
    inlines = [StepCompletionInline]


@admin.register(EngagementEvent)
class EngagementEventAdmin(admin.ModelAdmin):
    list_display = ["at", "kind", "partner", "contact", "content", "step"]
    list_filter = ["kind"]
    list_select_related = ["partner", "contact", "content", "step"]
    raw_id_fields = ["partner", "contact", "content", "step"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CertificationReminder)
class CertificationReminderAdmin(admin.ModelAdmin):
    list_display = ["partner_certification", "expires_at", "reminded_at"]
    list_select_related = ["partner_certification__partner", "partner_certification__certification"]
    raw_id_fields = ["partner_certification"]
    date_hierarchy = "reminded_at"

    def has_change_permission(self, request, obj=None) -> bool:
        return False
