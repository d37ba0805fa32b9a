"""Demo partner applications for the quick start: a handful of recent applicants waiting in
the applications queue, submitted through the public form's own service."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from partners import onboarding
from partners.models import Partner

# name, type, region, country, employees, technologies, industries, contact, role, days ago
APPLICATIONS = [
    (
        "Northwind Cloud Services",
        "msp",
        "emea",
        "DE",
        45,
        ["azure", "security"],
        ["finance"],
        ("Lena", "Vogel"),
        "executive",
        1,
    ),
    (
        "Blue Harbor IT",
        "var",
        "na",
        "US",
        120,
        ["aws", "networking"],
        ["retail"],
        ("Marcus", "Reed"),
        "sales",
        2,
    ),
    (
        "Kestrel Data Labs",
        "isv",
        "apac",
        "AU",
        30,
        ["data-analytics", "ai-ml"],
        ["healthcare"],
        ("Priya", "Nair"),
        "technical",
        4,
    ),
    (
        "Solano Integraciones",
        "si",
        "latam",
        "MX",
        80,
        ["erp", "crm"],
        ["manufacturing"],
        ("Diego", "Ramos"),
        "executive",
        6,
    ),
    (
        "Fjord Secure AS",
        "msp",
        "emea",
        "NO",
        22,
        ["security", "gcp"],
        ["energy"],
        ("Ingrid", "Berg"),
        "technical",
        9,
    ),
    (
        "Lumen Retail Tech",
        "var",
        "na",
        "CA",
        60,
        ["collaboration", "crm"],
        ["retail"],
        ("Chloe", "Martin"),
        "marketing",
        13,
    ),
]
MESSAGE = "We would like to resell and support your platform for our customers."


def demo_applications_seed(*, now: dt.datetime | None = None) -> int:
    """Submit the demo applications that do not exist yet (by company name); returns how many.
    The confirmation e-mails are not sent: the applicants are fictional."""
    now = now or timezone.now()
    created = 0
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        for (name, kind, region, country, employees, technologies, industries, person,
             role, days_ago) in APPLICATIONS:  # fmt: skip
            if Partner.objects.filter(name__iexact=name).exists():
                continue
            first, last = person
            domain = name.lower().split()[0]
            partner = onboarding.partner_application_submit(
                name=name,
                partner_type=kind,
                region=region,
                country=country,
                employee_count=employees,
                website=f"https://{domain}.example.com",
                technologies=technologies,
                industries=industries,
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}@{domain}.example.com",
                role=role,
                job_title="Managing director" if role == "executive" else "",
                message=MESSAGE,
            )
            submitted = now - dt.timedelta(days=days_ago, hours=3)
            attributes = partner.attributes
            attributes["application"]["submitted_at"] = submitted.isoformat()
            Partner.objects.filter(pk=partner.pk).update(
                created_at=submitted, attributes=attributes
            )
            created += 1
    return created
