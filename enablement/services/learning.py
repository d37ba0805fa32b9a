"""Writes on learning paths: paths and steps, enrolments (by hand and by segment), step
completion with server-side quiz grading, progress and the certification a path awards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from enablement.models import (
    EngagementKind,
    Enrollment,
    EnrollmentSource,
    LearningPath,
    LearningStep,
    StepCompletion,
)
from enablement.quiz import answers_errors, quiz_score
from enablement.selectors import contacts_in_audience
from enablement.services.certifications import partner_certification_award
from enablement.services.content import _unique_slug
from enablement.services.engagement import engagement_event_record, engagement_rollup_enqueue
from partners.models import Contact
from segments.models import Membership

PATH_FIELDS = (
    "title",
    "slug",
    "description",
    "min_tier",
    "roles",
    "awards_certification",
    "auto_enrol_segment",
    "due_days",
    "is_active",
)
STEP_FIELDS = ("path", "order", "title", "content", "quiz", "pass_mark")
AUTO_ENROL_CHUNK = 5000


class QuizFailedError(ValidationError):
    """A quiz was answered below its pass mark; nothing was recorded."""

    def __init__(self, *, score: float, pass_mark: int) -> None:
        self.score, self.pass_mark = score, pass_mark
        super().__init__(
            {"answers": [f"Scored {score:g}%; {pass_mark}% is needed to pass. Try again."]}
        )


# ---------------------------------------------------------------------------------------
# Paths and steps
# ---------------------------------------------------------------------------------------


def _auto_enrol_current_members(*, path: LearningPath) -> None:
    if path.is_active and path.auto_enrol_segment_id:
        enrollments_auto_enrol_enqueue(
            segment_id=path.auto_enrol_segment_id, partner_ids=None, path_ids=[path.id]
        )


@transaction.atomic
def learning_path_create(*, data: dict[str, Any]) -> LearningPath:
    """Create a path (`segments` a list); with an auto-enrol segment, its current members'
    contacts are enrolled after commit."""
    path = LearningPath(**{key: value for key, value in data.items() if key in PATH_FIELDS})
    if not path.slug:
        path.slug = _unique_slug(LearningPath, path.title)
    path.full_clean()
    path.save()
    if "segments" in data:
        path.segments.set(data["segments"])
    _auto_enrol_current_members(path=path)
    return path


@transaction.atomic
def learning_path_update(*, path: LearningPath, data: dict[str, Any]) -> LearningPath:
    """Update a path; a new (or re-activated) auto-enrol segment enrols its current members."""
    before = (path.auto_enrol_segment_id, path.is_active)
    for key, value in data.items():
        if key in PATH_FIELDS:
            setattr(path, key, value)
    path.full_clean()
    path.save()
    if "segments" in data:
        path.segments.set(data["segments"])
    if (path.auto_enrol_segment_id, path.is_active) != before:
        _auto_enrol_current_members(path=path)
    return path


@transaction.atomic
def learning_path_delete(*, path: LearningPath) -> None:
    """Delete a path with its steps and enrolments; the partners' completion is rolled up."""
    partner_ids = list(path.enrollments.values_list("contact__partner_id", flat=True).distinct())
    path.delete()
    engagement_rollup_enqueue(partner_ids=partner_ids)


