"""How campaign pages show a campaign's schedule and the statuses of campaigns, occurrences
and messages."""

from __future__ import annotations

from django import template
from django.utils import timezone

from communications.forms import WEEKDAYS
from communications.models import (
    Campaign,
    CampaignStatus,
    MessageStatus,
    OccurrenceStatus,
    Recurrence,
    Reentry,
    ScheduleKind,
)
from communications.scheduling import timezone_or_none
from prm.formatting import format_number

register = template.Library()

STATUS_COLOURS = {
    CampaignStatus.DRAFT: "secondary",
    CampaignStatus.SCHEDULED: "primary",
    CampaignStatus.PAUSED: "warning",
    CampaignStatus.COMPLETED: "success",
    CampaignStatus.CANCELLED: "dark",
    MessageStatus.QUEUED: "secondary",
    MessageStatus.SENDING: "info",
    MessageStatus.SENT: "success",
    MessageStatus.FAILED: "danger",
    MessageStatus.SUPPRESSED: "warning",
    OccurrenceStatus.PENDING: "secondary",
    OccurrenceStatus.FROZEN: "info",
    OccurrenceStatus.DONE: "success",
}
STATUS_ICONS = {
    CampaignStatus.DRAFT: "pencil",
    CampaignStatus.SCHEDULED: "clock",
    CampaignStatus.PAUSED: "pause-circle",
    CampaignStatus.COMPLETED: "check2-circle",
    CampaignStatus.CANCELLED: "x-circle",
}
CHANNEL_ICONS = {"email": "envelope", "portal": "window-stack", "both": "envelope-paper"}


@register.filter
def status_colour(status: str) -> str:
    """The Bootstrap colour of a status badge."""
    return STATUS_COLOURS.get(status, "secondary")


@register.filter
def status_icon(status: str) -> str:
    return STATUS_ICONS.get(status, "circle")


@register.filter
def channel_icon(channel: str) -> str:
    return CHANNEL_ICONS.get(channel, "envelope")


def _local(moment, zone_name: str) -> str:
    zone = timezone_or_none(zone_name)
    if zone is None:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone_name}"


@register.filter
def schedule_summary(campaign: Campaign) -> str:
    """The schedule in a few words: "Weekly on Monday at 09:00 (Europe/Berlin)"."""
    kind = campaign.schedule_kind
    zone_name = campaign.recurrence_timezone or "UTC"
    if kind == ScheduleKind.NOW:
        return "As soon as scheduled"
    if kind == ScheduleKind.AT:
        if campaign.scheduled_at is None:
            return "At a time (not set)"
        return f"At {_local(campaign.scheduled_at, zone_name)}"
    if kind == ScheduleKind.TRIGGERED:
        segment = campaign.trigger_segment.name if campaign.trigger_segment else "a segment"
        delay = campaign.trigger_delay_minutes
        after = f", {delay} min after joining" if delay else ""
        return f"When a partner joins {segment}{after}"
    at = campaign.recurrence_time.strftime("%H:%M") if campaign.recurrence_time else "—"
    if campaign.recurrence == Recurrence.WEEKLY and campaign.recurrence_weekday is not None:
        day = dict(WEEKDAYS).get(campaign.recurrence_weekday, "?")
        return f"Weekly on {day} at {at} ({zone_name})"
    if campaign.recurrence == Recurrence.MONTHLY and campaign.recurrence_day is not None:
        return f"Monthly on day {campaign.recurrence_day} at {at} ({zone_name})"
    if campaign.recurrence == Recurrence.DAILY:
        return f"Daily at {at} ({zone_name})"
    return "Recurring (incomplete)"


@register.filter
def reentry_summary(campaign: Campaign) -> str:
    """Whether a triggered campaign greets a partner that joins again, in a few words."""
    if campaign.reentry == Reentry.ONCE_EVER:
        return "Once per partner, ever"
    if campaign.reentry == Reentry.EVERY_JOIN:
        return "On every join"
    if campaign.reentry == Reentry.ONCE_PER_DAYS and campaign.reentry_days:
        days = "day" if campaign.reentry_days == 1 else "days"
        return f"At most once every {format_number(campaign.reentry_days)} {days}"
    return "Once per partner within the frequency window (7 days)"


@register.filter
def in_zone(moment, zone_name: str) -> str:
    """A moment shown in a campaign's time zone."""
    if moment is None:
        return "—"
    return _local(timezone.localtime(moment), zone_name or "UTC")
