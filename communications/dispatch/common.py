"""What the dispatch modules share."""

from __future__ import annotations

from django.conf import settings

from communications.models import CampaignStatus

HALTED_CAMPAIGN_STATUSES = (CampaignStatus.PAUSED, CampaignStatus.CANCELLED)


def setting(name: str, default):
    """A PRM_MESSAGE_* setting, or its default when the settings do not name it."""
    return getattr(settings, name, default)
