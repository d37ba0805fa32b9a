"""The channel manager's campaign editor and test send. Forms check shape;
communications.services checks the rules (templates, segments, schedule) and its errors are
put back on these fields."""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from communications.models import (
    REENTRY_DAYS_MAX,
    Campaign,
    Channel,
    Recurrence,
    Reentry,
    ScheduleKind,
    Survey,
    Topic,
)
from communications.scheduling import timezone_or_none
from partners.models import ContactRole
from prm.formatting import format_number
from segments.models import Segment

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
INTEREST_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DATETIME_INPUT_FORMAT = "%Y-%m-%dT%H:%M"
MAX_TRIGGER_DELAY_MINUTES = 60 * 24 * 365

# The variables a template sees (communications.templating.context), shown next to the editor.
TEMPLATE_VARIABLES = [
    ("contact.first_name", "First name of the recipient"),
    ("contact.last_name", "Last name"),
    ("contact.full_name", "Full name"),
    ("contact.email", "E-mail address"),
    ("contact.role", "sales, technical, marketing or executive"),
    ("contact.job_title", "Job title"),
    ("partner.name", "Company name"),
    ("partner.partner_type", "reseller, var, msp, …"),
    ("partner.partner_type_name", "Reseller, Value-added reseller, …"),
    ("partner.region", "na, latam, emea or apac"),
    ("partner.region_name", "North America, …"),
    ("partner.country", "ISO country code"),
    ("partner.country_name", "Country name"),
    ("tier.name", "Tier name (empty without a tier); also {{ partner.tier }}"),
    ("tier.slug", "Tier slug, for comparisons: {% if tier.slug == 'gold' %}"),
    ("segments", "Slugs of the partner's segments"),
    ("in_segment('slug')", "True when the partner is in that segment"),
    ("recommended_content", "Up to 3 items: title, summary, url"),
]


@functools.cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime"})
    return [(name, name.replace("_", " ")) for name in names]


def _segment_label(segment: Segment) -> str:
    partners = "partner" if segment.member_count == 1 else "partners"
    return f"{segment.name} · {format_number(segment.member_count)} {partners}"


class SegmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, segment: Segment) -> str:
        return _segment_label(segment)


class TriggerSegmentField(forms.ModelChoiceField):
    def label_from_instance(self, segment: Segment) -> str:
        return _segment_label(segment)


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT_FORMAT)


