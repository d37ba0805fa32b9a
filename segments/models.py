"""Segments of partners, their memberships and the history of every join and leave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from partners.models import Partner


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", "Dynamic (rule)"
    STATIC = "static", "Static (hand-picked)"


class SegmentQuerySet(models.QuerySet):
    def dynamic(self) -> SegmentQuerySet:
        return self.filter(kind=SegmentKind.DYNAMIC, is_active=True)


class Segment(models.Model):
    """A group of partners: dynamic (a rule, re-evaluated) or static (members by hand)."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    objective = models.TextField(help_text="Why this segment exists: what it is used for.")
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC, db_index=True
    )
    rule = models.JSONField(null=True, blank=True, help_text="The rule of a dynamic segment.")
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        help_text="Segments this segment's rule names (kept in step with the rule).",
    )
    is_active = models.BooleanField(default=True, db_index=True)
    refresh_interval_minutes = models.PositiveIntegerField(default=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Bumped on every rule change; a run of an older version is void."
    )
    member_count = models.PositiveIntegerField(default=0)
    last_evaluated_at = models.DateTimeField(null=True, blank=True)
    next_evaluation_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the scheduler runs it next."
    )
    consecutive_failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(objective=""), name="segment_objective_required"),
            models.CheckConstraint(
                condition=Q(kind="static") | Q(rule__isnull=False),
                name="segment_dynamic_has_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_dynamic(self) -> bool:
        return self.kind == SegmentKind.DYNAMIC


# Memberships and their events are the engine's hot tables: an evaluation writes hundreds of
# thousands of rows. Their foreign keys are kept by Django (on_delete cascades through the
# ORM) without database constraints, whose per-row triggers cost more than the insert itself,
# and without single-column indexes that the composite indexes below already cover.
HOT_TABLE_FOREIGN_KEY = {"on_delete": models.CASCADE, "db_constraint": False, "db_index": False}


class Membership(models.Model):
    """A partner is in a segment since joined_at."""

    partner_scope = "partner"  # see partners.scoping

    segment = models.ForeignKey(Segment, related_name="memberships", **HOT_TABLE_FOREIGN_KEY)
    partner = models.ForeignKey(Partner, related_name="memberships", **HOT_TABLE_FOREIGN_KEY)
    joined_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "partner"], name="membership_unique"),
        ]
        indexes = [models.Index(fields=["partner", "segment"])]

    def __str__(self) -> str:
        return f"{self.partner_id} in {self.segment_id}"


class MembershipEventKind(models.TextChoices):
    JOINED = "joined", "Joined"
    LEFT = "left", "Left"


class EvaluationTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Manual"
    CHANGE = "change", "Partner change"
    API = "api", "API"
    RULE_EDIT = "rule_edit", "Rule edit"


class EvaluationStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STALE = "stale", "Stale (the segment changed during the run)"


class EvaluationRun(models.Model):
    """One evaluation of one segment: what triggered it, how long it took, what changed."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=EvaluationTrigger.choices)
    status = models.CharField(
        max_length=10,
        choices=EvaluationStatus.choices,
        default=EvaluationStatus.RUNNING,
        db_index=True,
    )
    segment_version = models.PositiveIntegerField()
    partner_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Partners re-checked by a change run (null = all)."
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    matched = models.PositiveIntegerField(null=True, blank=True)
    joined = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    partner_changes = models.JSONField(
        null=True,
        blank=True,
        help_text="A change run's causes: for each partner that joined or left, "
        '{"<partner id>": {"fields": [changed fields], "reasons": [why]}}.',
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["segment", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.trigger} {self.started_at:%Y-%m-%d %H:%M}"


class MembershipEvent(models.Model):
    """A partner joined or left a segment (written in the run's transaction)."""

    partner_scope = "partner"  # see partners.scoping

    segment = models.ForeignKey(Segment, related_name="events", **HOT_TABLE_FOREIGN_KEY)
    partner = models.ForeignKey(Partner, related_name="segment_events", **HOT_TABLE_FOREIGN_KEY)
    kind = models.CharField(max_length=6, choices=MembershipEventKind.choices)
    at = models.DateTimeField()
    # Runs are only deleted with their segment, whose events go too: nothing to cascade.
    run = models.ForeignKey(
        EvaluationRun,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="events",
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["segment", "at"]),
            models.Index(fields=["partner", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.kind} {self.segment_id}"


class PendingPartnerChange(models.Model):
    """A partner whose profile changed and who is waiting to be re-checked (a set: one row
    per partner), drained in batches by the change-driven evaluation."""

    partner_id = models.BigIntegerField(primary_key=True)
    changed_at = models.DateTimeField(db_index=True)
    cause = models.JSONField(
        null=True,
        blank=True,
        help_text='What changed since the partner was queued: {"fields": […], "reasons": […]}.',
    )

    def __str__(self) -> str:
        return f"partner {self.partner_id} changed at {self.changed_at:%Y-%m-%d %H:%M:%S}"
