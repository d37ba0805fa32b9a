"""Insights on the SQLite quick start: every other insights test, run again on SQLite.

The rest of tests/insights check each query's figures against values computed by hand from
small hand-made data (conftest.py). This test runs those same tests in a child pytest with
DATABASE_URL pointing at a SQLite file, so the SQLite spelling of every query (VALUES periods,
IN-lists, the registered median, json_* and RETURNING) must give exactly the same numbers.
A child process rather than a second database alias: the selectors read through Django's
default connection, as the quick start does, and the tests stay the same text for both engines.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().relative_to(ROOT)


def test_every_insights_test_passes_on_sqlite(tmp_path):
    # given the insights tests, on a SQLite database of their own
    assert connection.vendor == "postgresql"  # this suite's own database
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'insights.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
    }
    vendor = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); "
         "from django.db import connection; print(connection.vendor)"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert vendor.stdout.strip() == "sqlite"

    # when they run there
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(HERE.parent), f"--ignore={HERE}",
            "--create-db", "-q", "-n", "0", "-rfEs",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    # then every one of them passed, none skipped
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 60, summary
    assert not re.search(r"skipped|xfail|error|deselected", summary), summary
