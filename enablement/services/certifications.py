"""Writes on certifications: the catalogue, awards on path completion and expiry reminders."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from enablement.selectors import certifications_expiring
from partners.models import Certification, PartnerCertification
from partners.services import partners_mark_changed

logger = logging.getLogger(__name__)

CERTIFICATION_FIELDS = ("slug", "name", "description", "validity_days", "skills")


def _skills_check(skills: Any) -> None:
    if not isinstance(skills, list) or not all(isinstance(skill, str) for skill in skills):
        raise ValidationError({"skills": ["Expected a list of skill names."]})


@transaction.atomic
def certification_create(*, data: dict[str, Any]) -> Certification:
    """Add a certification to the catalogue."""
    certification = Certification(
        **{key: value for key, value in data.items() if key in CERTIFICATION_FIELDS}
    )
    _skills_check(certification.skills)
    certification.full_clean()
    certification.save()
    return certification


@transaction.atomic
def certification_update(*, certification: Certification, data: dict[str, Any]) -> Certification:
    """Change a catalogue entry; certifications already earned keep their dates."""
    for key, value in data.items():
        if key in CERTIFICATION_FIELDS:
            setattr(certification, key, value)
    _skills_check(certification.skills)
    certification.full_clean()
    certification.save()
    return certification


@transaction.atomic
def certification_delete(*, certification: Certification) -> None:
    """Remove a catalogue entry; refused once earned by a partner or awarded by a path."""
    if certification.awards.exists() or certification.learning_paths.exists():
        raise ValidationError(
            {"certification": ["Partners hold it or learning paths award it; it is kept."]}
        )
    certification.delete()


def partner_certification_award(
    *, partner_id: int, certification: Certification, on: dt.date | None = None
) -> PartnerCertification:
    """Award (or renew) a certification to a partner: valid from `on` (today) for the
    catalogue's validity_days. A renewal never shortens one that runs longer. Segments see
    the change after commit (partners_changed, reason "certification")."""
    on = on or timezone.localdate()
    days = certification.validity_days
    expires_at = on + dt.timedelta(days=days) if days is not None else None
    with transaction.atomic():
        award, created = PartnerCertification.objects.select_for_update().get_or_create(
            partner_id=partner_id,
            certification=certification,
            defaults={"earned_at": on, "expires_at": expires_at},
        )
        outlasts = award.expires_at is None or (
            expires_at is not None and award.expires_at >= expires_at
        )
        if not created and outlasts and award.is_active:
            return award
        if not created:
            award.earned_at, award.expires_at = on, expires_at
            award.save(update_fields=["earned_at", "expires_at"])
        partners_mark_changed(partner_ids=[partner_id], reason="certification")
    return award


def certification_reminders_record(*, within_days: int = 30, today: dt.date | None = None) -> int:
    """Record one reminder per partner certification expiring within `within_days` (once per
    expiry date: a renewed one is reminded again before its new expiry). Sending the e-mail
    belongs to communications; this logs and stores the rows, set-based. Returns how many."""
    expiring = certifications_expiring(within_days=within_days, today=today)
    select_sql, select_params = (
        expiring.order_by().values("id", "expires_at").query.sql_with_params()
    )
    sql = f"""
        INSERT INTO enablement_certificationreminder
            (partner_certification_id, expires_at, reminded_at)
        SELECT expiring.id, expiring.expires_at, %s FROM ({select_sql}) expiring WHERE true
        ON CONFLICT (partner_certification_id, expires_at) DO NOTHING
        RETURNING partner_certification_id
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, (timezone.now(), *select_params))
        reminded = sorted(row[0] for row in cursor.fetchall())
    if reminded:
        logger.info(
            "certification expiry reminders recorded: %d (partner certifications %s%s)",
            len(reminded),
            ", ".join(str(pk) for pk in reminded[:20]),
            ", …" if len(reminded) > 20 else "",
        )
    return len(reminded)
