"""The manager's learning path pages: list, detail, create/edit, delete and the steps editor."""

import datetime as dt
import re
from html.parser import HTMLParser

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
from tests.enablement.test_forms_quiz import editor_inputs
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


def fragment_question(response, index: int) -> str:
    """The HTML of the editor's question `index` in a response."""
    html = response.content.decode()
    start = html.index(f'name="step-quiz-{index}-text"')
    end = html.find(f'name="step-quiz-{index + 1}-text"', start)
    return html[html.rfind("<li", 0, start) : end if end != -1 else None]


class _FormInputs(HTMLParser):
    """What a browser posts for one form of a page: its inputs' names and values (checked
    radios only, the selected option of a select), in document order."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.select = form_id, False, None
        self.data: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif tag == "template":
            self.inside = self.inside and "template"
        elif self.inside is True and tag == "input" and attrs.get("name"):
            if attrs.get("type") not in ("radio", "checkbox") or "checked" in attrs:
                self.data.append((attrs["name"], attrs.get("value") or ""))
        elif self.inside is True and tag == "select":
            self.select = attrs["name"]
        elif self.inside is True and tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "template" and self.inside == "template":
            self.inside = True
        elif tag == "select":
            self.select = None


def form_inputs(html: str, *, form_id: str) -> dict[str, str]:
    parser = _FormInputs(form_id)
    parser.feed(html)
    return dict(parser.data)


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
                **editor_inputs(QUIZ),
            },
            **HTMX,
        )
        assert response.status_code == 200
        assert "Final exam" in response.content.decode()
        step = path.steps.get(content=content)
        assert (step.order, step.pass_mark, step.quiz) == (3, 70, QUIZ)

    def test_an_invalid_quiz_is_shown_next_to_its_question_and_nothing_saved(self, staff):
        path = path_with_steps(1)
        quiz = [
            QUIZ[0],
            {"question": "Capital of Peru?", "options": ["Lima", ""], "answer_index": 0},
            {
                "question": "Capital of Chile?",
                "options": ["Lima", "Santiago"],
                "answer_index": None,
            },
        ]
        response = staff.post(
            url("step-add", path.pk),
            {"step-content": ContentItemFactory().pk, **editor_inputs(quiz)},
            **HTMX,
        )
        assert response.status_code == 422
        assert path.steps.count() == 1
        # the empty choice is marked under that choice, what was typed is kept
        second = fragment_question(response, 1)
        assert 'value="Capital of Peru?"' in second
        choice = second[second.index('name="step-quiz-1-choice-1"') :]
        assert choice.index("Type this choice, or remove it.") < choice.index("</li>")
        # the missing answer under its question, and the good question has no error
        assert "Mark the right choice." in fragment_question(response, 2)
        assert "invalid-feedback" not in fragment_question(response, 0)
        assert "The quiz has 2 problems" in response.content.decode()

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

    def test_without_htmx_an_invalid_step_shows_the_edit_page_with_its_errors(self, staff):
        path = path_with_steps(1)
        quiz = [{"question": "", "options": ["a", "b"], "answer_index": 0}]
        data = {"step-content": ContentItemFactory().pk, **editor_inputs(quiz)}
        response = staff.post(url("step-add", path.pk), data)
        assert response.status_code == 422
        assert response.templates[0].name == "enablement/path_form.html"
        assert "Type the question." in response.content.decode()
        assert path.steps.count() == 1


class TestQuizEditor:
    def test_the_edit_form_round_trips_a_stored_quiz_unchanged(self, staff):
        # given a step with a quiz
        path = path_with_steps(1)
        step = LearningStepFactory(path=path, order=2, quiz=QUIZ, pass_mark=60, title="Check")
        # when the manager opens it in the editor and saves it without changes
        response = staff.get(url("step-edit", path.pk, step.pk), **HTMX)
        assert response.status_code == 200
        inputs = form_inputs(response.content.decode(), form_id="step-form")
        response = staff.post(url("step-edit", path.pk, step.pk), inputs, **HTMX)
        # then the quiz, the content, the title and the pass mark are as they were
        assert response.status_code == 200
        step.refresh_from_db()
        assert (step.quiz, step.pass_mark, step.title) == (QUIZ, 60, "Check")

    def test_editing_a_step_changes_its_quiz_and_keeps_its_place(self, staff):
        path = path_with_steps(3)
        step = path.steps.get(order=2)
        quiz = [{"question": "Which port is HTTPS?", "options": ["80", "443"], "answer_index": 1}]
        data = {"step-content": step.content_id, "step-pass_mark": "100", **editor_inputs(quiz)}
        response = staff.post(url("step-edit", path.pk, step.pk), data, **HTMX)
        assert response.status_code == 200
        step.refresh_from_db()
        assert (step.order, step.quiz, step.pass_mark) == (2, quiz, 100)
        assert "1-question quiz, pass 100%" in response.content.decode()

    def test_an_invalid_edit_changes_nothing(self, staff):
        path = path_with_steps(1)
        step = LearningStepFactory(path=path, order=2, quiz=QUIZ)
        quiz = [{"question": "Q", "options": ["a", "b"], "answer_index": None}]
        data = {"step-content": step.content_id, **editor_inputs(quiz)}
        response = staff.post(url("step-edit", path.pk, step.pk), data, **HTMX)
        assert response.status_code == 422
        assert "Edit step 2" in response.content.decode()
        step.refresh_from_db()
        assert step.quiz == QUIZ

    def test_an_editing_button_without_javascript_shows_the_change_and_saves_nothing(self, staff):
        # given a new step being written, without JavaScript
        path = path_with_steps(1)
        data = {"step-content": "", "step-title": "Quiz time", **editor_inputs(QUIZ)}
        # when "add question" is pressed
        response = staff.post(
            url("step-add", path.pk), {**data, "step-quiz-action": "add-question"}
        )
        # then the edit page shows three questions, the typed title, no error, and no step
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="step-quiz-2-text"' in html and 'value="Quiz time"' in html
        assert "This field is required" not in html
        assert path.steps.count() == 1

    def test_a_step_of_another_path_cannot_be_edited(self, staff):
        path, other = path_with_steps(1), path_with_steps(1)
        step = other.steps.get()
        assert staff.get(url("step-edit", path.pk, step.pk)).status_code == 404
        response = staff.post(url("step-edit", path.pk, step.pk), {"step-content": step.content_id})
        assert response.status_code == 404

    def test_without_htmx_the_edit_link_opens_the_edit_page_with_the_step(self, staff):
        path = path_with_steps(1)
        step = LearningStepFactory(path=path, order=2, quiz=QUIZ)
        response = staff.get(url("step-edit", path.pk, step.pk))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'value="Capital of France?"' in html
        # a question keeps two choices: only those of the three-choice question can go
        removable = re.findall(r'value="remove-choice-(\d)-\d"[^>]*?(disabled)?>', html)
        assert removable == [("0", "disabled"), ("0", "disabled"), ("1", ""), ("1", ""), ("1", "")]
        # the path's own form still posts to the path
        assert f'action="{url("path-update", path.pk)}"' in html

    def test_the_editor_fragment_cancels_back_to_adding(self, staff):
        path = path_with_steps(1)
        response = staff.get(url("step-add", path.pk), **HTMX)
        assert response.status_code == 200
        assert "Add a step" in response.content.decode()
        assert staff.get(url("step-add", path.pk)).status_code == 302
