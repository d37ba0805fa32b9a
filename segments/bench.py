"""The segments benchmark's parts: set-based data generation, generated segment rules, a
naive Python rule interpreter (the baseline) and statement timing.

Used by `manage.py bench_segments`; nothing here runs in the product. Generation is pure
SQL (INSERT … SELECT over generate_series with setseed()), so a million partners take
seconds, and the same seed gives the same partners and segments.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from celery.app.task import Task
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from partners.models import Tier

PREFIX = "SEG-BENCH-"
SEGMENT_PREFIX = "bench-"

INDUSTRIES = {  # slug: share of partners tagged with it
    "finance": 0.22, "healthcare": 0.18, "manufacturing": 0.15, "retail": 0.12,
    "public-sector": 0.10, "education": 0.08, "telecom": 0.07, "energy": 0.06,
    "logistics": 0.05, "insurance": 0.04, "media": 0.03, "hospitality": 0.03,
    "automotive": 0.02, "agriculture": 0.02,
}  # fmt: skip
TECHNOLOGIES = {
    "aws": 0.30, "azure": 0.28, "microsoft-365": 0.22, "security": 0.18, "gcp": 0.14,
    "networking": 0.12, "data-analytics": 0.10, "crm": 0.09, "ai-ml": 0.08, "erp": 0.07,
    "devops": 0.06, "storage": 0.05, "collaboration": 0.05, "iot": 0.03, "sap": 0.03,
    "kubernetes": 0.03,
}  # fmt: skip
CERTIFICATIONS = {  # slug: (share of partners before the savviness factor, validity days)
    "sales-foundations": (0.25, 730), "technical-associate": (0.15, 730),
    "cloud-architect": (0.08, 730), "security-specialist": (0.06, 730),
    "support-pro": (0.06, None), "data-engineer": (0.04, 730),
    "partner-onboarding": (0.20, None), "ai-practitioner": (0.03, 365),
}  # fmt: skip
PARTNER_TYPES = {
    "reseller": 0.25, "var": 0.20, "msp": 0.15, "referral": 0.12, "si": 0.10, "isv": 0.08,
    "distributor": 0.05, "alliance": 0.05,
}  # fmt: skip
REGIONS = {"na": 0.35, "emea": 0.35, "apac": 0.20, "latam": 0.08}  # the rest: no region
COUNTRIES = {
    "na": ["US", "US", "US", "US", "CA", "CA", "MX"],
    "emea": ["DE", "DE", "GB", "GB", "FR", "FR", "NL", "IT", "ES", "SE", "PL", "AE", "ZA", "CH"],
    "apac": ["AU", "AU", "JP", "JP", "IN", "IN", "SG", "KR", "NZ"],
    "latam": ["BR", "BR", "MX", "AR", "CL", "CO"],
}
ALL_COUNTRIES = sorted({code for codes in COUNTRIES.values() for code in codes})
STAGES = {"applicant": 0.05, "onboarding": 0.08, "active": 0.60, "dormant": 0.17, "churned": 0.10}
SAVVINESS = {1: 0.10, 2: 0.20, 3: 0.35, 4: 0.25, 5: 0.10}
NAME_WORDS = ["Apex", "Orbit", "Nimbus", "Vertex", "Blue", "North", "Summit", "Atlas", "Nova"]
NAME_KINDS = ["Solutions", "Partners", "Data", "Systems", "Consulting", "Networks", "Cloud"]


# ---------------------------------------------------------------------------------------
# Data: partners, tags and certifications, set-based
# ---------------------------------------------------------------------------------------


def _pick(column: str, weights: dict[Any, float], *, quote: bool = True) -> str:
    """CASE over a uniform random column: each value with its share, the rest NULL."""
    arms, bound = [], 0.0
    for value, share in weights.items():
        bound += share
        literal = f"'{value}'" if quote else str(value)
        arms.append(f"WHEN {column} < {bound:.4f} THEN {literal}")
    return f"CASE {' '.join(arms)} END"


def _normal(n: int) -> str:
    return f"sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z{n}"


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{value}'" for value in values) + "]"


def _partners_sql() -> str:
    randoms = ", ".join(f"random() AS r{n}" for n in range(1, 30))
    normals = ", ".join(_normal(n) for n in range(1, 5))
    countries = " ".join(
        f"WHEN '{region}' THEN ({_array(codes)})[1 + floor(r6 * {len(codes)})::int]"
        for region, codes in COUNTRIES.items()
    )
    # Each random column r<n> drives one choice; z<n> are standard normal draws.
    return f"""
        INSERT INTO partners_partner (
            name, external_id, partner_type, tier_id, region, country, employee_count,
            annual_revenue, lifecycle_stage, joined_at, tech_savviness, revenue_12m,
            deals_won_12m, engagement_score, last_activity_at, enablement_completion_pct,
            attributes, created_at, updated_at)
        SELECT
            ({_array(NAME_WORDS)})[1 + floor(r1 * {len(NAME_WORDS)})::int] || ' '
                || ({_array(NAME_KINDS)})[1 + floor(r2 * {len(NAME_KINDS)})::int] || ' ' || i,
            %(prefix)s || lpad(i::text, 8, '0'),
            partner_type,
            (%(tier_ids)s::bigint[])[tier_index + 1],
            region,
            CASE WHEN r5 < 0.03 THEN NULL ELSE CASE region {countries} END END,
            CASE WHEN r7 < 0.03 THEN NULL ELSE employees END,
            CASE WHEN r8 < 0.05 THEN NULL
                 ELSE round(LEAST(employees * exp(11.3 + 0.6 * z2), 1e13)::numeric, 2) END,
            stage,
            CASE WHEN r10 < 0.02 THEN NULL
                 ELSE CURRENT_DATE - floor(power(r11, 1.2) * 5475)::int END,
            savviness,
            CASE WHEN r16 < 0.10 THEN NULL
                 ELSE round(exp(10.5 + 1.5 * coalesce(tier_index, 0) + z3)::numeric, 2) END,
            CASE WHEN r16 < 0.10 THEN NULL
                 ELSE floor(exp(1 + 0.7 * coalesce(tier_index, 0) + 0.8 * z4))::int END,
            CASE WHEN r17 < 0.05 THEN NULL ELSE round((100 * power(r18, 1.5))::numeric, 1) END,
            CASE WHEN r19 < 0.05 THEN NULL
                 WHEN stage IN ('dormant', 'churned')
                     THEN now() - make_interval(secs => (180 + r20 * 900) * 86400)
                 ELSE now() - make_interval(secs => r20 * r20 * 730 * 86400) END,
            CASE WHEN r21 < 0.30 THEN NULL ELSE round((100 * r22)::numeric, 1) END,
            jsonb_strip_nulls(jsonb_build_object(
                'support_level', CASE WHEN r23 < 0.6 THEN 'basic' WHEN r23 < 0.9 THEN 'standard'
                                      ELSE 'premium' END,
                'nps', CASE WHEN r24 < 0.6 THEN floor(r25 * 11)::int END,
                'marketplace_listed', CASE WHEN r26 < 0.5 THEN r27 < 0.3 END,
                'co_sell', CASE WHEN r28 < 0.1 THEN true END,
                'crm', CASE WHEN r29 < 0.5 THEN 'salesforce' WHEN r29 < 0.75 THEN 'hubspot'
                            WHEN r29 < 0.85 THEN 'dynamics' END)),
            now(), now()
        FROM (
            SELECT *,
                {_pick("r3", PARTNER_TYPES)} AS partner_type,
                {_pick("r4", REGIONS)} AS region,
                {_pick("r9", STAGES)} AS stage,
                CASE WHEN r12 < 0.05 THEN NULL
                     ELSE {_pick("r13", SAVVINESS, quote=False)} END AS savviness,
                CASE WHEN cardinality(%(tier_ids)s::bigint[]) = 0 OR r14 < 0.10 THEN NULL
                     ELSE floor(power(r15, 1.8) * cardinality(%(tier_ids)s::bigint[]))::int
                END AS tier_index,
                floor(exp(3.5 + 1.6 * z1))::int AS employees
            FROM (
                SELECT i, {randoms}, {normals} FROM generate_series(1, %(n)s) AS i OFFSET 0
            ) AS raw
            OFFSET 0
        ) AS shaped
    """


def _tag_links_sql(*, through: str, column: str, tag_table: str) -> str:
    return f"""
        INSERT INTO {through} (partner_id, {column})
        SELECT partner_id, tag_id
        FROM (
            -- random() in the select list, behind OFFSET 0: drawn per (partner, tag) pair,
            -- not pushed down to the tag side and drawn once per tag.
            SELECT p.id AS partner_id, t.id AS tag_id, t.share, random() AS draw
            FROM partners_partner p
            CROSS JOIN (
                SELECT tag.id, shares.share
                FROM {tag_table} tag
                JOIN unnest(%(slugs)s::text[], %(shares)s::float8[]) AS shares (slug, share)
                    ON shares.slug = tag.slug
            ) t
            OFFSET 0
        ) pairs
        WHERE draw < share
        ORDER BY partner_id, tag_id
    """


CERTIFICATIONS_SQL = """
    INSERT INTO partners_partnercertification (partner_id, certification_id, earned_at, expires_at)
    SELECT partner_id, certification_id, earned_at, earned_at + validity_days
    FROM (
        SELECT p.id AS partner_id, c.id AS certification_id, c.validity_days,
               c.share * (0.4 + 0.3 * coalesce(p.tech_savviness, 2)) AS share,
               random() AS draw, CURRENT_DATE - floor(random() * 1460)::int AS earned_at
        FROM partners_partner p
        CROSS JOIN (
            SELECT cert.id, cert.validity_days, shares.share
            FROM partners_certification cert
            JOIN unnest(%(slugs)s::text[], %(shares)s::float8[]) AS shares (slug, share)
                ON shares.slug = cert.slug
        ) c
        OFFSET 0
    ) AS earned
    WHERE draw < share
    ORDER BY partner_id, certification_id
