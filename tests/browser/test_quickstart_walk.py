"""The quick start as a new user meets it: every manager and portal page in a real browser.

The product is started as `make run` starts it (scripts/run.py on prm.settings.local: migrate,
seed_demo, seed_demo_segments, then web, Celery worker and Celery beat), on a fresh temporary
var dir with its SQLite file, and once more on a PostgreSQL database of its own (the README's
PostgreSQL route), DEBUG on as the local settings have it. A manager, then a partner user, sign
in and walk the site: every same-origin link and every GET form (a filter, a period picker) of
every page visited, a bounded number of pages per kind of URL (by the URL's name in the
URLconf and the names of its query parameters), downloads fetched rather than opened. Every
response of 400 or more (pages, htmx fragments, static files, the favicon), every request that
failed, every console error and every uncaught script error fails the test, all listed.

The crawl knows no page by name, so pages added later (and the demo data that leads to them)
are walked too; the names in MANAGER_PAGES and PORTAL_PAGES only prove the walk got there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import psycopg2
import pytest
from django.conf import settings
from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
DEMO_PARTNERS = 150
START_SECONDS = 180  # migrate + seed + start on this 2-core machine: ~30 s
WALK_SECONDS = 300  # the three users' walks together: ~1.5 min
MAX_PAGES = 250  # per user
MAX_PER_SHAPE = 2  # URLs visited per (URL name, query parameter names)
MAX_PER_NAME = 4  # and per URL name (the partner list has a link for every filter and sort)
SETTLE_MS = 2500  # how long a page's own htmx requests may take to end
DOWNLOAD_MARKERS = ("format=", "/export/", "/download/", ".csv", ".xlsx")

# Proof that the walk reached every part (it visits far more).
MANAGER_PAGES = {
    "dashboard",
    "partners:list",
    "partners:detail",
    "partners:ecosystem",
    "portal:applications",
    "segments:list",
    "segments:detail",
    "segments:overlap",
    "insights:overview",
    "insights:compare",
    "insights:matrix",
    "insights:forecast",
    "insights:suggestions",
    "enablement:content-list",
    "enablement:path-list",
    "enablement:certification-list",
    "enablement:certification-detail",
    "tiers:list",
    "tiers:update",
    "communications:campaign-list",
}
PORTAL_PAGES = {"portal:home", "portal:learning", "portal:inbox", "portal:company", "portal:team"}
# Where a walk does not go: signing out ends it (a POST anyway), and the admin is Django's own
# (its index is visited, not every change list).
SKIPPED_NAMES = {"logout"}


@pytest.fixture(autouse=True)
def server_settled_before_flush():
    """No live server here: the product runs in processes of its own, on databases of its
    own (tests/browser/conftest.py waits for the live server's sessions)."""
    yield


# ---------------------------------------------------------------------------------------------
# The product, started as `make run` starts it
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[int]:
    """The ids of a process's children (from /proc), to stop them should it not."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class QuickStart:
    """scripts/run.py in a process group of its own, on a temporary var dir."""

    database_url: str | None
    var_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="prm-walk-")))
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.var_dir / "run.log"

    def start(self) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}
            and not key.startswith(("DJANGO_", "PRM_", "PYTEST_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="prm.settings.local",
            PRM_VAR_DIR=str(self.var_dir),
            PRM_HOST="127.0.0.1",
            PRM_PORT=str(self.port),
            PRM_DEMO_PARTNERS=str(DEMO_PARTNERS),
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "scripts/run.py"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"make run stopped ({code}):\n{self.tail()}")
            if "PRM is running" in self.output() and self._answers():
                return
            time.sleep(1)
        raise AssertionError(f"make run did not answer in {START_SECONDS} s:\n{self.tail()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def stop(self) -> None:
        """Stop run.py as Ctrl-C would (it stops web, worker and beat); whatever is left after
        30 s is killed, by its id."""
        if self.process is None or self.process.poll() is not None:
            return
        children = _children(self.process.pid)
        grandchildren = [pid for child in children for pid in _children(child)]
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        for pid in children + grandchildren:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _admin_dsn(**overrides) -> dict:
    """Connection arguments for the test suite's PostgreSQL server."""
    db = settings.DATABASES["default"]
    dsn = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
        "dbname": "postgres",
    }
    dsn.update(overrides)
    return {key: value for key, value in dsn.items() if value is not None}


@pytest.fixture(params=["sqlite", "postgresql"])
def quickstart(request):
    """The product on a fresh quick-start database: the SQLite file of `make run`, or a
    PostgreSQL database created for this test and dropped after it."""
    database_url, name = None, None
    if request.param == "postgresql":
        name = f"prm_walk_{uuid.uuid4().hex[:12]}"
        dsn = _admin_dsn()
        admin = psycopg2.connect(**dsn)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        auth = dsn["user"] + (f":{dsn['password']}" if dsn.get("password") else "")
        database_url = f"postgres://{auth}@{dsn['host']}:{dsn['port']}/{name}"
    server = QuickStart(database_url=database_url)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.var_dir, ignore_errors=True)
        if name:
            admin = psycopg2.connect(**_admin_dsn())
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------

