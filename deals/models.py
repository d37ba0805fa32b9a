"""Deal registration: the end customers partners sell to, the deals they register, the
incentive rules that price them, and the record of every decision.

Money is an amount (Decimal) and an ISO 4217 currency (prm.formatting.Money prints it).
"""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from partners.models import Industry, Partner, Technology, Tier
from prm.uploads import ProtectedStorage
from segments.models import Segment

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]

_attachment_storage = ProtectedStorage()


def attachment_storage() -> ProtectedStorage:
    """Deal attachments (quotes, RFPs) are not public: no URL, served by the scoped views."""
    return _attachment_storage


def attachment_upload_path(instance: DealRegistration, filename: str) -> str:
    """A random folder per upload, so no file name can be guessed from another."""
    return f"deals/{uuid.uuid4().hex}/{os.path.basename(filename)}"


class Account(models.Model):
    """An end customer. One row per customer, reused by every registration that names it:
    matched on the web domain when there is one, else on normalised name and country."""

    name = models.CharField(max_length=200)
    normalized_name = models.CharField(
        max_length=200,
        db_index=True,
        help_text="The name without legal suffixes (GmbH, Inc., Ltd, S.A.) and punctuation, "
        "case folded: what conflicts compare.",
    )
    domain = models.CharField(
        max_length=253, blank=True, default="", help_text="Registered domain, e.g. acme.co.uk."
    )
    country = CountryField(null=True, blank=True)
    industry = models.ForeignKey(
        Industry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~Q(domain=""), name="deal_account_unique_domain"
            ),
        ]
        indexes = [
            models.Index(fields=["domain"], name="deal_account_domain_idx"),
            models.Index(fields=["country", "normalized_name"], name="deal_account_country_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class DealStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    EXPIRED = "expired", "Expired"


# The states in which a registration protects its customer, and so can conflict.
OPEN_STATUSES = (DealStatus.SUBMITTED, DealStatus.APPROVED)


def open_q(today, *, prefix: str = "") -> Q:
    """An open registration on `today`: submitted, or approved and its protection not ended
    (the sweep expires it the day after). `prefix` reads it through a relation ("deals__").
    What conflicts compete with, and what the open pipeline counts."""
    return Q(**{f"{prefix}status": DealStatus.SUBMITTED}) | Q(
        Q(**{f"{prefix}protection_ends_on__isnull": True})
        | Q(**{f"{prefix}protection_ends_on__gte": today}),
        **{f"{prefix}status": DealStatus.APPROVED},
    )


class ExtensionStatus(models.TextChoices):
    NONE = "none", "None asked"
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class IncentiveRule(models.Model):
    """(segment or any, tier or any, deal size band) → the incentive of a registration.

    The most specific rule that matches wins: segment + tier over segment over tier over the
    band alone; among equally specific rules the higher priority, then the lower id."""

    name = models.CharField(max_length=120)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    currency = models.CharField(
        max_length=3, help_text="The band's currency; the rule prices deals in this currency."
    )
    min_amount = models.DecimalField(
        max_digits=16, decimal_places=2, default=0, help_text="Band start, inclusive."
    )
    max_amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Band end, exclusive; empty = no upper bound.",
    )
    discount_pct = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    rebate_pct = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)
    protection_days = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    auto_approve_below = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Deals under this amount are approved on submission (unless in conflict).",
    )
    priority = models.IntegerField(
        default=0, help_text="Breaks ties between equally specific rules."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gte=0), name="incentive_rule_min_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gt=models.F("min_amount")),
                name="incentive_rule_band_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealRegistrationQuerySet(models.QuerySet):
    def open(self) -> DealRegistrationQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def pending_review(self) -> DealRegistrationQuerySet:
        return self.filter(status=DealStatus.SUBMITTED)