"""


def _ensure_tags(cursor) -> None:
    for table, slugs in (
        ("partners_industry", INDUSTRIES),
        ("partners_technology", TECHNOLOGIES),
    ):
        cursor.execute(
            f"INSERT INTO {table} (slug, name) SELECT slug, initcap(replace(slug, '-', ' ')) "
            "FROM unnest(%s::text[]) AS slug ON CONFLICT (slug) DO NOTHING",
            (list(slugs),),
        )
    cursor.execute(
        "INSERT INTO partners_certification (slug, name, description, validity_days, skills) "
        "SELECT slug, initcap(replace(slug, '-', ' ')), '', days, '[]' "
        "FROM unnest(%s::text[], %s::int[]) AS c (slug, days) ON CONFLICT (slug) DO NOTHING",
        (list(CERTIFICATIONS), [days for _, days in CERTIFICATIONS.values()]),
    )


GENERATED_TABLES = (
    "partners_partner",
    "partners_partner_industries",
    "partners_partner_technologies",
    "partners_partnercertification",
)


@contextmanager
def _secondary_indexes_deferred(cursor, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the indexes that back no constraint, and build them again afterwards: one bulk
    build is several times faster than a million incremental inserts into 25 indexes (three
    of them GIN). Inside the caller's transaction, so an interruption restores them."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        (list(tables),),
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    # The deferred FK checks of the inserted rows must run before an index can be built.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for _name, definition in indexes:
        cursor.execute(definition)


def generate_partners(*, partners: int, seed: int) -> dict[str, float]:
    """Insert `partners` partners with tags and certifications (in one transaction); seconds
    per step."""
    tier_ids = list(Tier.objects.order_by("rank").values_list("id", flat=True))
    timings: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        _ensure_tags(cursor)
        cursor.execute("SELECT setseed(%s)", (((seed * 7919) % 20001) / 10000.0 - 1.0,))
        steps: list[tuple[str, str, dict]] = [
            ("partners", _partners_sql(), {"prefix": PREFIX, "tier_ids": tier_ids, "n": partners}),
            (
                "industries",
                _tag_links_sql(
                    through="partners_partner_industries",
                    column="industry_id",
                    tag_table="partners_industry",
                ),
                {"slugs": list(INDUSTRIES), "shares": list(INDUSTRIES.values())},
            ),
            (
                "technologies",
                _tag_links_sql(
                    through="partners_partner_technologies",
                    column="technology_id",
                    tag_table="partners_technology",
                ),
                {"slugs": list(TECHNOLOGIES), "shares": list(TECHNOLOGIES.values())},
            ),
            (
                "certifications",
                CERTIFICATIONS_SQL,
                {
                    "slugs": list(CERTIFICATIONS),
                    "shares": [share for share, _ in CERTIFICATIONS.values()],
                },
            ),
        ]
        with _secondary_indexes_deferred(cursor, GENERATED_TABLES):
            for name, sql, params in steps:
                started = time.perf_counter()
                cursor.execute(sql, params)
                timings[name] = time.perf_counter() - started
            started = time.perf_counter()
        timings["indexes"] = time.perf_counter() - started
    return timings


CHURN_SQL = """
    UPDATE partners_partner p SET
        region = c.region,
        country = CASE c.region WHEN 'na' THEN 'US' WHEN 'emea' THEN 'DE' WHEN 'apac' THEN 'JP'
                                ELSE 'BR' END,
        annual_revenue = round(coalesce(p.annual_revenue, 1e6) * (0.3 + 2 * c.r1)::numeric, 2),
        employee_count = greatest(1, floor(coalesce(p.employee_count, 20) * (0.5 + c.r2)))::int,
        tech_savviness = 1 + floor(c.r3 * 5)::int,
        engagement_score = round((100 * c.r4)::numeric, 1),
        lifecycle_stage = (ARRAY['onboarding', 'active', 'active', 'dormant'])[1 + floor(c.r5 * 4)::int],
        last_activity_at = now() - make_interval(secs => c.r6 * 400 * 86400),
        tier_id = coalesce((%(tier_ids)s::bigint[])[1 + floor(c.r7 * cardinality(%(tier_ids)s::bigint[]))::int], p.tier_id),
        updated_at = now()
    FROM (
        SELECT id, (ARRAY['na', 'emea', 'apac', 'latam'])[1 + floor(random() * 4)::int] AS region,
               random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
               random() AS r6, random() AS r7
        FROM unnest(%(ids)s::bigint[]) AS id OFFSET 0
    ) c
    WHERE p.id = c.id
