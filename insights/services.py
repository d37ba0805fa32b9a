"""Writes of insights: the at-risk flag on partners (set-based) and the weekly digest e-mail."""

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
from insights.digest import digest_context
from insights.periods import add_months
from insights.selectors.base import local_midnight, sql_date, sql_datetime
from partners.models import Partner, PerformanceRecord
from partners.services import partners_mark_changed

# A partner is at risk when its revenue of the last three complete months fell by more than
# this share (percent) against the three months before, and its enablement activity fell too.
DEFAULT_REVENUE_DROP_PCT = 10.0

_AT_RISK_SQL = """
WITH revenue AS (
    SELECT partner_id,
           CAST(COALESCE(SUM(revenue) FILTER (WHERE month >= %(recent)s), 0) AS float) AS recent,
           CAST(COALESCE(SUM(revenue) FILTER (WHERE month < %(recent)s), 0) AS float)
               AS previous
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
    SELECT p.id, p.is_at_risk AS was_at_risk, {json}(p.at_risk_reasons) AS old_reasons,
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
           CASE WHEN COALESCE(revenue_falling AND engagement_falling, false) THEN {json_array}(
               {json_object}(
                   'signal', 'revenue', 'recent', round(CAST(revenue_recent AS numeric), 2),
                   'previous', round(CAST(revenue_previous AS numeric), 2),
                   'change_pct', round(CAST((revenue_recent - revenue_previous) * 100
                                            / revenue_previous AS numeric), 1)),
               {json_object}(
                   'signal', 'enablement_activity', 'recent', activity_recent,
                   'previous', activity_previous))
           ELSE {json_array}() END AS reasons
    FROM signals
)
UPDATE {partner} AS p SET is_at_risk = c.at_risk, at_risk_reasons = c.reasons,
       updated_at = %(now)s
FROM computed c
WHERE p.id = c.id AND (c.was_at_risk <> c.at_risk OR c.old_reasons <> c.reasons)
RETURNING {returning}
"""
# How each engine builds JSON: jsonb compares by value; SQLite's JSON is text, compared once
# minified by json() (the SQL's own output is minified, Django's json.dumps is not).
_JSON = {
    "postgresql": {
        "json": "",
        "json_array": "jsonb_build_array",
        "json_object": "jsonb_build_object",
    },
    "sqlite": {"json": "json", "json_array": "json_array", "json_object": "json_object"},
}


def partners_at_risk_refresh(
    *, today: dt.date | None = None, revenue_drop_pct: float | None = None
) -> dict[str, int]:
    """Set Partner.is_at_risk (and at_risk_reasons) for every partner in one UPDATE: revenue of
    the last three complete months down by more than `revenue_drop_pct` against the three
    before, and enablement activity (engagement events) down over the same windows or none in
    either. Partners whose flag flipped are announced as changed (segments re-check them).
    Returns {"updated": rows written, "changed": flags flipped, "at_risk": flagged now}."""
    today = today or timezone.localdate()
    if revenue_drop_pct is None:
        revenue_drop_pct = float(
            getattr(settings, "INSIGHTS_AT_RISK_REVENUE_DROP_PCT", DEFAULT_REVENUE_DROP_PCT)
        )
    current = dt.date(today.year, today.month, 1)
    recent, previous = add_months(current, -3), add_months(current, -6)
    postgresql = connection.vendor == "postgresql"
    partner = Partner._meta.db_table
    sql = _AT_RISK_SQL.format(
        record=PerformanceRecord._meta.db_table,
        engagement=EngagementEvent._meta.db_table,
        partner=partner,
        # SQLite's RETURNING sees only the updated row's new values, not the FROM's.
        returning="p.id, c.was_at_risk <> c.at_risk" if postgresql else "id, is_at_risk",
        **_JSON["postgresql" if postgresql else "sqlite"],
    )
    params = {
        "current": sql_date(current),
        "recent": sql_date(recent),
        "previous": sql_date(previous),
        "current_at": sql_datetime(local_midnight(current)),
        "recent_at": sql_datetime(local_midnight(recent)),
        "previous_at": sql_datetime(local_midnight(previous)),
        "drop_pct": revenue_drop_pct,
        "now": sql_datetime(timezone.now()),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        if postgresql:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        else:
            # The flags before the update (an index scan) tell which updated rows flipped.
            cursor.execute(f"SELECT id FROM {partner} WHERE is_at_risk")
            before = {partner_id for (partner_id,) in cursor.fetchall()}
            cursor.execute(sql, params)
            rows = [
                (partner_id, bool(now) != (partner_id in before))
                for partner_id, now in cursor.fetchall()
            ]
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
    if not recipients:
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
