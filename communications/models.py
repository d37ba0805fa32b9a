"""Campaigns, their occurrences, the messages they freeze, preferences, tracking and surveys."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from partners.models import Contact, Partner
from segments.models import Segment


class Topic(models.TextChoices):
    NEWS = "news", "Product news"
    ENABLEMENT = "enablement", "Training and enablement"
    EVENTS = "events", "Events and webinars"
    PROGRAM = "program", "Partner program and tiers"
    SURVEY = "survey", "Surveys"
    SYSTEM = "system", "Service messages"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Portal inbox"
    BOTH = "both", "E-mail and portal inbox"


class ScheduleKind(models.TextChoices):
    NOW = "now", "As soon as scheduled"
    AT = "at", "At a time"
    RECURRING = "recurring", "Recurring"
    TRIGGERED = "triggered", "When a partner joins a segment"


class Recurrence(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Reentry(models.TextChoices):
    """How often a triggered campaign greets the same partner joining its segment again."""

    WINDOW = "window", "Once per partner within the frequency window (7 days)"
    ONCE_EVER = "once_ever", "Once per partner, ever"
    EVERY_JOIN = "every_join", "Every time the partner joins"
    ONCE_PER_DAYS = "once_per_days", "At most once per partner every N days"


REENTRY_DAYS_MAX = 3650


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(models.Model):
    """A message to the right contacts of the right segments, on a schedule."""

    name = models.CharField(max_length=200)
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.NEWS)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    subject_template = models.CharField(max_length=300)
    body_template = models.TextField(
        help_text="Sandboxed template: contact, partner, tier, segments, recommended_content."
    )
    # Audience: contacts of partners in any included segment, minus excluded segments,
    # filtered by roles and (optionally) interests; empty roles/interests = everyone.
    include_segments = models.ManyToManyField(
        Segment, related_name="campaigns_including", blank=True
    )
    exclude_segments = models.ManyToManyField(
        Segment, related_name="campaigns_excluding", blank=True
    )
    roles = models.JSONField(default=list, blank=True)
    interests = models.JSONField(default=list, blank=True)
    # Schedule.
    schedule_kind = models.CharField(
        max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.NOW
    )
    scheduled_at = models.DateTimeField(null=True, blank=True)
    recurrence = models.CharField(max_length=10, choices=Recurrence.choices, blank=True)
    recurrence_time = models.TimeField(null=True, blank=True)
    recurrence_timezone = models.CharField(max_length=64, default="UTC")
    recurrence_weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(6)], help_text="0 = Monday."
    )
    recurrence_day = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    trigger_segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="triggered_campaigns",
    )
    trigger_delay_minutes = models.PositiveIntegerField(default=0)
    reentry = models.CharField(
        max_length=15,
        choices=Reentry.choices,
        default=Reentry.WINDOW,
        help_text="Triggered campaigns: whether a partner that re-joins is greeted again.",
    )
    reentry_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(REENTRY_DAYS_MAX)],
        help_text="For reentry=once_per_days: N.",
    )
    ends_at = models.DateTimeField(null=True, blank=True)
    next_occurrence_at = models.DateTimeField(null=True, blank=True, db_index=True)
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT, db_index=True
    )
    is_system = models.BooleanField(
        default=False, help_text="Service messages bypass frequency caps (never opt-outs)."
    )
    notice_key = models.CharField(
        max_length=50,
        blank=True,
        default="",
        editable=False,
        help_text="A system notice (communications.notices), e.g. deal_approved: its "
        "messages are written from their event, not from this campaign's templates.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice_key"], condition=~Q(notice_key=""), name="campaign_notice_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OccurrenceStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    FROZEN = "frozen", "Recipients frozen"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CampaignOccurrence(models.Model):
    """One sending of a campaign: its recipients are frozen into Message rows once.

    `key` makes an occurrence unique per campaign (the scheduled moment, or the partner and
    day of a segment-join trigger), so a repeated scheduler tick creates nothing twice."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="occurrences")
    key = models.CharField(max_length=100)
    due_at = models.DateTimeField(db_index=True)
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="For a segment-join trigger: the partner that joined.",
    )
    status = models.CharField(
        max_length=10, choices=OccurrenceStatus.choices, default=OccurrenceStatus.PENDING
    )
    frozen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="occurrence_campaign_key"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} @ {self.key}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SUPPRESSED = "suppressed", "Suppressed"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SuppressionReason(models.TextChoices):
    OPTED_OUT = "opted_out", "Opted out of all e-mail"
    TOPIC_OPT_OUT = "topic_opt_out", "Opted out of this topic"
    FREQUENCY_CAP = "frequency_cap", "Over the frequency cap"
    NO_EMAIL = "no_email", "No e-mail address"


class Message(models.Model):
    """What one contact receives from one occurrence (at most one, by constraint)."""

    partner_scope = "contact__partner"  # see partners.scoping

    # No single-column indexes for campaign and contact: the unique (campaign, contact,
    # occurrence) and the (contact, sent_at) indexes lead with them, and every frozen message
    # pays for each index.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    occurrence = models.ForeignKey(
        CampaignOccurrence, on_delete=models.CASCADE, related_name="messages"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(
        max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    suppression_reason = models.CharField(
        max_length=20, choices=SuppressionReason.choices, blank=True
    )
    to_email = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True, help_text="URLs the body contains.")
    message_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text="Read in the portal inbox.")
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact", "occurrence"], name="message_once_per_occurrence"
            ),
        ]
        indexes = [
            # Exact Message-ID lookups (bounces, replies); no LIKE-pattern twin.
            models.Index(fields=["message_id"], name="message_message_id"),
            # The dispatcher's queue: queued messages of an occurrence, claimed in id order.
            models.Index(
                fields=["occurrence", "id"],
                condition=Q(status="queued"),
                name="message_queued",
            ),
            # Frequency caps: what a contact was sent recently.
            models.Index(fields=["contact", "sent_at"], name="message_contact_sent"),
            # Frequency caps: what a contact has waiting to be sent (freeze, per contact).
            models.Index(
                fields=["contact"],
                condition=Q(status__in=["queued", "sending"]),
                name="message_pending",
            ),
            # The sweeper: messages in flight (a few hundred at most), by claim time.
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="message_sending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} -> {self.contact_id} ({self.status})"


class ContactPreference(models.Model):
    """A contact's communication preferences; no row = defaults (all topics, global cap)."""

    partner_scope = "contact__partner"  # see partners.scoping

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, related_name="preference")
    unsubscribed_all = models.BooleanField(default=False)
    topics_opted_out = models.JSONField(default=list, blank=True)
    max_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Overrides the global frequency cap for this contact."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.contact_id}"


class Survey(models.Model):
    """A short survey a campaign carries: NPS 0-10 plus free text."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="survey")
    question = models.CharField(
        max_length=300, default="How likely are you to recommend our partner program?"
    )
    comment_prompt = models.CharField(max_length=300, blank=True, default="Why?")

    def __str__(self) -> str:
        return self.question


class SurveyResponse(models.Model):
    partner_scope = "partner"  # see partners.scoping
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="survey_responses")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="survey_responses")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL)
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="survey_once_per_contact"),
            models.CheckConstraint(condition=Q(score__lte=10), name="survey_score_0_to_10"),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id}: {self.score}"