class DealRegistration(models.Model):
    """A deal a partner works, registered so the vendor protects it and pays its incentive."""

    partner_scope = "partner"  # see partners.scoping

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="deals")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The partner user (or manager) who registered it.",
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="deals")
    name = models.CharField(max_length=200, help_text="The opportunity.")
    technologies = models.ManyToManyField(Technology, blank=True, related_name="+")
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    currency = models.CharField(max_length=3)
    expected_close_date = models.DateField()
    notes = models.TextField(blank=True)
    attachment = models.FileField(
        upload_to=attachment_upload_path, storage=attachment_storage, blank=True, max_length=200
    )
    status = models.CharField(
        max_length=20, choices=DealStatus.choices, default=DealStatus.DRAFT, db_index=True
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(
        null=True, blank=True, help_text="When the review is due (the approval SLA)."
    )
    overdue_at = models.DateTimeField(
        null=True, blank=True, help_text="When the SLA sweep found the review overdue."
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    protection_ends_on = models.DateField(null=True, blank=True)
    expiry_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Won, lost or expired.")
    # The incentive locked in at approval; a later rule change leaves it alone.
    incentive_rule = models.ForeignKey(
        IncentiveRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discount_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    rebate_pct = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    protection_days = models.PositiveIntegerField(null=True, blank=True)
    incentive_explanation = models.JSONField(default=dict, blank=True)
    has_conflict = models.BooleanField(default=False, db_index=True)
    extension_status = models.CharField(
        max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.NONE
    )
    extension_days = models.PositiveIntegerField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DealRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deal_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["partner", "status"], name="deal_partner_status_idx"),
            models.Index(fields=["account", "status"], name="deal_account_status_idx"),
            models.Index(
                fields=["review_due_at"],
                condition=Q(status="submitted"),
                name="deal_review_due_idx",
            ),
            models.Index(
                fields=["protection_ends_on"],
                condition=Q(status="approved"),
                name="deal_protection_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class DealTransition(models.Model):
    """One change of a registration's state: who, when and why."""

    partner_scope = "deal__partner"  # see partners.scoping

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=DealStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=DealStatus.choices)
    action = models.CharField(max_length=40, help_text="The service that made it, e.g. approve.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.deal_id}: {self.from_status or '-'} -> {self.to_status}"


class ConflictMatch(models.TextChoices):
    DOMAIN = "domain", "Same web domain"
    NAME = "name", "Similar name in the same country"


class DealConflict(models.Model):
    """A registration flagged because another partner's open registration names the same
    customer; the evidence says which field matched and how closely.

    No partner scope: a conflict names the competing partner's registration, which a partner
    user must never see (their side shows only that the registration is under review)."""

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="conflicts")
    competing = models.ForeignKey(
        DealRegistration, on_delete=models.CASCADE, related_name="conflicted_by"
    )
    matched_on = models.CharField(max_length=20, choices=ConflictMatch.choices)
    similarity = models.FloatField(help_text="1.0 for the same domain; name similarity else.")
    shared_technologies = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-similarity", "id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "competing"], name="deal_conflict_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} vs {self.competing_id} ({self.matched_on})"


class PartnerDealStats(models.Model):
    """One partner's deal figures, the segment fields of the same names (deals.stats keeps
    them: after every transition for the partners it touched, and daily for everyone, as the
    12-month window rolls). A partner without a row has none: it reads as 0 (and the win rate
    as empty).

    Money: open_pipeline_amount is in PRM_CURRENCY, the currency of every partner figure
    (revenue_12m, the tier thresholds). A registration in another currency is converted at
    PRM_DEAL_EXCHANGE_RATES (units of PRM_CURRENCY per unit of it); one in a currency
    without a rate is left out of the amount (open_pipeline_count still counts it)."""

    partner = models.OneToOneField(
        Partner, primary_key=True, on_delete=models.CASCADE, related_name="deal_stats"
    )
    deals_registered_12m = models.PositiveIntegerField(
        default=0, help_text="Registrations submitted in the last 12 months."
    )
    deals_approved_12m = models.PositiveIntegerField(
        default=0, help_text="Registrations approved in the last 12 months."
    )
    won_12m = models.PositiveIntegerField(
        default=0, help_text="Registrations won (closed) in the last 12 months."
    )
    lost_12m = models.PositiveIntegerField(
        default=0, help_text="Registrations lost (closed) in the last 12 months."
    )
    deal_win_rate_12m = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="Won / (won + lost) of the deals closed in the last 12 months, in percent; "
        "empty when none closed.",
    )
    open_pipeline_amount = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        default=0,
        help_text="Submitted and unexpired approved registrations, in PRM_CURRENCY.",
    )
    open_pipeline_count = models.PositiveIntegerField(
        default=0, help_text="Submitted and unexpired approved registrations."
    )
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = "partner deal figures"
        verbose_name_plural = "partner deal figures"

    def __str__(self) -> str:
        return f"Deal figures of partner {self.partner_id}"