def _progress_refresh(*, path_id: int) -> None:
    """Recompute progress_pct of the path's open enrolments, set-based (steps were added or
    removed); completed enrolments stay completed."""
    total = LearningStep.objects.filter(path_id=path_id).count()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE enablement_enrollment
            SET progress_pct = CASE WHEN %s = 0 THEN 0 ELSE ROUND(CAST(100.0 * (
                SELECT count(*) FROM enablement_stepcompletion c
                JOIN enablement_learningstep s ON s.id = c.step_id
                WHERE c.enrollment_id = enablement_enrollment.id AND s.path_id = %s
            ) / %s AS NUMERIC), 1) END
            WHERE path_id = %s AND completed_at IS NULL
            """,
            (total, path_id, max(total, 1), path_id),
        )


@transaction.atomic
def learning_step_create(*, data: dict[str, Any]) -> LearningStep:
    """Add a step (quiz shape checked); open enrolments of the path get their new progress."""
    step = LearningStep(**{key: value for key, value in data.items() if key in STEP_FIELDS})
    step.full_clean()
    step.save()
    _progress_refresh(path_id=step.path_id)
    return step


@transaction.atomic
def learning_step_update(*, step: LearningStep, data: dict[str, Any]) -> LearningStep:
    """Change a step within its path (its completions belong to that path's enrolments, so
    moving it to another path is refused)."""
    if "path" in data and data["path"].pk != step.path_id:
        raise ValidationError({"path": ["A step stays in its path; add a new step instead."]})
    for key, value in data.items():
        if key in STEP_FIELDS:
            setattr(step, key, value)
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def learning_step_delete(*, step: LearningStep) -> None:
    """Remove a step with its completions; open enrolments of the path get their new progress."""
    path_id = step.path_id
    step.delete()
    _progress_refresh(path_id=path_id)


@transaction.atomic
def learning_step_move(*, step: LearningStep, offset: int) -> LearningStep:
    """Move a step up (offset -1) or down (+1) in its path by swapping order numbers with its
    neighbour (through a free number: order is unique within the path); at an end, nothing."""
    steps = list(
        LearningStep.objects.select_for_update().filter(path_id=step.path_id).order_by("order")
    )
    index = next(i for i, candidate in enumerate(steps) if candidate.pk == step.pk)
    other_index = index + (1 if offset > 0 else -1)
    if not 0 <= other_index < len(steps):
        return steps[index]
    moved, other = steps[index], steps[other_index]
    moved_order, other_order = moved.order, other.order
    moved.order = steps[-1].order + 1
    moved.save(update_fields=["order"])
    other.order = moved_order
    other.save(update_fields=["order"])
    moved.order = other_order
    moved.save(update_fields=["order"])
    return moved


# ---------------------------------------------------------------------------------------
# Enrolment
# ---------------------------------------------------------------------------------------


def _due_at(*, path: LearningPath, now: dt.datetime) -> dt.datetime | None:
    return now + dt.timedelta(days=path.due_days) if path.due_days is not None else None


def enrollment_create(
    *, contact: Contact, path: LearningPath, source: str = EnrollmentSource.MANUAL
) -> Enrollment:
    """Enrol a contact in an active path (due after the path's due_days); refused twice.
    Whether the contact may see the path is the caller's check (managers may enrol anyone)."""
    if not path.is_active:
        raise ValidationError({"path": ["This learning path is not active."]})
    now = timezone.now()
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                contact=contact,
                path=path,
                enrolled_at=now,
                due_at=_due_at(path=path, now=now),
                source=source,
            )
            engagement_rollup_enqueue(partner_ids=[contact.partner_id])
    except IntegrityError as error:
        raise ValidationError({"path": ["Already enrolled in this learning path."]}) from error
    return enrollment


def enrollment_delete(*, enrollment: Enrollment) -> None:
    """Withdraw an enrolment with its completions; the partner's completion is rolled up."""
    with transaction.atomic():
        partner_id = enrollment.contact.partner_id
        enrollment.delete()
        engagement_rollup_enqueue(partner_ids=[partner_id])


def enrollments_auto_enrol_enqueue(
    *,
    segment_id: int,
    partner_ids: Sequence[int] | None,
    path_ids: Sequence[int] | None = None,
) -> None:
    """If active paths auto-enrol from this segment, enqueue the enrolment of these partners'
    contacts (None: all current members) after commit, in chunks of ids."""
    from enablement.tasks import enrollments_auto_enrol_task

    paths = LearningPath.objects.filter(is_active=True, auto_enrol_segment_id=segment_id)
    if path_ids is not None:
        paths = paths.filter(id__in=path_ids)
    if not paths.exists():
        return
    path_list = list(path_ids) if path_ids is not None else None
    if partner_ids is None:
        transaction.on_commit(
            lambda: enrollments_auto_enrol_task.delay(segment_id, None, path_list)
        )
        return
    ids = sorted(set(partner_ids))
    for start in range(0, len(ids), AUTO_ENROL_CHUNK):
        chunk = ids[start : start + AUTO_ENROL_CHUNK]
        transaction.on_commit(
            lambda chunk=chunk: enrollments_auto_enrol_task.delay(segment_id, chunk, path_list)
        )


