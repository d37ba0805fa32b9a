"""Writing a drawn plan: the tag, certification and tier catalogue the demo needs, then
partners, their certifications, contacts and 24 months of performance, each in one bulk
insert."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from partners.demo.bulk import _rows_write
from partners.demo.generation import _ascii, _external_id, _nth
from partners.demo.vocabulary import (
    CERTIFICATIONS,
    COUNTRIES,
    DEMO_PREFIX,
    INDUSTRIES,
    INTERESTS,
    JOB_TITLES,
    MONTHS,
    NAMES,
    SEASONALITY,
    STAGE,
    TECHNOLOGIES,
    TIERS,
    TYPE_PROFILE,
    VENDOR_SHARE,
    _words,
)
from partners.models import (
    Certification,
    Contact,
    ContactRole,
    Industry,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    PerformanceRecord,
    Technology,
    Tier,
)
from partners.services import month_start


def _catalogue_ensure() -> dict:
    """Tags and certifications the demo uses (existing rows are kept as the vendor edited them)."""
    catalogue = {}
    for key, tag_model, names in (
        ("industries", Industry, INDUSTRIES),
        ("technologies", Technology, TECHNOLOGIES),
        ("certifications", Certification, {s: v[0] for s, v in CERTIFICATIONS.items()}),
    ):
        tag_model.objects.bulk_create(
            [
                tag_model(slug=slug, name=name)
                if tag_model is not Certification
                else tag_model(slug=slug, name=name, validity_days=CERTIFICATIONS[slug][1])
                for slug, name in names.items()
            ],
            ignore_conflicts=True,
        )
        catalogue[key] = dict(tag_model.objects.filter(slug__in=names).values_list("slug", "id"))
    catalogue["validity"] = dict(
        Certification.objects.filter(slug__in=CERTIFICATIONS).values_list("slug", "validity_days")
    )
    catalogue["tiers"] = dict(Tier.objects.filter(slug__in=TIERS).values_list("slug", "id"))
    return catalogue


def _partners_write(plan: dict, *, tier_ids: dict[str, int], today: dt.date) -> list[int]:
    now = timezone.now()
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    joined = plan["joined"].tolist()
    tiers = [None, *(tier_ids.get(slug) for slug in TIERS)]

    def rows():
        for i in range(plan["n"]):
            attributes = {
                "crm_owner": plan["crm_owner"][i],
                "partner_program": TYPE_PROFILE[plan["type"][i]][3],
                "nda_signed": bool(plan["nda_signed"][i]),
            }
            if plan["mdf_budget"][i]:
                attributes["mdf_budget"] = int(plan["mdf_budget"][i])
            if plan["type"][i] == PartnerType.MSP:
                attributes["sla"] = "premium" if plan["premium_sla"][i] else "standard"
            if plan["stage"][i] in (LifecycleStage.APPLICANT, LifecycleStage.ONBOARDING):
                attributes["onboarding_cohort"] = f"{joined[i].year}-Q{(joined[i].month + 2) // 3}"
            yield (
                f"{plan['name'][i]} {plan['legal'][i]}",
                _external_id(i),
                plan["type"][i],
                tiers[plan["tier"][i]],
                plan["region"][i],
                plan["country"][i],
                int(plan["employees"][i]) if plan["employees_known"][i] else None,
                Decimal(int(round(plan["revenue"][i], -3))) if plan["revenue_known"][i] else None,
                plan["stage"][i],
                joined[i],
                int(plan["savviness"][i]),
                float(plan["engagement"][i]),
                None if np.isnan(plan["enablement"][i]) else float(plan["enablement"][i]),
                day_start - dt.timedelta(seconds=int(plan["last_activity_seconds"][i])),
                attributes,
                now,
                now,
            )

    fields = ["name", "external_id", "partner_type", "tier_id", "region", "country",
              "employee_count", "annual_revenue", "lifecycle_stage", "joined_at",
              "tech_savviness", "engagement_score", "enablement_completion_pct", "last_activity_at",
              "attributes",
              "created_at", "updated_at"]  # fmt: skip
    _rows_write(Partner, fields, rows())
    id_by_external = dict(
        Partner.objects.filter(external_id__startswith=DEMO_PREFIX).values_list("external_id", "id")
    )
    return [id_by_external[_external_id(i)] for i in range(plan["n"])]


def _certifications_write(
    rng: np.random.Generator, *, plan: dict, ids: list[int], catalogue: dict, today: dt.date
) -> int:
    slugs = list(CERTIFICATIONS)
    cert_ids, validity = catalogue["certifications"], catalogue["validity"]
    # Better tiers hold more certifications; applicants none yet.
    lowest = np.array([0, 0, 1, 2, 3])[plan["tier"]]
    sizes = np.minimum(lowest + rng.integers(0, 3, plan["n"]), len(slugs))
    sizes[plan["stage_index"] == STAGE["applicant"]] = 0
    order = np.argsort(rng.random((plan["n"], len(slugs))), axis=1)
    ages = (
        rng.random((plan["n"], len(slugs))) ** 1.5 * np.minimum(plan["days_joined"], 1460)[:, None]
    )
    ages[0] = np.minimum(ages[0], 200)  # the showcase partner's certifications are current

    def rows():
        for i in range(plan["n"]):
            for k, j in enumerate(order[i, : sizes[i]].tolist()):
                earned = today - dt.timedelta(days=int(ages[i, k]))
                days = validity[slugs[j]]
                expires = earned + dt.timedelta(days=days) if days is not None else None
                yield ids[i], cert_ids[slugs[j]], earned, expires

    fields = ["partner_id", "certification_id", "earned_at", "expires_at"]
    return _rows_write(PartnerCertification, fields, rows())


def _contacts_write(rng: np.random.Generator, *, plan: dict, ids: list[int]) -> int:
    n = plan["n"]
    size_rank = np.log(plan["employees"]) / np.log(250_000)
    counts = 1 + rng.binomial(4, np.clip(0.3 + 0.6 * size_rank, 0, 0.9))
    total = int(counts.sum())
    role_offset = rng.integers(0, 4, n)
    draws = rng.random((total, 10))
    roles = list(ContactRole.values)
    now = timezone.now()
    pools = {culture: (_words(first), _words(last)) for culture, (first, last) in NAMES.items()}
    used_domains: set[str] = set()

    def rows():
        row = 0
        for i in range(n):
            _, languages, culture, _, dial = COUNTRIES[plan["region"][i]][plan["country"][i]]
            first_names, last_names = pools[culture]
            domain = _ascii(plan["name"][i])
            others = [*languages[1:], "en"]
            domain = f"{domain}-{i + 1}" if domain in used_domains else domain
            used_domains.add(domain)
            taken: set[str] = set()
            for k in range(counts[i]):
                u = draws[row]
                row += 1
                first, last = _nth(first_names, u[0]), _nth(last_names, u[1])
                local = f"{_ascii(first)}.{_ascii(last)}".replace("-", "")
                local = f"{local}{k + 1}" if local in taken else local
                taken.add(local)
                role = roles[(role_offset[i] + k) % len(roles)]
                # Mostly the country's main language, else another one of it or English.
                language = languages[0] if u[2] < 0.75 else _nth(others, (u[2] - 0.75) * 4)
                interests = {_nth(INTERESTS, x * 2) for x in u[4:7] if x < 0.5}
                yield (
                    ids[i],
                    first,
                    last,
                    f"{local}@{domain}.example",
                    f"+{dial} {int(u[8] * 900) + 100} {int(u[8] * 1e7) % 10_000:04d}"
                    if u[7] < 0.8
                    else "",
                    _nth(JOB_TITLES[role], u[3]),
                    role,
                    sorted(interests),
                    language,
                    bool(u[9] < 0.85),
                    now,
                    now,
                )

    fields = ["partner_id", "first_name", "last_name", "email", "phone", "job_title", "role",
              "interests", "language", "email_opt_in", "created_at", "updated_at"]  # fmt: skip
    return _rows_write(Contact, fields, rows())


def _performance_write(
    rng: np.random.Generator, *, plan: dict, ids: list[int], today: dt.date
) -> int:
    """24 monthly records per partner, ending with the current month, sized by company size
    and tier (the vendor's share), seasonal, growing, and zero before joining or after churn."""
    n = plan["n"]
    first = month_start(today) - relativedelta(months=MONTHS - 1)
    months = [first + relativedelta(months=t) for t in range(MONTHS)]
    t = np.arange(MONTHS)
    joined_month = (plan["joined"].astype("datetime64[M]") - np.datetime64(first, "M")).astype(int)
    factor = np.where(t[None, :] >= joined_month[:, None], 1.0, 0.0)
    stage = plan["stage_index"]
    # New partners close their first deals after a quarter, then ramp up over six months.
    ramp = np.clip((t[None, :] - joined_month[:, None] - 2) / 6, 0, 1)
    factor = np.where((stage == STAGE["onboarding"])[:, None], factor * ramp * 0.5, factor)
    factor[stage == STAGE["applicant"]] = 0
    # Churned partners stopped before the last quarter; dormant ones have faded out steadily
    # over the two years (a step in the last months would make every forecast of them miss).
    stop = MONTHS - rng.integers(6, 16, n)
    churned = (stage == STAGE["churned"])[:, None] & (t[None, :] >= stop[:, None])
    fade_start = rng.integers(0, 6, n)
    fade_span = (MONTHS - fade_start)[:, None]
    fade = np.clip(1 - 0.7 * (t[None, :] - fade_start[:, None]) / fade_span, 0.3, 1)
    dormant = (stage == STAGE["dormant"])[:, None]
    factor = np.where(churned, 0, np.where(dormant, factor * fade, factor))

    growth = rng.lognormal(np.log(1.08), 0.15, n)[:, None] ** ((t[None, :] - MONTHS + 1) / 12)
    seasonal = SEASONALITY[[m.month - 1 for m in months]][None, :]
    monthly = plan["revenue"] * VENDOR_SHARE[plan["tier"]] * rng.lognormal(0, 0.3, n) / 12
    expected = monthly[:, None] * seasonal * growth * factor
    deal_size = 5000 * plan["employees"] ** 0.35 * rng.lognormal(0, 0.35, n)
    rate = expected / deal_size[:, None]
    # A month with revenue has closed at least one deal (a small one, for a small partner).
    won = np.where(expected > 0, np.maximum(rng.poisson(rate), 1), 0)
    win_rate = np.clip(rng.beta(4, 6, n) + 0.04 * plan["tier"], 0.1, 0.8)[:, None]
    registered = won + rng.poisson(rate * (1 - win_rate) / win_rate)
    # Revenue is the month's expected figure with modest noise (renewals and running deals
    # as well as the new ones), so that trends and back-tests have a signal to find.
    cents = np.rint(expected * rng.lognormal(0, 0.12, (n, MONTHS)) * 100).astype(np.int64)
    partner_ids = np.asarray(ids)
    month_texts = [month.isoformat() for month in months]

    def rows():
        # Dates and amounts as text, which COPY takes as is and Django's fields parse: this is
        # 2.4 million rows at 100,000 partners, so per-value Python objects count.
        for start in range(0, n, 10_000):
            block = slice(start, start + 10_000)
            yield from zip(
                np.repeat(partner_ids[block], MONTHS).tolist(),
                month_texts * len(partner_ids[block]),
                [f"{c // 100}.{c % 100:02d}" for c in cents[block].ravel().tolist()],
                registered[block].ravel().tolist(),
                won[block].ravel().tolist(),
                strict=True,
            )

    fields = ["partner_id", "month", "revenue", "deals_registered", "deals_won"]
    return _rows_write(PerformanceRecord, fields, rows())
