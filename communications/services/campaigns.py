"""Campaigns and their life cycle: draft -> scheduled <-> paused -> completed | cancelled."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from communications import selectors
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Message,
    OccurrenceStatus,
    ScheduleKind,
    Survey,
)
from communications.scheduling import campaign_next_occurrence
from communications.services.validation import (
    CAMPAIGN_FIELDS,
    SCHEDULE_FIELDS,
    CampaignValidationError,
    campaign_errors,
    segments_of,
    survey_errors,
)

EDITABLE_STATUSES = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)
UNFINISHED_OCCURRENCES = (OccurrenceStatus.PENDING, OccurrenceStatus.FROZEN)


def _save_survey(campaign: Campaign, survey: dict | None) -> None:
    existing = Survey.objects.filter(campaign=campaign).first()
    if survey is None:
        if existing is not None:
            if existing.responses.exists():
                raise CampaignValidationError(
                    {"survey": ["the survey has answers; it can no longer be removed"]}
                )
            existing.delete()
        return
    values = {key: survey[key] for key in ("question", "comment_prompt") if key in survey}
    Survey.objects.update_or_create(campaign=campaign, defaults=values)


@transaction.atomic
def campaign_create(
    *,
    data: dict,
    created_by=None,
    schedule: bool = False,
    now: dt.datetime | None = None,
) -> Campaign:
    """Create a draft campaign from validated shape data (segments as Segment objects,
    optional `survey` {question, comment_prompt}); with `schedule` also schedule it. Raises
    CampaignValidationError (bad template with its line, no segments, a past schedule, …)
    and then saves nothing."""
    now = now or timezone.now()
    campaign = Campaign(created_by=created_by)
    for field in CAMPAIGN_FIELDS:
        if field in data:
            setattr(campaign, field, data[field])
    errors = campaign_errors(
        campaign,
        include_segments=segments_of(campaign, data, "include_segments"),
        exclude_segments=segments_of(campaign, data, "exclude_segments"),
        changed=set(data),
        now=now,
    )
    errors.update(survey_errors(data.get("survey")))
    if errors:
        raise CampaignValidationError(errors)
    campaign.save()
    campaign.include_segments.set(data.get("include_segments", []))
    campaign.exclude_segments.set(data.get("exclude_segments", []))
    if data.get("survey") is not None:
        _save_survey(campaign, data["survey"])
    if schedule:
        campaign = campaign_schedule(campaign=campaign, now=now)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, data: dict, now: dt.datetime | None = None) -> Campaign:
    """Change a draft, scheduled or paused campaign. A scheduled one stays valid to send:
    its audience must not become empty and its next occurrence is recomputed when the
    schedule changed. Raises CampaignValidationError and then changes nothing."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in EDITABLE_STATUSES:
        raise CampaignValidationError(
            {"status": [f"a {campaign.status} campaign can no longer be changed"]}
        )
    changed = {
        field
        for field in CAMPAIGN_FIELDS
        if field in data and getattr(campaign, field) != data[field]
    }
    for field in changed:
        setattr(campaign, field, data[field])
    errors = campaign_errors(
        campaign,
        include_segments=segments_of(campaign, data, "include_segments"),
        exclude_segments=segments_of(campaign, data, "exclude_segments"),
        changed=changed,
        now=now,
    )
    errors.update(survey_errors(data.get("survey")))
    if errors:
        raise CampaignValidationError(errors)
    campaign.save()
    for field in ("include_segments", "exclude_segments"):
        if field in data:
            getattr(campaign, field).set(data[field])
    if "survey" in data:
        _save_survey(campaign, data["survey"])
    if campaign.status == CampaignStatus.SCHEDULED:
        _check_schedulable(campaign)
        if changed & SCHEDULE_FIELDS:
            campaign.next_occurrence_at = _first_occurrence(campaign, now=now)
            campaign.save(update_fields=["next_occurrence_at", "updated_at"])
    return campaign


def campaign_delete(*, campaign: Campaign) -> None:
    """Delete a campaign that never produced a message (cancel one that did: its messages
    are the history of what was sent)."""
    if Message.objects.filter(campaign_id=campaign.pk).exists():
        raise CampaignValidationError(
            {"status": ["the campaign has messages; cancel it instead of deleting it"]}
        )
    campaign.delete()


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _check_schedulable(campaign: Campaign) -> None:
    if campaign.schedule_kind == ScheduleKind.TRIGGERED:
        return
    if not selectors.campaign_audience(campaign=campaign).exists():
        raise CampaignValidationError(
            {"audience": ["the audience is empty: no contact matches the segments and filters"]}
        )


