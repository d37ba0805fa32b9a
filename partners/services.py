"""Writes on partners, contacts, tags, certifications and performance (business rules here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection, models, transaction
from django.utils import timezone

from partners.auditing import PARTNER_TAG_AUDIT_COLUMNS, partners_audited
from partners.models import (
    Certification,
    Contact,
    Industry,
    Partner,
    PartnerCertification,
    PerformanceRecord,
    Technology,
)
from partners.signals import partners_changed, partners_deleted

TAG_FIELDS: dict[str, type[models.Model]] = {
    "industries": Industry,
    "technologies": Technology,
}
PARTNER_SCALAR_FIELDS = (
    "name",
    "external_id",
    "partner_type",
    "tier",
    "region",
    "country",
    "employee_count",
    "annual_revenue",
    "lifecycle_stage",
    "joined_at",
    "tech_savviness",
    "revenue_12m",
    "deals_won_12m",
    "engagement_score",
    "last_activity_at",
    "attributes",
)


def partners_mark_changed(
    *, partner_ids: Iterable[int], reason: str, fields: Iterable[str] | None = None
) -> None:
    """After the current transaction commits, announce that these partners changed (and,
    when known, which fields: segments record them as the cause of a join or leave)."""
    ids = sorted(set(partner_ids))
    if not ids:
        return
    changed = sorted(set(fields)) if fields is not None else None
    transaction.on_commit(
        lambda: partners_changed.send(
            sender=Partner, partner_ids=ids, reason=reason, fields=changed
        )
    )


def tags_ensure(*, model: type[models.Model], slugs: Iterable[str]) -> dict[str, int]:
    """Create the tags (or certifications) that do not exist yet; return {slug: id} for all."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    model.objects.bulk_create(
        [model(slug=slug, name=slug.replace("-", " ").title()) for slug in wanted],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return dict(model.objects.filter(slug__in=wanted).values_list("slug", "id"))


CHUNK = 5000


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _links_replace(
    *,
    through: type[models.Model],
    target_column: str,
    wanted: set[tuple[int, int]],
    partner_ids: list[int],
    make_link,
    extra_columns: dict[str, tuple[str, Any]] | None = None,
) -> None:
    """Make the (partner_id, target_id) rows of a link table exactly `wanted` for these
    partners, keeping the rows that stay. On PostgreSQL: one DELETE of the stale rows and one
    INSERT … SELECT unnest(arrays) ON CONFLICT DO NOTHING; elsewhere by ids and bulk_create.
    `extra_columns` gives other columns of new rows: {column: (sql_type, value_of(pair))}."""
    if connection.vendor == "postgresql":
        _links_replace_postgresql(
            table=through._meta.db_table,
            target_column=target_column,
            wanted=sorted(wanted),
            partner_ids=partner_ids,
            extra_columns=extra_columns or {},
        )
        return
    existing: dict[tuple[int, int], int] = {}
    for chunk in _chunks(partner_ids):
        for link_id, partner_id, target_id in through.objects.filter(
            partner_id__in=chunk
        ).values_list("id", "partner_id", target_column):
            existing[(partner_id, target_id)] = link_id
    stale_ids = [link_id for pair, link_id in existing.items() if pair not in wanted]
    for chunk in _chunks(stale_ids):
        through.objects.filter(id__in=chunk).delete()
    missing = sorted(wanted - existing.keys())
    through.objects.bulk_create([make_link(*pair) for pair in missing], batch_size=CHUNK)


