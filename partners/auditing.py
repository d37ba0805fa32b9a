"""The audit trail of set-based partner writes (imports, roll-ups, tier moves): which columns
are compared, as the partner page shows them (the tier by name, tags as sorted slug lists)."""

from __future__ import annotations

from collections.abc import Iterable

from audit.services import audit_set_based_write
from partners.models import Contact, Partner


def _slugs(link_table: str, tag_table: str, tag_column: str) -> str:
    return (
        f"(SELECT string_agg(tag.slug, ', ' ORDER BY tag.slug) FROM {link_table} link "
        f"JOIN {tag_table} tag ON tag.id = link.{tag_column} WHERE link.partner_id = t.id)"
    )


# The audited partner fields (audit.tracked leaves out the nightly engagement figures).
PARTNER_AUDIT_COLUMNS: dict[str, str] = {
    **{
        name: f"t.{name}"
        for name in (
            "name",
            "external_id",
            "partner_type",
            "region",
            "country",
            "employee_count",
            "annual_revenue",
            "lifecycle_stage",
            "joined_at",
            "tech_savviness",
            "revenue_12m",
            "deals_won_12m",
            "attributes",
        )
    },
    "tier": "(SELECT tier.name FROM partners_tier tier WHERE tier.id = t.tier_id)",
}
PARTNER_TAG_AUDIT_COLUMNS: dict[str, str] = {
    "industries": _slugs("partners_partner_industries", "partners_industry", "industry_id"),
    "technologies": _slugs("partners_partner_technologies", "partners_technology", "technology_id"),
    "certifications": _slugs(
        "partners_partnercertification", "partners_certification", "certification_id"
    ),
}


def partners_audited(
    *,
    partner_ids: Iterable[int] | None = None,
    external_ids: Iterable[str] | None = None,
    with_records: bool = False,
    columns: dict[str, str] | None = None,
    operation: str = "",
):
    """Audit the partners of a set-based write (by ids, external ids, or every partner with
    performance records): one entry per partner created or changed by the block."""
    if partner_ids is not None:
        scope_sql, scope_params = "t.id = ANY(%s)", [sorted(set(partner_ids))]
    elif external_ids is not None:
        scope_sql, scope_params = "t.external_id = ANY(%s)", [list(external_ids)]
    elif with_records:
        scope_sql, scope_params = (
            "EXISTS (SELECT 1 FROM partners_performancerecord r WHERE r.partner_id = t.id)",
            [],
        )
    else:
        raise ValueError("give partner_ids, external_ids or with_records")
    return audit_set_based_write(
        model=Partner,
        columns=columns or {**PARTNER_AUDIT_COLUMNS, **PARTNER_TAG_AUDIT_COLUMNS},
        scope_sql=scope_sql,
        scope_params=scope_params,
        repr_sql="t.name",
        additional_data={"operation": operation} if operation else None,
    )


CONTACT_AUDIT_COLUMNS: dict[str, str] = {
    "partner": "(SELECT p.name FROM partners_partner p WHERE p.id = t.partner_id)",
    **{name: f"t.{name}" for name in ("first_name", "last_name", "email", "role", "email_opt_in")},
}


def contacts_audited(*, emails: Iterable[str], operation: str = ""):
    """Audit the contacts of a set-based write, by their (lower-case) e-mail addresses."""
    return audit_set_based_write(
        model=Contact,
        columns=CONTACT_AUDIT_COLUMNS,
        scope_sql="t.email = ANY(%s)",
        scope_params=[list(emails)],
        repr_sql="concat_ws(' ', t.first_name, NULLIF(t.last_name, '')) || ' <' || t.email || '>'",
        additional_data={"operation": operation} if operation else None,
    )
