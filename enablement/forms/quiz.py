"""The quiz editor of a learning step: questions, their choices and the right one, as form
inputs instead of JSON. The quiz is still stored as JSON (enablement.quiz's shape); this reads
the inputs back into it, checks it with the quiz's own validator and puts each problem next
to the question or choice it concerns.

Inputs (under the form's prefix): `quiz-<q>-text`, `quiz-<q>-choice-<c>` and the radio
`quiz-<q>-answer` = <c>. Questions and choices are read in the order of their numbers, so a
gap (a row removed in the browser) does not matter. Without JavaScript the editor's buttons
submit `quiz-action` (add-question, remove-question-<q>, up-<q>, down-<q>, add-choice-<q>,
remove-choice-<q>-<c>), which re-renders the editor with the change and saves nothing;
static/js/quiz_editor.js does the same in the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from enablement.quiz import QuizProblem, QuizProblemCode, quiz_problems

MIN_CHOICES = 2
NEW_QUESTION_CHOICES = 2

# The editor's words for the validator's problems (the API keeps the validator's own).
# Problems with a question's choices as a whole (how many, which is right) are shown under
# its choices; the others under its text.
CHOICES_PROBLEMS = {
    QuizProblemCode.TOO_FEW_OPTIONS,
    QuizProblemCode.ANSWER_NOT_A_NUMBER,
    QuizProblemCode.ANSWER_OUT_OF_RANGE,
}
EDITOR_MESSAGES = {
    QuizProblemCode.QUESTION_EMPTY: "Type the question.",
    QuizProblemCode.TOO_FEW_OPTIONS: "Give at least two choices.",
    QuizProblemCode.OPTION_EMPTY: "Type this choice, or remove it.",
    QuizProblemCode.ANSWER_NOT_A_NUMBER: "Mark the right choice.",
    QuizProblemCode.ANSWER_OUT_OF_RANGE: "Mark one of the choices as the right one.",
}

# A question or choice number: ASCII digits, few of them. A posted "²" or a number of
# thousands of digits is not one (int() would refuse it with an error, a 500).
NUMBER = r"[0-9]{1,6}"

_ACTION = re.compile(
    rf"add-question|(?P<verb>remove-question|up|down|add-choice)-(?P<q>{NUMBER})"
    rf"|remove-choice-(?P<cq>{NUMBER})-(?P<c>{NUMBER})"
)


@dataclass
class Choice:
    text: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class Question:
    text: str = ""
    choices: list[Choice] = field(default_factory=list)
    answer: int | None = None
    errors: list[str] = field(default_factory=list)
    choices_errors: list[str] = field(default_factory=list)

    @classmethod
    def blank(cls) -> Question:
        return cls(choices=[Choice() for _ in range(NEW_QUESTION_CHOICES)])

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors or self.choices_errors or any(choice.errors for choice in self.choices)
        )

    @property
    def can_remove_choice(self) -> bool:
        return len(self.choices) > MIN_CHOICES


class QuizEditor:
    """The questions of a quiz as the editor shows them: from a stored quiz, or read back
    from the submitted inputs (with the no-JavaScript action, if any, applied)."""

    def __init__(
        self,
        *,
        prefix: str | None,
        data: Mapping[str, Any] | None = None,
        quiz: list[dict] | None = None,
    ) -> None:
        self.prefix = f"{prefix}-quiz" if prefix else "quiz"
        self.action = ""
        if data is not None:
            self.questions = self._read(data)
            self.action = str(data.get(f"{self.prefix}-action") or "")
            self._apply(self.action)
        else:
            self.questions = [
                Question(
                    text=item["question"],
                    choices=[Choice(option) for option in item["options"]],
                    answer=item["answer_index"],
                )
                for item in quiz or []
            ]

    # ---- reading the inputs --------------------------------------------------------------

    def _read(self, data: Mapping[str, Any]) -> list[Question]:
        pattern = re.compile(
            rf"{re.escape(self.prefix)}-({NUMBER})-(text|answer|choice-({NUMBER}))"
        )
        texts: dict[int, str] = {}
        answers: dict[int, str] = {}
        choices: dict[int, dict[int, str]] = {}
        for key in data:
            match = pattern.fullmatch(key)
            if not match:
                continue
            number, part = int(match[1]), match[2]
            value = str(data.get(key) or "")
            if part == "text":
                texts[number] = value
            elif part == "answer":
                answers[number] = value
            else:
                choices.setdefault(number, {})[int(match[3])] = value
        questions = []
        for number in sorted(set(texts) | set(choices)):
            numbers = sorted(choices.get(number, {}))
            chosen = answers.get(number, "")
            answer = (
                numbers.index(int(chosen))
                if re.fullmatch(NUMBER, chosen) and int(chosen) in numbers
                else None
            )
            questions.append(
                Question(
                    text=texts.get(number, "").strip(),
                    choices=[Choice(choices[number][c].strip()) for c in numbers],
                    answer=answer,
                )
            )
        return questions

    def _apply(self, action: str) -> None:
        """Apply a no-JavaScript editing action; an unknown one (or out of range) does nothing."""
        match = _ACTION.fullmatch(action)
        if not match:
            return
        questions = self.questions
        if action == "add-question":
            questions.append(Question.blank())
            return
        if match["verb"] is None:
            index, choice = int(match["cq"]), int(match["c"])
            if index < len(questions) and questions[index].can_remove_choice:
                question = questions[index]
                if choice < len(question.choices):
                    del question.choices[choice]
                    if question.answer == choice:
                        question.answer = None
                    elif question.answer is not None and question.answer > choice:
                        question.answer -= 1
            return
        verb, index = match["verb"], int(match["q"])
        if index >= len(questions):
            return
        if verb == "remove-question":
            del questions[index]
        elif verb == "add-choice":
            questions[index].choices.append(Choice())
        else:
            other = index - 1 if verb == "up" else index + 1
            if 0 <= other < len(questions):
                questions[index], questions[other] = questions[other], questions[index]

    # ---- the quiz ------------------------------------------------------------------------

    def quiz(self) -> list[dict]:
        """The questions as the stored JSON (in order; no question = no quiz)."""
        return [
            {
                "question": question.text,
                "options": [choice.text for choice in question.choices],
                "answer_index": question.answer,
            }
            for question in self.questions
        ]

    def validate(self) -> list[QuizProblem]:
        """Check the quiz with enablement.quiz and put each problem on its question or
        choice; the problems (empty when the quiz is valid)."""
        problems = quiz_problems(self.quiz())
        for problem in problems:
            message = EDITOR_MESSAGES.get(problem.code, problem.message)
            if problem.question is None:
                continue
            question = self.questions[problem.question]
            if problem.option is not None:
                question.choices[problem.option].errors.append(message)
            elif problem.code in CHOICES_PROBLEMS:
                question.choices_errors.append(message)
            else:
                question.errors.append(message)
        return problems

    @property
    def blank_question(self) -> Question:
        """What "add question" adds (the page's template for it)."""
        return Question.blank()

    @property
    def error_count(self) -> int:
        return sum(
            len(question.errors)
            + len(question.choices_errors)
            + sum(len(choice.errors) for choice in question.choices)
            for question in self.questions
        )
