"""The tier program benchmark: times what-if and evaluation (both modes, twice each) on the
partners in the database, inside transactions that are rolled back, so nothing is kept.

Nothing here runs in the product. Seed data first (`manage.py seed_demo --partners 100000`),
then in `manage.py shell`: `from partners.tiers.bench import tiers_bench; tiers_bench()`.
Measured on 100,000 demo partners (seed 42; PostgreSQL 15; 39,002 partners to move):
what-if 0.4-0.8 s; an evaluation with nothing to move 0.4-0.7 s; the first evaluation
queueing 39,002 changes 6-11 s, applying them 18-21 s (most of it PostgreSQL updating the
27 indexes of every moved partner row).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction

from partners.tiers.selectors import tiers_what_if
from partners.tiers.services import tiers_evaluate


class _RolledBack(Exception):
    pass


def _timed(label: str, function: Callable[[], Any], report: Callable[[str], None]) -> None:
    started = time.perf_counter()
    result = function()
    report(f"{label}: {time.perf_counter() - started:.2f} s {result}")


def tiers_bench(*, report: Callable[[str], None] = print) -> None:
    """Time the tier program's queries on the current data; writes nothing."""
    _timed("what-if, current thresholds", lambda: tiers_what_if(thresholds={}), report)
    _timed(
        "what-if, gold at 500k revenue",
        lambda: tiers_what_if(thresholds={"gold": {"min_revenue_12m": 500_000}}),
        report,
    )
    for apply in (False, True):
        evaluate = functools.partial(tiers_evaluate, apply=apply)
        try:
            with transaction.atomic():
                _timed(f"evaluate apply={apply}", evaluate, report)
                _timed("  again", evaluate, report)
                raise _RolledBack
        except _RolledBack:
            pass