"""  # noqa: E501


def churn_partners(*, fraction: float, seed: int) -> list[int]:
    """Change region, revenue, size, savviness, engagement, stage, activity and tier (and add a
    technology to every other one) of a deterministic `fraction` of partners; their ids."""
    tier_ids = list(Tier.objects.order_by("rank").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner")
        count = max(1, round(cursor.fetchone()[0] * fraction))
        cursor.execute(
            "SELECT id FROM partners_partner ORDER BY md5(id::text || ':' || %s) LIMIT %s",
            (seed, count),
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT setseed(%s)", (((seed * 104729) % 20001) / 10000.0 - 1.0,))
        cursor.execute(CHURN_SQL, {"ids": ids, "tier_ids": tier_ids})
        cursor.execute(
            """
            INSERT INTO partners_partner_technologies (partner_id, technology_id)
            SELECT id, (SELECT t.id FROM partners_technology t WHERE t.slug = %(slug)s)
            FROM unnest(%(ids)s::bigint[]) AS id
            ON CONFLICT DO NOTHING
            """,
            {"ids": ids[::2], "slug": "ai-ml"},
        )
    return ids


# ---------------------------------------------------------------------------------------
# Segments: realistic generated rules
# ---------------------------------------------------------------------------------------


@dataclass
class RuleContext:
    rng: random.Random
    tiers: list[str]
    earlier: list[str] = field(default_factory=list)

    def some(self, values, low: int, high: int) -> list:
        values = sorted(set(values))
        return sorted(
            self.rng.sample(values, self.rng.randint(min(low, len(values)), min(high, len(values))))
        )

    def one(self, values):
        return self.rng.choice(list(values))

    def tier(self, *, top: bool) -> str:
        if top:
            return self.tiers[-self.rng.randint(1, min(2, len(self.tiers)))]
        return self.rng.choice(self.tiers[:2])


def _c(name: str, op: str, value: Any = None) -> dict:
    return {"field": name, "op": op, "value": value}


def _regional_type(ctx: RuleContext) -> tuple[str, dict]:
    region = ctx.one(REGIONS)
    types = ctx.some(PARTNER_TYPES, 1, 3)
    rule = {"all": [_c("region", "eq", region), _c("partner_type", "in", types)]}
    return f"{region.upper()} {' & '.join(types)}", rule


def _top_tier(ctx: RuleContext) -> tuple[str, dict]:
    tier = ctx.tier(top=True)
    rule = {"all": [_c("tier", "at_least", tier), _c("region", "in", ctx.some(REGIONS, 1, 2))]}
    return f"{tier} and above, regional", rule


def _large(ctx: RuleContext) -> tuple[str, dict]:
    size = ctx.one([100, 250, 500, 1000])
    rule = {
        "all": [
            _c("employee_count", "gte", size),
            _c("lifecycle_stage", "eq", "active"),
            _c("country", "in", ctx.some(ALL_COUNTRIES, 2, 8)),
        ]
    }
    if size <= 250:
        rule["all"].append(_c("tech_savviness", "gte", ctx.rng.randint(2, 4)))
    return f"Large active partners ({size}+)", rule


def _revenue_band(ctx: RuleContext) -> tuple[str, dict]:
    low = ctx.one([1e6, 5e6, 2e7, 1e8])
    rule = {
        "all": [
            _c("annual_revenue", "between", [low, low * ctx.one([4, 10, 50])]),
            _c("partner_type", "in", ctx.some(PARTNER_TYPES, 2, 4)),
        ]
    }
    return f"Revenue band from {low:,.0f}", rule


def _new_partners(ctx: RuleContext) -> tuple[str, dict]:
    days = ctx.one([90, 180, 365, 730])
    rule = {
        "all": [
            _c("joined_at", "within_last_days", days),
            _c("lifecycle_stage", "in", ["applicant", "onboarding", "active"]),
        ]
    }
    return f"Joined in the last {days} days", rule


def _dormant(ctx: RuleContext) -> tuple[str, dict]:
    days = ctx.one([90, 180, 365])
    rule = {
        "all": [
            _c("last_activity_at", "more_than_days_ago", days),
            _c("lifecycle_stage", "ne", "churned"),
            _c("tier", "in", ctx.tiers[-ctx.rng.randint(2, 3) :]),
        ]
    }
    return f"No activity for {days}+ days", rule


def _tech_stack(ctx: RuleContext) -> tuple[str, dict]:
    techs = ctx.some(TECHNOLOGIES, 1, 3)
    rule = {
        "all": [
            _c("technologies", "has_any", techs),
            _c("tech_savviness", "gte", ctx.rng.randint(3, 5)),
        ]
    }
    if ctx.rng.random() < 0.5:
        rule["all"].append(_c("region", "ne", ctx.one(REGIONS)))
    return f"Tech: {', '.join(techs)}", rule


def _certified(ctx: RuleContext) -> tuple[str, dict]:
    cert = ctx.one(CERTIFICATIONS)
    rule = {"all": [_c("certifications", "has", cert), _c("tier", "in", ctx.some(ctx.tiers, 1, 3))]}
    return f"Certified {cert}", rule


def _needs_enablement(ctx: RuleContext) -> tuple[str, dict]:
    rule = {
        "all": [
            _c("certifications", "has_none", ctx.some(CERTIFICATIONS, 1, 3)),
            _c("tier", "at_least", ctx.tier(top=False)),
            _c("tech_savviness", "lte", 2),
            _c("lifecycle_stage", "in", ["onboarding", "active"]),
        ]
    }
    return "Needs enablement", rule


def _vertical(ctx: RuleContext) -> tuple[str, dict]:
    industry = ctx.one(INDUSTRIES)
    conditions = [_c("industries", "has", industry)]
    if ctx.rng.random() < 0.5:
        conditions.append(_c("region", "eq", ctx.one(REGIONS)))
    if ctx.rng.random() < 0.3:
        conditions.append(_c("industries", "has_all", ctx.some(INDUSTRIES, 2, 2)))
    return f"Vertical {industry}", {"all": conditions}


def _nested(ctx: RuleContext) -> tuple[str, dict]:
    rule = {
        "all": [
            _c("region", "in", ctx.some(REGIONS, 1, 2)),
            {
                "any": [
                    _c("technologies", "has_any", ctx.some(TECHNOLOGIES, 1, 2)),
                    _c("certifications", "has", ctx.one(CERTIFICATIONS)),
                    {
                        "all": [
                            _c("revenue_12m", "gte", ctx.one([1e5, 5e5, 2e6])),
                            _c("deals_won_12m", "gt", ctx.rng.randint(2, 10)),
                        ]
                    },
                ]
            },
            {"not": _c("lifecycle_stage", "in", ["dormant", "churned"])},
            {"not": {"any": [_c("partner_type", "eq", ctx.one(PARTNER_TYPES))]}},
        ]
    }
    return "Growth candidates", rule


def _attributes(ctx: RuleContext) -> tuple[str, dict]:
    conditions = ctx.rng.choice(
        [
            [_c("attributes.support_level", "eq", "premium")],
            [_c("attributes.nps", "gte", ctx.rng.randint(8, 10))],
            [_c("attributes.marketplace_listed", "eq", True), _c("region", "eq", ctx.one(REGIONS))],
            [_c("attributes.co_sell", "exists")],
            [_c("attributes.crm", "in", ["hubspot", "dynamics"]), _c("tech_savviness", "gte", 3)],
        ]
    )
    if len(conditions) == 1:
        conditions.append(_c("partner_type", "in", ctx.some(PARTNER_TYPES, 3, 5)))
    return f"Attribute {conditions[0]['field'].split('.', 1)[1]}", {"all": conditions}


def _engaged(ctx: RuleContext) -> tuple[str, dict]:
    score = ctx.one([50, 70, 85])
    rule = {
        "all": [
            _c("engagement_score", "gte", score),
            _c("revenue_12m", "lt", ctx.one([5e4, 2e5, 1e6])),
            _c("last_activity_at", "within_last_days", ctx.one([30, 90])),
        ]
    }
    return f"Engaged ({score}+) with low revenue", rule


def _broad(ctx: RuleContext) -> tuple[str, dict]:
    rule = ctx.rng.choice(
        [
            {"all": [_c("lifecycle_stage", "eq", "active")]},
            {"all": [_c("region", "not_in", ["latam"]), _c("tech_savviness", "gte", 2)]},
            {"any": [_c("technologies", "has_any", ["aws", "azure", "gcp"])]},
        ]
    )
    return "Broad audience", rule


def _derived(ctx: RuleContext) -> tuple[str, dict]:
    base = ctx.one(ctx.earlier)
    extra = ctx.rng.choice(
        [
            _c("tech_savviness", "gte", 3),
            _c("engagement_score", "gte", 40),
            _c("region", "in", ctx.some(REGIONS, 2, 3)),
            {"not": _c("certifications", "has", ctx.one(CERTIFICATIONS))},
        ]
    )
    conditions = [_c("segment", "in", base), extra]
    if len(ctx.earlier) > 2 and ctx.rng.random() < 0.4:
        other = ctx.one([slug for slug in ctx.earlier if slug != base])
        conditions.append(_c("segment", "not_in", [other]))
    return f"Within {base}", {"all": conditions}


# Weights: most segments are narrow (1-20% of partners); a few are broad.
TEMPLATES: list[tuple[Callable[[RuleContext], tuple[str, dict]], int]] = [
    (_regional_type, 12),
    (_top_tier, 8),
    (_large, 8),
    (_revenue_band, 8),
    (_new_partners, 6),
    (_dormant, 6),
    (_tech_stack, 10),
    (_certified, 8),
    (_needs_enablement, 6),
    (_vertical, 8),
    (_nested, 8),
    (_attributes, 8),
    (_engaged, 6),
    (_broad, 3),
]


def generate_rules(*, count: int, seed: int) -> list[tuple[str, str, dict]]:
    """`count` (slug, name, rule), deterministic for a seed; about one in ten names an
    earlier segment, so evaluation order matters."""
    tiers = list(Tier.objects.order_by("rank").values_list("slug", flat=True))
    ctx = RuleContext(rng=random.Random(seed), tiers=tiers)
    templates = [template for template, _ in TEMPLATES]
    if not tiers:
        templates = [t for t in templates if t not in (_top_tier, _dormant, _certified)]
        templates = [t for t in templates if t is not _needs_enablement]
    weights = [weight for template, weight in TEMPLATES if template in templates]
    rules = []
    for index in range(count):
        if index >= 5 and ctx.rng.random() < 0.10:
            name, rule = _derived(ctx)
        else:
            name, rule = ctx.rng.choices(templates, weights)[0](ctx)
        slug = f"{SEGMENT_PREFIX}{index + 1:03d}"
        rules.append((slug, f"{name} #{index + 1}", rule))
        ctx.earlier.append(slug)
    return rules


# ---------------------------------------------------------------------------------------
# The naive baseline: rules interpreted in Python over loaded partners
# ---------------------------------------------------------------------------------------


class NaiveEvaluator:
    """Evaluates the generated rules' operators over partner dicts (keys as Partner fields,
    plus industries/technologies/certifications as sets of slugs); same two-valued semantics
    as the SQL compiler."""

    def __init__(self, *, today: dt.date, tier_ranks: dict, tier_slugs: dict) -> None:
        self.today = today
        self.tier_ranks = tier_ranks  # tier id -> rank
        self.rank_of_slug = {slug: tier_ranks[tier_id] for tier_id, slug in tier_slugs.items()}
        self.slug_of_tier = tier_slugs
        self.members: dict[str, set[int]] = {}

    def matches(self, node: dict, partner: dict) -> bool:
        if "all" in node:
            return all(self.matches(child, partner) for child in node["all"])
        if "any" in node:
            return any(self.matches(child, partner) for child in node["any"])
        if "not" in node:
            return not self.matches(node["not"], partner)
        return self._condition(node["field"], node["op"], node.get("value"), partner)

    def _condition(self, name: str, op: str, value: Any, partner: dict) -> bool:
        negated = {"ne": "eq", "not_in": "in", "has_none": "has_any"}
        if op in negated:
            return not self._condition(name, negated[op], value, partner)
        if name == "segment":
            slugs = [value] if isinstance(value, str) else value
            return any(partner["id"] in self.members[slug] for slug in slugs)
        if name in ("industries", "technologies", "certifications"):
            tags = partner[name]
            wanted = [value] if op == "has" else value
            return set(wanted) <= tags if op == "has_all" else bool(tags.intersection(wanted))
        if name.startswith("attributes."):
            return self._attribute(partner["attributes"].get(name[11:]), op, value)
        if name == "tier":
            return self._tier(partner["tier_id"], op, value)
        actual = partner[name]
        if actual is None:
            return False
        if isinstance(actual, dt.datetime):
            actual = timezone.localtime(actual).date()
        if op in ("within_last_days", "more_than_days_ago"):
            since = self.today - dt.timedelta(days=value)
            return actual >= since if op == "within_last_days" else actual < since
        return _compare(actual, op, value)

    def _tier(self, tier_id: int | None, op: str, value: Any) -> bool:
        if tier_id is None:
            return False
        if op == "eq":
            return self.slug_of_tier[tier_id] == value
        if op == "in":
            return self.slug_of_tier[tier_id] in value
        rank, bound = self.tier_ranks[tier_id], self.rank_of_slug[value]
        return rank >= bound if op == "at_least" else rank <= bound

    @staticmethod
    def _attribute(actual: Any, op: str, value: Any) -> bool:
        if op == "exists":
            return actual is not None
        if op in ("eq", "in"):
            values = value if op == "in" else [value]
            return any(_same_json(actual, item) for item in values)
        number = isinstance(actual, int | float) and not isinstance(actual, bool)
        return number and _compare(actual, op, value)


def _same_json(actual: Any, value: Any) -> bool:
    if isinstance(value, bool) or isinstance(actual, bool):
        return type(actual) is type(value) and actual == value
    if isinstance(value, str) or isinstance(actual, str):
        return isinstance(actual, str) and isinstance(value, str) and actual == value
    return actual == value


def _compare(actual: Any, op: str, value: Any) -> bool:
    if op == "eq":
        return actual == value
    if op == "in":
        return actual in value
    if op == "gt":
        return actual > value
    if op == "gte":
        return actual >= value
    if op == "lt":
        return actual < value
    if op == "lte":
        return actual <= value
    if op == "between":
        return value[0] <= actual <= value[1]
    raise ValueError(f"the naive baseline does not know op {op!r}")


# ---------------------------------------------------------------------------------------
# Measurement helpers
# ---------------------------------------------------------------------------------------


@dataclass
class StatementTimer:
    """A connection.execute_wrapper that adds up time per kind of statement."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    evaluate_sql: list[tuple[str, Any, float]] = field(default_factory=list)
    keep_sql: bool = False

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            kind = _statement_kind(sql)
            self.seconds[kind] += elapsed
            self.counts[kind] += 1
            if kind == "evaluate" and self.keep_sql:
                self.evaluate_sql.append((sql, params, elapsed))


