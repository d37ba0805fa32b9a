"""Freeze: the recipients of an occurrence into Message rows, suppressions decided in SQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from django.db import connection, transaction
from django.utils import timezone

from communications import selectors
from communications.dispatch.common import setting
from communications.models import (
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    MessageStatus,
    OccurrenceStatus,
    SuppressionReason,
)

# Freezes are serialised (pg_advisory_xact_lock), so each one sees the messages the
# previous one queued and the frequency cap holds across campaigns.
FREEZE_LOCK_KEY = 0x50524D_46525A  # "PRM" "FRZ"
CAP_WINDOW = dt.timedelta(days=7)


def _topic_opted_out_sql(*, topic: str) -> tuple[str, list]:
    """True when the preference row `p` opts out of the topic (JSON list membership)."""
    if connection.vendor == "postgresql":
        return "p.topics_opted_out @> %s::jsonb", [json.dumps([topic])]
    return (
        "EXISTS (SELECT 1 FROM json_each(p.topics_opted_out) WHERE json_each.value = %s)",
        [topic],
    )


def _freeze_select_sql(
    *, occurrence: CampaignOccurrence, now: dt.datetime
) -> tuple[str, list, list[str]]:
    """SELECT of the Message rows of an occurrence (columns in `columns` order), from the
    audience query, with each row's channel, status and suppression reason decided in SQL."""
    campaign = occurrence.campaign
    audience = (
        selectors.occurrence_audience(occurrence=occurrence)
        .order_by()
        .values("id", "partner_id", "email", "email_opt_in")
    )
    audience_sql, audience_params = audience.query.sql_with_params()
    topic_sql, topic_params = _topic_opted_out_sql(topic=campaign.topic)
    email_blocked = "(p.unsubscribed_all OR NOT a.email_opt_in)"
    no_email = "coalesce(a.email, '') = ''"
    reasons: list[tuple[str, list]] = []
    if campaign.channel == Channel.EMAIL:
        reasons.append((f"WHEN {email_blocked} IS TRUE THEN 'opted_out'", []))
    reasons.append((f"WHEN {topic_sql} THEN 'topic_opt_out'", topic_params))
    if campaign.channel == Channel.EMAIL:
        reasons.append((f"WHEN {no_email} THEN 'no_email'", []))
    if not campaign.is_system:
        # Messages sent, or waiting to be sent, in the last 7 days, by any non-system
        # campaign: two index lookups per contact, (contact_id, sent_at) and the partial
        # index of pending messages (which the rows this statement inserts never slow).
        recent = """
            (SELECT count(*) FROM communications_message m
             WHERE m.contact_id = a.id AND m.sent_at >= %s
               AND m.campaign_id NOT IN (SELECT id FROM communications_campaign WHERE is_system))
          + (SELECT count(*) FROM communications_message m
             WHERE m.contact_id = a.id AND m.status IN ('queued', 'sending')
               AND m.created_at >= %s
               AND m.campaign_id NOT IN (SELECT id FROM communications_campaign WHERE is_system))
        """
        since = now - CAP_WINDOW
        cap = int(setting("PRM_MESSAGE_CAP_PER_WEEK", 3))
        reasons.append(
            (
                f"WHEN {recent} >= coalesce(p.max_per_week, %s) THEN 'frequency_cap'",
                [since, since, cap],
            )
        )
    reason_sql = "CASE " + " ".join(sql for sql, _ in reasons) + " ELSE '' END"
    reason_params = [param for _, params in reasons for param in params]
    if campaign.channel == Channel.BOTH:
        # Opted out of e-mail (or without an address): the inbox copy is still delivered.
        channel_sql = (
            f"CASE WHEN {email_blocked} IS TRUE OR {no_email} THEN 'portal' ELSE 'both' END"
        )
    else:
        channel_sql = "%s"
    channel_params = [] if campaign.channel == Channel.BOTH else [campaign.channel]
    # A fence (PostgreSQL would otherwise inline `r` and compute the reason, used thrice
    # above, three times per row).
    fence = "OFFSET 0" if connection.vendor == "postgresql" else ""
    columns = [
        "campaign_id", "occurrence_id", "contact_id", "partner_id", "channel", "status",
        "suppression_reason", "to_email", "subject", "body", "links", "message_id",
        "attempts", "last_error", "created_at", "sent_at",
    ]  # fmt: skip
    sql = f"""
        SELECT %s, %s, r.id, r.partner_id, r.channel,
               CASE WHEN r.reason <> '' THEN 'suppressed'
                    WHEN r.channel = 'portal' THEN 'sent' ELSE 'queued' END,
               r.reason, r.email, '', '', '[]', '', 0, '', %s,
               CASE WHEN r.reason = '' AND r.channel = 'portal' THEN %s END
        FROM (
            SELECT a.id, a.partner_id, coalesce(a.email, '') AS email,
                   {channel_sql} AS channel, {reason_sql} AS reason
            FROM ({audience_sql}) a
            LEFT JOIN communications_contactpreference p ON p.contact_id = a.id
            {fence}
        ) r
        WHERE true
    """
    params = [
        campaign.pk,
        occurrence.pk,
        now,
        now,
        *channel_params,
        *reason_params,
        *audience_params,
    ]
    return sql, params, columns


