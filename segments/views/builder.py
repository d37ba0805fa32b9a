"""The segment builder (create and edit) and its live preview."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from partners.access import StaffRequiredMixin
from segments import selectors, services
from segments.forms import SegmentForm, parse_rule_json
from segments.models import Segment
from segments.rules import RuleError, validate_rule
from segments.views.display import builder_catalogue

EMPTY_RULE = {"all": []}


class SegmentBuilderView(StaffRequiredMixin, View):
    """GET shows the builder; POST saves through segment_create / segment_update. Rule,
    reference and cycle errors come back on the form (400), nothing saved."""

    template_name = "segments/builder.html"
    segment: Segment | None = None

    def get_segment(self) -> Segment | None:
        return None

    def get(self, request, *args, **kwargs):
        self.segment = self.get_segment()
        initial = SegmentForm.initial_for(self.segment) if self.segment else self.prefill()
        return self.render(SegmentForm(initial=initial))

    def prefill(self) -> dict[str, str]:
        """A new segment may start from ?rule=<JSON>&name=…&objective=… (e.g. a suggested
        segment from insights); the rule is checked on save like any other."""
        return {
            key: self.request.GET[key][:20000]
            for key in ("rule", "name", "objective")
            if self.request.GET.get(key)
        }

    def post(self, request, *args, **kwargs):
        self.segment = self.get_segment()
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                segment = self.save(form)
            except RuleError as error:
                form.add_rule_errors(error.errors)
            except ValidationError as error:
                _add_model_errors(form, error)
            else:
                verb = "updated" if self.segment else "created"
                messages.success(request, f"Segment “{segment.name}” {verb}.")
                return redirect("segments:detail", pk=segment.pk)
        return self.render(form, status=400)

    def save(self, form: SegmentForm) -> Segment:
        raise NotImplementedError

    def render(self, form: SegmentForm, status: int = 200):
        rule_text = form["rule"].value() or ""
        rule, errors = parse_rule_json(rule_text) if rule_text else (EMPTY_RULE, [])
        context = {
            "nav": "segments",
            "form": form,
            "segment": self.segment,
            "rule": rule if not errors else EMPTY_RULE,
            "rule_errors": form.rule_errors,
            "catalogue": builder_catalogue(),
            "options": selectors.segment_builder_options(),
        }
        return render(self.request, self.template_name, context, status=status)


class SegmentCreateView(SegmentBuilderView):
    def save(self, form: SegmentForm) -> Segment:
        return services.segment_create(data=form.service_data(), owner=self.request.user)


class SegmentUpdateView(SegmentBuilderView):
    def get_segment(self) -> Segment:
        return get_object_or_404(Segment, pk=self.kwargs["pk"])

    def save(self, form: SegmentForm) -> Segment:
        return services.segment_update(segment=self.segment, data=form.service_data())


def _add_model_errors(form: SegmentForm, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


class SegmentPreviewView(StaffRequiredMixin, View):
    """POST {rule: JSON}: an HTML fragment with the count and a sample of the partners the
    rule matches now, or (400) the rule's errors with their paths for the builder."""

    def post(self, request, *args, **kwargs):
        rule, errors = parse_rule_json(request.POST.get("rule", ""))
        if not errors:
            errors = validate_rule(rule)
        preview = None
        if not errors:
            try:
                preview = selectors.segment_preview(rule=rule)
            except DatabaseError as error:
                errors = [{"path": "", "message": f"the preview could not be computed: {error}"}]
        context = {"preview": preview, "errors": errors}
        return render(request, "segments/_preview.html", context, status=400 if errors else 200)