def _in_zone(value: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A wall-clock time the form read (made aware in the current time zone) taken as a time
    in `zone` instead."""
    if value is None:
        return None
    wall_clock = timezone.make_naive(value, timezone.get_current_timezone())
    return wall_clock.replace(tzinfo=zone)


def _wall_clock(value: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """An aware datetime as the naive wall-clock time in `zone`, for the form's inputs."""
    if value is None:
        return None
    return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


class CampaignForm(forms.Form):
    """Everything a campaign says: name, topic, channel, templates, audience, schedule and
    an optional survey. `service_data()` is the data communications.services takes."""

    name = forms.CharField(max_length=200)
    topic = forms.ChoiceField(choices=Topic.choices, initial=Topic.NEWS)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    subject_template = forms.CharField(
        label="Subject",
        max_length=300,
        widget=forms.TextInput(attrs={"class": "font-monospace", "data-template-field": "1"}),
        help_text="A template too: <code>News for {{ partner.name }}</code>.",
    )
    body_template = forms.CharField(
        label="Body",
        widget=forms.Textarea(
            attrs={"rows": 12, "class": "font-monospace", "data-template-field": "1"}
        ),
        help_text="Plain text, or HTML when it contains tags. Jinja syntax: "
        "<code>{{ variable }}</code>, <code>{% if … %}…{% endif %}</code>.",
    )
    include_segments = SegmentChoiceField(
        label="Send to partners in any of",
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude_segments = SegmentChoiceField(
        label="Except partners in any of",
        queryset=Segment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    roles = forms.MultipleChoiceField(
        label="Contact roles",
        choices=ContactRole.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every role.",
    )
    interests = forms.CharField(
        required=False,
        help_text="Comma-separated interest slugs; contacts with any of them. Empty: everyone.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. cloud, security"}),
    )
    schedule_kind = forms.ChoiceField(
        label="When",
        choices=[
            (ScheduleKind.NOW, "Now"),
            (ScheduleKind.AT, "At a time"),
            (ScheduleKind.RECURRING, "Recurring"),
            (ScheduleKind.TRIGGERED, "On segment join"),
        ],
        initial=ScheduleKind.NOW,
        widget=forms.RadioSelect,
    )
    scheduled_at = forms.DateTimeField(label="Send at", required=False, widget=_datetime_input())
    recurrence = forms.ChoiceField(
        label="Repeats",
        choices=[("", "Choose…"), *Recurrence.choices],
        required=False,
    )
    recurrence_time = forms.TimeField(
        label="At",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    recurrence_weekday = forms.TypedChoiceField(
        label="On",
        choices=[("", "Choose a day…"), *WEEKDAYS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    recurrence_day = forms.IntegerField(
        label="Day of the month", min_value=1, max_value=28, required=False
    )
    starts_at = forms.DateTimeField(
        label="Not before",
        required=False,
        widget=_datetime_input(),
        help_text="Optional first day of the series.",
    )
    recurrence_timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices)
    trigger_segment = TriggerSegmentField(
        label="When a partner joins", queryset=Segment.objects.none(), required=False
    )
    trigger_delay_minutes = forms.IntegerField(
        label="Delay (minutes)",
        min_value=0,
        max_value=MAX_TRIGGER_DELAY_MINUTES,
        initial=0,
        required=False,
        help_text="0 sends as soon as the partner joins.",
    )
    reentry = forms.ChoiceField(
        label="A partner that joins again",
        choices=[
            (Reentry.WINDOW, "Greeted again only after the frequency window (7 days)"),
            (Reentry.ONCE_EVER, "Never greeted again: once per partner, ever"),
            (Reentry.EVERY_JOIN, "Greeted on every join"),
            (Reentry.ONCE_PER_DAYS, "Greeted again only after N days"),
        ],
        initial=Reentry.WINDOW,
        required=False,
        help_text="Partners can leave the segment and join it again (a tier lost and won "
        "back, a region corrected). By default a partner greeted in the last 7 days is not "
        "greeted again; a repeated evaluation of the same join never greets twice.",
    )
    reentry_days = forms.IntegerField(
        label="N (days)",
        min_value=1,
        max_value=REENTRY_DAYS_MAX,
        required=False,
        help_text=f"For “after N days”: 1 to {REENTRY_DAYS_MAX}.",
    )
    ends_at = forms.DateTimeField(
        label="Ends", required=False, widget=_datetime_input(), help_text="Optional."
    )
    is_system = forms.BooleanField(
        label="Service message (not subject to frequency caps; opt-outs still apply)",
        required=False,
    )
    has_survey = forms.BooleanField(
        label="Carry an NPS survey (0 to 10 and a comment)", required=False
    )
    survey_question = forms.CharField(
        label="Question",
        max_length=300,
        required=False,
        initial=Survey._meta.get_field("question").default,
    )
    survey_comment_prompt = forms.CharField(
        label="Comment prompt",
        max_length=300,
        required=False,
        initial=Survey._meta.get_field("comment_prompt").default,
    )

    # Where the service's error keys that are not form fields belong.
    ERROR_FIELDS = {"survey": "has_survey"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        segments = Segment.objects.order_by("name")
        self.fields["include_segments"].queryset = segments
        self.fields["exclude_segments"].queryset = segments
        self.fields["trigger_segment"].queryset = segments
        if not self.is_bound and "recurrence_timezone" not in self.initial:
            self.initial["recurrence_timezone"] = settings.TIME_ZONE
        # The editor checks each template as it is typed (htmx), as the save will.
        check_url = reverse("communications:campaign-template-check")
        for name in ("subject_template", "body_template"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": check_url,
                    "hx-trigger": "input changed delay:500ms",
                    "hx-params": name,
                    "hx-target": f"#{name}-check",
                    "hx-sync": "this:replace",
                }
            )

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        """The form's values for an existing campaign (times in its own time zone)."""
        zone = timezone_or_none(campaign.recurrence_timezone) or dt.UTC
        recurring = campaign.schedule_kind == ScheduleKind.RECURRING
        try:
            survey = campaign.survey
        except Survey.DoesNotExist:
            survey = None
        return {
            "name": campaign.name,
            "topic": campaign.topic,
            "channel": campaign.channel,
            "subject_template": campaign.subject_template,
            "body_template": campaign.body_template,
            "include_segments": list(campaign.include_segments.all()),
            "exclude_segments": list(campaign.exclude_segments.all()),
            "roles": list(campaign.roles or []),
            "interests": ", ".join(campaign.interests or []),
            "schedule_kind": campaign.schedule_kind,
            "scheduled_at": None if recurring else _wall_clock(campaign.scheduled_at, zone),
            "starts_at": _wall_clock(campaign.scheduled_at, zone) if recurring else None,
            "recurrence": campaign.recurrence,
            "recurrence_time": campaign.recurrence_time,
            "recurrence_timezone": campaign.recurrence_timezone,
            "recurrence_weekday": campaign.recurrence_weekday,
            "recurrence_day": campaign.recurrence_day,
            "trigger_segment": campaign.trigger_segment,
            "trigger_delay_minutes": campaign.trigger_delay_minutes,
            "reentry": campaign.reentry,
            "reentry_days": campaign.reentry_days,
            "ends_at": _wall_clock(campaign.ends_at, zone),
            "is_system": campaign.is_system,
            "has_survey": survey is not None,
            "survey_question": survey.question
            if survey
            else cls.base_fields["survey_question"].initial,
            "survey_comment_prompt": survey.comment_prompt
            if survey
            else cls.base_fields["survey_comment_prompt"].initial,
        }

    def clean_interests(self) -> list[str]:
        parts = [part.strip().lower() for part in self.cleaned_data["interests"].split(",")]
        interests = list(dict.fromkeys(part for part in parts if part))
        bad = [interest for interest in interests if not INTEREST_SLUG.match(interest)]
        if bad:
            raise forms.ValidationError(
                "Interests are slugs (letters, digits, - and _): %(bad)s",
                params={"bad": ", ".join(bad)},
            )
        return interests

    def clean(self) -> dict:
        data = super().clean()
        if data.get("has_survey") and not (data.get("survey_question") or "").strip():
            self.add_error("survey_question", "A survey needs a question.")
        # A wall-clock time at the edge of the calendar (31 Dec 9999 west of UTC) has no UTC
        # time to be stored as.
        zone = timezone_or_none(data.get("recurrence_timezone") or "") or dt.UTC
        for name in ("scheduled_at", "starts_at", "ends_at"):
            try:
                value = _in_zone(data.get(name), zone)
                if value is not None:
                    value.astimezone(dt.UTC)
            except OverflowError:
                self.add_error(name, "This time is out of the range of dates we can store.")
        return data

    def service_data(self) -> dict:
        """The campaign data for communications.services: the fields of the chosen schedule
        kind, the others cleared; times read in the chosen time zone."""
        data = self.cleaned_data
        kind = data["schedule_kind"]
        zone_name = data["recurrence_timezone"]
        zone = timezone_or_none(zone_name) or dt.UTC
        recurring = kind == ScheduleKind.RECURRING
        triggered = kind == ScheduleKind.TRIGGERED
        recurrence = data.get("recurrence") or ""
        scheduled_at = None
        if kind == ScheduleKind.AT:
            scheduled_at = _in_zone(data.get("scheduled_at"), zone)
        elif recurring:
            scheduled_at = _in_zone(data.get("starts_at"), zone)
        result = {
            "name": data["name"],
            "topic": data["topic"],
            "channel": data["channel"],
            "subject_template": data["subject_template"],
            "body_template": data["body_template"],
            "include_segments": list(data.get("include_segments") or []),
            "exclude_segments": list(data.get("exclude_segments") or []),
            "roles": list(data.get("roles") or []),
            "interests": data.get("interests") or [],
            "schedule_kind": kind,
            "scheduled_at": scheduled_at,
            "recurrence": recurrence if recurring else "",
            "recurrence_time": data.get("recurrence_time") if recurring else None,
            "recurrence_timezone": zone_name,
            "recurrence_weekday": data.get("recurrence_weekday")
            if recurring and recurrence == Recurrence.WEEKLY
            else None,
            "recurrence_day": data.get("recurrence_day")
            if recurring and recurrence == Recurrence.MONTHLY
            else None,
            "trigger_segment": data.get("trigger_segment")
            if kind == ScheduleKind.TRIGGERED
            else None,
            "trigger_delay_minutes": (data.get("trigger_delay_minutes") or 0)
            if kind == ScheduleKind.TRIGGERED
            else 0,
            "reentry": (data.get("reentry") or Reentry.WINDOW) if triggered else Reentry.WINDOW,
            "reentry_days": data.get("reentry_days")
            if triggered and data.get("reentry") == Reentry.ONCE_PER_DAYS
            else None,
            "ends_at": _in_zone(data.get("ends_at"), zone)
            if kind in (ScheduleKind.RECURRING, ScheduleKind.TRIGGERED)
            else None,
            "is_system": bool(data.get("is_system")),
            "survey": {
                "question": data["survey_question"].strip(),
                "comment_prompt": (data.get("survey_comment_prompt") or "").strip(),
            }
            if data.get("has_survey")
            else None,
        }
        return result

    def add_service_errors(self, errors: dict[str, list]) -> None:
        """Put a CampaignValidationError's errors on the fields they concern (template
        errors with their line); what concerns no field becomes a form-wide error."""
        kind = self.cleaned_data.get("schedule_kind")
        for key, items in errors.items():
            field = self.ERROR_FIELDS.get(key, key)
            if field == "scheduled_at" and kind == ScheduleKind.RECURRING:
                field = "starts_at"
            if field not in self.fields:
                field = None
            for item in items:
                message = _error_text(item)
                if field is None and key not in ("audience", "status", "schedule"):
                    message = f"{key.replace('_', ' ')}: {message}"
                self.add_error(field, message)

    def schedule_groups(self) -> list[tuple[str, list]]:
        """The schedule fields of each schedule kind, for the template to show the chosen
        kind's group only."""
        return [
            (ScheduleKind.AT, [self["scheduled_at"]]),
            (
                ScheduleKind.RECURRING,
                [
                    self["recurrence"],
                    self["recurrence_time"],
                    self["recurrence_weekday"],
                    self["recurrence_day"],
                    self["starts_at"],
                ],
            ),
            (
                ScheduleKind.TRIGGERED,
                [
                    self["trigger_segment"],
                    self["trigger_delay_minutes"],
                    self["reentry"],
                    self["reentry_days"],
                ],
            ),
        ]


def _error_text(item) -> str:
    if isinstance(item, dict):
        message = str(item.get("message", ""))
        message = message[:1].upper() + message[1:]
        line = item.get("line")
        return f"Line {line}: {message}" if line else message
    text = str(item)
    return text[:1].upper() + text[1:]


class TestSendForm(forms.Form):
    to_email = forms.EmailField(
        label="Send a test to",
        widget=forms.EmailInput(attrs={"placeholder": "you@example.com"}),
    )
    contact = forms.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput
    )
