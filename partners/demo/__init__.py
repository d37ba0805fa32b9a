"""Realistic, deterministic demo data for the quick start and load tests (`seed_demo`).

The same `partners` and `seed` give the same names, external ids and figures; dates are
relative to today. Everything is drawn from one NumPy `default_rng(seed)` in arrays and
written in bulk: PostgreSQL COPY when the driver is psycopg2, bulk_create elsewhere (the
SQLite quick start).

One module per step (vocabulary, generation, writing, bulk, seeding); import from here.
"""

from partners.demo.seeding import (
    MANAGER_LOGIN,
    PARTNER_LOGIN,
    DemoDataExists,
    demo_flush,
    demo_logins_ensure,
    demo_seed,
)
from partners.demo.vocabulary import CERTIFICATIONS, COUNTRIES, DEMO_PREFIX

__all__ = [
    "CERTIFICATIONS",
    "COUNTRIES",
    "DEMO_PREFIX",
    "MANAGER_LOGIN",
    "PARTNER_LOGIN",
    "DemoDataExists",
    "demo_flush",
    "demo_logins_ensure",
    "demo_seed",
]