def _links_replace_postgresql(
    *,
    table: str,
    target_column: str,
    wanted: list[tuple[int, int]],
    partner_ids: list[int],
    extra_columns: dict[str, tuple[str, Any]],
) -> None:
    partners_array = [partner_id for partner_id, _ in wanted]
    targets_array = [target_id for _, target_id in wanted]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {table} link
            WHERE link.partner_id = ANY(%s)
              AND NOT EXISTS (
                  SELECT 1 FROM unnest(%s::bigint[], %s::bigint[]) AS w(partner_id, target_id)
                  WHERE w.partner_id = link.partner_id AND w.target_id = link.{target_column}
              )
            """,
            [sorted(set(partner_ids)), partners_array, targets_array],
        )
        if not wanted:
            return
        columns = ", ".join(["partner_id", target_column, *extra_columns])
        arrays = ", ".join(
            ["%s::bigint[]", "%s::bigint[]"]
            + [f"%s::{sql_type}[]" for sql_type, _ in extra_columns.values()]
        )
        extra_arrays = [
            [value_of(*pair) for pair in wanted] for _, value_of in extra_columns.values()
        ]
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
            "ON CONFLICT DO NOTHING",
            [partners_array, targets_array, *extra_arrays],
        )


def partner_certifications_replace(
    *, partner_ids_to_slugs: dict[int, Sequence[str]], earned_at: dt.date | None = None
) -> None:
    """Make each partner's certifications exactly the given slugs, set-based.

    Certifications a partner keeps keep their dates; new ones are earned on `earned_at`
    (default today) and expire after the catalogue's validity_days.
    """
    earned_at = earned_at or timezone.localdate()
    all_slugs = {slug for slugs in partner_ids_to_slugs.values() for slug in slugs}
    slug_to_id = tags_ensure(model=Certification, slugs=all_slugs)
    validity = dict(
        Certification.objects.filter(id__in=slug_to_id.values()).values_list("id", "validity_days")
    )

    def expires_at(partner_id: int, certification_id: int) -> dt.date | None:
        days = validity.get(certification_id)
        return earned_at + dt.timedelta(days=days) if days is not None else None

    def make_link(partner_id: int, certification_id: int) -> PartnerCertification:
        return PartnerCertification(
            partner_id=partner_id,
            certification_id=certification_id,
            earned_at=earned_at,
            expires_at=expires_at(partner_id, certification_id),
        )

    _links_replace(
        through=PartnerCertification,
        target_column="certification_id",
        wanted={
            (partner_id, slug_to_id[slug])
            for partner_id, slugs in partner_ids_to_slugs.items()
            for slug in slugs
        },
        partner_ids=list(partner_ids_to_slugs),
        make_link=make_link,
        extra_columns={
            "earned_at": ("date", lambda partner_id, certification_id: earned_at),
            "expires_at": ("date", expires_at),
        },
    )


def partner_tags_replace(*, field: str, partner_ids_to_slugs: dict[int, Sequence[str]]) -> None:
    """Make each partner's industries or technologies exactly the given slugs, set-based."""
    tag_model = TAG_FIELDS[field]
    through = getattr(Partner, field).through
    tag_column = f"{tag_model._meta.model_name}_id"
    all_slugs = {slug for slugs in partner_ids_to_slugs.values() for slug in slugs}
    slug_to_id = tags_ensure(model=tag_model, slugs=all_slugs)
    _links_replace(
        through=through,
        target_column=tag_column,
        wanted={
            (partner_id, slug_to_id[slug])
            for partner_id, slugs in partner_ids_to_slugs.items()
            for slug in slugs
        },
        partner_ids=list(partner_ids_to_slugs),
        make_link=lambda partner_id, tag_id: through(partner_id=partner_id, **{tag_column: tag_id}),
    )


def _apply_relations(*, partner: Partner, data: dict[str, Any]) -> None:
    if not any(field in data for field in (*TAG_FIELDS, "certifications")):
        return
    # Tags are written set-based (no m2m signals): their audit entry is written the same way.
    with partners_audited(partner_ids=[partner.id], columns=PARTNER_TAG_AUDIT_COLUMNS):
        _apply_tags(partner=partner, data=data)


def _apply_tags(*, partner: Partner, data: dict[str, Any]) -> None:
    for field in TAG_FIELDS:
        if field in data:
            partner_tags_replace(field=field, partner_ids_to_slugs={partner.id: data[field]})
    if "certifications" in data:
        partner_certifications_replace(partner_ids_to_slugs={partner.id: data["certifications"]})


@transaction.atomic
def partner_create(*, data: dict[str, Any]) -> Partner:
    """Create a partner from validated data (tags as slug lists); announces the change."""
    partner = Partner(**{key: value for key, value in data.items() if key in PARTNER_SCALAR_FIELDS})
    partner.full_clean(exclude=["industries", "technologies"])
    partner.save()
    _apply_relations(partner=partner, data=data)
    partners_mark_changed(partner_ids=[partner.id], reason="create")
    return partner


def _changed_fields(*, partner: Partner, data: dict[str, Any]) -> list[str]:
    """The fields of `data` whose values differ from the partner's (before the update)."""
    changed = [
        key for key in PARTNER_SCALAR_FIELDS if key in data and getattr(partner, key) != data[key]
    ]
    for field in TAG_FIELDS:
        if field in data:
            current = set(getattr(partner, field).values_list("slug", flat=True))
            if current != set(data[field] or []):
                changed.append(field)
    if "certifications" in data:
        changed.append("certifications")
    return sorted(changed)


@transaction.atomic
def partner_update(*, partner: Partner, data: dict[str, Any]) -> Partner:
    """Update the given fields of a partner (tags as slug lists); announces the change with
    the fields whose values changed."""
    changed = _changed_fields(partner=partner, data=data)
    for key, value in data.items():
        if key in PARTNER_SCALAR_FIELDS:
            setattr(partner, key, value)
    partner.full_clean(exclude=["industries", "technologies"])
    partner.save()
    _apply_relations(partner=partner, data=data)
    partners_mark_changed(partner_ids=[partner.id], reason="update", fields=changed)
    return partner


@transaction.atomic
def partner_delete(*, partner: Partner) -> None:
    """Delete a partner with its contacts, certifications and performance records."""
    partner_id = partner.id
    partner.delete()
    transaction.on_commit(lambda: partners_deleted.send(sender=Partner, partner_ids=[partner_id]))


@transaction.atomic
def contact_create(*, data: dict[str, Any]) -> Contact:
    """Create a contact; e-mail addresses are stored lower-case (they are the import key)."""
    contact = Contact(**data)
    contact.email = contact.email.strip().lower()
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, data: dict[str, Any]) -> Contact:
    """Update the given fields of a contact."""
    for key, value in data.items():
        setattr(contact, key, value)
    contact.email = contact.email.strip().lower()
    contact.full_clean()
    contact.save()
    return contact


