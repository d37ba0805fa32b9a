"""Learning path forms: the list's filters, a path (certification, automatic enrolment,
audience) and a step of it (content and an optional quiz)."""

from __future__ import annotations

from typing import Any

from django import forms

from enablement.forms.common import AudienceFields
from enablement.forms.quiz import QuizEditor
from enablement.models import ContentItem, LearningPath, LearningStep
from partners.models import Certification
from segments.models import Segment


class LearningPathFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")],
        required=False,
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"search": (data.get("q") or "").strip(), "status": data.get("status") or ""}


class LearningPathForm(AudienceFields):
    """A learning path's description, the certification it awards, automatic enrolment and
    its audience; the steps are edited on the path's page."""

    title = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=100, required=False, help_text="Empty = made from the title.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active (open for enrolment)"
    )
    due_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Days to complete",
        help_text="From enrolment; empty = no due date.",
    )
    awards_certification = forms.ModelChoiceField(
        queryset=Certification.objects.order_by("name"),
        required=False,
        empty_label="No certification",
        help_text="Awarded to the contact's partner when the last step is done.",
    )
    auto_enrol_segment = forms.ModelChoiceField(
        queryset=Segment.objects.order_by("name"),
        required=False,
        label="Auto-enrol segment",
        empty_label="No automatic enrolment",
        help_text="Contacts (in the audience) of partners in this segment are enrolled "
        "automatically, now and whenever a partner joins it.",
    )

    field_order = [
        "title",
        "slug",
        "description",
        "is_active",
        "due_days",
        "awards_certification",
        "auto_enrol_segment",
        "segments",
        "min_tier",
        "roles",
    ]

    def __init__(self, *args, instance: LearningPath | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "title": instance.title,
                    "slug": instance.slug,
                    "description": instance.description,
                    "is_active": instance.is_active,
                    "due_days": instance.due_days,
                    "awards_certification": instance.awards_certification,
                    "auto_enrol_segment": instance.auto_enrol_segment,
                    **self.audience_initial(instance),
                },
            )
        super().__init__(*args, **kwargs)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result = {
            key: data[key]
            for key in (
                "title",
                "description",
                "is_active",
                "due_days",
                "awards_certification",
                "auto_enrol_segment",
            )
        }
        if data["slug"] or self.instance is None:
            result["slug"] = data["slug"]
        return {**result, **self.audience_data()}


class LearningStepForm(forms.Form):
    """A step of a path: a content item and, optionally, a quiz edited question by question
    (enablement.forms.quiz). Prefixed: it sits on the page next to the path's own form."""

    prefix = "step"

    content = forms.ModelChoiceField(
        queryset=ContentItem.objects.order_by("title"), empty_label="Choose content…"
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Empty = the content's title."
    )
    pass_mark = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=80,
        label="Pass mark (%)",
        required=False,
        help_text="Share of questions to answer right to pass the quiz.",
    )

    def __init__(self, *args, instance: LearningStep | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "content": instance.content_id,
                    "title": instance.title,
                    "pass_mark": instance.pass_mark,
                },
            )
        super().__init__(*args, **kwargs)
        self.quiz_editor = QuizEditor(
            prefix=self.prefix,
            data=self.data if self.is_bound else None,
            quiz=instance.quiz if instance is not None else None,
        )

    @property
    def is_editing_action(self) -> bool:
        """The post was one of the quiz editor's buttons (without JavaScript): show the
        editor again with the change, save nothing."""
        return bool(self.quiz_editor.action)

    def unbound_copy(self) -> LearningStepForm:
        """The same inputs as an unbound form (no errors shown), the quiz editor's state kept."""
        form = LearningStepForm(
            instance=self.instance,
            initial={name: self[name].value() for name in self.fields},
        )
        form.quiz_editor = self.quiz_editor
        return form

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        problems = self.quiz_editor.validate()
        if problems:
            count = self.quiz_editor.error_count
            self.add_error(
                None,
                f"The quiz has {count} problem{'s' if count != 1 else ''}, marked below. "
                "Nothing was saved.",
            )
        else:
            data["quiz"] = self.quiz_editor.quiz()
        return data

    def service_data(self, *, path: LearningPath | None = None, order: int | None = None):
        """The step as learning_step_create data (with path and order) or, editing a step,
        as learning_step_update data."""
        data = self.cleaned_data
        pass_mark = data.get("pass_mark")
        result = {
            "content": data["content"],
            "title": data["title"],
            "quiz": data["quiz"],
            "pass_mark": 80 if pass_mark is None else pass_mark,
        }
        if path is not None:
            result.update(path=path, order=order)
        return result
