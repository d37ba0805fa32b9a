"""Writes on enablement (business rules here), one module per area; import from here."""

from enablement.services.certifications import (
    certification_create,
    certification_delete,
    certification_reminders_record,
    certification_update,
    partner_certification_award,
)
from enablement.services.content import (
    content_create,
    content_delete,
    content_file_check,
    content_update,
)
from enablement.services.engagement import (
    engagement_event_record,
    engagement_rollup,
    engagement_rollup_enqueue,
)
from enablement.services.learning import (
    QuizFailedError,
    enrollment_create,
    enrollment_delete,
    enrollments_auto_enrol,
    enrollments_auto_enrol_enqueue,
    learning_path_create,
    learning_path_delete,
    learning_path_update,
    learning_step_complete,
    learning_step_create,
    learning_step_delete,
    learning_step_move,
    learning_step_update,
)
from prm.uploads import content_type_for

__all__ = [
    "QuizFailedError",
    "certification_create",
    "certification_delete",
    "certification_reminders_record",
    "certification_update",
    "content_create",
    "content_delete",
    "content_file_check",
    "content_type_for",
    "content_update",
    "engagement_event_record",
    "engagement_rollup",
    "engagement_rollup_enqueue",
    "enrollment_create",
    "enrollment_delete",
    "enrollments_auto_enrol",
    "enrollments_auto_enrol_enqueue",
    "learning_path_create",
    "learning_path_delete",
    "learning_path_update",
    "learning_step_complete",
    "learning_step_create",
    "learning_step_delete",
    "learning_step_move",
    "learning_step_update",
    "partner_certification_award",
]
