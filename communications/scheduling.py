"""When campaigns send: the next occurrence of a schedule, the occurrences that are due,
and the occurrences a partner's joining a segment starts.

An occurrence is one sending; its `key` (the scheduled moment, or partner, segment and
join number of a join) is unique per campaign, so a repeated or concurrent tick creates nothing
twice. Freezing an occurrence's recipients and sending are the dispatcher's work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Recurrence,
    Reentry,
    ScheduleKind,
)
from segments.models import MembershipEvent, MembershipEventKind

logger = logging.getLogger(__name__)

DUE_BATCH_SIZE = 100
JOIN_INSERT_BATCH_SIZE = 5_000


def timezone_or_none(name: str) -> ZoneInfo | None:
    """The IANA time zone of that name, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def occurrence_key(moment: dt.datetime) -> str:
    """The key of a scheduled occurrence: its moment in UTC, ISO 8601."""
    return moment.astimezone(dt.UTC).isoformat()


def join_occurrence_key(*, partner_id: int, segment_id: int, join_number: int) -> str:
    """The key of a segment-join occurrence: one per partner, segment and join (the partner's
    n-th join of the segment, counted in its membership history), so the same join signalled
    twice adds nothing while a later re-join is a join of its own."""
    return f"join:{partner_id}:{segment_id}:{join_number}"


def campaign_next_occurrence(*, campaign: Campaign, after: dt.datetime) -> dt.datetime | None:
    """The next moment the campaign sends, in UTC. `now`: `after`; `at`: scheduled_at;
    both None once their occurrence exists. Recurring: the first daily, weekly or monthly
    recurrence_time in recurrence_timezone strictly after `after` (and not before
    scheduled_at, when given), wall-clock correct across DST changes (a time skipped by a
    spring-forward change sends at the same offset later, an ambiguous one at its first
    instance). None for triggered campaigns and past ends_at."""
    kind = campaign.schedule_kind
    if kind == ScheduleKind.TRIGGERED:
        return None
    if kind in (ScheduleKind.NOW, ScheduleKind.AT):
        if campaign.pk is not None and campaign.occurrences.exists():
            return None
        moment = after if kind == ScheduleKind.NOW else campaign.scheduled_at
    else:
        if campaign.scheduled_at is not None and campaign.scheduled_at > after:
            after = campaign.scheduled_at - dt.timedelta(microseconds=1)
        moment = _next_recurring(campaign, after)
    if moment is None or (campaign.ends_at is not None and moment > campaign.ends_at):
        return None
    return moment.astimezone(dt.UTC)


def _next_recurring(campaign: Campaign, after: dt.datetime) -> dt.datetime | None:
    zone = timezone_or_none(campaign.recurrence_timezone)
    at_time = campaign.recurrence_time
    if zone is None or at_time is None:
        return None

    def local(day: dt.date) -> dt.datetime:
        # A naive wall-clock time with fold=0: zoneinfo resolves gaps and folds (PEP 495).
        return dt.datetime.combine(day, at_time).replace(tzinfo=zone)

    day = after.astimezone(zone).date()
    if campaign.recurrence == Recurrence.DAILY:
        step = dt.timedelta(days=1)
    elif campaign.recurrence == Recurrence.WEEKLY:
        if campaign.recurrence_weekday is None:
            return None
        day += dt.timedelta(days=(campaign.recurrence_weekday - day.weekday()) % 7)
        step = dt.timedelta(days=7)
    elif campaign.recurrence == Recurrence.MONTHLY:
        if campaign.recurrence_day is None:
            return None
        candidate = local(day.replace(day=campaign.recurrence_day))
        if candidate > after:
            return candidate
        year, month = divmod(day.year * 12 + day.month, 12)  # the month after
        return local(dt.date(year, month + 1, campaign.recurrence_day))
    else:
        return None
    candidate = local(day)
    while candidate <= after:
        day += step
        candidate = local(day)
    return candidate


def occurrences_create_due(*, now: dt.datetime | None = None) -> list[int]:
    """For every scheduled (not triggered) campaign whose next_occurrence_at has come:
    create its occurrence (get_or_create on the moment's key), advance next_occurrence_at
    past now (a backlog after an outage yields one catch-up occurrence, not a burst) and
    mark a campaign with no further occurrence completed. Campaigns are locked with SKIP
    LOCKED, so concurrent ticks share the work; returns the ids of occurrences created."""
    now = now or timezone.now()
    created_ids: list[int] = []
    while True:
        with transaction.atomic():
            campaigns = list(
                Campaign.objects.select_for_update(skip_locked=True)
                .filter(status=CampaignStatus.SCHEDULED, next_occurrence_at__lte=now)
                .exclude(schedule_kind=ScheduleKind.TRIGGERED)
                .order_by("next_occurrence_at", "id")[:DUE_BATCH_SIZE]
            )
            for campaign in campaigns:
                occurrence_id = _create_occurrence(campaign, now=now)
                if occurrence_id is not None:
                    created_ids.append(occurrence_id)
        if len(campaigns) < DUE_BATCH_SIZE:
            return created_ids


