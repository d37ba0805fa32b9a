"""Forms of the communications pages: `public` for a contact's own preferences, `campaigns`
for the channel manager's campaign editor and test send."""

from communications.forms.campaigns import (
    TEMPLATE_VARIABLES,
    WEEKDAYS,
    CampaignForm,
    TestSendForm,
)
from communications.forms.public import PreferencesForm

__all__ = [
    "TEMPLATE_VARIABLES",
    "WEEKDAYS",
    "CampaignForm",
    "PreferencesForm",
    "TestSendForm",
]
