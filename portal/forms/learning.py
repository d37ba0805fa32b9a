"""Forms of the portal's learning pages: the content library's filters and a step's quiz."""

from __future__ import annotations

from django import forms

from enablement.models import ContentKind, LearningStep


class ContentFilterForm(forms.Form):
    """Search, kind and topic of the content library (GET); unknown values are ignored."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(required=False, label="Kind")
    topic = forms.ChoiceField(required=False, label="Topic")

    def __init__(self, *args, topics: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(placeholder="Search title or summary", type="search")
        self.fields["kind"].choices = [("", "All kinds"), *ContentKind.choices]
        self.fields["topic"].choices = [("", "All topics"), *[(t, t) for t in topics]]

    def filters(self) -> dict[str, str]:
        """The valid filters as keyword arguments of content_library_for_contact."""
        if not self.is_valid():
            return {"search": "", "kind": "", "topic": ""}
        data = self.cleaned_data
        return {"search": data["q"].strip(), "kind": data["kind"], "topic": data["topic"]}


class QuizForm(forms.Form):
    """One radio choice per question of a step's quiz; the answers are graded by the
    enablement service, never here (the correct options never reach the page)."""

    def __init__(self, *args, step: LearningStep, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for number, item in enumerate(step.quiz):
            self.fields[f"question_{number}"] = forms.TypedChoiceField(
                label=item["question"],
                choices=list(enumerate(item["options"])),
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose an answer."},
            )

    def answers(self) -> list[int]:
        """The chosen option index of each question, in order (after is_valid())."""
        return [self.cleaned_data[name] for name in self.fields]
