"""The deals benchmark's parts (used by `manage.py bench_deals`; nothing here runs in the
product): set-based generation of accounts and registrations on PostgreSQL (INSERT … SELECT
over generate_series with setseed(), so millions of rows take seconds and a seed gives the same
rows), and the measurements:

- the conflict check a submission runs (deals.conflicts: conflicts_lock + conflicts_record, as
  deal_submit calls them) on sample submissions: a known customer's domain, a known name under
  another legal form without a domain (the trigram path), a new customer;
- the API's create + submit through the Django test client, when the API is routed;
- the SLA sweep (deals_mark_overdue, deals_expire_due, deals_remind_expiring) over the whole
  table, then again with nothing left to do (the idle sweep the beat runs most of the time);
- the review queue's page: its queries, for a small and a large page (constant whatever the
  number of pending registrations), and the staff page itself.

Measurements that write run in a transaction rolled back afterwards, so the generated data
stays as generated and a second run measures the same thing. Task enqueues on commit are held
(segments.bench.tasks_held): no broker is needed and no eager task runs inside a measurement.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from deals import selectors, services
from deals.conflicts import conflicts_lock, conflicts_record
from deals.models import Account, DealRegistration, DealStatus
from partners.models import Contact, Partner
from segments import bench as segments_bench

PARTNER_PREFIX = segments_bench.PREFIX
MANAGER_USERNAME = "bench-deals-manager"
PARTNER_USERNAME = "bench-deals-partner"
COUNTRIES = ["US", "US", "US", "DE", "DE", "GB", "FR", "NL", "JP", "AU", "BR", "CA", "IN", "ES"]
LEGAL = ["Inc.", "LLC", "GmbH", "AG", "Ltd", "plc", "SAS", "B.V.", "K.K.", "Pty Ltd", "S.A."]
KINDS = [
    "Logistics", "Health", "Bank", "Foods", "Energy", "Telecom", "Media", "Engineering",
    "Retail", "Insurance", "Manufacturing", "Transit", "Mining", "Systems",
]  # fmt: skip
# status: share of the registrations
STATUSES = {
    "draft": 0.05, "submitted": 0.05, "approved": 0.20, "won": 0.30, "lost": 0.15,
    "rejected": 0.10, "withdrawn": 0.05, "expired": 0.10,
}  # fmt: skip
# Targets printed next to the figures.
TARGET_CONFLICT_P95_MS = 25.0
TARGET_SWEEP_S = 5.0


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]"


SYLLABLES = [
    "ba", "ke", "lo", "mi", "nu", "ra", "se", "to", "vi", "zo", "da", "fe", "go", "hi",
    "ju", "la", "me", "no", "pa", "ri", "sa", "te", "vo", "wa",
]  # fmt: skip


def _syllables(count: int) -> str:
    return " || ".join(
        f"({_array(SYLLABLES)})[1 + floor(random() * {len(SYLLABLES)})::int]" for _ in range(count)
    )


def _pick(column: str, weights: dict[str, float]) -> str:
    arms, bound = [], 0.0
    for value, share in weights.items():
        bound += share
        arms.append(f"WHEN {column} < {bound:.4f} THEN '{value}'")
    return f"CASE {' '.join(arms)} ELSE '{next(iter(weights))}' END"


# A made-up word of four syllables names each customer ("Kelomira Logistics GmbH"): names
# as varied as real ones, so the name check finds the same customer, not every customer
# whose name shares a common word (a number in a name would make most names look alike).
ACCOUNTS_SQL = f"""
    INSERT INTO deals_account (name, normalized_name, domain, country, created_at)
    SELECT initcap(w1) || ' ' || k || ' ' || legal,
           lower(w1 || ' ' || k),
           -- one in ten customers is registered without a web domain
           CASE WHEN r4 < 0.1 THEN '' ELSE w1 || '-' || lower(k) || '-' || i || '.com' END,
           country, now()
    FROM (
        SELECT i,
               {_syllables(4)} AS w1,
               ({_array(KINDS)})[1 + floor(random() * {len(KINDS)})::int] AS k,
               ({_array(LEGAL)})[1 + floor(random() * {len(LEGAL)})::int] AS legal,
               ({_array(COUNTRIES)})[1 + floor(random() * {len(COUNTRIES)})::int] AS country,
               random() AS r4
        FROM generate_series(1, %(n)s) AS i OFFSET 0
    ) raw
