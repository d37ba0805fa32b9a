from django import forms
from django.contrib import admin

from segments.models import EvaluationRun, Membership, MembershipEvent, Segment
from segments.rules import RuleError
from segments.services import segment_rule_check


class SegmentAdminForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = [
            "name",
            "slug",
            "objective",
            "description",
            "kind",
            "rule",
            "is_active",
            "refresh_interval_minutes",
            "owner",
        ]

    def clean(self):
        """Rule errors shown on the form (with their paths), not raised by the service."""
        cleaned = super().clean()
        if "rule" not in cleaned or "kind" not in cleaned:
            return cleaned
        candidate = Segment(
            pk=self.instance.pk,
            slug=cleaned.get("slug") or self.instance.slug,
            kind=cleaned["kind"],
            rule=cleaned["rule"],
        )
        try:
            segment_rule_check(segment=candidate)  # the rule, references and cycles
        except RuleError as error:
            for problem in error.errors:
                self.add_error("rule", f"{problem['path'] or '/'}: {problem['message']}")
        return cleaned


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    form = SegmentAdminForm
    list_display = [
        "name",
        "slug",
        "kind",
        "is_active",
        "member_count",
        "last_evaluated_at",
        "consecutive_failures",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug", "objective"]
    readonly_fields = [
        "version",
        "member_count",
        "last_evaluated_at",
        "next_evaluation_at",
        "consecutive_failures",
        "last_error",
        "depends_on",
        "created_at",
        "updated_at",
    ]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        # Through the services, so rules are validated, versions bumped and cycles refused.
        from segments import services

        data = {
            field: form.cleaned_data[field]
            for field in services.SEGMENT_FIELDS
            if field in form.cleaned_data
        }
        if change:
            services.segment_update(segment=obj, data=data)
        else:
            form.instance = services.segment_create(data=data, owner=request.user)
            obj.pk = form.instance.pk

    def save_related(self, request, form, formsets, change):
        """Dependencies are derived from the rule by the services."""


@admin.register(EvaluationRun)
class EvaluationRunAdmin(admin.ModelAdmin):
    list_display = ["segment", "trigger", "status", "started_at", "duration_ms", "joined", "left"]
    list_filter = ["status", "trigger"]
    list_select_related = ["segment"]
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["segment", "partner", "joined_at"]
    list_select_related = ["segment", "partner"]
    raw_id_fields = ["partner"]
    list_filter = ["segment"]
    show_full_result_count = False


@admin.register(MembershipEvent)
class MembershipEventAdmin(admin.ModelAdmin):
    list_display = ["segment", "partner", "kind", "at"]
    list_select_related = ["segment", "partner"]
    raw_id_fields = ["partner", "run"]
    list_filter = ["kind", "segment"]
    show_full_result_count = False