# Every GET form of a page as the URL its submit button would open: once as it stands, once
# with the first real choice of every select (two for a multiple one: Compare wants two).
FORM_URLS_JS = """
() => {
  const urls = [];
  for (const form of document.querySelectorAll('form')) {
    if ((form.getAttribute('method') || 'get').toLowerCase() !== 'get') continue;
    const action = new URL(form.getAttribute('action') || location.href, location.href);
    for (const pick of [false, true]) {
      const data = new FormData(form);
      if (pick) {
        for (const select of form.querySelectorAll('select[name]')) {
          const options = [...select.options].filter(o => o.value !== '' && !o.disabled);
          if (!options.length) continue;
          data.delete(select.name);
          for (const option of options.slice(0, select.multiple ? 2 : 1)) {
            data.append(select.name, option.value);
          }
        }
      }
      const url = new URL(action.pathname, location.href);
      for (const [key, value] of data.entries()) {
        if (typeof value !== 'string' || key === 'csrfmiddlewaretoken') continue;
        url.searchParams.append(key, value);
      }
      urls.push(url.href);
    }
  }
  return urls;
}
"""
LINKS_JS = """
() => [...document.querySelectorAll('a[href]')].map(a => ({
  href: a.href, download: a.hasAttribute('download')
}))
"""


def _url_name(path: str) -> str:
    try:
        match = resolve(path)
    except Resolver404:
        return path  # not in the URLconf: visited once, and reported if it fails
    return match.view_name or path


