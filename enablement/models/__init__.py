"""Content library, learning paths, enrolments, engagement events and certification reminders.

Who may see a content item or a learning path is its audience: any of its segments, at least
its tier, any of its contact roles; an empty part of the audience means everyone. The one
reading of that rule is `AudienceQuerySet.visible_to`, used by every API and download.
"""

from enablement.models.audience import Audience, AudienceQuerySet, RolesAdmit, roles_check
from enablement.models.content import (
    ContentItem,
    ContentItemQuerySet,
    ContentItemSegment,
    ContentKind,
    ProtectedContentStorage,
    content_storage,
    content_upload_path,
)
from enablement.models.engagement import CertificationReminder, EngagementEvent, EngagementKind
from enablement.models.learning import (
    Enrollment,
    EnrollmentSource,
    LearningPath,
    LearningPathSegment,
    LearningStep,
    StepCompletion,
)

__all__ = [
    "Audience",
    "AudienceQuerySet",
    "CertificationReminder",
    "ContentItem",
    "ContentItemQuerySet",
    "ContentItemSegment",
    "ContentKind",
    "EngagementEvent",
    "EngagementKind",
    "Enrollment",
    "EnrollmentSource",
    "LearningPath",
    "LearningPathSegment",
    "LearningStep",
    "ProtectedContentStorage",
    "RolesAdmit",
    "StepCompletion",
    "content_storage",
    "content_upload_path",
    "roles_check",
]
