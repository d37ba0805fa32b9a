"""The partner user's learning: the content library they may see, learning paths with their
steps and quizzes, and their company's certifications.

Content and paths are gated per contact by enablement's selectors (a row the contact may not
see is a 404); enrolments, completions and certifications are partner-owned rows read through
partners.scoping; every write goes through enablement's services.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.generic import TemplateView, View

from enablement import selectors, services
from enablement.models import EngagementKind, Enrollment, LearningStep, StepCompletion
from partners.models import PartnerCertification
from partners.scoping import scoped
from portal.forms.learning import ContentFilterForm, QuizForm
from portal.views.base import PortalView

CONTENT_PAGE_SIZE = 12
EXPIRY_WARNING_DAYS = 60


class LearningView(PortalView, TemplateView):
    """The learning home: the content library (search, kind, topic; paginated), the paths
    they follow and may enrol in, and their company's certifications."""

    template_name = "portal/learning/index.html"
    nav = "learning"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        topics = selectors.content_topics_for_contact(contact=self.contact)
        form = ContentFilterForm(self.request.GET, topics=topics)
        filters = form.filters()
        items = selectors.content_library_for_contact(contact=self.contact, **filters)
        page = Paginator(items, CONTENT_PAGE_SIZE).get_page(self.request.GET.get("page"))
        paths = selectors.learning_paths_overview_for_contact(contact=self.contact)
        certifications = list(
            scoped(PartnerCertification, partner=self.partner)
            .select_related("certification")
            .order_by("certification__name", "id")
        )
        soon = timezone.localdate() + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        for award in certifications:
            award.expires_soon = bool(
                award.is_active and award.expires_at and award.expires_at <= soon
            )
        context.update(
            filter_form=form,
            is_filtered=any(filters.values()),
            page_obj=page,
            content_items=page.object_list,
            enrolled_paths=[path for path in paths if path.enrollment is not None],
            available_paths=[path for path in paths if path.enrollment is None],
            completed_count=sum(
                1 for path in paths if path.enrollment and path.enrollment.is_completed
            ),
            certifications=certifications,
            active_certification_count=sum(1 for award in certifications if award.is_active),
        )
        return context


class ContentDetailView(PortalView, TemplateView):
    """One content item the contact may see (any other: 404); opening it records a view,
    as the API does."""

    template_name = "portal/learning/content.html"
    nav = "learning"

    def get(self, request, *args, **kwargs):
        self.item = get_object_or_404(
            selectors.content_for_contact(contact=self.contact).select_related("min_tier"),
            pk=kwargs["pk"],
        )
        services.engagement_event_record(
            contact=self.contact, kind=EngagementKind.VIEW, content=self.item
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            item=self.item,
            paths=selectors.learning_paths_using_content(contact=self.contact, content=self.item),
        )
        return context


def _own_enrollment(view: PortalView, *, path_id: int) -> Enrollment | None:
    """The signed-in contact's enrolment in a path, read through the partner scope."""
    return (
        scoped(Enrollment, partner=view.partner)
        .filter(contact=view.contact, path_id=path_id)
        .select_related("path__awards_certification")
        .first()
    )


def _step_title(step: LearningStep, *, is_visible: bool) -> str:
    if step.title:
        return step.title
    return step.content.title if is_visible else f"Step {step.order}"


class PathDetailView(PortalView, TemplateView):
    """A learning path the contact may see: its steps in order with their state, the
    enrol button, and the certification it awards (earned once the path is complete)."""

    template_name = "portal/learning/path.html"
    nav = "learning"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        path = get_object_or_404(
            selectors.learning_paths_for_contact(contact=self.contact), pk=self.kwargs["pk"]
        )
        enrollment = _own_enrollment(self, path_id=path.pk)
        completions = {}
        if enrollment is not None:
            completions = {
                completion.step_id: completion
                for completion in scoped(StepCompletion, partner=self.partner).filter(
                    enrollment=enrollment
                )
            }
        steps = list(selectors.learning_path_steps_for_contact(contact=self.contact, path=path))
        next_step = None
        for step in steps:
            step.completion = completions.get(step.pk)
            step.display_title = _step_title(step, is_visible=step.is_visible)
            if next_step is None and step.completion is None:
                next_step = step
        award = None
        if path.awards_certification_id:
            award = (
                scoped(PartnerCertification, partner=self.partner)
                .filter(certification_id=path.awards_certification_id)
                .first()
            )
        context.update(
            path=path,
            enrollment=enrollment,
            steps=steps,
            next_step=next_step if enrollment else None,
            done_count=len(completions),
            award=award,
        )
        return context