"""

# Timestamps by state, relative to now: `age` days since creation (within a year); submitted
# a day or two later, decided a few days after, closed within the protection. Submitted ones:
# a third past their review time. Approved ones: protection ending from 10 days ago (the
# sweep expires them) to 180 days ahead, some within the reminder window.
REGISTRATIONS_SQL = f"""
    INSERT INTO deals_dealregistration (
        partner_id, account_id, name, amount, currency, expected_close_date, notes, attachment,
        status, submitted_at, review_due_at, decided_at, decision_reason, protection_ends_on,
        closed_at, discount_pct, rebate_pct, protection_days, incentive_explanation,
        has_conflict, extension_status, extension_reason, created_at, updated_at)
    SELECT
        partner_ids[1 + floor(r1 * cardinality(partner_ids))::int],
        account_min + floor(r2 * account_count)::bigint,
        'Opportunity ' || i,
        round((3000 * power(500, r3))::numeric, 2),
        CASE WHEN r4 < 0.7 THEN 'USD' ELSE 'EUR' END,
        CURRENT_DATE + (floor(r5 * 240)::int - 60),
        '', '',
        status,
        CASE WHEN status = 'draft' THEN NULL
             WHEN status = 'submitted' THEN now() - make_interval(secs => r6 * 6 * 86400)
             ELSE now() - make_interval(secs => age * 86400) + interval '1 day' END,
        CASE WHEN status = 'submitted'
             THEN now() - make_interval(secs => r6 * 6 * 86400) + interval '2 days' END,
        CASE WHEN status IN ('approved', 'won', 'lost', 'expired', 'rejected')
             THEN now() - make_interval(secs => age * 86400) + interval '3 days' END,
        CASE WHEN status = 'rejected' THEN 'Not enough detail.' ELSE '' END,
        CASE WHEN status = 'approved' THEN CURRENT_DATE + (floor(r7 * 190)::int - 10)
             WHEN status IN ('won', 'lost', 'expired')
             THEN CURRENT_DATE - floor(r7 * 100)::int END,
        CASE WHEN status IN ('won', 'lost', 'expired')
             THEN now() - make_interval(secs => r7 * 100 * 86400) END,
        CASE WHEN status IN ('approved', 'won', 'lost', 'expired') THEN 8 END,
        CASE WHEN status IN ('approved', 'won', 'lost', 'expired') THEN 3 END,
        CASE WHEN status IN ('approved', 'won', 'lost', 'expired') THEN 90 END,
        '{{}}'::jsonb, false, 'none', '',
        now() - make_interval(secs => age * 86400),
        now()
    FROM (
        SELECT i, r1, r2, r3, r4, r5, r6, r7,
               {_pick("r8", STATUSES)} AS status,
               -- submitted ones are recent; the others spread over the year
               CASE WHEN r8 >= 0.05 AND r8 < 0.10 THEN r6 * 6 + 1 ELSE 100 + r9 * 260 END AS age
        FROM (
            SELECT i, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                   random() AS r5, random() AS r6, random() AS r7, random() AS r8,
                   random() AS r9
            FROM generate_series(1, %(n)s) AS i OFFSET 0
        ) raw
        OFFSET 0
    ) shaped,
    (SELECT array_agg(id ORDER BY id) AS partner_ids FROM partners_partner
     WHERE external_id LIKE %(prefix)s) partners,
    (SELECT min(id) AS account_min, count(*) AS account_count FROM deals_account) accounts
