"""Small, hand-made data sets shared by the insights tests."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from segments.models import Membership, MembershipEvent, MembershipEventKind, SegmentKind
from tests.communications.factories import MessageFactory
from tests.enablement.factories import EnrollmentFactory, LearningPathFactory
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
)
from tests.segments.factories import SegmentFactory

# The KPI tests look at January, February and March 2026 from the middle of March.
KPI_TODAY = dt.date(2026, 3, 15)


def at(year: int, month: int, day: int) -> dt.datetime:
    """Noon of a local day, away from any period boundary."""
    return timezone.make_aware(dt.datetime(year, month, day, 12))


def revenue(partner, year: int, month: int, amount: int, deals_won: int = 0):
    return PerformanceRecordFactory(
        partner=partner,
        month=dt.date(year, month, 1),
        revenue=Decimal(amount),
        deals_won=deals_won,
    )


@pytest.fixture
def kpi_world(db):
    """One segment over three months (see test_selectors for the arithmetic).

    A joined in Dec 2025 and stays; B joined 20 Jan; C joined 5 Jan and left 10 Feb; D is a
    member since 15 Feb without any recorded event (counted from its joined_at).
    """
    segment = SegmentFactory(
        name="Cloud resellers", slug="cloud", kind=SegmentKind.STATIC, rule=None
    )
    a, b, c, d = (PartnerFactory(name=name) for name in ("A", "B", "C", "D"))
    for partner, kind, when in (
        (a, MembershipEventKind.JOINED, at(2025, 12, 10)),
        (b, MembershipEventKind.JOINED, at(2026, 1, 20)),
        (c, MembershipEventKind.JOINED, at(2026, 1, 5)),
        (c, MembershipEventKind.LEFT, at(2026, 2, 10)),
    ):
        MembershipEvent.objects.create(segment=segment, partner=partner, kind=kind, at=when)
    Membership.objects.create(segment=segment, partner=a, joined_at=at(2025, 12, 10))
    Membership.objects.create(segment=segment, partner=b, joined_at=at(2026, 1, 20))
    Membership.objects.create(segment=segment, partner=d, joined_at=at(2026, 2, 15))

    revenue(a, 2025, 6, 1000)
    revenue(a, 2026, 1, 200, deals_won=2)
    revenue(a, 2026, 2, 300, deals_won=1)
    revenue(a, 2026, 3, 400)
    revenue(b, 2026, 1, 100, deals_won=1)
    revenue(b, 2026, 2, 100)
    revenue(c, 2026, 1, 50)
    revenue(c, 2026, 2, 70)
    revenue(d, 2026, 3, 1000)

    # A's certification counts at the end of Jan and Feb (expires 5 Mar); B's from Feb on.
    PartnerCertificationFactory(
        partner=a,
        certification=CertificationFactory(slug="cloud-architect"),
        earned_at=dt.date(2026, 1, 10),
        expires_at=dt.date(2026, 3, 5),
    )
    PartnerCertificationFactory(
        partner=b,
        certification=CertificationFactory(slug="security"),
        earned_at=dt.date(2026, 2, 20),
        expires_at=None,
    )

    contact_a, contact_b, contact_c = (ContactFactory(partner=p) for p in (a, b, c))
    EnrollmentFactory(
        contact=contact_a,
        path=LearningPathFactory(),
        enrolled_at=at(2026, 1, 5),
        completed_at=at(2026, 2, 10),
    )
    EnrollmentFactory(contact=contact_a, path=LearningPathFactory(), enrolled_at=at(2026, 2, 20))
    EnrollmentFactory(
        contact=contact_b,
        path=LearningPathFactory(),
        enrolled_at=at(2026, 1, 15),
        completed_at=at(2026, 1, 20),
    )

    def sent(contact, when, opened=False, clicked=False):
        MessageFactory(
            contact=contact,
            created_at=when,
            sent_at=when,
            opened_at=when if opened else None,
            clicked_at=when if clicked else None,
        )

    sent(contact_a, at(2026, 1, 10), opened=True, clicked=True)
    sent(contact_a, at(2026, 1, 20), opened=True)
    sent(contact_a, at(2026, 2, 5))
    sent(contact_c, at(2026, 1, 12), opened=True)
    MessageFactory(contact=contact_b, created_at=at(2026, 1, 12), status="queued", sent_at=None)
    return {"segment": segment, "a": a, "b": b, "c": c, "d": d}