class PathEnrolView(PortalView, View):
    """POST: enrol the signed-in contact in a path they may see (any other: 404)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        path = get_object_or_404(selectors.learning_paths_for_contact(contact=self.contact), pk=pk)
        try:
            services.enrollment_create(contact=self.contact, path=path)
        except ValidationError as error:
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(request, f"You are enrolled in {path.title}. Start with step 1.")
        return redirect("portal:learning-path", pk=path.pk)


class _StepView(PortalView):
    """A step of a path the contact may see (any other: 404) and their enrolment in it."""

    def get_step(self) -> LearningStep:
        try:
            return selectors.learning_step_for_contact(
                contact=self.contact, step_id=self.kwargs["pk"]
            )
        except LearningStep.DoesNotExist as error:
            raise Http404("No such step.") from error

    def path_url(self, step: LearningStep) -> str:
        return reverse("portal:learning-path", args=[step.path_id]) + f"#step-{step.pk}"

    def complete(self, *, step: LearningStep, enrollment: Enrollment, answers=None):
        """Complete the step through the service and say what it changed; the service
        raises QuizFailedError or ValidationError and then nothing was written."""
        was_completed = enrollment.is_completed
        completion = services.learning_step_complete(
            enrollment=enrollment, step=step, answers=answers, actor_contact=self.contact
        )
        enrollment = _own_enrollment(self, path_id=step.path_id)
        if enrollment.is_completed and not was_completed:
            self.announce_path_completed(enrollment)
        elif completion.score is not None:
            messages.success(self.request, f"Quiz passed with {completion.score:g}%.")
        else:
            messages.success(self.request, "Step marked complete.")
        return completion

    def announce_path_completed(self, enrollment: Enrollment) -> None:
        path = enrollment.path
        text = f"You completed {path.title}."
        certification = path.awards_certification
        if certification is not None:
            award = (
                scoped(PartnerCertification, partner=self.partner)
                .filter(certification=certification)
                .first()
            )
            text += f" Your company earned the {certification.name} certification"
            if award is not None and award.expires_at:
                text += f", valid until {date_format(award.expires_at)}"
            text += "."
        messages.success(self.request, text)


class StepCompleteView(_StepView, View):
    """POST: mark a step without a quiz complete (quiz steps are passed on their quiz page);
    only within the contact's own enrolment (not enrolled: 404)."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        step = self.get_step()
        enrollment = _own_enrollment(self, path_id=step.path_id)
        if enrollment is None:
            raise Http404("Not enrolled in this path.")
        if step.has_quiz:
            messages.info(request, "Pass the quiz to complete this step.")
            return redirect("portal:learning-step-quiz", pk=step.pk)
        try:
            self.complete(step=step, enrollment=enrollment)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(self.path_url(step))


class StepQuizView(_StepView, TemplateView):
    """A step's quiz: the questions (never the answers), graded by the service on submit;
    a failed attempt shows the score and the form again, a pass completes the step."""

    template_name = "portal/learning/quiz.html"
    nav = "learning"

    def setup_step(self):
        """The step, the contact's enrolment and their completion of it, or a redirect when
        there is no quiz to take."""
        self.step = self.get_step()
        if not self.step.has_quiz:
            return redirect("portal:learning-path", pk=self.step.path_id)
        self.enrollment = _own_enrollment(self, path_id=self.step.path_id)
        if self.enrollment is None:
            messages.info(self.request, "Enrol in the learning path to take its quizzes.")
            return redirect("portal:learning-path", pk=self.step.path_id)
        self.completion = (
            scoped(StepCompletion, partner=self.partner)
            .filter(enrollment=self.enrollment, step=self.step)
            .first()
        )
        return None

    def get(self, request, *args, **kwargs):
        response = self.setup_step()
        if response is not None:
            return response
        return self.render_to_response(self.get_context_data(form=QuizForm(step=self.step)))

    def post(self, request, *args, **kwargs):
        response = self.setup_step()
        if response is not None:
            return response
        if self.completion is not None:
            return redirect("portal:learning-step-quiz", pk=self.step.pk)
        form = QuizForm(request.POST, step=self.step)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            self.complete(step=self.step, enrollment=self.enrollment, answers=form.answers())
        except services.QuizFailedError as failure:
            result = {"score": failure.score, "pass_mark": failure.pass_mark}
            return self.render_to_response(self.get_context_data(form=form, failed=result))
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        return redirect("portal:learning-step-quiz", pk=self.step.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        step = self.step
        is_visible = (
            selectors.content_for_contact(contact=self.contact).filter(pk=step.content_id).exists()
        )
        context.update(
            step=step,
            path=step.path,
            step_title=_step_title(step, is_visible=is_visible),
            content_visible=is_visible,
            enrollment=self.enrollment,
            completion=self.completion,
            question_count=len(step.quiz),
        )
        return context
