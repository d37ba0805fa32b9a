import datetime as dt
from decimal import Decimal
from importlib import import_module

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.models import (
    Certification,
    Contact,
    ContactRole,
    Industry,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    PerformanceRecord,
    Region,
    Technology,
    Tier,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct-horse-battery")


def ensure_default_tiers() -> None:
    """Create the tiers of the data migration (a transactional test's flush removes them)."""
    migration = import_module("partners.migrations.0003_default_tiers")
    for default in migration.DEFAULT_TIERS:
        Tier.objects.update_or_create(slug=default["slug"], defaults=default)


def tier(slug: str) -> Tier:
    """One of the default tiers created by the data migration."""
    return Tier.objects.get(slug=slug)


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"industry-{n}")
    name = factory.LazyAttribute(lambda tag: tag.slug.title())


class TechnologyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technology
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"technology-{n}")
    name = factory.LazyAttribute(lambda tag: tag.slug.title())


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"certification-{n}")
    name = factory.LazyAttribute(lambda cert: cert.slug.title())
    validity_days = 365


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Partner {n:05d}")
    external_id = factory.Sequence(lambda n: f"EXT-{n:07d}")
    partner_type = PartnerType.VAR
    region = Region.EMEA
    country = "DE"
    employee_count = 120
    annual_revenue = Decimal("2500000.00")
    lifecycle_stage = LifecycleStage.ACTIVE
    joined_at = dt.date(2022, 3, 1)
    tech_savviness = 3
    revenue_12m = Decimal("400000.00")
    deals_won_12m = 12

    @factory.post_generation
    def industries(self, create, extracted, **kwargs):
        if create and extracted:
            self.industries.set([IndustryFactory(slug=slug) for slug in extracted])

    @factory.post_generation
    def technologies(self, create, extracted, **kwargs):
        if create and extracted:
            self.technologies.set([TechnologyFactory(slug=slug) for slug in extracted])


class PartnerCertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerCertification

    partner = factory.SubFactory(PartnerFactory)
    certification = factory.SubFactory(CertificationFactory)
    earned_at = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=30))
    expires_at = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=335))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    partner = factory.SubFactory(PartnerFactory)
    first_name = factory.Sequence(lambda n: f"Ada{n}")
    last_name = "Lovelace"
    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    role = ContactRole.SALES
    email_opt_in = True


class PerformanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PerformanceRecord

    partner = factory.SubFactory(PartnerFactory)
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    revenue = Decimal("10000.00")
    deals_registered = 3
    deals_won = 1
