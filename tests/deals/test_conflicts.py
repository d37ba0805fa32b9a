"""Conflict detection on submission: the same registered domain, or a similar normalised name
in the same country, among other partners' open registrations with overlapping products; and
the false positives it must not make."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from deals.conflicts import similar_names_scan, similarity
from deals.models import ConflictMatch, DealConflict, DealRegistration, DealStatus
from deals.services import deal_create, deal_reject, deal_submit, deal_withdraw
from tests.partners.factories import PartnerFactory, TechnologyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(is_staff=True)


def _submit(manager, *, partner=None, **fields):
    values = {
        "account_name": "Acme Corp",
        "account_domain": "",
        "account_country": "DE",
        "name": "Opportunity",
        "amount": "75000",
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=30),
    }
    deal = deal_create(partner=partner or PartnerFactory(), user=manager, **{**values, **fields})
    return deal_submit(deal=deal, user=manager)


def _evidence(deal):
    return list(DealConflict.objects.filter(deal=deal).values_list("competing_id", "matched_on"))


def test_the_same_domain_conflicts_whatever_the_name_and_country(manager):
    first = _submit(manager, account_name="Acme Corp", account_domain="acme.com")
    second = _submit(
        manager,
        account_name="Acme International",
        account_domain="https://shop.acme.com/en",
        account_country="US",
    )
    assert _evidence(second) == [(first.pk, ConflictMatch.DOMAIN)]
    assert DealConflict.objects.get(deal=second).similarity == 1.0


def test_a_similar_name_in_the_same_country_conflicts_with_its_similarity(manager):
    # legal suffixes and punctuation go before names are compared
    first = _submit(manager, account_name="Northwind Traders GmbH")
    second = _submit(manager, account_name="NORTHWIND-TRADERS")
    conflict = DealConflict.objects.get(deal=second)
    assert (conflict.competing_id, conflict.matched_on) == (first.pk, ConflictMatch.NAME)
    assert conflict.similarity == pytest.approx(1.0)
    # a close name (0.64 similar, above the 0.6 threshold) competes with both
    third = _submit(manager, account_name="Northwind Trading")
    scores = DealConflict.objects.filter(deal=third, matched_on="name").values_list(
        "similarity", flat=True
    )
    assert sorted(scores) == pytest.approx([0.6364, 0.6364], abs=1e-4)


def test_the_threshold_is_configurable(manager, settings):
    _submit(manager, account_name="Northwind Traders")
    settings.PRM_DEAL_NAME_SIMILARITY = 0.7
    assert not _submit(manager, account_name="Northwind Trading").has_conflict
    settings.PRM_DEAL_NAME_SIMILARITY = 0.5
    assert _submit(manager, account_name="Northwind Trading").has_conflict


def test_the_same_name_in_another_country_with_other_domains_is_not_a_conflict(manager):
    _submit(manager, account_name="Acme Corp", account_domain="acme.de", account_country="DE")
    us = _submit(manager, account_name="Acme Corp", account_domain="acme.com", account_country="US")
    assert not us.has_conflict
    same_country = _submit(
        manager, account_name="Acme Corp", account_domain="acme-gruppe.de", account_country="DE"
    )
    assert same_country.has_conflict
    assert _evidence(same_country)[0][1] == ConflictMatch.NAME


def test_dissimilar_names_and_the_partners_own_registrations_do_not_conflict(manager):
    partner = PartnerFactory()
    _submit(manager, partner=partner, account_name="Acme Corp")
    assert not _submit(manager, partner=partner, account_name="Acme Corp").has_conflict
    assert not _submit(manager, account_name="Umbrella Pharma").has_conflict


def test_products_must_overlap_and_a_registration_naming_none_overlaps_any(manager):
    cloud, printers, security = (
        TechnologyFactory(slug=s, name=s.title()) for s in ("cloud", "printers", "security")
    )
    first = _submit(manager, technologies=[cloud.slug, security.slug])
    assert not _submit(manager, technologies=[printers.slug]).has_conflict
    overlapping = _submit(manager, technologies=[security.slug, printers.slug])
    assert DealConflict.objects.get(deal=overlapping, competing=first).shared_technologies == [
        "security"
    ]
    unnamed = _submit(manager)
    assert first.pk in [competing for competing, _ in _evidence(unnamed)]


@pytest.mark.parametrize("closed_by", ["reject", "withdraw", "expired", "won"])
def test_only_open_unexpired_registrations_compete(manager, closed_by):
    first = _submit(manager)
    if closed_by == "reject":
        deal_reject(deal=first, user=manager, reason="Duplicate")
    elif closed_by == "withdraw":
        deal_withdraw(deal=first, user=manager)
    elif closed_by == "expired":
        DealRegistration.objects.filter(pk=first.pk).update(
            status=DealStatus.APPROVED, protection_ends_on=timezone.localdate() - dt.timedelta(1)
        )
    else:
        DealRegistration.objects.filter(pk=first.pk).update(status=DealStatus.WON)
    assert not _submit(manager).has_conflict


def test_an_approved_protected_registration_competes(manager):
    first = _submit(manager)
    DealRegistration.objects.filter(pk=first.pk).update(
        status=DealStatus.APPROVED, protection_ends_on=timezone.localdate()
    )
    assert _evidence(_submit(manager)) == [(first.pk, ConflictMatch.NAME)]


def test_a_conflict_blocks_the_auto_approval(manager):
    from tests.deals.factories import IncentiveRuleFactory

    IncentiveRuleFactory(auto_approve_below=1_000_000)
    assert _submit(manager).status == DealStatus.APPROVED
    flagged = _submit(manager)
    assert (flagged.status, flagged.has_conflict) == (DealStatus.SUBMITTED, True)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("acme", "acme corp"),
        ("acme corporation", "acme corporations"),
        ("müller bau", "mueller bau"),
        ("globex", "initech"),
        ("a b c", "abc"),
        ("data 2 go", "data2go"),
    ],
)
def test_the_portable_similarity_is_pg_trgms(left, right):
    with connection.cursor() as cursor:
        cursor.execute("SELECT similarity(%s, %s)", [left, right])
        (expected,) = cursor.fetchone()
    assert similarity(left, right) == pytest.approx(expected, abs=1e-6)


def test_the_portable_fallback_finds_what_the_trigram_index_finds(manager):
    for name in ("Northwind Traders", "Northwind Trading", "Northwind", "Northwinds", "Umbrella"):
        _submit(manager, account_name=name)
    probe = deal_create(
        partner=PartnerFactory(), user=manager, account_name="Northwind Traders Ltd",
        account_country="DE", name="x", amount="1", currency="EUR",
        expected_close_date=timezone.localdate(),
    )  # fmt: skip
    indexed = {c.competing_id: c.similarity for c in map(_as_row, _find(probe))}
    others = DealRegistration.objects.filter(status=DealStatus.SUBMITTED).exclude(pk=probe.pk)
    scanned = similar_names_scan(others, probe.account.normalized_name, 0.6)
    assert indexed
    assert indexed.keys() == scanned.keys()
    for deal_id, score in scanned.items():
        assert indexed[deal_id] == pytest.approx(score, abs=1e-4)


def _find(deal):
    from deals.conflicts import conflicts_find

    return conflicts_find(deal=deal)


def _as_row(evidence):
    return DealConflict(competing_id=evidence.competing_id, similarity=evidence.similarity)


@pytest.mark.django_db(transaction=True)
def test_two_submissions_for_one_customer_at_the_same_instant(manager):
    # given two partners' drafts for the same customer, submitted by two threads released
    # together, three times over
    for customer in ("Initech", "Globex", "Vandelay"):
        drafts = [
            deal_create(
                partner=PartnerFactory(),
                user=manager,
                account_name=f"{customer} AG",
                account_domain=f"{customer.lower()}.de",
                account_country="DE",
                name=customer,
                amount="50000",
                currency="EUR",
                expected_close_date=timezone.localdate() + dt.timedelta(days=20),
            )
            for _ in range(2)
        ]
        start = threading.Barrier(2)
        failures = []

        def submit(deal, start=start, failures=failures):
            try:
                start.wait(timeout=10)
                deal_submit(deal=deal, user=manager)
            except Exception as error:  # reported below
                failures.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=submit, args=(deal,)) for deal in drafts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        # then both are stored; the one committed first is clean, the other flagged against it
        assert not failures
        first, second = sorted(
            DealRegistration.objects.filter(pk__in=[d.pk for d in drafts]),
            key=lambda deal: deal.submitted_at,
        )
        assert (first.status, second.status) == (DealStatus.SUBMITTED, DealStatus.SUBMITTED)
        assert (first.has_conflict, second.has_conflict) == (False, True)
        assert _evidence(second) == [(first.pk, ConflictMatch.DOMAIN)]
