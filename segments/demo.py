"""Demo segments for the quick start: realistic objectives and rules over the demo partners."""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
from django.db import transaction
from django.utils import timezone

from partners.demo import DEMO_PREFIX
from partners.demo.bulk import _rows_write
from partners.models import Partner
from segments import services
from segments.models import EvaluationRun, Membership, MembershipEvent, Segment

HISTORY_DAYS = 730  # the demo segments were created two years ago
FORMER_SHARE = 0.12  # partners that were members once and left, per current member
# A segment whose rule reads another one's membership: its members joined it after that one.
PARENT_SEGMENT = {"emea-cloud-top": "emea-cloud-msps"}
# A segment of partners that joined the program in the last N days: members from joining
# until N days later.
JOINED_WITHIN_DAYS = {"new-partners": 90}

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
        "objective": "Nudge partners within 15% of the next tier on every requirement "
        "(revenue, deals, certifications) who do not qualify yet.",
        # Revenue first: every tier above the lowest sets a revenue minimum, so the cheap
        # revenue gap narrows the partners before the certification counts are read.
        "rule": {
            "all": [
                {"field": "next_tier_gap_pct", "op": "lte", "value": 15},
                {"field": "next_tier_progress_pct", "op": "gte", "value": 85},
                {"field": "next_tier_unmet_requirements", "op": "gte", "value": 1},
            ]
        },
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


def _seconds(moments) -> np.ndarray:
    return np.array([moment.timestamp() for moment in moments], dtype=float)


def _moments(seconds: np.ndarray) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(int(x), tz=dt.UTC) for x in seconds.tolist()]


@transaction.atomic
def demo_segments_history(
    *, slugs: list[str] | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Two years of membership history for the demo segments, instead of every member
    joining on the day of seeding: each segment is back-dated to its creation two years ago,
    each current member's join spread over the time since the segment (or the partner)
    existed, more of them early than late, and some former members joined and left on the
    way (partners of "new-partners" leave 90 days after joining the program). Deterministic
    (drawn per segment slug), set-based: the evaluation's events and memberships are
    replaced by bulk inserts. The seeding runs keep their sizes, with no change left to
    report. Only the given demo segments (default: all of them). Returns {segment slug:
    events written}."""
    now = now or timezone.now()
    demo_slugs = [definition["slug"] for definition in DEMO_SEGMENTS] + ["strategic-accounts"]
    slugs = demo_slugs if slugs is None else [slug for slug in slugs if slug in demo_slugs]
    segments = {s.slug: s for s in Segment.objects.filter(slug__in=slugs)}
    demo = Partner.objects.filter(external_id__startswith=DEMO_PREFIX).order_by("id")
    partner_ids = np.array(list(demo.values_list("id", flat=True)), dtype=np.int64)
    if not segments or not len(partner_ids):
        return {}
    # Joined the program at the local midnight of its day (unknown: as long ago as can be).
    partner_joined = _seconds(
        timezone.make_aware(dt.datetime.combine(day or dt.date(2000, 1, 1), dt.time.min))
        for day in demo.values_list("joined_at", flat=True)
    )
    end = now.timestamp()
    joins_by_segment: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    written: dict[str, int] = {}
    ordered = sorted(segments.values(), key=lambda seg: seg.slug in PARENT_SEGMENT)
    for index, segment in enumerate(ordered):
        rng = np.random.default_rng(zlib.crc32(segment.slug.encode()))
        created = end - (HISTORY_DAYS - index) * 86400 - rng.integers(0, 3600)
        members = np.array(
            list(
                Membership.objects.filter(segment=segment)
                .order_by("partner_id")
                .values_list("partner_id", flat=True)
            ),
            dtype=np.int64,
        )
        # Rows of the demo partners (ids sorted): other partners' memberships stay as they are.
        rows = np.minimum(np.searchsorted(partner_ids, members), len(partner_ids) - 1)
        demo_member = partner_ids[rows] == members
        members, rows = members[demo_member], rows[demo_member]
        start = np.maximum(created, partner_joined[rows])
        parent = joins_by_segment.get(PARENT_SEGMENT.get(segment.slug, ""))
        if parent is not None and len(parent[0]):
            parent_members, parent_joined = parent
            at = np.minimum(np.searchsorted(parent_members, members), len(parent_members) - 1)
            found = parent_members[at] == members
            start = np.where(found, np.maximum(start, parent_joined[at]), start)
        days = JOINED_WITHIN_DAYS.get(segment.slug)
        if segment.kind == "static":
            joined = np.full(len(members), created + 3 * 86400.0)
        elif days is not None:
            joined = start + rng.random(len(members)) * 3600
        else:
            joined = start + (end - start) * rng.random(len(members)) ** 2
        joined = np.minimum(joined, end - 60)
        joins_by_segment[segment.slug] = (members, joined)

        # Former members: partners that met the rule for a while and left.
        outside = np.setdiff1d(np.arange(len(partner_ids)), rows)
        if days is not None:
            since = partner_joined[outside]
            former = outside[(since >= created) & (since < end - days * 86400)]
            former_joined = partner_joined[former] + rng.random(len(former)) * 3600
            former_left = partner_joined[former] + days * 86400 + rng.random(len(former)) * 3600
        elif segment.kind == "static" or segment.slug in PARENT_SEGMENT or not len(outside):
            former = outside[:0]
            former_joined = former_left = np.zeros(0)
        else:
            count = min(len(outside), round(FORMER_SHARE * len(members)))
            former = np.sort(rng.choice(outside, size=count, replace=False))
            former_start = np.maximum(created, partner_joined[former])
            former_joined = former_start + (end - former_start) * 0.7 * rng.random(count)
            former_left = former_joined + (end - former_joined) * (0.1 + 0.8 * rng.random(count))

        MembershipEvent.objects.filter(segment=segment, partner__in=demo).delete()
        events = [
            *zip(members.tolist(), ["joined"] * len(members), _moments(joined), strict=True),
            *zip(
                partner_ids[former].tolist(),
                ["joined"] * len(former),
                _moments(former_joined),
                strict=True,
            ),
            *zip(
                partner_ids[former].tolist(),
                ["left"] * len(former),
                _moments(former_left),
                strict=True,
            ),
        ]
        written[segment.slug] = _rows_write(
            MembershipEvent,
            ["segment_id", "partner_id", "kind", "at"],
            ((segment.id, pid, kind, at) for pid, kind, at in events),
        )
        Membership.objects.filter(segment=segment, partner__in=demo).delete()
        _rows_write(
            Membership,
            ["segment_id", "partner_id", "joined_at"],
            zip([segment.id] * len(members), members.tolist(), _moments(joined), strict=True),
        )
        Segment.objects.filter(pk=segment.pk).update(
            created_at=dt.datetime.fromtimestamp(int(created), tz=dt.UTC)
        )
        # The seeding run found the members that had joined over time: no change any more.
        EvaluationRun.objects.filter(segment=segment).update(joined=0, left=0)
    return written
