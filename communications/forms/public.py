"""The public preference page's form: what a contact wants to receive."""

from __future__ import annotations

from django import forms

from communications import tracking


class PreferencesForm(forms.Form):
    receive_email = forms.BooleanField(
        required=False, label="Send me e-mail from the partner program"
    )
    topics = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics I want to hear about",
    )
    max_per_week = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="At most this many messages a week",
        help_text="Leave empty for the program's default.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = tracking.preference_topics()

    @classmethod
    def initial_for(cls, preference) -> dict:
        opted_out = set(preference.topics_opted_out or [])
        return {
            "receive_email": not preference.unsubscribed_all,
            "topics": [
                value for value, _ in tracking.preference_topics() if value not in opted_out
            ],
            "max_per_week": preference.max_per_week,
        }