def _statement_kind(sql: str) -> str:
    head = sql.lstrip()[:80]
    if head.startswith("WITH matched"):
        return "evaluate"
    if head.startswith("INSERT INTO segments_recheck_matched"):
        return "match"
    if head.startswith("WITH level (segment_id, run_id)"):
        return "write"
    if head.startswith("ANALYZE"):
        return "analyze"
    if "segments_pendingpartnerchange" in head:
        return "queue"
    if "segments_evaluationrun" in head:
        return "runs"
    if "segments_segment" in head:
        return "segments"
    return "other"


@contextmanager
def timed_statements(*, keep_sql: bool = False) -> Iterator[StatementTimer]:
    """Time every statement by kind, and every COMMIT (where deferred FK checks run)."""
    timer = StatementTimer(keep_sql=keep_sql)
    wrapper = connections[DEFAULT_DB_ALIAS]
    commit = wrapper.commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            commit()
        finally:
            timer.seconds["commit"] += time.perf_counter() - started
            timer.counts["commit"] += 1

    with connection.execute_wrapper(timer), mock.patch.object(wrapper, "commit", timed_commit):
        yield timer


class HeldTasks:
    """Stands in for Celery's sending: counts what would be enqueued, per task, sends nothing."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)

    @property
    def total(self) -> int:
        return sum(self.calls.values())


@contextmanager
def tasks_held() -> Iterator[HeldTasks]:
    """The services (and the receivers of their signals in other apps) enqueue tasks on
    commit; the benchmark drives the segment work itself, so no broker is needed and no task
    runs eagerly inside a measurement."""
    held = HeldTasks()

    def apply_async(task, *args, **kwargs) -> None:
        held.calls[task.name] += 1

    with mock.patch.object(Task, "apply_async", apply_async):
        yield held
