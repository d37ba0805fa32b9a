"""When campaigns send: the next occurrence of a schedule, the occurrences that are due,
and the occurrences a partner's joining a segment starts.

An occurrence is one sending; its `key` (the scheduled moment, or the partner, segment and
day or membership of a join) is unique per campaign, so a repeated or concurrent tick creates
nothing twice; a triggered campaign's re-entry setting decides whether a partner that re-joins
is greeted again. Freezing an occurrence's recipients and sending are the dispatcher's work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    OccurrenceStatus,
    Recurrence,
    Reentry,
    ScheduleKind,
)

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


def join_occurrence_key(*, partner_id: int, segment_id: int, day: dt.date) -> str:
    """The key of a segment-join occurrence: one per partner, segment and day."""
    return f"join:{partner_id}:{segment_id}:{day.isoformat()}"


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


def reentry_window(campaign: Campaign) -> dt.timedelta | None:
    """How long after greeting a partner a triggered campaign ignores its re-joins: the
    frequency window (the default), N days, forever (None with once_ever) or not at all
    (zero with every_join)."""
    from communications.dispatch.freeze import CAP_WINDOW

    if campaign.reentry == Reentry.EVERY_JOIN:
        return dt.timedelta(0)
    if campaign.reentry == Reentry.ONCE_EVER:
        return None
    if campaign.reentry == Reentry.ONCE_PER_DAYS and campaign.reentry_days:
        return dt.timedelta(days=campaign.reentry_days)
    return CAP_WINDOW


def _join_insert_sql(
    *, campaign: Campaign, segment_id: int, partner_ids: list[int], now: dt.datetime
) -> tuple[str, list]:
    """The one INSERT … SELECT … ON CONFLICT DO NOTHING of a campaign's join occurrences:
    one row per joining partner, unless the campaign's re-entry setting says the partner
    was greeted recently enough (a NOT EXISTS over its occurrences for that partner)."""
    due_at = now + dt.timedelta(minutes=campaign.trigger_delay_minutes)
    window = reentry_window(campaign)
    membership_join = ""
    params: list = []
    if campaign.reentry == Reentry.ONCE_EVER:
        # One key per partner: the unique (campaign, key) alone makes it once, ever.
        key_sql, key_params = "'join:' || p.id", []
    elif campaign.reentry == Reentry.EVERY_JOIN:
        # Each join is a new membership row: its id keys the join, so a repeated signal of
        # the same join adds nothing but a leave and re-join (even on one day) does.
        membership_join = (
            "LEFT JOIN segments_membership m ON m.segment_id = %s AND m.partner_id = p.id"
        )
        params.append(segment_id)
        key_sql = f"'join:' || p.id || ':{segment_id}:' || coalesce('m' || m.id, %s)"
        key_params = [timezone.localdate(now).isoformat()]
    else:
        key_sql = f"'join:' || p.id || ':{segment_id}:' || %s"
        key_params = [timezone.localdate(now).isoformat()]
    recent_sql, recent_params = "", []
    if window is None:
        recent_sql = (
            "AND NOT EXISTS (SELECT 1 FROM communications_campaignoccurrence o "
            "WHERE o.campaign_id = %s AND o.partner_id = p.id)"
        )
        recent_params = [campaign.pk]
    elif window > dt.timedelta(0):
        recent_sql = (
            "AND NOT EXISTS (SELECT 1 FROM communications_campaignoccurrence o "
            "WHERE o.campaign_id = %s AND o.partner_id = p.id AND o.due_at > %s)"
        )
        recent_params = [campaign.pk, due_at - window]
    placeholders = ", ".join(["%s"] * len(partner_ids))
    sql = f"""
        INSERT INTO communications_campaignoccurrence
            (campaign_id, key, due_at, partner_id, status, frozen_at, created_at)
        SELECT %s, {key_sql}, %s, p.id, %s, NULL, %s
        FROM partners_partner p
        {membership_join}
        WHERE p.id IN ({placeholders}) {recent_sql}
        ON CONFLICT (campaign_id, key) DO NOTHING
    """
    params = [
        campaign.pk,
        *key_params,
        due_at,
        OccurrenceStatus.PENDING,
        timezone.now(),
        *params,
        *partner_ids,
        *recent_params,
    ]
    return sql, params


def occurrences_create_for_joins(
    *, segment_id: int, partner_ids: Iterable[int], now: dt.datetime | None = None
) -> int:
    """Partners joined a segment: for each triggered campaign on it (scheduled, or paused,
    which holds the occurrences until resumed) create one occurrence per partner, due
    trigger_delay_minutes from now, unless the campaign's re-entry setting holds the
    partner back (greeted within the frequency window, the default; ever; within N days;
    every_join greets each join). Set-based: one INSERT … SELECT … ON CONFLICT DO NOTHING
    per campaign and batch, keyed so a repeated signal adds nothing, with the campaign row
    locked so concurrent workers see each other's occurrences (exactly one greeting).
    Returns the number of occurrences created."""
    partner_ids = sorted(set(partner_ids))
    if not partner_ids:
        return 0
    now = now or timezone.now()
    campaign_ids = list(
        Campaign.objects.filter(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment_id=segment_id,
            status__in=[CampaignStatus.SCHEDULED, CampaignStatus.PAUSED],
        )
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not campaign_ids:
        return 0
    created = 0
    for campaign_id in campaign_ids:
        with transaction.atomic():
            # The lock serialises the joins of one campaign: a second worker's INSERT runs
            # after the first commits and its NOT EXISTS sees the first one's occurrences.
            campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
            if campaign is None:
                continue
            for start in range(0, len(partner_ids), JOIN_INSERT_BATCH_SIZE):
                sql, params = _join_insert_sql(
                    campaign=campaign,
                    segment_id=segment_id,
                    partner_ids=partner_ids[start : start + JOIN_INSERT_BATCH_SIZE],
                    now=now,
                )
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    created += max(cursor.rowcount, 0)
    logger.info(
        "segment %s: %s join occurrences created for %s triggered campaigns",
        segment_id,
        created,
        len(campaign_ids),
    )
    return created
