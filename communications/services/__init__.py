"""Writes on communications: campaigns and their life cycle (draft -> scheduled <-> paused ->
completed | cancelled), previews and test sends, contact preferences, the portal inbox's
read state and survey answers.

Sending real messages is the dispatcher's work (communications.dispatch); a campaign only
says what to send, to whom and when.
"""

from communications.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_delete,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_update,
)
from communications.services.inbox import message_mark_read, message_render_for_inbox, survey_answer
from communications.services.preferences import contact_preference_reset, contact_preference_update
from communications.services.previews import TestSendFailed, campaign_preview, campaign_test_send
from communications.services.validation import CampaignValidationError

__all__ = [
    "CampaignValidationError",
    "TestSendFailed",
    "campaign_cancel",
    "campaign_create",
    "campaign_delete",
    "campaign_pause",
    "campaign_preview",
    "campaign_resume",
    "campaign_schedule",
    "campaign_test_send",
    "campaign_update",
    "contact_preference_reset",
    "contact_preference_update",
    "message_mark_read",
    "message_render_for_inbox",
    "survey_answer",
]
