"""Reads on partners and contacts."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from partners.models import Contact, Partner


def partner_list(*, filters: dict | None = None) -> QuerySet[Partner]:
    """Partners with their profile (tier, tags, active certifications), filtered like the API."""
    from partners.filters import PartnerFilterSet

    queryset = Partner.objects.with_list_profile()
    if filters is None:
        return queryset
    filterset = PartnerFilterSet(data=filters, queryset=queryset)
    if not filterset.is_valid():
        from django.core.exceptions import ValidationError

        raise ValidationError(filterset.errors)
    return filterset.qs


# The partner columns the manager's list rows show (and order by); the rest of the wide row
# stays unread.
LIST_ROW_FIELDS = (
    "name",
    "external_id",
    "partner_type",
    "tier",
    "region",
    "country",
    "lifecycle_stage",
    "revenue_12m",
    "deals_won_12m",
    "engagement_score",
    "enablement_completion_pct",
)


def partner_list_rows(queryset: QuerySet[Partner]) -> QuerySet[Partner]:
    """The manager's partner list page over a filtered partner list: the shown columns, tier,
    and tags as plain lists (industry_list, technology_list). No certifications: the page
    does not show them, and their prefetch (with its join) would be work thrown away."""
    return (
        queryset.prefetch_related(None)
        .prefetch_related(
            Prefetch("industries", to_attr="industry_list"),
            Prefetch("technologies", to_attr="technology_list"),
        )
        .only(*LIST_ROW_FIELDS)
    )


def partner_get(*, partner_id: int) -> Partner:
    """One partner with its profile; raises Partner.DoesNotExist."""
    return Partner.objects.with_profile().get(id=partner_id)


def contact_list() -> QuerySet[Contact]:
    """Contacts with their partner, for lists."""
    return Contact.objects.select_related("partner")


def partner_program_summary() -> dict:
    """Headline counts of the program: partners, contacts, active partners, partners by tier."""
    from django.db.models import Count

    from partners.models import LifecycleStage

    by_tier = (
        Partner.objects.values("tier__rank", "tier__name")
        .annotate(count=Count("id"))
        .order_by("tier__rank")
    )
    return {
        "partners": Partner.objects.count(),
        "contacts": Contact.objects.count(),
        "active": Partner.objects.filter(lifecycle_stage=LifecycleStage.ACTIVE).count(),
        "by_tier": list(by_tier),
    }


# Manager portal: the partner list and page ---------------------------------------------------


def partner_count_estimate() -> int | None:
    """The planner's row estimate of the partners table (PostgreSQL's pg_class.reltuples, kept
    by ANALYZE/autovacuum): free at any size; None when unknown (not analysed, not PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [Partner._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None


def partner_count_capped(*, queryset: QuerySet[Partner], limit: int) -> tuple[int, bool]:
    """How many rows the queryset has, counting at most limit + 1 (one bounded query):
    (count, True) when there are more than `limit`."""
    count = queryset.order_by().values("pk")[: limit + 1].count()
    return min(count, limit), count > limit


def partner_contacts(*, partner_id: int) -> QuerySet[Contact]:
    """A partner's contacts with their portal login, by name."""
    return Contact.objects.filter(partner_id=partner_id).select_related("user")


def partner_performance_summary(*, partner_id: int, months: int = 12) -> dict:
    """The partner's last `months` monthly performance records (oldest first) and their totals."""
    from partners.models import PerformanceRecord

    records = list(
        PerformanceRecord.objects.filter(partner_id=partner_id).order_by("-month")[:months]
    )[::-1]
    totals = {
        name: sum(getattr(record, name) for record in records)
        for name in ("revenue", "deals_registered", "deals_won")
    }
    return {"records": records, "totals": totals}


def partner_certifications_held(*, partner_id: int) -> QuerySet:
    """Every certification the partner has earned (active and expired), by name."""
    from partners.models import PartnerCertification

    return PartnerCertification.objects.filter(partner_id=partner_id).select_related(
        "certification"
    )


# ---------------------------------------------------------------------------------------
# Manager portal: dashboard breakdowns and the ecosystem map
# ---------------------------------------------------------------------------------------


def partner_breakdown() -> dict:
    """Partners by tier, type, region and lifecycle stage, and the total, from one GROUP BY
    over the four columns (at most a few hundred groups, summed here)."""
    from collections import Counter

    from django.db.models import Count

    from partners.models import LifecycleStage, PartnerType, Region, Tier

    rows = (
        Partner.objects.values("tier_id", "partner_type", "region", "lifecycle_stage")
        .annotate(count=Count("*"))
        .order_by()
    )
    by: dict[str, Counter] = {key: Counter() for key in ("tier", "type", "region", "stage")}
    total = 0
    for row in rows:
        total += row["count"]
        by["tier"][row["tier_id"]] += row["count"]
        by["type"][row["partner_type"]] += row["count"]
        by["region"][row["region"]] += row["count"]
        by["stage"][row["lifecycle_stage"]] += row["count"]

    def ordered(counter: Counter, choices) -> list[dict]:
        items = [
            {"key": key, "label": label, "count": counter.get(key, 0)} for key, label in choices
        ]
        if counter.get(None):
            items.append({"key": None, "label": "Not set", "count": counter[None]})
        return items

    tiers = [(tier.id, tier.name) for tier in Tier.objects.order_by("rank")]
    return {
        "total": total,
        "active": by["stage"].get(LifecycleStage.ACTIVE, 0),
        "by_tier": ordered(by["tier"], tiers),
        "by_type": ordered(by["type"], PartnerType.choices),
        "by_region": ordered(by["region"], Region.choices),
        "by_lifecycle_stage": ordered(by["stage"], LifecycleStage.choices),
    }


def contact_count() -> int:
    """How many contacts there are."""
    return Contact.objects.count()


def ecosystem_matrix(
    *,
    region: str | None = None,
    tier: str | None = None,
    partner_type: str | None = None,
    today=None,
) -> dict:
    """Industries x technologies: in each cell the partners (of the region, tier slug and type,
    if given) that have the industry, the technology and at least one active certification;
    with the partners per industry, per technology and overall (each partner once). One SQL
    statement; every count is a plain COUNT(*) over unique rows, no DISTINCT sorts."""
    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from partners.models import Industry, PartnerCertification, Technology

    today = today or timezone.localdate()
    industry_links = Partner.industries.through
    technology_links = Partner.technologies.through
    partners = Partner.objects.filter(
        Exists(PartnerCertification.objects.active(on=today).filter(partner_id=OuterRef("pk"))),
        Exists(industry_links.objects.filter(partner_id=OuterRef("pk"))),
        Exists(technology_links.objects.filter(partner_id=OuterRef("pk"))),
    )
    if region:
        partners = partners.filter(region=region)
    if tier:
        partners = partners.filter(tier__slug=tier)
    if partner_type:
        partners = partners.filter(partner_type=partner_type)
    partner_sql, partner_params = partners.order_by().values("id").query.sql_with_params()
    industries_table = industry_links._meta.db_table
    technologies_table = technology_links._meta.db_table
    # A partner has each industry (and each technology) at most once, so counting link rows
    # of the partners in scope counts partners.
    sql = f"""
        WITH scope AS ({partner_sql})
        SELECT pi.industry_id, pt.technology_id, COUNT(*)
        FROM {industries_table} pi
        JOIN {technologies_table} pt ON pt.partner_id = pi.partner_id
        WHERE pi.partner_id IN (SELECT id FROM scope)
        GROUP BY pi.industry_id, pt.technology_id
        UNION ALL
        SELECT industry_id, NULL, COUNT(*) FROM {industries_table}
        WHERE partner_id IN (SELECT id FROM scope) GROUP BY industry_id
        UNION ALL
        SELECT NULL, technology_id, COUNT(*) FROM {technologies_table}
        WHERE partner_id IN (SELECT id FROM scope) GROUP BY technology_id
        UNION ALL
        SELECT NULL, NULL, COUNT(*) FROM scope
    """
    cells: dict[tuple[int, int], int] = {}
    industry_totals: dict[int, int] = {}
    technology_totals: dict[int, int] = {}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, partner_params)
        for industry_id, technology_id, count in cursor.fetchall():
            if industry_id is not None and technology_id is not None:
                cells[(industry_id, technology_id)] = count
            elif industry_id is not None:
                industry_totals[industry_id] = count
            elif technology_id is not None:
                technology_totals[technology_id] = count
            else:
                total = count
    return {
        "industries": list(Industry.objects.order_by("name", "id")),
        "technologies": list(Technology.objects.order_by("name", "id")),
        "cells": cells,
        "industry_totals": industry_totals,
        "technology_totals": technology_totals,
        "total": total,
    }
