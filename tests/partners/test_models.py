import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from partners.models import PartnerCertification, Tier
from tests.partners.factories import (
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
)

pytestmark = pytest.mark.django_db


def test_default_tiers_exist_in_rank_order():
    assert list(Tier.objects.values_list("slug", flat=True)) == [
        "registered",
        "silver",
        "gold",
        "platinum",
    ]


def test_external_id_is_unique():
    PartnerFactory(external_id="SAME")
    with pytest.raises(IntegrityError):
        PartnerFactory(external_id="SAME")


def test_tech_savviness_outside_one_to_five_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        PartnerFactory(tech_savviness=6)


def test_contact_email_is_unique():
    ContactFactory(email="a@example.com")
    with pytest.raises(IntegrityError):
        ContactFactory(email="a@example.com")


def test_certification_counts_until_the_day_before_it_expires():
    # given
    today = timezone.localdate()
    expiring_today = PartnerCertificationFactory(expires_at=today)
    expiring_tomorrow = PartnerCertificationFactory(expires_at=today + dt.timedelta(days=1))
    never_expires = PartnerCertificationFactory(expires_at=None)
    # when
    active = set(PartnerCertification.objects.active(on=today))
    # then
    assert active == {expiring_tomorrow, never_expires}
    assert not expiring_today.is_active
    assert expiring_tomorrow.is_active


def test_string_representations():
    contact = ContactFactory(first_name="Grace", last_name="Hopper", email="g@example.com")
    assert str(contact) == "Grace Hopper <g@example.com>"
    assert str(contact.partner) == contact.partner.name
    assert str(Tier.objects.get(slug="gold")) == "Gold"