def contact_delete(*, contact: Contact) -> None:
    """Delete a contact (its portal login, if any, is kept but unlinked)."""
    contact.delete()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rolling_window_start(*, today: dt.date | None = None) -> dt.date:
    """First month counted in the trailing-12-month figures (the current month is the 12th)."""
    today = today or timezone.localdate()
    return month_start(today) - relativedelta(months=11)


@transaction.atomic
def performance_records_upsert(*, records: Sequence[dict[str, Any]]) -> int:
    """Insert or update monthly records {partner_id, month, revenue, deals_registered,
    deals_won}; rolls up the partners whose records changed. Returns the number written."""
    objects = [
        PerformanceRecord(
            partner_id=record["partner_id"],
            month=month_start(record["month"]),
            revenue=Decimal(record.get("revenue") or 0),
            deals_registered=record.get("deals_registered") or 0,
            deals_won=record.get("deals_won") or 0,
        )
        for record in records
    ]
    PerformanceRecord.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["partner", "month"],
        update_fields=["revenue", "deals_registered", "deals_won"],
        batch_size=5000,
    )
    partners_rollup_performance(partner_ids={record["partner_id"] for record in records})
    return len(objects)


def partners_rollup_performance(
    *, partner_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Set revenue_12m and deals_won_12m from performance records, in one UPDATE.

    Only the given partners (or, with None, every partner that has records) are touched, so
    the ERP figures an import gave to partners without records stay as given. Only partners
    whose figures actually change are written and announced. Returns how many changed.
    """
    start = rolling_window_start(today=today)
    if partner_ids is None:
        scope_sql, scope_params = (
            "EXISTS (SELECT 1 FROM partners_performancerecord x WHERE x.partner_id = p.id)",
            [],
        )
    else:
        ids = sorted(set(partner_ids))
        if not ids:
            return 0
        if connection.vendor == "postgresql":
            scope_sql, scope_params = "p.id = ANY(%s)", [ids]
        else:
            scope_sql, scope_params = f"p.id IN ({', '.join(['%s'] * len(ids))})", ids
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    audited = partners_audited(
        partner_ids=None if partner_ids is None else ids,
        with_records=partner_ids is None,
        columns={"revenue_12m": "t.revenue_12m", "deals_won_12m": "t.deals_won_12m"},
        operation="performance roll-up",
    )
    sql = f"""
        WITH totals AS (
            SELECT p.id AS partner_id,
                   COALESCE(SUM(r.revenue), 0) AS revenue,
                   COALESCE(SUM(r.deals_won), 0) AS deals_won
            FROM partners_partner p
            LEFT JOIN partners_performancerecord r
              ON r.partner_id = p.id AND r.month >= %s
            WHERE {scope_sql}
            GROUP BY p.id
        )
        UPDATE partners_partner
        SET revenue_12m = totals.revenue, deals_won_12m = totals.deals_won, updated_at = %s
        FROM totals
        WHERE partners_partner.id = totals.partner_id
          AND (partners_partner.revenue_12m {differs} totals.revenue
               OR partners_partner.deals_won_12m {differs} totals.deals_won)
        RETURNING partners_partner.id
    """
    with audited, connection.cursor() as cursor:
        cursor.execute(sql, [start, *scope_params, timezone.now()])
        changed = [row[0] for row in cursor.fetchall()]
    partners_mark_changed(partner_ids=changed, reason="performance")
    return len(changed)


ENGAGEMENT_FIELDS = ("engagement_score", "last_activity_at", "enablement_completion_pct")


def partners_engagement_update(
    *, partners: models.QuerySet[Partner], values: dict[str, models.Expression]
) -> int:
    """Set engagement_score, last_activity_at and/or enablement_completion_pct of these
    partners from SQL expressions (computed by enablement, correlated on OuterRef("pk")):
    one SELECT finds the partners whose figures differ, one UPDATE per chunk writes them, and
    only those are announced (reason "engagement"). Returns how many changed."""
    unknown = set(values) - set(ENGAGEMENT_FIELDS)
    if unknown:
        raise ValueError(f"not engagement fields: {sorted(unknown)}")
    differs = models.Q()
    for field in values:
        new = f"new_{field}"
        both_set = models.Q(**{f"{field}__isnull": False, f"{new}__isnull": False})
        differs |= (
            (both_set & ~models.Q(**{field: models.F(new)}))
            | models.Q(**{f"{field}__isnull": True, f"{new}__isnull": False})
            | models.Q(**{f"{field}__isnull": False, f"{new}__isnull": True})
        )
    changed = list(
        partners.alias(**{f"new_{field}": value for field, value in values.items()})
        .filter(differs)
        .order_by()
        .values_list("id", flat=True)
    )
    now = timezone.now()
    for chunk in _chunks(changed):
        Partner.objects.filter(id__in=chunk).update(**values, updated_at=now)
    partners_mark_changed(partner_ids=changed, reason="engagement")
    return len(changed)
