"""Writes of insights: the at-risk flag on partners (set-based) and the weekly digest e-mail;
both do nothing on a database other than PostgreSQL (see selectors.insights_supported)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from enablement.models import EngagementEvent
from insights import selectors
from insights.digest import digest_context
from insights.periods import add_months
from partners.models import Partner, PerformanceRecord
from partners.services import partners_mark_changed

# A partner is at risk when its revenue of the last three complete months fell by more than
# this share (percent) against the three months before, and its enablement activity fell too.
DEFAULT_REVENUE_DROP_PCT = 10.0

_AT_RISK_SQL = """
WITH revenue AS (
    SELECT partner_id,
           COALESCE(SUM(revenue) FILTER (WHERE month >= %(recent)s), 0)::float AS recent,
           COALESCE(SUM(revenue) FILTER (WHERE month < %(recent)s), 0)::float AS previous
    FROM {record} WHERE month >= %(previous)s AND month < %(current)s
    GROUP BY partner_id
),
activity AS (
    SELECT partner_id,
           COUNT(*) FILTER (WHERE at >= %(recent_at)s) AS recent,
           COUNT(*) FILTER (WHERE at < %(recent_at)s) AS previous
    FROM {engagement} WHERE at >= %(previous_at)s AND at < %(current_at)s
    GROUP BY partner_id
),
signals AS (
    SELECT p.id, p.is_at_risk AS was_at_risk, p.at_risk_reasons AS old_reasons,
           r.recent AS revenue_recent, r.previous AS revenue_previous,
           COALESCE(a.recent, 0) AS activity_recent, COALESCE(a.previous, 0) AS activity_previous,
           (r.previous > 0 AND r.recent < r.previous * (1 - %(drop_pct)s / 100.0))
               AS revenue_falling,
           (COALESCE(a.recent, 0) < COALESCE(a.previous, 0)
            OR (COALESCE(a.recent, 0) = 0 AND COALESCE(a.previous, 0) = 0)) AS engagement_falling
    FROM {partner} p
    LEFT JOIN revenue r ON r.partner_id = p.id
    LEFT JOIN activity a ON a.partner_id = p.id
),
computed AS (
    SELECT id, was_at_risk, old_reasons,
           COALESCE(revenue_falling AND engagement_falling, false) AS at_risk,
           CASE WHEN COALESCE(revenue_falling AND engagement_falling, false) THEN jsonb_build_array(
               jsonb_build_object(
                   'signal', 'revenue', 'recent', round(revenue_recent::numeric, 2),
                   'previous', round(revenue_previous::numeric, 2),
                   'change_pct', round(((revenue_recent - revenue_previous) * 100
                                        / revenue_previous)::numeric, 1)),
               jsonb_build_object(
                   'signal', 'enablement_activity', 'recent', activity_recent,
                   'previous', activity_previous))
           ELSE '[]'::jsonb END AS reasons
    FROM signals
)
UPDATE {partner} p SET is_at_risk = c.at_risk, at_risk_reasons = c.reasons,
       updated_at = %(now)s
FROM computed c
WHERE p.id = c.id AND (c.was_at_risk <> c.at_risk OR c.old_reasons <> c.reasons)
RETURNING p.id, c.was_at_risk <> c.at_risk AS flag_changed
"""


def partners_at_risk_refresh(
    *, today: dt.date | None = None, revenue_drop_pct: float | None = None
) -> dict[str, int]:
    """Set Partner.is_at_risk (and at_risk_reasons) for every partner in one UPDATE: revenue of
    the last three complete months down by more than `revenue_drop_pct` against the three
    before, and enablement activity (engagement events) down over the same windows or none in
    either. Partners whose flag flipped are announced as changed (segments re-check them).
    Returns {"updated": rows written, "changed": flags flipped, "at_risk": flagged now}."""
    if not selectors.insights_supported():
        return {"updated": 0, "changed": 0, "at_risk": 0}
    today = today or timezone.localdate()
    if revenue_drop_pct is None:
        revenue_drop_pct = float(
            getattr(settings, "INSIGHTS_AT_RISK_REVENUE_DROP_PCT", DEFAULT_REVENUE_DROP_PCT)
        )
    current = dt.date(today.year, today.month, 1)
    recent, previous = add_months(current, -3), add_months(current, -6)

    def midnight(day: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    sql = _AT_RISK_SQL.format(
        record=PerformanceRecord._meta.db_table,
        engagement=EngagementEvent._meta.db_table,
        partner=Partner._meta.db_table,
    )
    params = {
        "current": current,
        "recent": recent,
        "previous": previous,
        "current_at": midnight(current),
        "recent_at": midnight(recent),
        "previous_at": midnight(previous),
        "drop_pct": revenue_drop_pct,
        "now": timezone.now(),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        changed = [partner_id for partner_id, flag_changed in rows if flag_changed]
        partners_mark_changed(partner_ids=changed, reason="at_risk")
    return {
        "updated": len(rows),
        "changed": len(changed),
        "at_risk": Partner.objects.filter(is_at_risk=True).count(),
    }


def digest_recipients() -> list[str]:
    """E-mail addresses of the active staff users who have one."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def weekly_digest_send(*, today: dt.date | None = None) -> int:
    """E-mail the week's segment figures (see insights.digest) to every staff user with an
    address, one message each over one connection; returns the number sent."""
    recipients = digest_recipients()
    if not recipients or not selectors.insights_supported():
        return 0
    context: dict[str, Any] = digest_context(today=today or timezone.localdate())
    subject = f"PRM weekly insights: {context['week_label']}"
    text = render_to_string("insights/email/digest.txt", context)
    html = render_to_string("insights/email/digest.html", context)
    messages = []
    for address in recipients:
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    with get_connection() as mail:
        return mail.send_messages(messages) or 0
