"""Checks a campaign must pass to be saved and to be scheduled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from communications.models import REENTRY_DAYS_MAX, Campaign, Recurrence, Reentry, ScheduleKind
from communications.scheduling import timezone_or_none
from communications.templating import template_errors
from partners.models import ContactRole

CAMPAIGN_FIELDS = (
    "name",
    "topic",
    "channel",
    "subject_template",
    "body_template",
    "roles",
    "interests",
    "schedule_kind",
    "scheduled_at",
    "recurrence",
    "recurrence_time",
    "recurrence_timezone",
    "recurrence_weekday",
    "recurrence_day",
    "trigger_segment",
    "trigger_delay_minutes",
    "reentry",
    "reentry_days",
    "ends_at",
    "is_system",
)

SCHEDULE_FIELDS = frozenset(
    {
        "schedule_kind",
        "scheduled_at",
        "recurrence",
        "recurrence_time",
        "recurrence_timezone",
        "recurrence_weekday",
        "recurrence_day",
        "trigger_segment",
        "ends_at",
    }
)


class CampaignValidationError(ValidationError):
    """A campaign (or an action on it) is invalid. `errors` is the JSON the API answers
    with, {field: [message or {"line", "message"}]}; the ValidationError carries the same as
    plain texts for any other caller."""

    def __init__(self, errors: dict[str, list]) -> None:
        self.errors = errors
        super().__init__(
            {
                field: [
                    f"line {item['line']}: {item['message']}" if isinstance(item, dict) else item
                    for item in items
                ]
                for field, items in errors.items()
            }
        )


def campaign_errors(
    campaign: Campaign,
    *,
    include_segments: list,
    exclude_segments: list,
    changed: set[str],
    now: dt.datetime,
) -> dict[str, list]:
    """Every problem of a campaign; a past moment is a problem only when it was `changed`."""
    errors: dict[str, list] = {}

    def add(field: str, message: Any) -> None:
        errors.setdefault(field, []).append(message)

    for field in ("subject_template", "body_template"):
        for error in template_errors(getattr(campaign, field) or ""):
            add(field, error)
    if not (campaign.name or "").strip():
        add("name", "a campaign needs a name")
    roles = campaign.roles
    if not isinstance(roles, list) or not all(role in ContactRole.values for role in roles):
        add("roles", f"expected a list of contact roles out of {sorted(ContactRole.values)}")
    if not isinstance(campaign.interests, list) or not all(
        isinstance(interest, str) and interest for interest in campaign.interests
    ):
        add("interests", "expected a list of interest slugs")

    kind = campaign.schedule_kind
    if kind != ScheduleKind.TRIGGERED and not include_segments:
        add("include_segments", "choose at least one segment to send to")
    both = sorted(
        {segment.slug for segment in include_segments}
        & {segment.slug for segment in exclude_segments}
    )
    if both:
        add("exclude_segments", f"segments both included and excluded: {', '.join(both)}")

    if kind == ScheduleKind.AT and campaign.scheduled_at is None:
        add("scheduled_at", "a campaign sent at a time needs scheduled_at")
    in_past = campaign.scheduled_at is not None and campaign.scheduled_at <= now
    if in_past and "scheduled_at" in changed and kind in (ScheduleKind.AT, ScheduleKind.RECURRING):
        add("scheduled_at", "the schedule is in the past")
    if kind == ScheduleKind.RECURRING:
        if not campaign.recurrence:
            add("recurrence", "a recurring campaign needs daily, weekly or monthly")
        if campaign.recurrence_time is None:
            add("recurrence_time", "a recurring campaign needs the time of day it sends at")
        if timezone_or_none(campaign.recurrence_timezone or "") is None:
            add("recurrence_timezone", f"unknown time zone {campaign.recurrence_timezone!r}")
        if campaign.recurrence == Recurrence.WEEKLY and campaign.recurrence_weekday is None:
            add("recurrence_weekday", "a weekly campaign needs a weekday (0 = Monday)")
        if campaign.recurrence == Recurrence.MONTHLY and campaign.recurrence_day is None:
            add("recurrence_day", "a monthly campaign needs a day of the month (1-28)")
    if campaign.recurrence_weekday is not None and not 0 <= campaign.recurrence_weekday <= 6:
        add("recurrence_weekday", "expected 0 (Monday) to 6 (Sunday)")
    if campaign.recurrence_day is not None and not 1 <= campaign.recurrence_day <= 28:
        add("recurrence_day", "expected a day from 1 to 28")
    if kind == ScheduleKind.TRIGGERED and campaign.trigger_segment_id is None:
        add("trigger_segment", "a triggered campaign needs the segment whose joiners it greets")
    if campaign.reentry not in Reentry.values:
        add("reentry", f"expected one of {Reentry.values}")
    days = campaign.reentry_days
    if campaign.reentry == Reentry.ONCE_PER_DAYS:
        if days is None:
            add("reentry_days", "at most once every N days needs N (reentry_days)")
        elif not isinstance(days, int) or not 1 <= days <= REENTRY_DAYS_MAX:
            add("reentry_days", f"expected a number of days from 1 to {REENTRY_DAYS_MAX}")
    elif days is not None:
        add("reentry_days", "reentry_days only applies to reentry=once_per_days")
    if campaign.ends_at is not None:
        if "ends_at" in changed and campaign.ends_at <= now:
            add("ends_at", "the end is in the past")
        elif campaign.scheduled_at is not None and campaign.ends_at <= campaign.scheduled_at:
            add("ends_at", "the end must come after scheduled_at")
    return errors


def segments_of(campaign: Campaign, data: dict, field: str) -> list:
    """The included or excluded segments a change leaves the campaign with."""
    if field in data:
        return list(data[field])
    if campaign.pk is None:
        return []
    return list(getattr(campaign, field).all())


def survey_errors(survey: Any) -> dict[str, list]:
    """Problems of the survey a campaign carries ({question, comment_prompt} or None)."""
    if survey is None:
        return {}
    if not isinstance(survey, dict):
        return {"survey": ["expected {question, comment_prompt} or null"]}
    question = survey.get("question")
    if question is not None and not str(question).strip():
        return {"survey": ["a survey needs a question"]}
    return {}
