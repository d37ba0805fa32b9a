"""Learning paths: list with enrolment figures, detail with the ordered steps and who is
enrolled, create/edit, and the steps editor (add, edit with the quiz editor, reorder and
remove, with htmx)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from enablement import selectors, services
from enablement.forms import (
    LearningPathFilterForm,
    LearningPathForm,
    LearningStepForm,
    add_service_errors,
)
from enablement.models import LearningPath, LearningStep
from enablement.views.common import ServiceFormView, paginate
from partners.access import StaffRequiredMixin

NAV = "paths"
ENROLLMENTS_PER_PAGE = 20


def _path_or_404(pk: int) -> LearningPath:
    return get_object_or_404(selectors.learning_path_list(), pk=pk)


class PathListView(StaffRequiredMixin, TemplateView):
    """Every learning path with its steps, enrolments, completions and audience."""

    template_name = "enablement/path_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = LearningPathFilterForm(self.request.GET or None)
        paths = selectors.learning_path_browse(**form.filters())
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "filter_form": form,
            "is_filtered": any(form.filters().values()),
            "page_obj": paginate(self.request, paths),
        }


class PathDetailView(StaffRequiredMixin, TemplateView):
    """A path: its ordered steps (with how many enrolments completed each), enrolment and
    completion figures, and the enrolments."""

    template_name = "enablement/path_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        path = _path_or_404(kwargs["pk"])
        stats = selectors.learning_path_stats(path=path)
        steps = list(selectors.learning_path_steps(path=path))
        for step in steps:
            step.completion_pct = (
                round(100 * step.completion_count / stats["enrolled"]) if stats["enrolled"] else 0
            )
        enrollments = selectors.learning_path_enrollments(path=path)
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "path": path,
            "stats": stats,
            "steps": steps,
            "page_obj": paginate(self.request, enrollments, per_page=ENROLLMENTS_PER_PAGE),
        }


class PathCreateView(ServiceFormView):
    form_class = LearningPathForm
    template_name = "enablement/path_form.html"
    nav = NAV
    success_message = "“{obj}” was created. Now add its steps."

    def save(self, form: LearningPathForm) -> LearningPath:
        return services.learning_path_create(data=form.service_data())

    def get_success_url(self, obj: LearningPath) -> str:
        return reverse("enablement:path-update", args=[obj.pk])


class PathUpdateView(PathCreateView):
    """The path's settings and, beside them, its steps editor."""

    success_message = "“{obj}” was saved."

    def get_instance(self) -> LearningPath:
        return _path_or_404(self.kwargs["pk"])

    def save(self, form: LearningPathForm) -> LearningPath:
        return services.learning_path_update(path=self.instance, data=form.service_data())

    def get_success_url(self, obj: LearningPath) -> str:
        return reverse("enablement:path-detail", args=[obj.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            **_steps_context(self.instance, LearningStepForm()),
        }


class PathDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST deletes the path with its steps and enrolments."""

    template_name = "enablement/confirm_delete.html"

    def _context(self, path: LearningPath) -> dict[str, Any]:
        stats = selectors.learning_path_stats(path=path)
        return {
            "nav": NAV,
            "object": path,
            "kind": "learning path",
            "cancel_url": reverse("enablement:path-detail", args=[path.pk]),
            "consequences": [
                f"Its {path.steps.count()} steps are removed.",
                f"{stats['enrolled']} enrolments and their progress are removed.",
                "Certifications partners already earned are kept.",
            ],
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return render(request, self.template_name, self._context(_path_or_404(pk)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        path = _path_or_404(pk)
        title = path.title
        services.learning_path_delete(path=path)
        messages.success(request, f"“{title}” was deleted.")
        return redirect("enablement:path-list")


# ---------------------------------------------------------------------------------------
# The steps editor (htmx: each action returns the editor again)
# ---------------------------------------------------------------------------------------


def _steps_context(
    path: LearningPath, form: LearningStepForm, editing: LearningStep | None = None
) -> dict[str, Any]:
    steps = list(selectors.learning_path_steps(path=path))
    return {
        "path": path,
        "steps": steps,
        "step_form": form,
        "editing": editing,
        "editing_number": next(
            (number for number, step in enumerate(steps, 1) if step == editing), None
        ),
    }


def _steps_response(
    request: HttpRequest,
    path: LearningPath,
    form: LearningStepForm | None = None,
    *,
    editing: LearningStep | None = None,
    status: int = 200,
) -> HttpResponse:
    """The editor fragment for htmx. A plain form post (no JavaScript) goes back to the edit
    page when it is done, or shows that page with the step form as it is (its errors, or the
    quiz editor after one of its buttons)."""
    if not request.htmx and form is None:
        return redirect("enablement:path-update", pk=path.pk)
    context = _steps_context(path, form or LearningStepForm(), editing)
    if request.htmx:
        return render(request, "enablement/_steps_editor.html", context, status=status)
    context.update(nav=NAV, object=path, form=LearningPathForm(instance=path))
    return render(request, "enablement/path_form.html", context, status=status)


def _step_form_response(
    request: HttpRequest,
    path: LearningPath,
    form: LearningStepForm,
    save: Callable[[LearningStepForm], LearningStep],
    *,
    editing: LearningStep | None = None,
) -> HttpResponse:
    """Save the posted step form with `save(form)`, or show it again: changed by a quiz
    editor button (200), or with its errors next to their inputs (422), nothing saved."""
    if form.is_editing_action:
        return _steps_response(request, path, form.unbound_copy(), editing=editing)
    if form.is_valid():
        try:
            save(form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _steps_response(request, path)
    return _steps_response(request, path, form, editing=editing, status=422)


class StepAddView(StaffRequiredMixin, View):
    """GET: the steps editor (fragment); POST: add a step at the end of the path."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return _steps_response(request, _path_or_404(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        path = _path_or_404(pk)

        def save(form: LearningStepForm) -> LearningStep:
            order = selectors.learning_step_next_order(path=path)
            return services.learning_step_create(data=form.service_data(path=path, order=order))

        return _step_form_response(request, path, LearningStepForm(request.POST), save)


def _step_or_404(pk: int, step_pk: int) -> LearningStep:
    return get_object_or_404(LearningStep.objects.select_related("path"), pk=step_pk, path_id=pk)


class StepEditView(StaffRequiredMixin, View):
    """GET: the steps editor with this step's form (content, title, quiz, pass mark) in place
    of the new step's; POST: save the step (its completions are kept)."""

    def get(self, request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
        step = _step_or_404(pk, step_pk)
        return _steps_response(request, step.path, LearningStepForm(instance=step), editing=step)

    def post(self, request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
        step = _step_or_404(pk, step_pk)

        def save(form: LearningStepForm) -> LearningStep:
            return services.learning_step_update(step=step, data=form.service_data())

        form = LearningStepForm(request.POST, instance=step)
        return _step_form_response(request, step.path, form, save, editing=step)


class StepMoveView(StaffRequiredMixin, View):
    """Move a step one place up or down (POST direction=up|down)."""

    def post(self, request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
        step = _step_or_404(pk, step_pk)
        direction = request.POST.get("direction")
        if direction not in ("up", "down"):
            return HttpResponse("direction must be up or down", status=400)
        services.learning_step_move(step=step, offset=-1 if direction == "up" else 1)
        return _steps_response(request, step.path)


class StepDeleteView(StaffRequiredMixin, View):
    """Remove a step (with its completions); open enrolments get their new progress."""

    def post(self, request: HttpRequest, pk: int, step_pk: int) -> HttpResponse:
        step = _step_or_404(pk, step_pk)
        path = step.path
        services.learning_step_delete(step=step)
        return _steps_response(request, path)
