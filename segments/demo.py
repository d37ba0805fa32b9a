"""Demo segments for the quick start: realistic objectives and rules over the demo partners."""

from __future__ import annotations

from django.db import transaction

from partners.models import Partner
from segments import services
from segments.models import Segment

DEMO_SEGMENTS = [
    {
        "slug": "onboarding-basics",
        "name": "Needs onboarding basics",
        "objective": "Give less tech-savvy partners introductory enablement first.",
        "rule": {
            "all": [
                {"field": "tech_savviness", "op": "lte", "value": 2},
                {
                    "field": "lifecycle_stage",
                    "op": "in",
                    "value": ["applicant", "onboarding", "active"],
                },
            ]
        },
    },
    {
        "slug": "emea-cloud-msps",
        "name": "EMEA cloud MSPs and VARs",
        "objective": "Regional cloud campaign for managed service providers and VARs.",
        "rule": {
            "all": [
                {"field": "partner_type", "op": "in", "value": ["msp", "var"]},
                {"field": "region", "op": "eq", "value": "emea"},
                {"field": "technologies", "op": "has_any", "value": ["aws", "azure", "gcp"]},
            ]
        },
    },
    {
        "slug": "tier-edge",
        "name": "On the edge of the next tier",
        "objective": "Nudge partners within 15% of the next tier's revenue threshold.",
        "rule": {"field": "next_tier_gap_pct", "op": "between", "value": [0, 15]},
    },
    {
        "slug": "security-specialists",
        "name": "Certified security specialists",
        "objective": "Advanced security content and co-selling for certified partners.",
        "rule": {"field": "certifications", "op": "has", "value": "security-specialist"},
    },
    {
        "slug": "dormant-high-value",
        "name": "Dormant but valuable",
        "objective": "Win back dormant partners that still bring revenue.",
        "rule": {
            "all": [
                {"field": "lifecycle_stage", "op": "eq", "value": "dormant"},
                {"field": "revenue_12m", "op": "gte", "value": 500000},
            ]
        },
    },
    {
        "slug": "new-partners",
        "name": "Joined in the last 90 days",
        "objective": "Welcome journey for new partners.",
        "rule": {"field": "joined_at", "op": "within_last_days", "value": 90},
    },
    {
        "slug": "gold-and-above",
        "name": "Gold and above",
        "objective": "Tier benefits and executive briefings for top partners.",
        "rule": {"field": "tier", "op": "at_least", "value": "gold"},
    },
    {
        "slug": "emea-cloud-top",
        "name": "Top EMEA cloud partners",
        "objective": "Joint business planning with the best EMEA cloud partners.",
        "rule": {
            "all": [
                {"field": "segment", "op": "in", "value": "emea-cloud-msps"},
                {"field": "tier", "op": "at_least", "value": "gold"},
            ]
        },
    },
]


@transaction.atomic
def demo_segments_seed() -> list[Segment]:
    """Create the demo segments (dynamic ones and a hand-picked static one), if missing."""
    created = []
    for definition in DEMO_SEGMENTS:
        if not Segment.objects.filter(slug=definition["slug"]).exists():
            created.append(services.segment_create(data={"kind": "dynamic", **definition}))
    if not Segment.objects.filter(slug="strategic-accounts").exists():
        strategic = services.segment_create(
            data={
                "slug": "strategic-accounts",
                "name": "Strategic accounts",
                "objective": "Partners the channel chief reviews every quarter.",
                "kind": "static",
            }
        )
        picked = Partner.objects.filter(tier__slug="platinum").order_by("id")[:20]
        services.segment_members_add(
            segment=strategic, partner_ids=list(picked.values_list("id", flat=True))
        )
        created.append(strategic)
    return created
