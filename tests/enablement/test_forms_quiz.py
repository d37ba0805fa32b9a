"""The quiz editor's form side: a stored quiz shown as inputs and read back unchanged, the
no-JavaScript editing buttons, and the quiz validator's problems put on the question or
choice they concern with nothing saved."""

import pytest
from django.http import QueryDict

from enablement.forms import LearningStepForm
from enablement.forms.quiz import QuizEditor
from tests.enablement.factories import QUIZ, ContentItemFactory, LearningStepFactory

pytestmark = pytest.mark.django_db


def editor_inputs(quiz: list[dict], prefix: str = "step-quiz") -> dict[str, str]:
    """The inputs the editor's template renders for `quiz`, as a browser posts them."""
    data = {}
    for q, item in enumerate(quiz):
        data[f"{prefix}-{q}-text"] = item["question"]
        for c, option in enumerate(item["options"]):
            data[f"{prefix}-{q}-choice-{c}"] = option
        if item["answer_index"] is not None:
            data[f"{prefix}-{q}-answer"] = str(item["answer_index"])
    return data


def query(data: dict[str, str]) -> QueryDict:
    result = QueryDict(mutable=True)
    result.update(data)
    return result


class TestQuizEditor:
    def test_a_stored_quiz_reads_back_unchanged(self):
        # given the inputs of a stored quiz
        shown = QuizEditor(prefix="step", quiz=QUIZ)
        # when they are posted back
        editor = QuizEditor(prefix="step", data=query(editor_inputs(shown.quiz())))
        # then
        assert editor.quiz() == QUIZ
        assert editor.validate() == []

    def test_numbers_with_gaps_are_read_in_order_and_the_answer_follows_its_choice(self):
        # given a question whose choices 0 and 2 were removed in the page before renumbering
        data = {
            "step-quiz-7-text": " Second? ",
            "step-quiz-7-choice-5": "b",
            "step-quiz-7-choice-3": "a",
            "step-quiz-7-answer": "5",
            "step-quiz-2-text": "First?",
            "step-quiz-2-choice-0": "x",
            "step-quiz-2-choice-1": "y",
            "step-quiz-2-answer": "0",
            "other-field": "ignored",
        }
        # when
        quiz = QuizEditor(prefix="step", data=query(data)).quiz()
        # then
        assert quiz == [
            {"question": "First?", "options": ["x", "y"], "answer_index": 0},
            {"question": "Second?", "options": ["a", "b"], "answer_index": 1},
        ]

    def test_no_question_is_no_quiz(self):
        editor = QuizEditor(prefix="step", data=query({"step-content": "1"}))
        assert editor.quiz() == [] and editor.validate() == []

    @pytest.mark.parametrize(
        ("action", "expected"),
        [
            ("add-question", ["2 + 2?", "Capital of France?", ""]),
            ("remove-question-0", ["Capital of France?"]),
            ("up-1", ["Capital of France?", "2 + 2?"]),
            ("down-0", ["Capital of France?", "2 + 2?"]),
            ("up-0", ["2 + 2?", "Capital of France?"]),
            ("down-1", ["2 + 2?", "Capital of France?"]),
            ("remove-question-9", ["2 + 2?", "Capital of France?"]),
            ("nonsense", ["2 + 2?", "Capital of France?"]),
        ],
    )
    def test_the_question_buttons_without_javascript(self, action, expected):
        data = query({**editor_inputs(QUIZ), "step-quiz-action": action})
        editor = QuizEditor(prefix="step", data=data)
        assert [question.text for question in editor.questions] == expected
        assert editor.action == action

    def test_a_new_question_has_two_empty_choices_and_no_answer(self):
        data = query({**editor_inputs(QUIZ), "step-quiz-action": "add-question"})
        new = QuizEditor(prefix="step", data=data).questions[-1]
        assert ([choice.text for choice in new.choices], new.answer) == (["", ""], None)

    def test_adding_and_removing_choices_keeps_the_right_answer_on_its_choice(self):
        # given "Capital of France?" with Paris (0) right; Oslo (2) is removed
        data = query({**editor_inputs(QUIZ), "step-quiz-action": "remove-choice-1-2"})
        question = QuizEditor(prefix="step", data=data).questions[1]
        assert ([c.text for c in question.choices], question.answer) == (["Paris", "Rome"], 0)
        # when Paris itself is removed, no choice is marked any more
        inputs = editor_inputs(QUIZ)
        data = query({**inputs, "step-quiz-action": "remove-choice-1-0"})
        question = QuizEditor(prefix="step", data=data).questions[1]
        assert ([c.text for c in question.choices], question.answer) == (["Rome", "Oslo"], None)
        # and a choice added goes at the end, the answer staying where it was
        data = query({**inputs, "step-quiz-1-answer": "1", "step-quiz-action": "add-choice-1"})
        question = QuizEditor(prefix="step", data=data).questions[1]
        assert ([c.text for c in question.choices], question.answer) == (
            ["Paris", "Rome", "Oslo", ""],
            1,
        )

    def test_a_question_keeps_at_least_two_choices(self):
        data = query({**editor_inputs(QUIZ), "step-quiz-action": "remove-choice-0-1"})
        question = QuizEditor(prefix="step", data=data).questions[0]
        assert [choice.text for choice in question.choices] == ["3", "4"]
        assert not question.can_remove_choice

    def test_problems_go_next_to_their_question_and_choice(self):
        # given a first question without text and no right choice, a second with an empty choice
        quiz = [
            {"question": "", "options": ["a", "b"], "answer_index": None},
            {"question": "Q2", "options": ["a", "", "c"], "answer_index": 0},
        ]
        editor = QuizEditor(prefix="step", data=query(editor_inputs(quiz)))
        # when
        problems = editor.validate()
        # then
        assert len(problems) == 3 and editor.error_count == 3
        first, second = editor.questions
        assert first.errors == ["Type the question."]
        assert first.choices_errors == ["Mark the right choice."]
        assert [choice.errors for choice in second.choices] == [
            [],
            ["Type this choice, or remove it."],
            [],
        ]
        assert second.errors == second.choices_errors == []

    def test_a_question_without_choices_asks_for_two(self):
        editor = QuizEditor(prefix="step", data=query({"step-quiz-0-text": "Alone?"}))
        editor.validate()
        assert editor.questions[0].choices_errors == ["Give at least two choices."]


