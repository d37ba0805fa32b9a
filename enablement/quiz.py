"""Quizzes of learning steps: the shape check and server-side grading. Pure; never writes."""

from __future__ import annotations

from typing import Any


def quiz_errors(quiz: Any) -> list[str]:
    """Problems with a quiz: a list of {"question", "options": [2+ texts], "answer_index"}."""
    if not isinstance(quiz, list):
        return ["Expected a list of questions."]
    errors = []
    for number, item in enumerate(quiz, start=1):
        if not isinstance(item, dict) or set(item) != {"question", "options", "answer_index"}:
            errors.append(f"Question {number}: expected question, options and answer_index.")
            continue
        options, answer = item["options"], item["answer_index"]
        if not isinstance(item["question"], str) or not item["question"].strip():
            errors.append(f"Question {number}: the question text is empty.")
        if (
            not isinstance(options, list)
            or len(options) < 2
            or not all(isinstance(option, str) and option.strip() for option in options)
        ):
            errors.append(f"Question {number}: expected at least two option texts.")
        elif isinstance(answer, bool) or not isinstance(answer, int):
            errors.append(f"Question {number}: answer_index must be a whole number.")
        elif not 0 <= answer < len(options):
            errors.append(f"Question {number}: answer_index is not one of the options.")
    return errors


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
