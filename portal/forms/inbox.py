"""Forms of the portal inbox: answering a message's survey."""

from __future__ import annotations

from django import forms

from communications.services.inbox import SURVEY_COMMENT_MAX_LENGTH


class SurveyAnswerForm(forms.Form):
    """An NPS answer (0-10) and an optional comment; the communications service checks and
    stores it."""

    score = forms.TypedChoiceField(
        choices=[(score, str(score)) for score in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a score from 0 to 10."},
    )
    comment = forms.CharField(
        required=False,
        max_length=SURVEY_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, question: str, comment_prompt: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["score"].label = question
        self.fields["comment"].label = comment_prompt or "Comment"
