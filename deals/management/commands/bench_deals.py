"""`manage.py bench_deals`: deal registration at scale on a PostgreSQL database of its own.

On --database (default prm_bench_deals; created when missing, migrated) it generates
--partners partners, --accounts end customers and --registrations registrations in every
state, set-based (deals.bench), unless the database already holds exactly those counts (then
they are reused; --regenerate forces a new set). Then it measures, and prints with targets:
the conflict check of a submission (p50/p95), the API's create + submit when routed, the SLA
sweep over the whole table and idle, and the review queue's queries. The last line is JSON.

The database is emptied of partners and deals on generation: the command refuses one that
holds partners that are not the benchmark's.
"""

from __future__ import annotations

import json
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from deals import bench
from partners.models import Partner


class Command(BaseCommand):
    help = "Benchmark deal registration: conflict check, API submit, SLA sweep, review queue."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=1_000_000)
        parser.add_argument("--registrations", type=int, default=2_000_000)
        parser.add_argument("--partners", type=int, default=5_000)
        parser.add_argument("--samples", type=int, default=200, help="Conflict checks timed.")
        parser.add_argument("--api-samples", type=int, default=50, help="API submits timed.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--database", default="prm_bench_deals", help="Database name (created when missing)."
        )
        parser.add_argument(
            "--regenerate", action="store_true", help="Generate the data even if it is there."
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_deals needs PostgreSQL (set DATABASE_URL).")
        for name in ("accounts", "registrations", "partners", "samples"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1.")
        self._use_database(options["database"])
        call_command("migrate", verbosity=0, interactive=False)
        self._prepare(options)
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        self._line(f"== measuring on {connection.settings_dict['NAME']}, load average {load}")
        figures = bench.measure_all(
            samples=options["samples"], api_samples=options["api_samples"], seed=options["seed"]
        )
        self._report(figures, options)

    def _use_database(self, name: str) -> None:
        """Create the database when missing (from the maintenance database) and point this
        process's connection at it."""
        _switch_database("postgres")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
                self._line(f"Created database {name}.")
        _switch_database(name)

    def _prepare(self, options) -> None:
        foreign = Partner.objects.exclude(external_id__startswith=bench.PARTNER_PREFIX).count()
        if foreign:
            raise CommandError(
                f"Database {connection.settings_dict['NAME']} holds {foreign} partners that are "
                "not benchmark data; bench_deals empties its database. Use --database with a "
                "database of its own."
            )
        wanted = {
            "partners": options["partners"],
            "accounts": options["accounts"],
            "registrations": options["registrations"],
        }
        if not options["regenerate"] and bench.data_counts() == wanted:
            self._line("== data already generated: " + _counts(wanted))
            return
        timings = bench.generate(seed=options["seed"], **wanted)
        self._line(
            f"== generated {_counts(wanted)} in {sum(timings.values()):.1f} s ("
            + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in timings.items())
            + ")"
        )

    def _report(self, figures: dict, options) -> None:
        rows = [
            ("conflict check p50 (ms)", figures["conflict_p50_ms"], ""),
            (
                "conflict check p95 (ms)",
                figures["conflict_p95_ms"],
                f"target <= {bench.TARGET_CONFLICT_P95_MS:g}",
            ),
        ]
        if "api_skipped" in figures:
            self._line(f"   API submit not measured: {figures['api_skipped']}")
        else:
            rows += [
                ("API create + submit p50 (ms)", figures["api_submit_p50_ms"], ""),
                ("API create + submit p95 (ms)", figures["api_submit_p95_ms"], ""),
            ]
        rows += [
            ("SLA sweep, whole table (s)", figures["sweep_s"], f"< {bench.TARGET_SWEEP_S:g} s"),
            ("SLA sweep, idle (s)", figures["sweep_idle_s"], ""),
            ("review queue queries, 10 rows", figures["queue_queries_10"], "constant"),
            ("review queue queries, 50 rows", figures["queue_queries_50"], "constant"),
            ("review queue page queries", figures["queue_page_queries"], ""),
            ("review queue page (ms)", figures["queue_page_ms"], ""),
        ]
        self._line(
            f"   {figures['conflict_samples']} sample submissions, "
            f"{figures['conflict_flagged']} flagged (p95 ms by kind "
            f"{figures['conflict_p95_ms_by_kind']}); sweep touched {figures['sweep_rows']}, "
            f"idle {figures['sweep_idle_rows']}; {figures['queue_pending']:,} pending in the "
            f"review queue (page HTTP {figures['queue_page_status']})"
        )
        self._line()
        self._line(f"{'figure':<34} {'value':>10}  target")
        for label, value, target in rows:
            self._line(f"{label:<34} {value:>10}  {target}")
        verdicts = {
            "conflict_p95_ok": figures["conflict_p95_ms"] <= bench.TARGET_CONFLICT_P95_MS,
            "sweep_ok": figures["sweep_s"] < bench.TARGET_SWEEP_S,
            "queue_constant": figures["queue_queries_10"] == figures["queue_queries_50"],
        }
        self._line(
            json.dumps(
                {
                    "partners": options["partners"],
                    "accounts": options["accounts"],
                    "registrations": options["registrations"],
                    **figures,
                    **verdicts,
                    "load_avg": [round(value, 2) for value in os.getloadavg()],
                }
            )
        )

    def _line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{value:,} {name}" for name, value in counts.items())


def _switch_database(name: str) -> None:
    connections["default"].close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name
