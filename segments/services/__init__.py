"""Writes on segments: create/update with rule checks, set-based evaluation with history,
static membership, change-driven re-checks and the scheduler's bookkeeping.

A package of one module per concern; callers import the services from here."""

from segments.services.bulk import segments_evaluate_all
from segments.services.changes import (
    segments_partners_changed,
    segments_process_pending_changes,
    segments_recheck_partners,
)
from segments.services.editing import (
    SEGMENT_FIELDS,
    segment_create,
    segment_delete,
    segment_dependency_slugs,
    segment_rule_check,
    segment_update,
)
from segments.services.evaluation import EvaluationOutcome, segment_evaluate
from segments.services.ordering import segments_dependency_levels, segments_evaluation_order
from segments.services.scheduling import evaluation_runs_sweep_stuck, segments_claim_due
from segments.services.static import (
    segment_members_add,
    segment_members_change,
    segment_members_remove,
    segment_members_set_from_external_ids,
)

__all__ = [
    "SEGMENT_FIELDS",
    "EvaluationOutcome",
    "evaluation_runs_sweep_stuck",
    "segment_create",
    "segment_delete",
    "segment_dependency_slugs",
    "segment_evaluate",
    "segment_members_add",
    "segment_members_change",
    "segment_members_remove",
    "segment_members_set_from_external_ids",
    "segment_rule_check",
    "segment_update",
    "segments_claim_due",
    "segments_dependency_levels",
    "segments_evaluate_all",
    "segments_evaluation_order",
    "segments_partners_changed",
    "segments_process_pending_changes",
    "segments_recheck_partners",
]