@dataclass
class Walk:
    """One signed-in user's walk of the site; `problems` lists what went wrong."""

    context: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    visited: dict[str, str] = field(default_factory=dict)  # url -> its URL name
    shapes: dict[tuple, int] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    current: str = ""
    deadline: float = 0.0  # time.monotonic() by which the walk stops

    def __post_init__(self):
        self.page = self.context.new_page()
        self.page.set_default_timeout(20_000)
        self.page.on("response", self._on_response)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self._problem(f"uncaught error: {error}"))

    def _problem(self, text: str) -> None:
        self.problems.append(f"{text}  (on {self.current or 'the start'})")

    def _on_response(self, response) -> None:
        if response.status >= 400:
            method = response.request.method
            self._problem(f"{response.status} {method} {self._short(response.url)}")

    def _on_request_failed(self, request) -> None:
        failure = request.failure or ""
        # A navigation or a page's fetch cut short by the next navigation is not a failure.
        if "ERR_ABORTED" not in failure:
            self._problem(f"request failed: {request.method} {self._short(request.url)}: {failure}")

    def _on_console(self, message) -> None:
        if message.type == "error":
            self._problem(f"console error: {message.text}")

    def _short(self, url: str) -> str:
        return url.removeprefix(self.base_url)

    def sign_in(self, username: str, password: str, lands_on: str) -> None:
        self.current = "/accounts/login/"
        self.page.goto(self.base_url + "/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base_url + lands_on)

    def _normalise(self, url: str) -> str | None:
        """The URL to visit for a link, or None for one that leaves the walk."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != (
            self.base_url
        ):
            return None
        path = parts.path or "/"
        if path.startswith(("/static/", "/media/")):
            return None  # assets: the browser fetches those it needs, and they are checked
        if path.startswith("/admin/") and path != "/admin/":
            return None
        query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))

    def _shape(self, url: str) -> tuple[str, tuple]:
        parts = urlsplit(url)
        return _url_name(parts.path), tuple(sorted({key for key, _ in parse_qsl(parts.query)}))

    def _wanted(self, url: str) -> bool:
        """Whether `url` is new, and of a kind visited fewer than MAX_PER_SHAPE times (and its
        URL name fewer than MAX_PER_NAME times)."""
        shape = self._shape(url)
        return (
            url not in self.seen
            and shape[0] not in SKIPPED_NAMES
            and self.shapes.get(shape, 0) < MAX_PER_SHAPE
            and self.names.get(shape[0], 0) < MAX_PER_NAME
        )

    def _take(self, url: str) -> bool:
        """Whether to visit `url` now (counted as visited if so)."""
        if not self._wanted(url):
            return False
        self.seen.add(url)
        shape = self._shape(url)
        self.shapes[shape] = self.shapes.get(shape, 0) + 1
        self.names[shape[0]] = self.names.get(shape[0], 0) + 1
        return True

    def _download(self, url: str) -> None:
        response = self.context.request.get(url, max_redirects=5)
        if response.status >= 400:
            self._problem(f"{response.status} GET {self._short(url)} (download)")

    def _visit(self, url: str) -> list[str]:
        """Open a page; the links and form URLs on it."""
        self.current = self._short(url)
        try:
            response = self.page.goto(url, wait_until="load")
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                self._download(url)
            else:
                self._problem(f"could not open: {str(error).splitlines()[0]}")
            return []
        self.visited[url] = _url_name(urlsplit(url).path)
        # A page that polls (an evaluation running) never goes idle: it had its chance.
        with contextlib.suppress(PlaywrightTimeout):
            self.page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
        if (
            response is not None
            and "/accounts/login/" in self.page.url
            and ("/accounts/login/" not in url)
        ):
            self._problem(f"sent to sign in from {self._short(url)}")
            return []
        if "text/html" not in (response.headers.get("content-type", "") if response else ""):
            return []
        try:
            links = self.page.evaluate(LINKS_JS)
            forms = self.page.evaluate(FORM_URLS_JS)
        except PlaywrightError:
            return []  # the page navigated away by itself (a redirect in script)
        found = []
        for link in links:
            target = self._normalise(urljoin(self.page.url, link["href"]))
            if target and link["download"]:
                target = "download:" + target
            if target:
                found.append(target)
        found.extend(filter(None, (self._normalise(url) for url in forms)))
        return found

    def crawl(self, *starts: str) -> None:
        """Breadth first from `starts`, within MAX_PAGES and the walk's deadline."""
        deadline = self.deadline
        queue = deque(self.base_url + path for path in starts)
        pages = 0
        while queue:
            if pages >= MAX_PAGES or time.monotonic() > deadline:
                left = {
                    target for target in queue if self._wanted(target.removeprefix("download:"))
                }
                if left:
                    self.problems.append(
                        f"the walk was cut short ({pages} pages, {len(left)} more to visit): "
                        "raise MAX_PAGES or WALK_SECONDS, or narrow what it follows"
                    )
                return
            target = queue.popleft()
            download = target.startswith("download:")
            url = target.removeprefix("download:")
            if not self._take(url):
                continue
            pages += 1
            if download or any(marker in url for marker in DOWNLOAD_MARKERS):
                self.current = self._short(url)
                self._download(url)
                continue
            queue.extend(
                found for found in self._visit(url) if self._wanted(found.removeprefix("download:"))
            )

    def check_favicon(self) -> None:
        """/favicon.ico, which a browser asks for where a page names no icon."""
        self.current = "/favicon.ico"
        self._download(self.base_url + "/favicon.ico")
        for href in self.page.eval_on_selector_all(
            'link[rel~="icon"]', "links => links.map(l => l.href)"
        ):
            self._download(href)


def _walk(
    browser, base_url: str, *, deadline, username=None, password=None, lands_on="", starts=()
):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        walk = Walk(context=context, base_url=base_url, deadline=deadline)
        if username:
            walk.sign_in(username, password, lands_on)
        walk.crawl(*starts)
        walk.check_favicon()
        return walk
    finally:
        context.close()


def test_every_quick_start_page_answers_without_errors(quickstart, browser):
    # given the quick start, freshly started with its demo data

    # when an anonymous visitor, a channel manager and a partner user walk it
    deadline = time.monotonic() + WALK_SECONDS
    public = _walk(
        browser, quickstart.url, deadline=deadline, starts=["/accounts/login/", "/portal/apply/"]
    )
    manager = _walk(
        browser,
        quickstart.url,
        deadline=deadline,
        username="manager",
        password="manager-demo",
        lands_on="/dashboard/",
        starts=["/dashboard/", "/admin/", "/api/docs/"],
    )
    partner = _walk(
        browser,
        quickstart.url,
        deadline=deadline,
        username="partner",
        password="partner-demo",
        lands_on="/portal/",
        starts=["/portal/"],
    )

    # then nothing failed, and every part was reached
    problems = [
        f"[{who}] {problem}"
        for who, walk in (("anonymous", public), ("manager", manager), ("partner", partner))
        for problem in dict.fromkeys(walk.problems)
    ]
    running = quickstart.process.poll() is None
    assert not problems and running, (
        f"{len(problems)} problem(s) on the quick start ({quickstart.url}):\n"
        + "\n".join(problems)
        + ("" if running else f"\nmake run stopped:\n{quickstart.tail()}")
    )
    assert not MANAGER_PAGES - set(manager.visited.values())
    assert not PORTAL_PAGES - set(partner.visited.values())
    output = quickstart.output()
    assert "celery@" in output and " ready." in output, "the Celery worker did not start"
    assert "beat: Starting" in output, "Celery beat did not start"
