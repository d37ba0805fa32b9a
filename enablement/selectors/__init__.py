"""Reads on enablement, one module per area; import from here.

- gating: what a contact may see (content, learning paths, the audience's contacts) and
  the partner portal's learning pages built on it.
- catalogue: plain lists for managers, the API and the services.
- manager: the manager's pages with their figures (browse, reach, usage, stats, holders).
- progress: a partner's enablement and completion across partners.
"""

from enablement.selectors.catalogue import (
    certification_list,
    certifications_expiring,
    content_list,
    engagement_events,
    enrollment_list,
    learning_path_list,
    learning_step_list,
)
from enablement.selectors.gating import (
    contacts_in_audience,
    content_for_contact,
    content_library_for_contact,
    content_topics_for_contact,
    learning_path_steps_for_contact,
    learning_paths_for_contact,
    learning_paths_overview_for_contact,
    learning_paths_using_content,
    learning_step_for_contact,
)
from enablement.selectors.manager import (
    CONTENT_AUDIENCES,
    CONTENT_STATUSES,
    certification_browse,
    certification_holders,
    certification_summary,
    content_browse,
    content_reach,
    content_usage,
    learning_path_browse,
    learning_path_enrollments,
    learning_path_stats,
    learning_path_steps,
    learning_step_next_order,
)
from enablement.selectors.progress import (
    COMPLETION_BANDS,
    enablement_completion_overview,
    partner_enablement,
)

__all__ = [
    "COMPLETION_BANDS",
    "CONTENT_AUDIENCES",
    "CONTENT_STATUSES",
    "certification_browse",
    "certification_holders",
    "certification_list",
    "certification_summary",
    "certifications_expiring",
    "contacts_in_audience",
    "content_browse",
    "content_for_contact",
    "content_library_for_contact",
    "content_list",
    "content_reach",
    "content_topics_for_contact",
    "content_usage",
    "enablement_completion_overview",
    "engagement_events",
    "enrollment_list",
    "learning_path_browse",
    "learning_path_enrollments",
    "learning_path_list",
    "learning_path_stats",
    "learning_path_steps",
    "learning_path_steps_for_contact",
    "learning_paths_for_contact",
    "learning_paths_overview_for_contact",
    "learning_paths_using_content",
    "learning_step_for_contact",
    "learning_step_list",
    "learning_step_next_order",
    "partner_enablement",
]
