"""The manager's learning path pages: list, detail, create/edit, delete and the steps editor."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enablement.models import Enrollment, LearningPath, LearningStep, StepCompletion
from tests.enablement.factories import (
    QUIZ,
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import CertificationFactory, tier
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

LIST = reverse("enablement:path-list")
CREATE = reverse("enablement:path-create")
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, *args) -> str:
    return reverse(f"enablement:{name}", args=args)


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def path_with_steps(count: int = 3, **kwargs) -> LearningPath:
    path = LearningPathFactory(**kwargs)
    for order in range(1, count + 1):
        LearningStepFactory(path=path, order=order, content__title=f"Lesson {order}")
    return path


def step_titles(path: LearningPath) -> list[str]:
    return [step.content.title for step in path.steps.order_by("order")]


class TestAccess:
    def test_anonymous_and_partner_users_are_kept_out(self, client, partner_user):
        path = path_with_steps(1)
        step = path.steps.get()
        pages = [
            LIST,
            CREATE,
            url("path-detail", path.pk),
            url("path-update", path.pk),
            url("path-delete", path.pk),
        ]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        client.force_login(partner_user)
        for page in pages:
            assert client.get(page).status_code == 403, page
        assert client.post(url("step-delete", path.pk, step.pk)).status_code == 403
        assert LearningStep.objects.filter(pk=step.pk).exists()


class TestList:
    def test_lists_paths_with_enrolment_figures(self, staff):
        # given a path with two steps, two enrolments, one completed
        path = path_with_steps(
            2, title="Cloud sales", awards_certification=CertificationFactory(name="Cloud Seller")
        )
        EnrollmentFactory(path=path, completed_at=timezone.now(), progress_pct=100)
        EnrollmentFactory(path=path, progress_pct=50)
        LearningPathFactory(title="Retired course", is_active=False)
        # when
        response = staff.get(LIST)
        # then
        assert response.status_code == 200
        assert response.context["nav"] == "paths"
        row = next(p for p in response.context["page_obj"] if p.pk == path.pk)
        assert (row.step_count, row.enrolled_count, row.completed_count) == (2, 2, 1)
        assert row.avg_progress == 75
        html = response.content.decode()
        assert "Cloud sales" in html and "Cloud Seller" in html and "Retired course" in html

    def test_status_filter(self, staff):
        LearningPathFactory(title="Live")
        LearningPathFactory(title="Retired", is_active=False)
        response = staff.get(LIST, {"status": "inactive"})
        assert [p.title for p in response.context["page_obj"]] == ["Retired"]

    def test_query_count_does_not_grow_with_rows(self, staff):
        segment = SegmentFactory()

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(LIST).status_code == 200
            return len(queries)

        for _ in range(3):
            EnrollmentFactory(path=path_with_steps(2, segments=[segment], min_tier=tier("gold")))
        few = count()
        for _ in range(15):
            EnrollmentFactory(path=path_with_steps(2, segments=[segment], min_tier=tier("gold")))
        assert count() == few


class TestDetail:
    def test_shows_ordered_steps_and_figures(self, staff):
        path = path_with_steps(3, title="Onboarding", due_days=30)
        first = path.steps.get(order=1)
        done = EnrollmentFactory(path=path, completed_at=timezone.now(), progress_pct=100)
        open_ = EnrollmentFactory(path=path, due_at=timezone.now() - dt.timedelta(days=1))
        StepCompletion.objects.create(enrollment=done, step=first, completed_at=timezone.now())
        StepCompletion.objects.create(enrollment=open_, step=first, completed_at=timezone.now())
        response = staff.get(url("path-detail", path.pk))
        assert response.status_code == 200
        stats = response.context["stats"]
        assert (stats["enrolled"], stats["completed"], stats["overdue"]) == (2, 1, 1)
        assert stats["completion_pct"] == 50
        steps = response.context["steps"]
        assert [step.order for step in steps] == [1, 2, 3]
        assert (steps[0].completion_count, steps[0].completion_pct) == (2, 100)
        html = response.content.decode()
        assert html.index("Lesson 1") < html.index("Lesson 2") < html.index("Lesson 3")
        assert open_.contact.partner.name in html

    def test_unknown_path_is_404(self, staff):
        assert staff.get(url("path-detail", 999999)).status_code == 404


class TestCreateAndEdit:
    def test_creates_a_path_and_goes_on_to_its_steps(self, staff):
        certification = CertificationFactory()
        segment = SegmentFactory()
        response = staff.post(
            CREATE,
            {
                "title": "Security specialist",
                "description": "Three modules",
                "is_active": "on",
                "due_days": "45",
                "awards_certification": certification.pk,
                "auto_enrol_segment": segment.pk,
                "roles": ["technical"],
            },
        )
        path = LearningPath.objects.get()
        assert response.status_code == 302
        assert response["Location"] == url("path-update", path.pk)
        assert (path.slug, path.due_days, path.awards_certification) == (
            "security-specialist",
            45,
            certification,
        )
        assert path.auto_enrol_segment == segment and path.roles == ["technical"]

    def test_invalid_input_is_shown_next_to_the_fields(self, staff):
        response = staff.post(CREATE, {"title": "", "due_days": "0"})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "title" in errors and "due_days" in errors
        assert not LearningPath.objects.exists()

    def test_edit_page_has_the_settings_and_the_steps_editor(self, staff):
        path = path_with_steps(2, title="Onboarding")
        response = staff.get(url("path-update", path.pk))
        assert response.status_code == 200
        assert response.context["form"].initial["title"] == "Onboarding"
        html = response.content.decode()
        assert 'id="steps-editor"' in html and "Lesson 2" in html

    def test_saves_changes(self, staff):
        path = LearningPathFactory(title="Old")
        response = staff.post(
            url("path-update", path.pk),
            {"title": "New", "slug": path.slug, "min_tier": tier("gold").pk},
        )
        assert response.status_code == 302
        path.refresh_from_db()
        assert (path.title, path.min_tier, path.is_active) == ("New", tier("gold"), False)

    def test_deletes_after_confirmation(self, staff):
        path = path_with_steps(1)
        EnrollmentFactory(path=path)
        assert staff.get(url("path-delete", path.pk)).status_code == 200
        response = staff.post(url("path-delete", path.pk))
        assert response.status_code == 302
        assert not LearningPath.objects.exists() and not Enrollment.objects.exists()


class TestStepsEditor:
    def test_adds_a_step_at_the_end(self, staff):
        path = path_with_steps(2)
        content = ContentItemFactory(title="Final exam")
        response = staff.post(
            url("step-add", path.pk),
            {
                "step-content": content.pk,
                "step-title": "",
                "step-pass_mark": "70",
                "step-quiz": str(QUIZ).replace("'", '"'),
            },
            **HTMX,
        )
        assert response.status_code == 200
        assert "Final exam" in response.content.decode()
        step = path.steps.get(content=content)
        assert (step.order, step.pass_mark, len(step.quiz)) == (3, 70, 2)

    def test_an_invalid_quiz_is_shown_in_the_fragment(self, staff):
        path = path_with_steps(1)
        response = staff.post(
            url("step-add", path.pk),
            {"step-content": ContentItemFactory().pk, "step-quiz": '[{"question": "?"}]'},
            **HTMX,
        )
        assert response.status_code == 422
        assert "expected question, options and answer_index" in response.content.decode()
        assert path.steps.count() == 1

    def test_a_missing_content_is_a_field_error(self, staff):
        path = LearningPathFactory()
        response = staff.post(url("step-add", path.pk), {"step-content": ""}, **HTMX)
        assert response.status_code == 422
        assert response.context["step_form"].errors["content"]

    def test_moves_a_step_up_and_down(self, staff):
        path = path_with_steps(3)
        third = path.steps.get(order=3)
        response = staff.post(url("step-move", path.pk, third.pk), {"direction": "up"}, **HTMX)
        assert response.status_code == 200
        assert step_titles(path) == ["Lesson 1", "Lesson 3", "Lesson 2"]
        first = path.steps.get(content__title="Lesson 1")
        staff.post(url("step-move", path.pk, first.pk), {"direction": "down"}, **HTMX)
        assert step_titles(path) == ["Lesson 3", "Lesson 1", "Lesson 2"]

    def test_moving_the_first_step_up_changes_nothing(self, staff):
        path = path_with_steps(2)
        first = path.steps.get(order=1)
        staff.post(url("step-move", path.pk, first.pk), {"direction": "up"}, **HTMX)
        assert step_titles(path) == ["Lesson 1", "Lesson 2"]

    def test_a_bad_direction_is_400(self, staff):
        path = path_with_steps(1)
        step = path.steps.get()
        assert (
            staff.post(url("step-move", path.pk, step.pk), {"direction": "left"}).status_code == 400
        )

    def test_removes_a_step(self, staff):
        path = path_with_steps(2)
        step = path.steps.get(order=1)
        response = staff.post(url("step-delete", path.pk, step.pk), **HTMX)
        assert response.status_code == 200
        assert step_titles(path) == ["Lesson 2"]

    def test_a_step_of_another_path_is_404(self, staff):
        path, other = path_with_steps(1), path_with_steps(1)
        step = other.steps.get()
        assert staff.post(url("step-delete", path.pk, step.pk)).status_code == 404
        assert LearningStep.objects.filter(pk=step.pk).exists()

    def test_without_htmx_a_step_action_returns_to_the_edit_page(self, staff):
        path = path_with_steps(1)
        response = staff.post(url("step-add", path.pk), {"step-content": ContentItemFactory().pk})
        assert response.status_code == 302
        assert response["Location"] == url("path-update", path.pk)
        assert path.steps.count() == 2
