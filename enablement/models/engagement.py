"""Engagement events and certification expiry reminders."""

from __future__ import annotations

from django.db import models

from enablement.models.content import ContentItem
from enablement.models.learning import LearningStep
from partners.models import Contact, Partner, PartnerCertification


class EngagementKind(models.TextChoices):
    VIEW = "view", "Content viewed"
    DOWNLOAD = "download", "File downloaded"
    COMPLETION = "completion", "Step completed"
    QUIZ = "quiz", "Quiz passed"


class EngagementEvent(models.Model):
    """One thing a partner's person did with enablement; rolled up into the partner profile."""

    partner_scope = "partner"  # see partners.scoping

    contact = models.ForeignKey(
        Contact, null=True, on_delete=models.SET_NULL, related_name="engagement_events"
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, related_name="engagement_events", db_index=False
    )
    kind = models.CharField(max_length=10, choices=EngagementKind.choices)
    content = models.ForeignKey(
        ContentItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    step = models.ForeignKey(
        LearningStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "at"])]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CertificationReminder(models.Model):
    """A partner certification was reminded of its coming expiry (once per expiry date)."""

    partner_certification = models.ForeignKey(
        PartnerCertification, on_delete=models.CASCADE, related_name="reminders"
    )
    expires_at = models.DateField()
    reminded_at = models.DateTimeField()

    class Meta:
        ordering = ["-reminded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_certification", "expires_at"],
                name="certification_reminder_once_per_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner_certification} expires {self.expires_at}"