"""

# The benchmark's tables, emptied by a regeneration (partners too: they are generated).
WIPE_SQL = (
    "TRUNCATE deals_dealconflict, deals_dealtransition, deals_dealregistration_technologies, "
    "deals_dealregistration, deals_partnerdealstats, deals_account, partners_partner, "
    "segments_membership, segments_membershipevent, segments_pendingpartnerchange "
    "RESTART IDENTITY CASCADE"
)


def data_counts() -> dict[str, int]:
    return {
        "partners": Partner.objects.filter(external_id__startswith=PARTNER_PREFIX).count(),
        "accounts": Account.objects.count(),
        "registrations": DealRegistration.objects.count(),
    }


def generate(*, accounts: int, registrations: int, partners: int, seed: int) -> dict[str, float]:
    """Empty the deals and partner tables and generate the data; seconds per step."""
    timings: dict[str, float] = {}
    with connection.cursor() as cursor:
        cursor.execute(WIPE_SQL)
    started = time.perf_counter()
    segments_bench.generate_partners(partners=partners, seed=seed)
    timings["partners"] = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", (((seed * 7919) % 20001) / 10000.0 - 1.0,))
        started = time.perf_counter()
        cursor.execute(ACCOUNTS_SQL, {"n": accounts})
        timings["accounts"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(REGISTRATIONS_SQL, {"n": registrations, "prefix": PARTNER_PREFIX + "%"})
        timings["registrations"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("deals_account", "deals_dealregistration", "partners_partner"):
            cursor.execute(f"ANALYZE {table}")
    timings["analyze"] = time.perf_counter() - started
    return timings


# -- measurements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Percentiles:
    p50_ms: float
    p95_ms: float
    samples: int

    @classmethod
    def of(cls, seconds: list[float]) -> Percentiles:
        ordered = sorted(seconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return cls(statistics.median(ordered) * 1000, p95 * 1000, len(ordered))


def _sample_customers(rng: random.Random, count: int) -> list[dict]:
    """Submission inputs: half a known customer's domain, a quarter a known name under
    another legal form without a domain (same country), a quarter a new customer."""
    last = Account.objects.order_by("-id").values_list("id", flat=True).first() or 0
    picks = [rng.randint(1, last) for _ in range(count)] if last else []
    known = {
        row["id"]: row
        for row in Account.objects.filter(pk__in=picks).values("id", "name", "domain", "country")
    }
    inputs = []
    for index, pk in enumerate(picks):
        row = known.get(pk)
        kind = index % 4
        if row is None or kind == 3:
            inputs.append(
                {"name": f"Brand New Customer {index} Ltd", "domain": f"brand-new-{index}.com",
                 "country": "GB", "kind": "new"}
            )  # fmt: skip
        elif kind == 2 or not row["domain"]:
            # the same company under another legal form: "Kelomira Logistics Holdings"
            name = " ".join(row["name"].split()[:2]) + " Holdings"
            inputs.append({"name": name, "domain": "", "country": row["country"], "kind": "name"})
        else:
            inputs.append(
                {"name": row["name"], "domain": row["domain"], "country": row["country"],
                 "kind": "domain"}
            )  # fmt: skip
    return inputs


def measure_conflict_check(*, samples: int = 200, seed: int = 1) -> dict:
    """deal_submit's conflict check (lock + find + record) on `samples` drafts, each in a
    transaction rolled back; p50/p95 in ms, and how many found a conflict."""
    rng = random.Random(seed)
    partner_ids = list(
        Partner.objects.filter(external_id__startswith=PARTNER_PREFIX)
        .order_by("id")
        .values_list("id", flat=True)[:500]
    )
    timings, flagged = [], 0
    by_kind: dict[str, list[float]] = {}
    close = timezone.localdate() + dt.timedelta(days=60)
    for item in _sample_customers(rng, samples):
        with transaction.atomic():
            account = services.account_get_or_create(
                name=item["name"], domain=item["domain"], country=item["country"]
            )
            deal = DealRegistration.objects.create(
                partner_id=rng.choice(partner_ids),
                account=account,
                name="Benchmark submission",
                amount=Decimal("50000"),
                currency="USD",
                expected_close_date=close,
            )
            deal.account = account
            started = time.perf_counter()
            conflicts_lock(deal=deal)
            found = conflicts_record(deal=deal)
            timings.append(time.perf_counter() - started)
            by_kind.setdefault(item["kind"], []).append(timings[-1])
            flagged += bool(found)
            transaction.set_rollback(True)
    figures = Percentiles.of(timings) if timings else Percentiles(0, 0, 0)
    return {
        "conflict_p50_ms": round(figures.p50_ms, 2),
        "conflict_p95_ms": round(figures.p95_ms, 2),
        "conflict_samples": figures.samples,
        "conflict_flagged": flagged,
        # which path is slow: a known domain, a known name without one, a new customer
        "conflict_p95_ms_by_kind": {
            kind: round(Percentiles.of(times).p95_ms, 2) for kind, times in sorted(by_kind.items())
        },
    }


def _logins() -> tuple:
    """A staff login, and a partner login on a contact of the first benchmark partner."""
    users = get_user_model()
    manager, _ = users.objects.get_or_create(username=MANAGER_USERNAME)
    manager.is_staff = manager.is_superuser = manager.is_active = True
    manager.save()
    partner = Partner.objects.filter(external_id__startswith=PARTNER_PREFIX).order_by("id").first()
    user, _ = users.objects.get_or_create(username=PARTNER_USERNAME)
    user.is_active, user.is_staff = True, False
    user.save()
    if partner is not None:
        Contact.objects.filter(user=user).exclude(partner=partner).update(user=None)
        Contact.objects.get_or_create(
            email="bench-deals-partner@bench.example.com",
            defaults={
                "partner": partner,
                "first_name": "Bench",
                "role": "sales",
                "user": user,
                "is_partner_admin": True,
            },
        )
    return manager, user


def _api_routes() -> bool:
    """Whether /api/deals/ is a route of its own (the API's catch-all 404 is none)."""
    try:
        match = resolve("/api/deals/")
    except Resolver404:
        return False
    return match.func.__name__ != "api_not_found"


def measure_api_submit(*, samples: int = 50, seed: int = 1) -> dict:
    """POST /api/deals/ then POST /api/deals/<id>/submit/ as a partner user, each pair in a
    transaction rolled back; p50/p95 of the pair in ms. Skipped (with the reason) when the
    API is not routed in this build."""
    if not _api_routes():
        return {"api_skipped": "no route for /api/deals/ in this build"}
    rng = random.Random(seed)
    _, user = _logins()
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host outside tests
    client.force_login(user)
    timings, failures = [], []
    close = (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    for item in _sample_customers(rng, samples):
        with transaction.atomic():
            started = time.perf_counter()
            created = client.post(
                "/api/deals/",
                {
                    "account": {
                        "name": item["name"],
                        "domain": item["domain"],
                        "country": item["country"],
                    },
                    "name": "Benchmark submission",
                    "amount": "50000.00",
                    "currency": "USD",
                    "expected_close_date": close,
                },
                content_type="application/json",
            )
            if created.status_code == 201:
                deal_id = created.json().get("id")
                submitted = client.post(f"/api/deals/{deal_id}/submit/")
                if submitted.status_code >= 300:
                    failures.append(f"submit {submitted.status_code}")
            else:
                failures.append(f"create {created.status_code}")
            timings.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    if failures:
        return {"api_skipped": f"the API refused the requests: {sorted(set(failures))}"}
    figures = Percentiles.of(timings)
    return {
        "api_submit_p50_ms": round(figures.p50_ms, 2),
        "api_submit_p95_ms": round(figures.p95_ms, 2),
        "api_samples": figures.samples,
    }


def _sweep() -> dict[str, int]:
    return {
        "overdue": len(services.deals_mark_overdue()),
        "expired": len(services.deals_expire_due()),
        "reminded": len(services.deals_remind_expiring()),
    }


def measure_sweep() -> dict:
    """The SLA sweep over the whole table, then again with nothing left (the idle sweep),
    in a transaction rolled back (the data stays as generated)."""
    with segments_bench.tasks_held(), transaction.atomic():
        started = time.perf_counter()
        full = _sweep()
        full_s = time.perf_counter() - started
        started = time.perf_counter()
        idle = _sweep()
        idle_s = time.perf_counter() - started
        transaction.set_rollback(True)
    return {
        "sweep_s": round(full_s, 3),
        "sweep_rows": full,
        "sweep_idle_s": round(idle_s, 4),
        "sweep_idle_rows": idle,
    }


def _queue_page_queries(size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        for deal in selectors.deal_review_queue()[:size]:
            # what a row shows: its partner, tier, customer, submitter, SLA and conflicts
            _ = (deal.partner.name, deal.partner.tier, deal.account.name, deal.submitted_by)
            _ = (deal.is_overdue, deal.conflict_count)
    return len(queries)


def measure_review_queue() -> dict:
    """Queries of a review-queue page of 10 and of 50 rows (the same when constant), and of
    the staff page itself, with every pending registration in the queue."""
    pending = DealRegistration.objects.filter(status=DealStatus.SUBMITTED).count()
    small, large = _queue_page_queries(10), _queue_page_queries(50)
    manager, _ = _logins()
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host outside tests
    client.force_login(manager)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("deals:review_queue"))
    page_ms = (time.perf_counter() - started) * 1000
    return {
        "queue_pending": pending,
        "queue_queries_10": small,
        "queue_queries_50": large,
        "queue_page_status": response.status_code,
        "queue_page_queries": len(queries),
        "queue_page_ms": round(page_ms, 1),
    }


def _vacuum() -> None:
    """Each measurement writes and rolls back, which leaves dead rows (and index entries)
    behind; a run starts from tables as autovacuum keeps them, not as the last run left them.
    (Not inside a transaction, where VACUUM cannot run: the tests' small runs.)"""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in ("deals_dealregistration", "deals_account", "deals_dealtransition"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def measure_all(*, samples: int = 200, api_samples: int = 50, seed: int = 1) -> dict:
    _vacuum()
    figures: dict = {}
    figures.update(measure_conflict_check(samples=samples, seed=seed))
    figures.update(measure_api_submit(samples=api_samples, seed=seed))
    figures.update(measure_sweep())
    figures.update(measure_review_queue())
    return figures