def occurrence_freeze_sql(*, occurrence: CampaignOccurrence, now: dt.datetime) -> tuple[str, list]:
    """The one INSERT … SELECT … ON CONFLICT DO NOTHING that freezes an occurrence."""
    select_sql, params, columns = _freeze_select_sql(occurrence=occurrence, now=now)
    sql = (
        f"INSERT INTO communications_message ({', '.join(columns)}) {select_sql} "
        "ON CONFLICT (campaign_id, contact_id, occurrence_id) DO NOTHING"
    )
    return sql, params


def _freeze_counts(*, occurrence: CampaignOccurrence, now: dt.datetime) -> Counter:
    sql, params = occurrence_freeze_sql(occurrence=occurrence, now=now)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FREEZE_LOCK_KEY])
            cursor.execute(
                f"WITH inserted AS ({sql} RETURNING status, suppression_reason) "
                "SELECT status, suppression_reason, count(*) FROM inserted GROUP BY 1, 2",
                params,
            )
        else:
            cursor.execute(sql, params)
            cursor.execute(
                "SELECT status, suppression_reason, count(*) FROM communications_message "
                "WHERE occurrence_id = %s GROUP BY 1, 2",
                [occurrence.pk],
            )
        rows = cursor.fetchall()
    counts: Counter = Counter()
    for status, reason, count in rows:
        counts[reason if status == MessageStatus.SUPPRESSED else status] += count
    return counts


def occurrence_freeze(*, occurrence_id: int) -> dict:
    """Freeze a due occurrence's recipients into Message rows, set-based, once: queued
    (e-mail), sent (portal inbox) or suppressed with its reason. Idempotent (a frozen,
    done or cancelled occurrence is left alone); an occurrence of a paused campaign stays
    pending until it resumes, one of a cancelled campaign is cancelled. Returns counts."""
    now = timezone.now()
    result: dict = {"occurrence": occurrence_id, "frozen": False, "queued": 0}
    with transaction.atomic():
        occurrence = (
            # SKIP LOCKED: a second tick's task for an occurrence being frozen returns at
            # once instead of holding a worker until the first one commits.
            CampaignOccurrence.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("campaign")
            .filter(pk=occurrence_id)
            .first()
        )
        if occurrence is None:
            exists = CampaignOccurrence.objects.filter(pk=occurrence_id).exists()
            return {**result, "status": "busy" if exists else "deleted"}
        campaign = occurrence.campaign
        if occurrence.status == OccurrenceStatus.PENDING:
            if campaign.status == CampaignStatus.CANCELLED:
                occurrence.status = OccurrenceStatus.CANCELLED
                occurrence.save(update_fields=["status"])
            elif campaign.status != CampaignStatus.PAUSED and occurrence.due_at <= now:
                counts = _freeze_counts(occurrence=occurrence, now=now)
                occurrence.status = (
                    OccurrenceStatus.FROZEN
                    if counts[MessageStatus.QUEUED]
                    else OccurrenceStatus.DONE
                )
                occurrence.frozen_at = now
                occurrence.save(update_fields=["status", "frozen_at"])
                result.update(
                    frozen=True,
                    queued=counts[MessageStatus.QUEUED],
                    delivered_to_inbox=counts[MessageStatus.SENT],
                    suppressed={
                        reason: counts[reason]
                        for reason in SuppressionReason.values
                        if counts[reason]
                    },
                    targeted=sum(counts.values()),
                )
    return {**result, "status": str(occurrence.status), "campaign_status": str(campaign.status)}


def occurrences_due_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Pending occurrences whose time has come (scheduled ones, segment-join ones after
    their delay, and any a lost worker left), of campaigns that are not paused or cancelled."""
    now = now or timezone.now()
    return list(
        CampaignOccurrence.objects.filter(status=OccurrenceStatus.PENDING, due_at__lte=now)
        .exclude(campaign__status=CampaignStatus.PAUSED)
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )
