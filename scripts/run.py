"""`make run`: the whole product on embedded defaults, in the foreground.

Migrates (SQLite by default), seeds demo data on the first run, then starts the web server,
a Celery worker and Celery beat (kombu's filesystem broker unless CELERY_BROKER_URL is set),
prints the URL and the demo logins, and stops all three on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = os.environ.get("PRM_HOST", "127.0.0.1")
PORT = os.environ.get("PRM_PORT", "8000")
DEMO_PARTNERS = os.environ.get("PRM_DEMO_PARTNERS", "2000")
VAR_DIR = Path(os.environ.get("PRM_VAR_DIR", ROOT / "var"))


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    manage("migrate", "--noinput", "-v", "0")
    manage("seed_demo", "--partners", DEMO_PARTNERS, "--seed", "42", "--if-empty")
    manage("seed_demo_segments", "--if-empty")
    manage("seed_demo_programs", "--seed", "42", "--if-empty")

    celery = [str(BIN / "celery"), "-A", "prm"]
    worker_options = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "pgsql")) is False:
        # SQLite allows one writer at a time: one worker process avoids "database is locked".
        worker_options += ["--pool", "solo"]
    commands = {
        "web": [sys.executable, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"],
        "worker": [*celery, "worker", "-l", "info", *worker_options],
        "beat": [
            *celery,
            "beat",
            "-l",
            "info",
            "-s",
            str(VAR_DIR / "celerybeat-schedule"),
        ],
    }
    processes = {
        name: subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        for name, command in commands.items()
    }

    def stop(*_args) -> None:
        # Each process is told, not its whole group: the Celery worker then stops its own pool
        # (a SIGTERM to the pool's processes too is logged as an error by the worker).
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 10
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    time.sleep(2)
    print(
        "\n"
        "  PRM is running (web, Celery worker, Celery beat).\n"
        f"  Open http://{HOST}:{PORT}/  (managers and partner users sign in there)\n"
        f"  Admin: http://{HOST}:{PORT}/admin/\n"
        f"  API docs: http://{HOST}:{PORT}/api/docs/   health: http://{HOST}:{PORT}/healthz\n"
        "  Demo logins:\n"
        "    channel manager  manager / manager-demo\n"
        "    partner user     partner / partner-demo\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping.", flush=True)
                    stop()
                    return process.returncode or 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
