"""Partners, their people, tiers, tags, certifications and performance."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField


class PartnerType(models.TextChoices):
    RESELLER = "reseller", "Reseller"
    VAR = "var", "Value-added reseller"
    MSP = "msp", "Managed service provider"
    REFERRAL = "referral", "Referral"
    ALLIANCE = "alliance", "Alliance"
    DISTRIBUTOR = "distributor", "Distributor"
    ISV = "isv", "Independent software vendor"
    SI = "si", "System integrator"


class Region(models.TextChoices):
    NA = "na", "North America"
    LATAM = "latam", "Latin America"
    EMEA = "emea", "Europe, Middle East and Africa"
    APAC = "apac", "Asia-Pacific"


class LifecycleStage(models.TextChoices):
    APPLICANT = "applicant", "Applicant"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    DORMANT = "dormant", "Dormant"
    CHURNED = "churned", "Churned"


class ContactRole(models.TextChoices):
    SALES = "sales", "Sales"
    TECHNICAL = "technical", "Technical"
    MARKETING = "marketing", "Marketing"
    EXECUTIVE = "executive", "Executive"


class Tier(models.Model):
    """A level of the partner program; a higher rank is a better tier."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(unique=True)
    description = models.TextField(blank=True)
    min_revenue_12m = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    min_deals_won_12m = models.PositiveIntegerField(null=True, blank=True)
    min_active_certifications = models.PositiveSmallIntegerField(null=True, blank=True)
    required_certifications = models.ManyToManyField(
        "Certification",
        blank=True,
        related_name="required_by_tiers",
        help_text="When set, only active certifications from this set count toward "
        "min_active_certifications.",
    )
    min_enablement_completion_pct = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Minimum enablement completion (0-100); empty = no requirement.",
    )
    is_automatic = models.BooleanField(
        default=True,
        help_text="Partners qualify into this tier by its requirements; otherwise only a "
        "manager assigns it (and the evaluation leaves its partners alone).",
    )
    benefits = models.JSONField(default=list, blank=True, help_text="A list of benefit texts.")

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A slugged label; partners carry industries (verticals) and technologies (horizontals)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Industry(Tag):
    class Meta(Tag.Meta):
        verbose_name_plural = "industries"


class Technology(Tag):
    class Meta(Tag.Meta):
        verbose_name_plural = "technologies"


class Certification(Tag):
    """The certification catalogue; what a partner has earned is a PartnerCertification."""

    description = models.TextField(blank=True)
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days a certification stays valid; empty = no expiry."
    )
    skills = models.JSONField(default=list, blank=True)


class PartnerQuerySet(models.QuerySet):
    def with_profile(self) -> PartnerQuerySet:
        """Everything the partner JSON and export need, in a constant number of queries."""
        return self.select_related("tier").prefetch_related(
            "industries", "technologies", _active_certifications()
        )

    def with_list_profile(self) -> PartnerQuerySet:
        """with_profile for many partners at once: the tags come as plain lists
        (industry_list, technology_list) instead of prefetched managers, because building a
        manager and a queryset per partner and relation was most of a page's fetch time."""
        return self.select_related("tier").prefetch_related(
            models.Prefetch("industries", to_attr="industry_list"),
            models.Prefetch("technologies", to_attr="technology_list"),
            _active_certifications(),
        )


def _active_certifications() -> models.Prefetch:
    """Unexpired certification awards (with their certification) as active_certifications."""
    return models.Prefetch(
        "certifications",
        queryset=PartnerCertification.objects.active(on=timezone.localdate()).select_related(
            "certification"
        ),
        to_attr="active_certifications",
    )