def enrollments_auto_enrol(
    *,
    segment_id: int,
    partner_ids: Iterable[int] | None = None,
    path_ids: Iterable[int] | None = None,
) -> int:
    """Enrol (source auto) the contacts in each active auto-enrolling path's audience whose
    partners are members of the segment (and among `partner_ids`, if given): one INSERT …
    SELECT … ON CONFLICT DO NOTHING per path, so a repeated run adds nothing. Returns the
    number of new enrolments."""
    paths = LearningPath.objects.filter(
        is_active=True, auto_enrol_segment_id=segment_id
    ).select_related("min_tier")
    if path_ids is not None:
        paths = paths.filter(id__in=list(path_ids))
    ids = sorted(set(partner_ids)) if partner_ids is not None else None
    now = timezone.now()
    enrolled_contact_ids: list[int] = []
    with transaction.atomic():
        for path in paths:
            members = Membership.objects.filter(segment_id=segment_id)
            if ids is not None:
                members = members.filter(partner_id__in=ids)
            contacts = contacts_in_audience(audience=path).filter(
                partner_id__in=members.values("partner_id")
            )
            select_sql, select_params = contacts.order_by().values("id").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    INSERT INTO enablement_enrollment
                        (contact_id, path_id, enrolled_at, due_at, progress_pct, source)
                    SELECT audience.id, %s, %s, %s, 0, %s FROM ({select_sql}) audience
                    WHERE true
                    ON CONFLICT (contact_id, path_id) DO NOTHING
                    RETURNING contact_id
                    """,
                    (
                        path.id,
                        now,
                        _due_at(path=path, now=now),
                        EnrollmentSource.AUTO.value,
                        *select_params,
                    ),
                )
                enrolled_contact_ids.extend(row[0] for row in cursor.fetchall())
        if enrolled_contact_ids:
            engagement_rollup_enqueue(
                partner_ids=Contact.objects.filter(id__in=enrolled_contact_ids)
                .values_list("partner_id", flat=True)
                .distinct()
            )
    return len(enrolled_contact_ids)


# ---------------------------------------------------------------------------------------
# Completing steps
# ---------------------------------------------------------------------------------------


def _grade(*, step: LearningStep, answers: Any) -> float | None:
    if not step.has_quiz:
        return None
    errors = answers_errors(step.quiz, answers)
    if errors:
        raise ValidationError({"answers": errors})
    score = quiz_score(step.quiz, answers)
    if score < step.pass_mark:
        raise QuizFailedError(score=score, pass_mark=step.pass_mark)
    return score


def learning_step_complete(
    *,
    enrollment: Enrollment,
    step: LearningStep,
    answers: list[int] | None = None,
    actor_contact: Contact | None,
) -> StepCompletion:
    """Complete a step of one's own enrolment (actor_contact None: a channel manager acting).

    A quiz is graded here: below the pass mark raises QuizFailedError (with the score) and
    nothing is written; someone else's enrolment raises PermissionDenied, a step of another
    path ValidationError. On success progress_pct is updated, an engagement event recorded
    and, with the last step, the enrolment completed and the path's certification awarded to
    the contact's partner. Completing a step twice changes nothing.
    """
    if actor_contact is not None and enrollment.contact_id != actor_contact.id:
        raise PermissionDenied("This enrolment belongs to someone else.")
    if step.path_id != enrollment.path_id:
        raise ValidationError({"step": ["This step is not part of the enrolled learning path."]})
    score = _grade(step=step, answers=answers)
    with transaction.atomic():
        enrollment = (
            Enrollment.objects.select_for_update(of=("self",))
            .select_related("contact", "path__awards_certification")
            .get(pk=enrollment.pk)
        )
        now = timezone.now()
        completion, created = StepCompletion.objects.get_or_create(
            enrollment=enrollment, step=step, defaults={"completed_at": now, "score": score}
        )
        if not created:
            return completion
        total = LearningStep.objects.filter(path_id=enrollment.path_id).count()
        done = StepCompletion.objects.filter(
            enrollment=enrollment, step__path_id=enrollment.path_id
        ).count()
        enrollment.progress_pct = round(100 * done / total, 1) if total else 0.0
        if done >= total and enrollment.completed_at is None:
            enrollment.completed_at = now
            certification = enrollment.path.awards_certification
            if certification is not None:
                partner_certification_award(
                    partner_id=enrollment.contact.partner_id,
                    certification=certification,
                    on=timezone.localdate(),
                )
        enrollment.save(update_fields=["progress_pct", "completed_at"])
        engagement_event_record(
            contact=enrollment.contact,
            kind=EngagementKind.QUIZ if score is not None else EngagementKind.COMPLETION,
            step=step,
            content=step.content,
            at=now,
        )
    return completion
