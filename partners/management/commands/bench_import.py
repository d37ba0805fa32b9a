"""Time a partners import of N generated rows on the configured database: creates, then updates.

Both runs happen in one transaction that is rolled back at the end, so the database is left
as it was (only sequences move) and any database will do. Each figure runs from reading the
file to the end of the deferred foreign-key checks that a COMMIT would run (forced with
check_constraints()). Not included: the partners_changed receivers, which run only after a
real commit (in production they enqueue the segment re-evaluation as a Celery task).
"""

from __future__ import annotations

import cProfile
import csv
import io
import json
import pstats
import random
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from partners.imports import PARTNER_COLUMNS, partners_import
from partners.models import Partner

PREFIX = "PRM-BENCH-"
TIERS = ["registered"] * 45 + ["silver"] * 25 + ["gold"] * 18 + ["platinum"] * 7 + [""] * 5
REGIONS = {
    "na": ["US", "CA", "MX"],
    "latam": ["BR", "AR", "CL", "CO", "PE"],
    "emea": ["DE", "FR", "GB", "IT", "ES", "NL", "SE", "PL", "AE", "ZA"],
    "apac": ["JP", "AU", "IN", "SG", "KR", "NZ"],
}
PARTNER_TYPES = ["reseller", "var", "msp", "referral", "alliance", "distributor", "isv", "si"]
STAGES = ["applicant", "onboarding", "active", "active", "active", "dormant", "churned"]
INDUSTRIES = [
    "finance", "healthcare", "education", "retail", "manufacturing", "energy",
    "logistics", "media", "public-sector", "telecom", "hospitality", "insurance",
]  # fmt: skip
TECHNOLOGIES = [
    "aws", "azure", "gcp", "security", "networking", "data-analytics", "ai-ml",
    "crm", "erp", "devops", "storage", "collaboration",
]  # fmt: skip
CERTIFICATIONS = [
    "sales-foundations", "technical-associate", "cloud-architect", "security-specialist",
    "support-pro", "data-engineer",
]  # fmt: skip
NAME_WORDS = ["Apex", "Orbit", "Nimbus", "Vertex", "Blue", "North", "Summit", "Atlas", "Nova"]
NAME_KINDS = ["Solutions", "Partners", "Data", "Systems", "Consulting", "Networks", "Cloud"]


def _partner_row(rng: random.Random, number: int) -> list:
    def maybe(value, empty_rate: float = 0.05):
        return "" if rng.random() < empty_rate else value

    region = rng.choice(list(REGIONS))
    joined_at = f"{rng.randint(2010, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return [
        f"{PREFIX}{number:07d}",
        f"{rng.choice(NAME_WORDS)} {rng.choice(NAME_KINDS)} {number}",
        rng.choice(PARTNER_TYPES),
        rng.choice(TIERS),
        maybe(region),
        maybe(rng.choice(REGIONS[region])),
        maybe(int(rng.lognormvariate(4, 1.5))),
        maybe(f"{rng.lognormvariate(15, 2):.2f}"),
        rng.choice(STAGES),
        maybe(joined_at),
        maybe(rng.randint(1, 5)),
        ";".join(rng.sample(INDUSTRIES, rng.randint(0, 3))),
        ";".join(rng.sample(TECHNOLOGIES, rng.randint(0, 3))),
        ";".join(rng.sample(CERTIFICATIONS, rng.choice([0, 0, 1, 1, 2]))),
        maybe(f"{rng.lognormvariate(12, 2):.2f}", 0.2),
        maybe(rng.randint(0, 300), 0.2),
    ]


def write_partners_csv(path: Path, *, rows: int, seed: int) -> None:
    """A realistic partners file: the same external_ids for any seed, other values vary."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PARTNER_COLUMNS)
        writer.writerows(_partner_row(rng, number) for number in range(rows))


class Command(BaseCommand):
    help = "Benchmark the partners import: N generated rows created, then updated."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--profile", action="store_true", help="Print the top functions of each run."
        )

    def handle(self, *args, rows: int, seed: int, profile: bool, **options):
        if Partner.objects.filter(external_id__startswith=PREFIX).exists():
            raise CommandError(f"Partners with external_id {PREFIX}… exist; delete them first.")
        timings = {}
        with tempfile.TemporaryDirectory(prefix="prm-bench-") as folder, transaction.atomic():
            for run, label in enumerate(("create", "update")):
                path = Path(folder) / f"partners-{label}.csv"
                write_partners_csv(path, rows=rows, seed=seed + run)
                timings[label] = self._timed_import(path, profile=profile)
            transaction.set_rollback(True)
        self.stdout.write("rolled back: the database is as it was")
        self.stdout.write(
            json.dumps({"rows": rows, "create_s": timings["create"], "update_s": timings["update"]})
        )

    def _timed_import(self, path: Path, *, profile: bool) -> float:
        profiler = cProfile.Profile() if profile else None
        with path.open("rb") as handle:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            result = partners_import(file=handle, filename=path.name)
            connection.check_constraints()
            if profiler:
                profiler.disable()
            seconds = round(time.perf_counter() - started, 2)
        self.stdout.write(
            f"{path.stem}: {path.stat().st_size / 2**20:.1f} MiB in {seconds:.2f} s: "
            f"created {result.created}, updated {result.updated}"
        )
        if profiler:
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(30)
            self.stdout.write(stream.getvalue())
        return seconds