def _first_occurrence(campaign: Campaign, *, now: dt.datetime) -> dt.datetime | None:
    if campaign.schedule_kind == ScheduleKind.TRIGGERED:
        return None
    moment = campaign_next_occurrence(campaign=campaign, after=now)
    if moment is None:
        raise CampaignValidationError(
            {"schedule": ["the schedule has no occurrence to come (check ends_at)"]}
        )
    return moment


def _has_unfinished_occurrences(campaign: Campaign) -> bool:
    return campaign.occurrences.filter(status__in=UNFINISHED_OCCURRENCES).exists()


@transaction.atomic
def campaign_schedule(*, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Draft -> scheduled: checks everything again (templates, segments, a schedule still
    to come, a non-empty audience except for triggered campaigns) and sets
    next_occurrence_at (None for triggered campaigns, which wait for joins)."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignValidationError(
            {"status": [f"only a draft can be scheduled; this campaign is {campaign.status}"]}
        )
    errors = campaign_errors(
        campaign,
        include_segments=list(campaign.include_segments.all()),
        exclude_segments=list(campaign.exclude_segments.all()),
        # A one-off time must still be to come; a recurring start that passed just started.
        changed={"ends_at", "scheduled_at"}
        if campaign.schedule_kind == ScheduleKind.AT
        else {"ends_at"},
        now=now,
    )
    if errors:
        raise CampaignValidationError(errors)
    _check_schedulable(campaign)
    campaign.next_occurrence_at = _first_occurrence(campaign, now=now)
    campaign.status = CampaignStatus.SCHEDULED
    campaign.save(update_fields=["next_occurrence_at", "status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Scheduled (or completed while still sending) -> paused: no occurrence is created and
    the dispatcher claims none of its messages until it is resumed; segment joins of a
    triggered campaign are still recorded and wait."""
    campaign = _locked(campaign)
    sending = campaign.status == CampaignStatus.COMPLETED and _has_unfinished_occurrences(campaign)
    if campaign.status != CampaignStatus.SCHEDULED and not sending:
        raise CampaignValidationError(
            {
                "status": [
                    f"only a scheduled or sending campaign can be paused; it is {campaign.status}"
                ]
            }
        )
    campaign.status = CampaignStatus.PAUSED
    campaign.save(update_fields=["status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, now: dt.datetime | None = None) -> Campaign:
    """Paused -> scheduled (or completed, for a one-off whose occurrence exists). A
    recurring campaign continues with its next occurrence after now (those missed while
    paused are skipped); a one-off whose moment passed while paused sends now."""
    now = now or timezone.now()
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.PAUSED:
        raise CampaignValidationError(
            {"status": [f"only a paused campaign can be resumed; it is {campaign.status}"]}
        )
    kind = campaign.schedule_kind
    next_at = None
    if kind == ScheduleKind.RECURRING:
        next_at = campaign_next_occurrence(campaign=campaign, after=now)
    elif kind in (ScheduleKind.NOW, ScheduleKind.AT) and not campaign.occurrences.exists():
        next_at = campaign.scheduled_at if kind == ScheduleKind.AT else now
    if kind == ScheduleKind.TRIGGERED or next_at is not None:
        campaign.status = CampaignStatus.SCHEDULED
    else:
        campaign.status = CampaignStatus.COMPLETED
    campaign.next_occurrence_at = next_at
    campaign.save(update_fields=["next_occurrence_at", "status", "updated_at"])
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign) -> Campaign:
    """Stop a campaign for good: no further occurrence, and its pending or frozen
    occurrences are cancelled, so the dispatcher sends none of their queued messages
    (messages already sent stay as they are)."""
    campaign = _locked(campaign)
    if campaign.status == CampaignStatus.CANCELLED:
        raise CampaignValidationError({"status": ["the campaign is already cancelled"]})
    if campaign.status == CampaignStatus.COMPLETED and not _has_unfinished_occurrences(campaign):
        raise CampaignValidationError({"status": ["the campaign has completed; nothing to cancel"]})
    CampaignOccurrence.objects.filter(campaign=campaign, status__in=UNFINISHED_OCCURRENCES).update(
        status=OccurrenceStatus.CANCELLED
    )
    campaign.status = CampaignStatus.CANCELLED
    campaign.next_occurrence_at = None
    campaign.save(update_fields=["next_occurrence_at", "status", "updated_at"])
    return campaign
