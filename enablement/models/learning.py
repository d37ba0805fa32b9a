"""Learning paths, their steps, enrolments and step completions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from enablement.models.audience import Audience, AudienceQuerySet
from enablement.models.content import ContentItem
from enablement.quiz import quiz_errors
from partners.models import Certification, Contact
from segments.models import Segment


class LearningPath(Audience):
    """An ordered course of content items with optional quizzes; completing it can award a
    certification to the contact's partner."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    awards_certification = models.ForeignKey(
        Certification,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="learning_paths",
    )
    auto_enrol_segment = models.ForeignKey(
        Segment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="auto_enrol_paths",
        help_text="Contacts of partners who join this segment are enrolled automatically.",
    )
    due_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days an enrolment has to complete; empty = no due date."
    )
    is_active = models.BooleanField(default=True, db_index=True)
    segments = models.ManyToManyField(
        Segment,
        through="LearningPathSegment",
        blank=True,
        related_name="+",
        help_text="Members of any of these segments; none = every partner.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AudienceQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class LearningPathSegment(models.Model):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["path", "segment"], name="learning_path_segment_unique")
        ]
        indexes = [models.Index(fields=["segment", "path"])]

    def __str__(self) -> str:
        return f"{self.path_id} for segment {self.segment_id}"


class LearningStep(models.Model):
    """One step of a path: a content item, optionally with a quiz graded on the server."""

    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200, blank=True, help_text="Empty = the content's title.")
    content = models.ForeignKey(ContentItem, on_delete=models.PROTECT, related_name="steps")
    quiz = models.JSONField(
        default=list,
        blank=True,
        help_text='A list of {"question", "options": [...], "answer_index"}; empty = no quiz.',
    )
    pass_mark = models.PositiveSmallIntegerField(
        default=80, validators=[MaxValueValidator(100)], help_text="Percentage needed to pass."
    )

    class Meta:
        ordering = ["path", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["path", "order"], name="learning_step_order_unique"),
            models.CheckConstraint(
                condition=Q(pass_mark__lte=100), name="learning_step_pass_mark_percentage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} #{self.order}"

    def clean(self) -> None:
        errors = quiz_errors(self.quiz)
        if errors:
            raise ValidationError({"quiz": errors})

    @property
    def has_quiz(self) -> bool:
        return bool(self.quiz)


class EnrollmentSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    AUTO = "auto", "Automatic (segment)"


class Enrollment(models.Model):
    """A contact taking a learning path."""

    partner_scope = "contact__partner"  # see partners.scoping

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="enrollments")
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="enrollments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    progress_pct = models.FloatField(default=0)
    source = models.CharField(
        max_length=10, choices=EnrollmentSource.choices, default=EnrollmentSource.MANUAL
    )

    class Meta:
        ordering = ["-enrolled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "path"], name="enrollment_contact_path"),
        ]
        indexes = [models.Index(fields=["path", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} in {self.path}"

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None


class StepCompletion(models.Model):
    """A step done within an enrolment (a quiz step only once passed)."""

    partner_scope = "enrollment__contact__partner"  # see partners.scoping

    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="completions")
    step = models.ForeignKey(LearningStep, on_delete=models.CASCADE, related_name="completions")
    completed_at = models.DateTimeField()
    score = models.FloatField(null=True, blank=True, help_text="Quiz score in percent.")

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step"], name="step_completion_enrollment_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment_id} step {self.step_id}"
