"""Start a real Celery worker process on Redis against the test database."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.db import connection

from prm.celery import app

ROOT = Path(__file__).resolve().parent.parent

# Boots a worker with Django settings (and Celery settings, CELERY_*) overridden from
# PRM_TEST_WORKER_SETTINGS (JSON): what a test needs that prm.settings.test does not read from
# the environment, e.g. e-mail to a real SMTP server instead of memory, or a short Redis
# visibility timeout.
WORKER_BOOT = """
import json, os, sys
import django
django.setup()
from django.conf import settings
overrides = json.loads(os.environ.get("PRM_TEST_WORKER_SETTINGS") or "{}")
for name, value in overrides.items():
    setattr(settings, name, value)
from prm.celery import app
app.conf.update({name.removeprefix("CELERY_").lower(): value
                 for name, value in overrides.items() if name.startswith("CELERY_")})
app.worker_main(sys.argv[1:])
"""


def _database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@contextlib.contextmanager
def tasks_sent_to(queue: str) -> Iterator[None]:
    """Tasks this process sends go to `queue` (not run eagerly) meanwhile."""
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager, app.conf.task_default_queue = False, queue
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous


@contextlib.contextmanager
def private_queue(prefix: str = "prm-test") -> Iterator[str]:
    """A fresh queue name; this process sends its tasks there meanwhile. Afterwards the
    queue, whatever is left in it and every key named after it are removed from Redis."""
    queue = f"{prefix}-{uuid.uuid4().hex[:10]}"
    try:
        with tasks_sent_to(queue):
            yield queue
    finally:
        with app.connection_for_write() as broker:
            client = broker.default_channel.client
            keys = [*client.scan_iter(f"{queue}*"), *client.scan_iter(f"_kombu.*.{queue}")]
            if keys:
                client.delete(*keys)


@contextlib.contextmanager
def worker_process(
    log_path: Path,
    *,
    queue: str,
    settings: dict[str, Any] | None = None,
    pool: str = "solo",
    concurrency: int = 1,
) -> Iterator[subprocess.Popen]:
    """A `celery worker` consuming `queue`, in a process group of its own (see kill_worker),
    with `settings` overriding the test settings in the worker process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PRM_TEST_WORKER_SETTINGS": json.dumps(settings or {}),
    }
    command = [
        sys.executable, "-c", WORKER_BOOT, "worker", "-Q", queue, "--pool", pool,
        "--concurrency", str(concurrency), "--without-gossip", "--without-mingle",
        "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    kill_worker(worker)


def kill_worker(worker: subprocess.Popen) -> None:
    """SIGKILL the worker's whole process group (the main process and its pool children), as a
    crash or an OOM kill would: nothing gets to clean up or acknowledge anything."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=15)


@contextlib.contextmanager
def running_worker(log_path: Path) -> Iterator[subprocess.Popen]:
    """A `celery worker` on a private queue; this process sends to that queue meanwhile."""
    with private_queue() as queue, worker_process(log_path, queue=queue) as worker:
        yield worker


def wait_until(
    condition: Callable[[], bool], *, timeout: float = 30, interval: float = 0.2
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()
