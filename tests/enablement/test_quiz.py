"""The quiz shape check: each problem says where it is (question, option), in words for the
API and by index for the manager's quiz editor."""

import pytest

from enablement.quiz import QuizProblem, QuizProblemCode, quiz_errors, quiz_problems
from tests.enablement.factories import QUIZ


def test_a_valid_quiz_has_no_problem():
    assert quiz_problems(QUIZ) == []
    assert quiz_errors(QUIZ) == []


def test_a_quiz_that_is_not_a_list_is_one_problem_of_the_whole_quiz():
    assert quiz_problems({"question": "?"}) == [
        QuizProblem(QuizProblemCode.NOT_A_LIST, "Expected a list of questions.")
    ]


def a_question(question="Q", options=("a", "b"), answer=0) -> dict:
    return {"question": question, "options": list(options), "answer_index": answer}


@pytest.mark.parametrize(
    ("item", "code", "option"),
    [
        ({"question": "?"}, QuizProblemCode.NOT_A_QUESTION, None),
        (a_question(question=" "), QuizProblemCode.QUESTION_EMPTY, None),
        (a_question(options=["a"]), QuizProblemCode.TOO_FEW_OPTIONS, None),
        ({**a_question(), "options": "ab"}, QuizProblemCode.TOO_FEW_OPTIONS, None),
        (a_question(options=["a", " ", "c"]), QuizProblemCode.OPTION_EMPTY, 1),
        (a_question(options=["a", 7]), QuizProblemCode.OPTION_EMPTY, 1),
        (a_question(answer=None), QuizProblemCode.ANSWER_NOT_A_NUMBER, None),
        (a_question(answer=True), QuizProblemCode.ANSWER_NOT_A_NUMBER, None),
        (a_question(answer=2), QuizProblemCode.ANSWER_OUT_OF_RANGE, None),
    ],
)
def test_each_problem_names_its_question_and_option(item, code, option):
    # given a valid first question and a bad second one
    problems = quiz_problems([QUIZ[0], item])
    # then
    assert [(p.code, p.question, p.option) for p in problems] == [(code, 1, option)]


def test_the_words_name_the_question_by_its_number():
    quiz = [QUIZ[0], {"question": "", "options": ["a", ""], "answer_index": 5}]
    assert quiz_errors(quiz) == [
        "Question 2: the question text is empty.",
        "Question 2: option 2 is empty (expected a text).",
    ]


def test_every_empty_option_is_reported_and_the_answer_is_checked_only_with_good_options():
    problems = quiz_problems([{"question": "Q", "options": ["", "b", ""], "answer_index": "x"}])
    assert [(p.code, p.option) for p in problems] == [
        (QuizProblemCode.OPTION_EMPTY, 0),
        (QuizProblemCode.OPTION_EMPTY, 2),
    ]
