"""Quizzes of learning steps: the shape check and server-side grading. Pure; never writes.

A quiz is stored as JSON: a list of {"question": text, "options": [2+ texts], "answer_index":
the index of the one right option}. The check says where each problem is (which question,
which option), so that the API can name it in words and the manager's quiz editor can show
it next to the input it concerns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class QuizProblemCode(StrEnum):
    NOT_A_LIST = "not_a_list"
    NOT_A_QUESTION = "not_a_question"
    QUESTION_EMPTY = "question_empty"
    TOO_FEW_OPTIONS = "too_few_options"
    OPTION_EMPTY = "option_empty"
    ANSWER_NOT_A_NUMBER = "answer_not_a_number"
    ANSWER_OUT_OF_RANGE = "answer_out_of_range"


@dataclass(frozen=True)
class QuizProblem:
    """One problem of a quiz: `question` and `option` are 0-based indexes of where it is
    (None: the whole quiz, the whole question)."""

    code: QuizProblemCode
    message: str
    question: int | None = None
    option: int | None = None

    def __str__(self) -> str:
        if self.question is None:
            return self.message
        return f"Question {self.question + 1}: {self.message}"


def quiz_problems(quiz: Any) -> list[QuizProblem]:
    """Every problem of a quiz's shape, each with the question (and option) it concerns."""
    if not isinstance(quiz, list):
        return [QuizProblem(QuizProblemCode.NOT_A_LIST, "Expected a list of questions.")]
    problems = []
    for index, item in enumerate(quiz):
        if not isinstance(item, dict) or set(item) != {"question", "options", "answer_index"}:
            problems.append(
                QuizProblem(
                    QuizProblemCode.NOT_A_QUESTION,
                    "expected question, options and answer_index.",
                    question=index,
                )
            )
            continue
        problems.extend(_question_problems(index, item))
    return problems


def _question_problems(index: int, item: dict) -> list[QuizProblem]:
    problems = []
    if not isinstance(item["question"], str) or not item["question"].strip():
        problems.append(
            QuizProblem(
                QuizProblemCode.QUESTION_EMPTY, "the question text is empty.", question=index
            )
        )
    options, answer = item["options"], item["answer_index"]
    if not isinstance(options, list) or len(options) < 2:
        problems.append(
            QuizProblem(
                QuizProblemCode.TOO_FEW_OPTIONS,
                "expected at least two option texts.",
                question=index,
            )
        )
        return problems
    empty = [
        QuizProblem(
            QuizProblemCode.OPTION_EMPTY,
            f"option {number} is empty (expected a text).",
            question=index,
            option=number - 1,
        )
        for number, option in enumerate(options, start=1)
        if not isinstance(option, str) or not option.strip()
    ]
    if empty:
        return problems + empty
    if isinstance(answer, bool) or not isinstance(answer, int):
        problems.append(
            QuizProblem(
                QuizProblemCode.ANSWER_NOT_A_NUMBER,
                "answer_index must be a whole number.",
                question=index,
            )
        )
    elif not 0 <= answer < len(options):
        problems.append(
            QuizProblem(
                QuizProblemCode.ANSWER_OUT_OF_RANGE,
                "answer_index is not one of the options.",
                question=index,
            )
        )
    return problems


def quiz_errors(quiz: Any) -> list[str]:
    """Problems with a quiz, in words ("Question 2: …"); empty when the quiz is valid."""
    return [str(problem) for problem in quiz_problems(quiz)]


def answers_errors(quiz: list[dict], answers: Any) -> list[str]:
    """Problems with a submission: one option index per question, in order."""
    if not isinstance(answers, list) or len(answers) != len(quiz):
        return [f"Expected a list of {len(quiz)} option indexes, one per question."]
    errors = []
    for number, (item, answer) in enumerate(zip(quiz, answers, strict=True), start=1):
        if isinstance(answer, bool) or not isinstance(answer, int):
            errors.append(f"Answer {number}: expected an option index.")
        elif not 0 <= answer < len(item["options"]):
            errors.append(f"Answer {number}: there is no option {answer}.")
    return errors


def quiz_score(quiz: list[dict], answers: list[int]) -> float:
    """Percentage of questions answered right (checked answers), rounded to 0.1."""
    right = sum(
        1 for item, answer in zip(quiz, answers, strict=True) if answer == item["answer_index"]
    )
    return round(100 * right / len(quiz), 1)
