"""How far partners have got with enablement: one partner's contacts, enrolments and
certifications (the manager's partner panel), and completion across all partners (the
dashboard)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from enablement.models import Enrollment
from partners.models import Contact, Partner, PartnerCertification


def partner_enablement(*, partner_id: int, today: dt.date | None = None) -> dict:
    """A partner's enablement for the manager's partner page: the partner (with its rolled-up
    completion), its contacts each with their enrolments (path, progress), and its
    certifications with expiry; four queries."""
    partner = Partner.objects.select_related("tier").get(pk=partner_id)
    contacts = list(
        Contact.objects.filter(partner_id=partner_id)
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.select_related("path").order_by(
                    "completed_at", "-progress_pct", "path__title"
                ),
            )
        )
        .order_by("last_name", "first_name", "id")
    )
    certifications = list(
        PartnerCertification.objects.filter(partner_id=partner_id)
        .select_related("certification")
        .order_by("expires_at", "certification__name")
    )
    enrollments = [enrollment for contact in contacts for enrollment in contact.enrollments.all()]
    return {
        "partner": partner,
        "contacts": contacts,
        "certifications": certifications,
        "enrolled": len(enrollments),
        "completed": sum(1 for enrollment in enrollments if enrollment.is_completed),
        "today": today or timezone.localdate(),
    }


COMPLETION_BANDS = (
    ("none", "Not started", None, None),
    ("low", "Under 25%", 0, 25),
    ("some", "25-50%", 25, 50),
    ("most", "50-75%", 50, 75),
    ("high", "75-100%", 75, None),
)


def enablement_completion_overview() -> dict:
    """Partners' enablement completion (Partner.enablement_completion_pct): the average over
    partners that have any, how many partners fall in each band, overall and per tier, from
    one GROUP BY (tier, band); and enrolments started and completed, from one aggregate."""
    from django.db.models import Case, CharField, Count, Q, Sum, Value, When

    from partners.models import Partner, Tier

    whens = [When(enablement_completion_pct__isnull=True, then=Value("none"))]
    for key, _label, low, high in COMPLETION_BANDS[1:]:
        condition = Q(enablement_completion_pct__gte=low)
        if high is not None:
            condition &= Q(enablement_completion_pct__lt=high)
        whens.append(When(condition, then=Value(key)))
    rows = (
        Partner.objects.annotate(band=Case(*whens, default=Value("none"), output_field=CharField()))
        .values("tier_id", "band")
        .annotate(
            partners=Count("*"),
            measured=Count("enablement_completion_pct"),
            pct_sum=Sum("enablement_completion_pct"),
        )
        .order_by()
    )
    bands = {key: 0 for key, *_ in COMPLETION_BANDS}
    tiers = {tier.id: tier for tier in Tier.objects.order_by("rank")}
    by_tier: dict = {
        tier_id: {"bands": dict.fromkeys(bands, 0), "measured": 0, "pct_sum": 0.0}
        for tier_id in [*tiers, None]
    }
    measured, pct_sum = 0, 0.0
    for row in rows:
        bands[row["band"]] += row["partners"]
        entry = by_tier.setdefault(
            row["tier_id"], {"bands": dict.fromkeys(bands, 0), "measured": 0, "pct_sum": 0.0}
        )
        entry["bands"][row["band"]] += row["partners"]
        entry["measured"] += row["measured"]
        entry["pct_sum"] += row["pct_sum"] or 0.0
        measured += row["measured"]
        pct_sum += row["pct_sum"] or 0.0
    enrollments = Enrollment.objects.aggregate(
        started=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False))
    )
    return {
        "average_pct": round(pct_sum / measured, 1) if measured else None,
        "measured_partners": measured,
        "bands": [
            {"key": key, "label": label, "partners": bands[key]}
            for key, label, *_ in COMPLETION_BANDS
        ],
        "by_tier": [
            {
                "tier": tiers[tier_id].name if tier_id is not None else "No tier",
                "bands": entry["bands"],
                "average_pct": round(entry["pct_sum"] / entry["measured"], 1)
                if entry["measured"]
                else None,
                "partners": sum(entry["bands"].values()),
            }
            for tier_id, entry in by_tier.items()
            if tier_id is not None or sum(entry["bands"].values())
        ],
        "enrollments_started": enrollments["started"],
        "enrollments_completed": enrollments["completed"],
    }
