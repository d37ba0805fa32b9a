"""End customers: names and domains normalised, one Account per customer reused by every
registration, and bad input refused field by field with nothing written."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals.models import Account, DealRegistration, DealTransition
from deals.services import account_get_or_create, deal_create, normalize_company_name
from deals.services import normalize_domain as domain_of
from tests.partners.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.co.uk/x", "acme.co.uk"),
        ("WWW.ACME.COM", "acme.com"),
        ("sales@eu.acme.de", "acme.de"),
        ("http://user@shop.acme.com.au:8080/cart?x=1#top", "acme.com.au"),
        ("acme.github.io", "acme.github.io"),
        ("", ""),
        ("not a domain", ""),
        ("localhost", ""),
    ],
)
def test_domains_are_reduced_to_the_registered_domain(raw, expected):
    assert domain_of(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Acme GmbH", "acme"),
        ("ACME, Inc.", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme S.A.", "acme"),
        ("Northwind-Traders  GmbH & Co. KG", "northwind traders"),
        ("Müller Bau AG", "müller bau"),
        ("GmbH", "gmbh"),
    ],
)
def test_names_lose_legal_suffixes_punctuation_and_case(raw, expected):
    assert normalize_company_name(raw) == expected


def test_an_account_is_found_again_by_domain_or_by_name_and_country():
    by_domain = account_get_or_create(name="Acme GmbH", domain="https://www.acme.de")
    assert account_get_or_create(name="ACME Deutschland", domain="acme.de") == by_domain
    by_name = account_get_or_create(name="Globex Ltd", country="gb")
    assert account_get_or_create(name="GLOBEX", country="GB") == by_name
    assert account_get_or_create(name="Globex", country="US") != by_name
    assert Account.objects.count() == 3


def _create(**overrides):
    values = {
        "partner": PartnerFactory(),
        "user": UserFactory(is_staff=True),
        "account_name": "Acme GmbH",
        "account_domain": "acme.de",
        "account_country": "DE",
        "name": "Acme renewal",
        "amount": "1000",
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=5),
    }
    return deal_create(**{**values, **overrides})


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1e15"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": None}, "amount"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": ""}, "currency"),
        ({"expected_close_date": "2020-01-01"}, "expected_close_date"),
        ({"expected_close_date": "next week"}, "expected_close_date"),
        ({"expected_close_date": None}, "expected_close_date"),
        ({"account_name": ""}, "account_name"),
        ({"account_name": "x" * 201}, "account_name"),
        ({"account_country": "ZZ"}, "account_country"),
        ({"account_domain": "not a domain"}, "account_domain"),
        ({"name": "  "}, "name"),
        ({"notes": "n" * 10_001}, "notes"),
        ({"technologies": ["no-such-technology"]}, "technologies"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(overrides, field):
    with pytest.raises(ValidationError) as refused:
        _create(**overrides)
    assert field in refused.value.message_dict
    assert not Account.objects.exists()
    assert not DealRegistration.objects.exists()
    assert not DealTransition.objects.exists()


def test_an_attachment_is_checked_like_every_upload(settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.PRM_DEAL_ATTACHMENT_MAX_BYTES = 1000
    pdf = SimpleUploadedFile("quote.pdf", b"%PDF-1.7 quote", content_type="application/pdf")
    deal = _create(attachment=pdf)
    assert deal.attachment.name.endswith(".pdf")
    for bad in (
        SimpleUploadedFile("quote.exe", b"MZ...", content_type="application/octet-stream"),
        SimpleUploadedFile("quote.pdf", b"<html>", content_type="application/pdf"),
        SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 2000, content_type="application/pdf"),
    ):
        with pytest.raises(ValidationError) as refused:
            _create(attachment=bad, account_domain="other.example")
        assert "attachment" in refused.value.message_dict
    assert DealRegistration.objects.count() == 1