class Partner(models.Model):
    """A partner company: the one profile every other part of the PRM reads."""

    partner_scope = "pk"  # see partners.scoping

    name = models.CharField(max_length=255)
    external_id = models.CharField(
        max_length=64, unique=True, help_text="The integration key (CRM/ERP id)."
    )
    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="partners"
    )
    region = models.CharField(max_length=10, choices=Region.choices, null=True, blank=True)
    country = CountryField(null=True, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    annual_revenue = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, db_index=True
    )
    lifecycle_stage = models.CharField(
        max_length=20, choices=LifecycleStage.choices, default=LifecycleStage.APPLICANT
    )
    joined_at = models.DateField(null=True, blank=True, db_index=True)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_partners",
        help_text="The channel manager who owns the relationship: told of what needs them.",
    )
    tech_savviness = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        db_index=True,
        help_text="1 (needs basics) to 5 (specialist).",
    )
    industries = models.ManyToManyField(Industry, blank=True, related_name="partners")
    technologies = models.ManyToManyField(Technology, blank=True, related_name="partners")
    revenue_12m = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, db_index=True
    )
    deals_won_12m = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    engagement_score = models.FloatField(null=True, blank=True, db_index=True)
    last_activity_at = models.DateTimeField(null=True, blank=True, db_index=True)
    enablement_completion_pct = models.FloatField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Share of assigned enablement completed (0-100); filled by enablement.",
    )
    attributes = models.JSONField(
        default=dict, blank=True, help_text="Custom key/values added without a migration."
    )
    # db_default too: bulk SQL inserts that name their columns (benchmarks) still work.
    is_at_risk = models.BooleanField(
        default=False,
        db_default=False,
        db_index=True,
        help_text="Revenue and engagement both falling; refreshed by insights on a schedule.",
    )
    at_risk_reasons = models.JSONField(
        default=list,
        db_default=[],
        blank=True,
        help_text="Why the partner is at risk: the revenue and engagement figures compared.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        # Plain b-tree indexes for the text columns: `db_index=True` would add a second,
        # LIKE-pattern index on PostgreSQL that exact filters never use and every write pays.
        # PostgreSQL-only indexes (trigram search, JSONB attributes) live in migration 0002.
        indexes = [
            models.Index(fields=["name", "id"], name="partner_name_idx"),
            models.Index(fields=["partner_type"], name="partner_type_idx"),
            models.Index(fields=["region"], name="partner_region_idx"),
            models.Index(fields=["country"], name="partner_country_idx"),
            models.Index(fields=["lifecycle_stage"], name="partner_lifecycle_stage_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(tech_savviness__isnull=True) | Q(tech_savviness__range=(1, 5)),
                name="partner_tech_savviness_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(annual_revenue__isnull=True) | Q(annual_revenue__gte=0),
                name="partner_annual_revenue_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at a partner; optionally a portal login (user)."""

    partner_scope = "partner"  # see partners.scoping

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, unique=True)
    phone = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    role = models.CharField(max_length=20, choices=ContactRole.choices, db_index=True)
    interests = models.JSONField(default=list, blank=True, help_text="A list of topic slugs.")
    language = models.CharField(max_length=10, default="en", db_index=True)
    email_opt_in = models.BooleanField(default=False, db_index=True)
    # db_default too: bulk SQL inserts that name their columns (benchmarks) still work.
    is_partner_admin = models.BooleanField(
        default=False,
        db_default=False,
        help_text="May edit the company profile and invite or deactivate colleagues in the "
        "partner portal.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
        help_text="The portal login of this person, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class PartnerCertificationQuerySet(models.QuerySet):
    def active(self, *, on: dt.date | None = None) -> PartnerCertificationQuerySet:
        """Certifications valid on a date: an expiry date is the first day it no longer counts."""
        on = on or timezone.localdate()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=on))


class PartnerCertification(models.Model):
    """A certification a partner has earned, valid until expires_at (exclusive)."""

    partner_scope = "partner"  # see partners.scoping

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="certifications")
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, related_name="awards"
    )
    earned_at = models.DateField()
    expires_at = models.DateField(null=True, blank=True, db_index=True)

    objects = PartnerCertificationQuerySet.as_manager()

    class Meta:
        ordering = ["certification__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "certification"], name="partner_certification_unique"
            ),
        ]
        indexes = [models.Index(fields=["certification", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.partner} - {self.certification}"

    @property
    def is_active(self) -> bool:
        return self.expires_at is None or self.expires_at > timezone.localdate()


class PerformanceRecord(models.Model):
    """A partner's results for one calendar month (month = its first day)."""

    partner_scope = "partner"  # see partners.scoping

    # No index of its own: the unique (partner, month) index serves lookups by partner.
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="performance", db_index=False
    )
    month = models.DateField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    deals_registered = models.PositiveIntegerField(default=0)
    deals_won = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["partner", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="performance_partner_month"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m}"


class TierChangeDirection(models.TextChoices):
    UP = "up", "Up"
    DOWN = "down", "Down"


class TierChangeStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"


class TierChangeSource(models.TextChoices):
    SCHEDULE = "schedule", "Scheduled evaluation"
    MANUAL = "manual", "Manual evaluation"


class TierChangeQuerySet(models.QuerySet):
    def pending(self) -> TierChangeQuerySet:
        return self.filter(status=TierChangeStatus.PENDING)

    def applied(self) -> TierChangeQuerySet:
        return self.filter(status=TierChangeStatus.APPLIED)


class TierChange(models.Model):
    """A move of a partner between tiers found by the tier evaluation, with its reasons:
    applied at once, or pending until a manager approves or rejects it."""

    partner_scope = "partner"  # see partners.scoping

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(max_length=10, choices=TierChangeDirection.choices)
    status = models.CharField(
        max_length=20, choices=TierChangeStatus.choices, default=TierChangeStatus.PENDING
    )
    reasons = models.JSONField(
        default=dict,
        blank=True,
        help_text="Each requirement {requirement, required, actual, met} of the new tier "
        "(to_tier) and of the tier left behind (from_tier).",
    )
    source = models.CharField(max_length=20, choices=TierChangeSource.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TierChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status="pending"),
                name="tier_change_one_pending_per_partner",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or '-'} -> {self.to_tier or '-'} ({self.status})"
