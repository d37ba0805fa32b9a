"""Conflict detection: another partner's open registration for the same end customer.

The same customer is the same registered web domain, or a normalised name at least
PRM_DEAL_NAME_SIMILARITY similar (trigram similarity, as pg_trgm computes it) in the same
country. Registrations conflict when, besides, their products overlap; a registration naming no
product overlaps with any (it has not said what it sells, so it may sell the same).
PostgreSQL finds similar names with the trigram GIN index; elsewhere (the SQLite quick start)
the same similarity is computed in Python over the country's open registrations."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from deals.models import (
    OPEN_STATUSES,
    ConflictMatch,
    DealConflict,
    DealRegistration,
    open_q,
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigrams of a text: each word lower-cased, padded with two spaces in front
    and one behind, cut in threes."""
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(left: str, right: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two texts."""
    a, b = trigrams(left), trigrams(right)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class ConflictEvidence:
    """Why `competing_id` conflicts: the field that matched, how closely, shared products."""

    competing_id: int
    matched_on: str
    similarity: float
    shared_technologies: list[str] = field(default_factory=list)


def _open_others(deal: DealRegistration):
    today = timezone.localdate()
    return (
        DealRegistration.objects.filter(status__in=OPEN_STATUSES)
        .filter(open_q(today))
        .exclude(partner_id=deal.partner_id)
        .exclude(pk=deal.pk)
    )


def _similar_name_candidates(deal: DealRegistration, threshold: float) -> dict[int, float]:
    """{registration id: name similarity} of other partners' open registrations in the
    deal's country whose customer's name is at least `threshold` similar."""
    account = deal.account
    if not account.normalized_name or not account.country:
        return {}
    others = _open_others(deal).filter(account__country=account.country)
    if connection.vendor == "postgresql":
        return _similar_names_trigram_index(others, account.normalized_name, threshold)
    return similar_names_scan(others, account.normalized_name, threshold)


def _similar_names_trigram_index(others, name: str, threshold: float) -> dict[int, float]:
    ids_sql, ids_params = others.order_by().values("id", "account_id").query.sql_with_params()
    with connection.cursor() as cursor:
        # `%` uses the GIN index on the names at this threshold (for this transaction).
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(threshold)]
        )
        cursor.execute(
            f"SELECT d.id, similarity(a.normalized_name, %s) "
            f"FROM ({ids_sql}) d JOIN deals_account a ON a.id = d.account_id "
            f"WHERE a.normalized_name %% %s",
            [name, *ids_params, name],
        )
        return {row[0]: float(row[1]) for row in cursor.fetchall()}


def similar_names_scan(others, name: str, threshold: float) -> dict[int, float]:
    """The portable fallback: pg_trgm's similarity computed here over the country's open
    registrations (a country's open deals, a few thousand at most on a quick start)."""
    found = {}
    for deal_id, other_name in others.values_list("id", "account__normalized_name"):
        score = similarity(name, other_name)
        if score >= threshold:
            found[deal_id] = score
    return found


def conflicts_find(*, deal: DealRegistration) -> list[ConflictEvidence]:
    """Other partners' open registrations for the deal's customer, with the evidence: three
    queries whatever the number of registrations."""
    threshold = settings.PRM_DEAL_NAME_SIMILARITY
    matches: dict[int, tuple[str, float]] = {}
    for deal_id, score in _similar_name_candidates(deal, threshold).items():
        matches[deal_id] = (ConflictMatch.NAME, round(score, 4))
    if deal.account.domain:
        for deal_id in (
            _open_others(deal)
            .filter(account__domain=deal.account.domain)
            .values_list("id", flat=True)
        ):
            matches[deal_id] = (ConflictMatch.DOMAIN, 1.0)
    if not matches:
        return []
    through = DealRegistration.technologies.through
    mine = set(
        through.objects.filter(dealregistration_id=deal.pk).values_list(
            "technology__slug", flat=True
        )
    )
    theirs: dict[int, set[str]] = {deal_id: set() for deal_id in matches}
    for deal_id, slug in through.objects.filter(dealregistration_id__in=list(matches)).values_list(
        "dealregistration_id", "technology__slug"
    ):
        theirs[deal_id].add(slug)
    evidence = []
    for deal_id, (matched_on, score) in sorted(matches.items()):
        shared = mine & theirs[deal_id]
        if mine and theirs[deal_id] and not shared:
            continue  # the same customer, but different products: no conflict
        evidence.append(
            ConflictEvidence(
                competing_id=deal_id,
                matched_on=matched_on,
                similarity=score,
                shared_technologies=sorted(shared),
            )
        )
    return evidence


def _lock_keys(deal: DealRegistration) -> list[int]:
    """Advisory lock keys serialising the checks that could find each other: one per domain
    and one per country (similar names conflict only within a country)."""
    names = [f"deals:country:{deal.account.country or '-'}"]
    if deal.account.domain:
        names.append(f"deals:domain:{deal.account.domain}")
    return sorted(
        int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        for name in names
    )


def conflicts_lock(*, deal: DealRegistration) -> None:
    """Hold, until the transaction ends, the locks of the deal's customer, so that two
    submissions for one customer at the same instant are checked one after the other: the
    second sees the first (commit order) and is flagged. PostgreSQL only; SQLite serialises
    writers itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in _lock_keys(deal):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def conflicts_record(*, deal: DealRegistration) -> list[DealConflict]:
    """Find and store the deal's conflicts (call inside the submission's transaction, after
    conflicts_lock); sets has_conflict on the deal row passed in (the caller saves it)."""
    evidence = conflicts_find(deal=deal)
    rows = [
        DealConflict(
            deal=deal,
            competing_id=item.competing_id,
            matched_on=item.matched_on,
            similarity=item.similarity,
            shared_technologies=item.shared_technologies,
        )
        for item in evidence
    ]
    DealConflict.objects.bulk_create(rows, ignore_conflicts=True)
    deal.has_conflict = bool(rows) or deal.has_conflict
    return rows