def _create_occurrence(campaign: Campaign, *, now: dt.datetime) -> int | None:
    moment = campaign.next_occurrence_at
    occurrence, created = CampaignOccurrence.objects.get_or_create(
        campaign=campaign, key=occurrence_key(moment), defaults={"due_at": moment}
    )
    next_at = None
    if campaign.schedule_kind == ScheduleKind.RECURRING:
        next_at = campaign_next_occurrence(campaign=campaign, after=max(moment, now))
    campaign.next_occurrence_at = next_at
    if next_at is None:
        campaign.status = CampaignStatus.COMPLETED
    campaign.save(update_fields=["next_occurrence_at", "status", "updated_at"])
    return occurrence.id if created else None


def occurrences_create_for_joins(
    *, segment_id: int, partner_ids: Iterable[int], now: dt.datetime | None = None
) -> int:
    """Partners joined a segment: for each triggered campaign on it (scheduled, or paused,
    which holds the occurrences until resumed) create one occurrence per partner the
    campaign's re-entry setting lets in, due trigger_delay_minutes from now:

    - once: a partner it ever greeted (an occurrence of the campaign for the partner) is
      not greeted again;
    - per_days (the default, over the frequency cap's week): not again within reentry_days
      of the partner's last occurrence;
    - every_join: every join.

    Keyed by partner, segment and join number, so a repeated signal adds nothing. Set-based:
    one query for the join numbers, per campaign one for the partners it already greeted and
    bulk INSERT … ON CONFLICT DO NOTHING; each campaign's check and insert hold its row
    locked, so two workers handling joins at once cannot both pass the check. Returns the
    number of occurrences offered."""
    partner_ids = sorted(set(partner_ids))
    if not partner_ids:
        return 0
    now = now or timezone.now()
    campaigns = list(
        Campaign.objects.filter(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment_id=segment_id,
            status__in=[CampaignStatus.SCHEDULED, CampaignStatus.PAUSED],
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .values_list("id", "trigger_delay_minutes", "reentry", "reentry_days")
    )
    if not campaigns:
        return 0
    join_numbers = _join_numbers(segment_id=segment_id, partner_ids=partner_ids)
    offered = 0
    for campaign_id, delay_minutes, reentry, reentry_days in campaigns:
        due_at = now + dt.timedelta(minutes=delay_minutes)
        with transaction.atomic():
            # Serialises join handling per campaign (SQLite: the write lock does).
            list(Campaign.objects.select_for_update().filter(id=campaign_id).values_list("id"))
            for start in range(0, len(partner_ids), JOIN_INSERT_BATCH_SIZE):
                batch = partner_ids[start : start + JOIN_INSERT_BATCH_SIZE]
                greeted = _greeted_partner_ids(
                    campaign_id=campaign_id,
                    partner_ids=batch,
                    reentry=reentry,
                    since=now - dt.timedelta(days=reentry_days),
                )
                rows = [
                    CampaignOccurrence(
                        campaign_id=campaign_id,
                        key=join_occurrence_key(
                            partner_id=partner_id,
                            segment_id=segment_id,
                            join_number=join_numbers.get(partner_id, 0),
                        ),
                        partner_id=partner_id,
                        due_at=due_at,
                    )
                    for partner_id in batch
                    if partner_id not in greeted
                ]
                CampaignOccurrence.objects.bulk_create(rows, ignore_conflicts=True)
                offered += len(rows)
    logger.info(
        "segment %s: %s join occurrences offered to %s triggered campaigns",
        segment_id,
        offered,
        len(campaigns),
    )
    return offered


def _join_numbers(*, segment_id: int, partner_ids: list[int]) -> dict[int, int]:
    """How many times each partner has joined the segment (its membership history)."""
    numbers: dict[int, int] = {}
    for start in range(0, len(partner_ids), JOIN_INSERT_BATCH_SIZE):
        numbers.update(
            MembershipEvent.objects.filter(
                segment_id=segment_id,
                kind=MembershipEventKind.JOINED,
                partner_id__in=partner_ids[start : start + JOIN_INSERT_BATCH_SIZE],
            )
            .values("partner_id")
            .annotate(joins=Count("id"))
            .values_list("partner_id", "joins")
        )
    return numbers


def _greeted_partner_ids(
    *, campaign_id: int, partner_ids: list[int], reentry: str, since: dt.datetime
) -> set[int]:
    """The partners the re-entry setting keeps out: greeted ever (once) or since `since`
    (per_days); nobody for every_join."""
    if reentry == Reentry.EVERY_JOIN:
        return set()
    occurrences = CampaignOccurrence.objects.filter(
        campaign_id=campaign_id, partner_id__in=partner_ids
    )
    if reentry != Reentry.ONCE:
        occurrences = occurrences.filter(created_at__gte=since)
    return set(occurrences.values_list("partner_id", flat=True).distinct())