class TestLearningStepForm:
    def test_a_valid_quiz_is_handed_to_the_service_as_json(self):
        content = ContentItemFactory()
        data = {"step-content": content.pk, "step-pass_mark": "50", **editor_inputs(QUIZ)}
        form = LearningStepForm(data)
        assert form.is_valid(), form.errors
        assert form.service_data()["quiz"] == QUIZ
        assert form.service_data()["pass_mark"] == 50

    def test_a_quiz_with_problems_makes_the_form_invalid(self):
        content = ContentItemFactory()
        quiz = [{"question": "Q", "options": ["a", "b"], "answer_index": None}]
        form = LearningStepForm({"step-content": content.pk, **editor_inputs(quiz)})
        assert not form.is_valid()
        assert form.non_field_errors() == [
            "The quiz has 1 problem, marked below. Nothing was saved."
        ]
        assert form.quiz_editor.questions[0].choices_errors == ["Mark the right choice."]

    def test_an_editing_button_is_not_a_save(self):
        form = LearningStepForm(
            {"step-content": "", **editor_inputs(QUIZ), "step-quiz-action": "add-question"}
        )
        assert form.is_editing_action
        copy = form.unbound_copy()
        # the copy shows no error (content is still empty) and keeps the added question
        assert not copy.is_bound and not copy.errors
        assert len(copy.quiz_editor.questions) == 3

    def test_editing_a_step_starts_from_its_quiz(self):
        step = LearningStepFactory(quiz=QUIZ, pass_mark=70, title="Check")
        form = LearningStepForm(instance=step)
        assert form.quiz_editor.quiz() == QUIZ
        assert (form["content"].value(), form["pass_mark"].value()) == (step.content_id, 70)
