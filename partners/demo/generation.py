"""Drawing the demo partners: every column as an array from one NumPy generator (types,
stages, regions and countries, sizes, tiers, dates, scores), distinct company names, and the
weighted-choice helpers the writers share."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from partners.demo.vocabulary import (
    COUNTRIES,
    CRM_OWNERS,
    DEMO_PREFIX,
    LIFECYCLE_WEIGHTS,
    NAME_KINDS,
    NAME_PREFIXES,
    NAME_STEMS,
    NAMES,
    REGION_WEIGHTS,
    STAGE,
    TIER_QUANTILES,
    TIERS,
    TYPE_PROFILE,
    TYPE_WEIGHTS,
    _words,
)


def _external_id(index: int) -> str:
    return f"{DEMO_PREFIX}{index + 1:07d}"


def _pick(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    """Weighted choice of indexes into `weights`; when n allows, every option occurs at least
    once, never only on partner 0 (the showcase partner, whose values are set by hand)."""
    p = np.fromiter(weights.values(), float)
    picked = rng.choice(len(p), size=n, p=p / p.sum())
    if n > len(p):
        picked[1 + rng.choice(n - 1, size=len(p), replace=False)] = np.arange(len(p))
    return picked


def _pick_sets(rng: np.random.Generator, *, n: int, options: int, most: int) -> list[list[int]]:
    """For each of n rows, 0..most distinct options (fewer is likelier to be popular)."""
    sizes = rng.choice(most + 1, size=n, p=[0.15, 0.35, 0.3, 0.2][: most + 1])
    order = np.argsort(rng.random((n, options)), axis=1)
    return [row[:size].tolist() for row, size in zip(order, sizes, strict=True)]


def _company_names(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct company names without legal form ("Cobalt Data Systems", "Weber Consulting")."""
    surnames = sorted({name for _, last in NAMES.values() for name in _words(last)})
    composed = len(NAME_PREFIXES) * len(NAME_STEMS) * len(NAME_KINDS)
    space = composed + len(surnames) * len(NAME_KINDS)
    names = []
    for round_, start in enumerate(range(0, n, space)):
        for index in rng.permutation(space)[: min(space, n - start)].tolist():
            if index < composed:
                rest, kind = divmod(index, len(NAME_KINDS))
                prefix, stem = divmod(rest, len(NAME_STEMS))
                name = f"{NAME_PREFIXES[prefix]} {NAME_STEMS[stem]} {NAME_KINDS[kind]}"
            else:
                surname, kind = divmod(index - composed, len(NAME_KINDS))
                name = f"{surnames[surname]} {NAME_KINDS[kind]}"
            names.append(f"{name} {round_ + 1}" if round_ else name)
    return names


