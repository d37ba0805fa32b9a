"""`manage.py bench_load`: a bounded, headless HTTP load test of the main read paths.

On a PostgreSQL database of its own (--database, default prm_load, created when missing,
migrated, and seeded with `seed_demo --partners N --seed S` + `seed_demo_segments` only when it
does not hold exactly N demo partners), it starts gunicorn on 127.0.0.1 (a free port), waits
for /healthz, runs locust headless (scripts/locustfile.py) with a fixed number of users for a
fixed time, and stops both, also on Ctrl-C or an error. It prints a table per endpoint and,
as its last line, one line of JSON. Before the load it serves each endpoint a few times in
this process, one request at a time ("alone": Django CPU time, wall time, queries): figures
that, unlike the response times under load, other work on the machine hardly changes. The
server runs with this command's settings module and persistent database connections
(CONN_MAX_AGE 60, as in production).

The locust users sign in once each, with logins created here: channel managers
(`bench-manager-NN`: an API token and a session) list, search and page partners and preview
segment rules; partner users (`bench-portal-NN`, linked to contacts spread over the data) open
the portal home page. The server's token sign-in rate limit is raised (all users sign in from
one address at once); the other limits stay as configured.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partners.demo import DEMO_PREFIX
from partners.models import Contact, Partner
from segments.models import Segment, SegmentKind

LOCUSTFILE = Path(settings.BASE_DIR) / "scripts" / "locustfile.py"
MANAGER_USERNAME_PREFIX = "bench-manager-"
PORTAL_USERNAME_PREFIX = "bench-portal-"
BENCH_PASSWORD = "bench-load-password"
SEARCH_TERMS = 40
SERVICE_RUNS = 8
HEALTH_TIMEOUT_S = 60
# A rule a channel manager would try in the builder, next to the demo segments' own rules.
EXTRA_PREVIEW_RULE = {
    "all": [
        {"field": "partner_type", "op": "in", "value": ["var", "msp"]},
        {"field": "region", "op": "eq", "value": "emea"},
        {"field": "annual_revenue", "op": "gte", "value": 1_000_000},
        {"not": {"field": "tier", "op": "eq", "value": "gold"}},
    ]
}
# The login requests are named "login: …" by the locustfile; they are not endpoints under test.
LOGIN_PREFIX = "login:"


class Command(BaseCommand):
    help = (
        "Load-test partner list, partner search, segment preview and portal home over HTTP "
        "(gunicorn + headless locust) on a database of its own; table + JSON line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partners", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--users", type=int, default=20, help="Concurrent locust users.")
        parser.add_argument("--spawn-rate", type=float, default=10, help="Users started per s.")
        parser.add_argument("--duration", type=int, default=60, help="Seconds of load.")
        parser.add_argument(
            "--workers", type=int, default=4, help="gunicorn workers (2 cores: 3-5)."
        )
        parser.add_argument(
            "--threads", type=int, default=1, help="Threads per worker (>1: gthread)."
        )
        parser.add_argument(
            "--database", default="prm_load", help="Database name (created when missing)."
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_load needs PostgreSQL (set DATABASE_URL).")
        if options["partners"] < 1 or options["users"] < 1 or options["duration"] < 1:
            raise CommandError("--partners, --users and --duration must be at least 1.")
        self.options = options
        # A plain `kill` stops the server and locust too (the finally blocks run), as Ctrl-C does.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        self._use_database(options["database"])
        self._prepare_data()
        config = self._prepare_users_and_inputs()
        self.service = self._service_times(config)
        with tempfile.TemporaryDirectory(prefix="bench-load-") as workdir:
            work = Path(workdir)
            config_path = work / "config.json"
            config_path.write_text(json.dumps(config))
            load_before = os.getloadavg()
            stats = self._run(work, config_path)
            load_after = os.getloadavg()
            failures = _read_failures(work / "locust_failures.csv")
        self._report(stats, failures, load_before, load_after)

    # -- database and data ----------------------------------------------------------------

    def _use_database(self, name: str) -> None:
        """Create the database when missing (from the server's maintenance database, which
        always exists) and point this process's connection at it."""
        _switch_database("postgres")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
                self._line(f"Created database {name}.")
        _switch_database(name)

    def _prepare_data(self) -> None:
        partners, seed = self.options["partners"], self.options["seed"]
        call_command("migrate", verbosity=0, interactive=False)
        total = Partner.objects.count()
        demo = Partner.objects.filter(external_id__startswith=DEMO_PREFIX).count()
        if total != demo:
            raise CommandError(
                f"Database {connection.settings_dict['NAME']} holds {total - demo} partners "
                "that are not demo data; bench_load reseeds its database. Use --database with "
                "a database of its own."
            )
        if total == partners:
            self._line(f"Database already seeded with {partners:,} demo partners.")
        else:
            started = time.perf_counter()
            call_command("seed_demo", partners=partners, seed=seed, flush=bool(total))
            call_command("seed_demo_segments")
            self._line(f"Seeded in {time.perf_counter() - started:.0f}s.")
            with connection.cursor() as cursor:
                # Fresh statistics and visibility map: the load runs on a settled database.
                cursor.execute("VACUUM ANALYZE")

    def _prepare_users_and_inputs(self) -> dict:
        """The logins the locust users sign in with, and the search terms and rules they use."""
        count = self.options["users"]
        return {
            "managers": [
                _login_ensure(f"{MANAGER_USERNAME_PREFIX}{number:02d}", is_staff=True)
                for number in range(1, count + 1)
            ],
            "portal_users": self._portal_logins_ensure(count=count),
            "search_terms": _search_terms(SEARCH_TERMS),
            "preview_rules": [
                *Segment.objects.filter(kind=SegmentKind.DYNAMIC)
                .order_by("slug")
                .values_list("rule", flat=True),
                EXTRA_PREVIEW_RULE,
            ],
        }

    def _portal_logins_ensure(self, *, count: int) -> list[list[str]]:
        """`count` partner-user logins on contacts spread evenly over the contact table (the
        same contacts for the same data), each contact's own; idempotent."""
        Contact.objects.filter(user__username__startswith=PORTAL_USERNAME_PREFIX).update(user=None)
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT id FROM (
                    SELECT id, row_number() OVER (ORDER BY id) AS n,
                           count(*) OVER () AS total
                    FROM {Contact._meta.db_table} WHERE user_id IS NULL
                ) numbered
                WHERE (n - 1) %% GREATEST(total / %s, 1) = 0
                ORDER BY id LIMIT %s
                """,
                [count, count],
            )
            contact_ids = [row[0] for row in cursor.fetchall()]
        if len(contact_ids) < count:
            raise CommandError(f"Only {len(contact_ids)} contacts without a login; need {count}.")
        logins = []
        for number, contact_id in enumerate(contact_ids, start=1):
            login = _login_ensure(f"{PORTAL_USERNAME_PREFIX}{number:02d}", is_staff=False)
            Contact.objects.filter(id=contact_id).update(user_id=login[2])
            logins.append(login[:2])
        return logins

    def _service_times(self, config: dict) -> dict[str, dict]:
        """Each endpoint served in this process, one request at a time (SERVICE_RUNS each,
        after one warm-up): the median Django CPU time (time.process_time, which waiting for
        the CPU or for PostgreSQL does not count), the median wall time and the queries."""
        user_model = get_user_model()

        def client(username: str) -> Client:
            signed_in = Client(SERVER_NAME="127.0.0.1")
            signed_in.force_login(user_model.objects.get(username=username))
            return signed_in

        manager = client(config["managers"][0][0])
        portal = [client(username) for username, _ in config["portal_users"][:SERVICE_RUNS]]
        terms, rules = config["search_terms"], config["preview_rules"]
        requests = {
            "API partner list": lambda n: manager.get(f"/api/partners/?page={1 + 11 * n}"),
            "API partner search": lambda n: manager.get(f"/api/partners/?search={terms[n]}"),
            "API segment preview": lambda n: manager.post(
                "/api/segments/preview/",
                {"rule": rules[n % len(rules)]},
                content_type="application/json",
            ),
            "page partner list": lambda n: manager.get(f"/partners/?page={1 + 11 * n}"),
            "page partner search": lambda n: manager.get(f"/partners/?search={terms[n]}"),
            "portal home": lambda n: portal[n % len(portal)].get("/portal/"),
        }
        results = {}
        for name, request in requests.items():
            request(0)
            cpu, wall, queries = [], [], 0
            for n in range(SERVICE_RUNS):
                with CaptureQueriesContext(connection) as captured:
                    cpu_start, wall_start = time.process_time(), time.perf_counter()
                    response = request(n)
                    cpu.append(time.process_time() - cpu_start)
                    wall.append(time.perf_counter() - wall_start)
                if response.status_code != 200:
                    raise CommandError(f"{name}: {response.status_code} in the service run.")
                queries = max(queries, len(captured))
            results[name] = {
                "cpu_ms": round(1000 * statistics.median(cpu), 1),
                "wall_ms": round(1000 * statistics.median(wall), 1),
                "queries": queries,
            }
        return results

    # -- server and load ------------------------------------------------------------------

    def _run(self, work: Path, config_path: Path) -> list[dict]:
        port = _free_port()
        host = f"http://127.0.0.1:{port}"
        server_log = work / "gunicorn.log"
        locust_log = work / "locust.log"
        server = locust = None
        try:
            server = self._start_server(port, server_log)
            self._wait_healthy(host, server, server_log)
            self._line(
                f"Load: {self.options['users']} users for {self.options['duration']}s "
                f"against {host} ({self.options['workers']} workers x "
                f"{self.options['threads']} thread(s)); load average "
                + ", ".join(f"{value:.2f}" for value in os.getloadavg())
            )
            cpu_before = _server_cpu_seconds(server)
            locust = self._start_locust(host, config_path, work, locust_log)
            try:
                returncode = locust.wait(timeout=self.options["duration"] + 120)
            except subprocess.TimeoutExpired as error:
                raise CommandError("locust did not stop in time.") from error
            stats_path = work / "locust_stats.csv"
            if not stats_path.exists():
                raise CommandError(
                    f"locust exited with {returncode} and no statistics:\n{_tail(locust_log)}"
                )
            self.server_cpu_s = _server_cpu_seconds(server) - cpu_before
            return _read_stats(stats_path)
        except KeyboardInterrupt:
            raise CommandError("Interrupted: the server and locust are stopped.") from None
        finally:
            for process in (locust, server):
                if process is not None:
                    _stop(process)

    def _start_server(self, port: int, log: Path) -> subprocess.Popen:
        database = connection.settings_dict
        credentials = quote(database["USER"] or "", safe="")
        if database.get("PASSWORD"):
            credentials += ":" + quote(database["PASSWORD"], safe="")
        url = (
            f"postgres://{credentials}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{quote(database['NAME'], safe='')}?conn_max_age=60"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "prm.settings.test"),
            "DATABASE_URL": url,
            "DATABASE_CONN_MAX_AGE": "60",
            # All locust users sign in from 127.0.0.1 within a second: not an attack to slow.
            "PRM_API_THROTTLE_TOKEN": "10000/minute",
        }
        workers, threads = self.options["workers"], self.options["threads"]
        command = [
            sys.executable, "-m", "gunicorn", "prm.wsgi:application",
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers),
            "--worker-class", "gthread" if threads > 1 else "sync",
            "--threads", str(threads),
            "--timeout", "60",
            "--log-level", "warning",
            "--error-logfile", str(log),
        ]  # fmt: skip
        return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True)

    def _wait_healthy(self, host: str, server: subprocess.Popen, log: Path) -> None:
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}:\n{_tail(log)}")
            try:
                with urllib.request.urlopen(f"{host}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise CommandError(f"gunicorn did not answer /healthz in {HEALTH_TIMEOUT_S}s.")

    def _start_locust(
        self, host: str, config_path: Path, work: Path, log: Path
    ) -> subprocess.Popen:
        command = [
            sys.executable, "-m", "locust",
            "-f", str(LOCUSTFILE),
            "--headless",
            "--users", str(self.options["users"]),
            "--spawn-rate", str(self.options["spawn_rate"]),
            "--run-time", f"{self.options['duration']}s",
            "--stop-timeout", "10",
            "--host", host,
            "--csv", str(work / "locust"),
            "--only-summary",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        env = {**os.environ, "BENCH_LOAD_CONFIG": str(config_path)}
        with log.open("w") as output:
            return subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    # -- report ---------------------------------------------------------------------------

    def _report(self, stats: list[dict], failures: list[dict], load_before, load_after) -> None:
        endpoints = {
            row["name"]: row
            for row in stats
            if row["name"] != "Aggregated" and not row["name"].startswith(LOGIN_PREFIX)
        }
        header = f"{'endpoint':<32}{'requests':>9}{'failures':>9}{'median':>8}{'p95':>7}"
        self._line()
        self._line(
            f"{header}{'p99':>7}{'req/s':>8} | alone: {'cpu':>6}{'wall':>7}{'queries':>8}"
            "   (times in ms; alone = one request at a time, in-process)"
        )
        for row in stats:
            median, p95, p99 = (
                "-" if row[key] is None else row[key] for key in ("median_ms", "p95_ms", "p99_ms")
            )
            alone = self.service.get(row["name"])
            alone_text = (
                f"{alone['cpu_ms']:>6.0f}{alone['wall_ms']:>7.0f}{alone['queries']:>8}"
                if alone
                else ""
            )
            self._line(
                f"{row['name']:<32}{row['requests']:>9}{row['failures']:>9}"
                f"{median:>8}{p95:>7}{p99:>7}{row['rps']:>8.1f} |        {alone_text}"
            )
        for failure in failures[:10]:
            self._line(f"  FAILED {failure['occurrences']}x {failure['name']}: {failure['error']}")
        total_failures = sum(row["failures"] for row in stats if row["name"] != "Aggregated")
        requests = sum(row["requests"] for row in stats if row["name"] != "Aggregated")
        summary = {
            "partners": self.options["partners"],
            "users": self.options["users"],
            "duration_s": self.options["duration"],
            "workers": self.options["workers"],
            "threads": self.options["threads"],
            "cpus": os.cpu_count(),
            "load_avg_before": [round(value, 2) for value in load_before],
            "load_avg_after": [round(value, 2) for value in load_after],
            "endpoints": {
                name: {
                    **{key: value for key, value in row.items() if key != "name"},
                    **{f"alone_{key}": value for key, value in self.service.get(name, {}).items()},
                }
                for name, row in endpoints.items()
            },
            "p95_max_ms": max(
                (row["p95_ms"] for row in endpoints.values() if row["p95_ms"] is not None),
                default=None,
            ),
            "failures": total_failures,
            # CPU the web workers spent per request (PostgreSQL's share not included): a figure
            # that other processes on the machine do not inflate, unlike the response times.
            "server_cpu_ms_per_request": round(1000 * self.server_cpu_s / requests, 1)
            if requests
            else None,
        }
        self._line(json.dumps(summary))

    def _line(self, text: str = "") -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _exit_on_signal(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _switch_database(name: str) -> None:
    connections["default"].close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name


def _login_ensure(username: str, *, is_staff: bool) -> list:
    """[username, password, user id] of an active login, created or reset. Channel managers
    get the rights of the demo manager (staff, superuser)."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_active = True
    user.is_staff = user.is_superuser = is_staff
    user.set_password(BENCH_PASSWORD)
    user.save()
    return [username, BENCH_PASSWORD, user.pk]


