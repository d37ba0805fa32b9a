from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from communications.models import (
    Campaign,
    CampaignOccurrence,
    ContactPreference,
    Message,
    Survey,
    SurveyResponse,
)
from communications.scheduling import timezone_or_none
from communications.services.validation import CAMPAIGN_FIELDS
from communications.templating import template_errors


class CampaignAdminForm(forms.ModelForm):
    """The admin edits campaigns directly, so it checks templates and the time zone as the
    API does; scheduling, pausing and cancelling are the API's (and the actions') job."""

    class Meta:
        model = Campaign
        fields = [*CAMPAIGN_FIELDS, "include_segments", "exclude_segments", "created_by"]

    def _clean_template(self, field: str) -> str:
        source = self.cleaned_data.get(field) or ""
        errors = template_errors(source)
        if errors:
            raise ValidationError([f"line {error['line']}: {error['message']}" for error in errors])
        return source

    def clean_subject_template(self) -> str:
        return self._clean_template("subject_template")

    def clean_body_template(self) -> str:
        return self._clean_template("body_template")

    def clean_recurrence_timezone(self) -> str:
        name = self.cleaned_data.get("recurrence_timezone") or ""
        if timezone_or_none(name) is None:
            raise ValidationError(f"Unknown time zone {name!r}.")
        return name


class SurveyInline(admin.StackedInline):
    model = Survey
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
    list_display = [
        "name",
        "topic",
        "channel",
        "schedule_kind",
        "status",
        "next_occurrence_at",
        "created_at",
    ]
    list_filter = ["status", "topic", "channel", "schedule_kind", "is_system"]
    search_fields = ["name", "subject_template"]
    filter_horizontal = ["include_segments", "exclude_segments"]
    autocomplete_fields = ["trigger_segment"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["status", "next_occurrence_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"
    inlines = [SurveyInline]


@admin.register(CampaignOccurrence)
class CampaignOccurrenceAdmin(admin.ModelAdmin):
    list_display = ["campaign", "key", "due_at", "partner", "status", "frozen_at"]
    list_filter = ["status"]
    search_fields = ["campaign__name", "key"]
    raw_id_fields = ["campaign", "partner"]
    list_select_related = ["campaign", "partner"]
    date_hierarchy = "due_at"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """What was sent is history: readable here, changed only by the dispatcher."""

    list_display = [
        "id",
        "campaign",
        "contact",
        "channel",
        "status",
        "suppression_reason",
        "sent_at",
        "opened_at",
        "clicked_at",
    ]
    list_filter = ["status", "suppression_reason", "channel"]
    search_fields = ["to_email", "message_id", "campaign__name", "contact__email"]
    raw_id_fields = ["campaign", "occurrence", "contact", "partner"]
    list_select_related = ["campaign", "contact"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ["contact", "unsubscribed_all", "topics_opted_out", "max_per_week", "updated_at"]
    list_filter = ["unsubscribed_all"]
    search_fields = ["contact__email", "contact__last_name"]
    raw_id_fields = ["contact"]
    list_select_related = ["contact"]


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["question", "campaign"]
    search_fields = ["question", "campaign__name"]
    raw_id_fields = ["campaign"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["survey", "contact", "partner", "score", "answered_at"]
    list_filter = ["score"]
    search_fields = ["contact__email", "partner__name", "comment"]
    raw_id_fields = ["survey", "contact", "partner", "message"]
    list_select_related = ["survey", "contact", "partner"]
    date_hierarchy = "answered_at"