@functools.lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    """A name as plain ASCII for e-mail addresses: "Thijs de Vries" -> "thijs-de-vries"."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9 ]", "", folded).replace(" ", "-")


def _partners_plan(rng: np.random.Generator, *, n: int, today: dt.date) -> dict:
    """Every partner column as an array or list (index i is partner DEMO-<i+1>); `tier` is
    0 for none, else 1 + the index in TIERS."""
    types = list(TYPE_WEIGHTS)
    ptype = _pick(rng, TYPE_WEIGHTS, n)
    stages = list(LIFECYCLE_WEIGHTS)
    stage = _pick(rng, LIFECYCLE_WEIGHTS, n)
    stage[0] = STAGE["active"]
    regions = list(REGION_WEIGHTS)
    region = _pick(rng, REGION_WEIGHTS, n)
    country = np.empty(n, dtype=object)
    for r, code in enumerate(regions):
        mask = region == r
        table = COUNTRIES[code]
        country[mask] = _choose(rng, list(table), [v[0] for v in table.values()], mask.sum())
    profile = np.array([TYPE_PROFILE[t][:3] for t in types])[ptype]
    employees = np.clip(np.rint(rng.lognormal(np.log(30), 1.2, n) * profile[:, 0]), 1, 250_000)
    employees[0] = max(employees[0], 180)
    revenue = employees * profile[:, 1] * rng.lognormal(0, 0.4, n)
    # The showcase partner (the demo portal user's company) is a comfortable Gold partner.
    revenue[0] = max(revenue[0], 50e6)

    # Tiers follow size among established partners; newcomers have none or `registered`.
    established = stage >= STAGE["active"]  # active, dormant or churned
    latent = np.log(employees) + rng.normal(0, 0.5, n)
    rank = np.zeros(n)
    rank[established] = latent[established].argsort().argsort() / max(1, established.sum())
    tier = np.where(established, np.searchsorted(TIER_QUANTILES, rank, side="right"), 0)
    onboarding = stage == STAGE["onboarding"]
    tier[onboarding] = np.where(rng.random(onboarding.sum()) < 0.7, 1, 0)  # registered or none
    tier[0] = 1 + TIERS.index("gold")  # 0 = no tier

    days_joined = np.select(
        [stage == STAGE["applicant"], stage == STAGE["onboarding"]],
        [rng.integers(1, 60, n), rng.integers(30, 180, n)],
        np.rint(180 + 3470 * (1 - np.sqrt(rng.random(n)))),
    ).astype(int)
    stage_mean = np.array([[2, 4], [4, 3], [5, 2.5], [2, 6], [1, 9]])[stage]
    engagement = np.round(100 * rng.beta(stage_mean[:, 0], stage_mean[:, 1]), 1)
    quiet_days = np.array([[0, 30], [0, 20], [0, 45], [60, 365], [120, 720]])[stage]
    days_quiet = np.minimum(rng.integers(quiet_days[:, 0], quiet_days[:, 1] + 1), days_joined)
    savviness = np.clip(np.rint(profile[:, 2] + rng.normal(0, 0.9, n)), 1, 5).astype(int)
    # Enablement completed: newcomers have done little, savvy and engaged partners more;
    # applicants have not started (null). Spread, so that the value/need matrix is too.
    enablement_mean = np.array([[1, 1], [1.5, 5], [2 + 0.4 * 3, 2.5], [1.5, 3], [1, 4]])[stage]
    enablement = np.round(
        100
        * rng.beta(enablement_mean[:, 0] + 0.3 * (savviness - 3).clip(0), enablement_mean[:, 1]),
        1,
    )
    return {
        "n": n,
        "name": _company_names(rng, n),
        "legal": [
            _nth(COUNTRIES[regions[r]][c][3], u)
            for r, c, u in zip(region, country, rng.random(n), strict=True)
        ],
        "type": [types[i] for i in ptype],
        "stage": [stages[i] for i in stage],
        "stage_index": stage,
        "region": [regions[i] for i in region],
        "country": country.tolist(),
        "employees": employees.astype(int),
        "revenue": revenue,
        # A few profiles lack figures, as real ones do (they stay null, never a default).
        "employees_known": (rng.random(n) > 0.02) | (np.arange(n) == 0),
        "revenue_known": (rng.random(n) > 0.04) | (np.arange(n) == 0),
        "tier": tier.astype(int),
        "joined": np.datetime64(today, "D") - days_joined,
        "days_joined": days_joined,
        "savviness": savviness,
        "engagement": engagement,
        "enablement": np.where(stage == STAGE["applicant"], np.nan, enablement),
        "last_activity_seconds": days_quiet * 86400 + rng.integers(1, 86400, n),
        "crm_owner": [
            _nth(CRM_OWNERS[regions[r]], u) for r, u in zip(region, rng.random(n), strict=True)
        ],
        "nda_signed": rng.random(n) < np.where(stage == STAGE["applicant"], 0.3, 0.95),
        "mdf_budget": rng.integers(2, 60, n) * 500 * np.maximum(tier - 1, 0),
        "premium_sla": rng.random(n) < 0.35,
    }


def _choose(
    rng: np.random.Generator, options: Sequence[str], weights: Sequence[float], size: int
) -> np.ndarray:
    values = np.empty(len(options), dtype=object)
    values[:] = list(options)
    p = np.asarray(weights, float)
    return values[rng.choice(len(options), size=size, p=p / p.sum())]


def _nth(options: Sequence[str], u: float) -> str:
    """The option a uniform draw u in [0, 1) lands on."""
    return options[int(u * len(options))]
