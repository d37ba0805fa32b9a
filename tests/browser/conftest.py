"""Browser tests: pytest-playwright driving the system Chromium (Debian's `chromium` package,
installed by .ci/run; never a downloaded browser) against pytest-django's live server.

Every test here is marked `browser`, runs against a transactional database (the live server
thread must see its rows), and may save screenshots of the pages it visits to
$PRM_SCREENSHOT_DIR (default var/screenshots) for people to look at.
"""

import os
import re
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.partners.factories import UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the calls are really synchronous, which they are here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("PRM_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_DIR = Path(os.environ.get("PRM_SCREENSHOT_DIR", "var/screenshots"))
MANAGER_PASSWORD = "manager-browser-pw"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


# How long a test's teardown waits for the live server's statements to finish.
SERVER_SETTLE_SECONDS = 10


@pytest.fixture(autouse=True)
def server_settled_before_flush(transactional_db, live_server):
    """After the test's page is closed, wait until no live-server statement is running or
    inside a transaction, then let the database be flushed. A request still running (a page
    fires htmx requests of its own, a preview say) otherwise takes its tables' locks one by one
    while the flush's TRUNCATE takes them all, and the two deadlock. Depending on the database
    and the server, this is torn down after the test's pages and before the flush."""
    yield
    wait_for_other_sessions_to_settle(timeout=SERVER_SETTLE_SECONDS)


def wait_for_other_sessions_to_settle(*, timeout: float) -> bool:
    """Whether, within `timeout` seconds, no other session of this database is running a
    statement or is inside a transaction."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            (busy,) = cursor.fetchone()
        if not busy:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-dev-shm-usage"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


# Console errors a test may provoke on purpose: the browser reports every 4xx answer (a form
# sent with bad input, a page the user may not see) and htmx logs the ones it does not swap.
# A 5xx, an uncaught exception or a content security policy violation always fails the test.
EXPECTED_CONSOLE_ERRORS = re.compile(
    r"Failed to load resource: the server responded with a status of 4\d\d"
    r"|Response Status Error Code 4\d\d from "
)


def watch_console(page) -> list[str]:
    """The list that the page's uncaught script errors and unexpected console errors (a content
    security policy violation is one) are added to, as they happen."""
    problems: list[str] = []

    def on_console(message):
        if message.type == "error" and not EXPECTED_CONSOLE_ERRORS.search(message.text):
            problems.append(f"console error at {page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"uncaught error at {page.url}: {error}"))
    return problems


@pytest.fixture
def page(page):
    """pytest-playwright's page, failing the test on any uncaught script error and any console
    error it did not provoke on purpose."""
    problems = watch_console(page)
    yield page
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot(page):
    """screenshot("segment-builder") saves the current page, full length, as a PNG."""

    def save(name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def browser_manager(transactional_db):
    user = UserFactory(
        username="browser-manager", first_name="Maria", last_name="Manager", is_staff=True
    )
    user.set_password(MANAGER_PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def manager_page(page, live_server, browser_manager):
    """A page signed in as a channel manager through the real login form."""
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(browser_manager.username)
    page.get_by_label("Password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.live_server_url = live_server.url
    return page