def _search_terms(count: int) -> list[str]:
    """Name fragments a user would type: the first five letters of words in partner names,
    a deterministic pseudo-random pick of them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT fragment FROM (
                SELECT DISTINCT left(lower(word), 5) AS fragment
                FROM {Partner._meta.db_table}, regexp_split_to_table(name, '\\s+') AS word
                WHERE length(word) >= 5
            ) fragments
            ORDER BY md5(fragment) LIMIT %s
            """,
            [count],
        )
        return [row[0] for row in cursor.fetchall()]


def _server_cpu_seconds(server: subprocess.Popen) -> float:
    """User + system CPU seconds of gunicorn's master and workers so far (Linux /proc)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    pids = [server.pid, *map(int, children.read_text().split())] if children.exists() else []
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group (gunicorn's master stops its workers), then SIGKILL."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def _read_stats(path: Path) -> list[dict]:
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))

    def milliseconds(value: str) -> int | None:
        return None if value in ("", "N/A") else round(float(value))

    return [
        {
            "name": row["Name"],
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "median_ms": milliseconds(row["50%"]),
            "p95_ms": milliseconds(row["95%"]),
            "p99_ms": milliseconds(row["99%"]),
            "max_ms": milliseconds(row["Max Response Time"]),
            "rps": round(float(row["Requests/s"]), 2),
        }
        for row in rows
    ]


def _read_failures(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [
            {"name": row["Name"], "error": row["Error"], "occurrences": row["Occurrences"]}
            for row in csv.DictReader(file)
        ]


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
