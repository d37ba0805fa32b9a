"""`manage.py seed_demo`: realistic, deterministic demo data and the demo logins."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.demo import (
    DEMO_PREFIX,
    DemoDataExists,
    demo_flush,
    demo_logins_ensure,
    demo_seed,
)
from partners.models import Partner


class Command(BaseCommand):
    help = (
        "Seed realistic demo partners (external ids DEMO-0000001…) with contacts, tags, "
        "certifications and 24 months of performance. The same --partners and --seed give the "
        "same data; dates are relative to today. When any partner exists the command refuses, "
        "unless --if-empty (then it seeds nothing) or --flush (then it deletes the demo "
        "partners first; other partners are kept). Always ensures the demo logins "
        "manager/manager-demo (staff, superuser) and partner/partner-demo (linked to the first "
        "contact of DEMO-0000001)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--partners", type=int, default=2000, help="How many partners (default 2000)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed; same seed, same data (default 42)."
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--if-empty",
            action="store_true",
            help="Seed only if there are no partners at all; otherwise just ensure the logins.",
        )
        existing.add_argument(
            "--flush",
            action="store_true",
            help="Delete the demo partners (DEMO-…) and everything hanging off them first.",
        )

    def handle(self, *args, partners: int, seed: int, if_empty: bool, flush: bool, **options):
        if partners < 1:
            raise CommandError("--partners must be at least 1.")
        started = time.perf_counter()
        existing = Partner.objects.count()
        if existing and if_empty:
            self.stdout.write(f"{existing} partners exist already; no demo data seeded.")
        else:
            if flush:
                deleted = demo_flush()
                self.stdout.write(f"Deleted {deleted} demo partners ({DEMO_PREFIX}…).")
            elif existing:
                raise CommandError(
                    f"{existing} partners exist already. Use --if-empty to skip seeding, or "
                    f"--flush to delete the demo partners ({DEMO_PREFIX}…) and seed again."
                )
            try:
                counts = demo_seed(partners=partners, seed=seed)
            except DemoDataExists as error:
                raise CommandError(f"{error}; use --flush to replace them.") from error
            summary = ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {summary} (seed {seed}) in {time.perf_counter() - started:.1f}s."
                )
            )
        self.stdout.write("Demo logins:")
        for role, (username, password) in demo_logins_ensure().items():
            self.stdout.write(f"  {role:<16} {username} / {password}")
