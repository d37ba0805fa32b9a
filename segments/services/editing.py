"""Segments created, updated and deleted: rules validated, cycles refused, dependencies
kept in step with the rule."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from partners.models import Partner
from segments.models import (
    EvaluationTrigger,
    Segment,
    SegmentKind,
)
from segments.rules import RuleError, rule_segment_slugs, validate_rule

logger = logging.getLogger(__name__)


SEGMENT_FIELDS = (
    "name",
    "slug",
    "objective",
    "description",
    "kind",
    "rule",
    "is_active",
    "refresh_interval_minutes",
    "owner",
)


# ---------------------------------------------------------------------------------------
# Create, update, delete
# ---------------------------------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:90] or "segment"
    slug, counter = base, 2
    while Segment.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


def segment_dependency_slugs(*, rule: Any) -> set[str]:
    """Slugs of the segments a rule names (empty for static segments)."""
    return rule_segment_slugs(rule) if rule else set()


def segment_rule_check(*, segment: Segment) -> None:
    """Validate a segment's rule, the segments it names and cycles through them; raise
    RuleError with every problem (a static segment's rule is cleared)."""
    if segment.kind == SegmentKind.STATIC:
        if segment.rule not in (None, {}):
            raise RuleError([{"path": "", "message": "a static segment has no rule"}])
        segment.rule = None
        return
    if segment.rule is None:
        raise RuleError([{"path": "", "message": "a dynamic segment needs a rule"}])
    errors = validate_rule(segment.rule)
    if errors:
        raise RuleError(errors)
    cycle = _dependency_cycle(segment=segment)
    if cycle:
        message = "segments refer to each other in a cycle: " + " -> ".join(cycle)
        raise RuleError([{"path": "", "message": message}])


def _dependency_cycle(*, segment: Segment) -> list[str] | None:
    """The first cycle of segment references through this segment's rule, or None."""
    graph: dict[str, set[str]] = {
        slug: segment_dependency_slugs(rule=rule)
        for slug, rule in Segment.objects.exclude(pk=segment.pk).values_list("slug", "rule")
    }
    graph[segment.slug] = segment_dependency_slugs(rule=segment.rule)

    def visit(slug: str, path: list[str]) -> list[str] | None:
        for dependency in sorted(graph.get(slug, ())):
            if dependency == segment.slug:
                return [*path, dependency]
            if dependency in path:
                continue
            found = visit(dependency, [*path, dependency])
            if found:
                return found
        return None

    return visit(segment.slug, [segment.slug])


def _sync_dependencies(*, segment: Segment) -> None:
    slugs = segment_dependency_slugs(rule=segment.rule)
    segment.depends_on.set(Segment.objects.filter(slug__in=slugs))


@transaction.atomic
def segment_create(*, data: dict[str, Any], owner=None) -> Segment:
    """Create a segment (rule validated, cycles refused); a dynamic one is evaluated soon."""
    values = {key: value for key, value in data.items() if key in SEGMENT_FIELDS}
    segment = Segment(**values)
    if owner is not None and segment.owner_id is None:
        segment.owner = owner
    if not segment.slug:
        segment.slug = _unique_slug(segment.name)
    segment_rule_check(segment=segment)
    segment.full_clean(exclude=["rule"])
    segment.next_evaluation_at = timezone.now()
    segment.save()
    _sync_dependencies(segment=segment)
    if segment.kind == SegmentKind.DYNAMIC and segment.is_active:
        _enqueue_evaluation(segment_id=segment.id, trigger=EvaluationTrigger.RULE_EDIT)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, data: dict[str, Any]) -> Segment:
    """Update a segment; a new rule bumps the version (voiding runs in flight) and re-evaluates."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    old_rule, old_kind = segment.rule, segment.kind
    for key, value in data.items():
        if key in SEGMENT_FIELDS:
            setattr(segment, key, value)
    segment_rule_check(segment=segment)
    segment.full_clean(exclude=["rule"])
    rule_changed = segment.rule != old_rule or segment.kind != old_kind
    if rule_changed:
        segment.version += 1
        segment.next_evaluation_at = timezone.now()
    segment.save()
    _sync_dependencies(segment=segment)
    if rule_changed and segment.kind == SegmentKind.DYNAMIC and segment.is_active:
        _enqueue_evaluation(segment_id=segment.id, trigger=EvaluationTrigger.RULE_EDIT)
    return segment


def segment_delete(*, segment: Segment) -> None:
    """Delete a segment; refused while another segment's rule names it."""
    dependents = list(Segment.objects.filter(depends_on=segment).values_list("slug", flat=True))
    if dependents:
        raise ValidationError(
            {"segment": [f"segments {', '.join(sorted(dependents))} refer to this segment"]}
        )
    segment.delete()


def segment_evaluates_inline() -> bool:
    """Whether a saved segment is evaluated in the request: the number of partners (counted
    no further than the bound, so the check stays cheap) is within
    PRM_SEGMENT_INLINE_EVALUATION_MAX."""
    limit = settings.PRM_SEGMENT_INLINE_EVALUATION_MAX
    if limit <= 0:
        return False
    return Partner.objects.order_by()[: limit + 1].count() <= limit


def _enqueue_evaluation(*, segment_id: int, trigger: str) -> None:
    """Evaluate a saved segment: now, in this transaction, when it is small (its page shows
    the members at once), else by the worker after commit (its page polls until the run
    ends)."""
    from segments.services.evaluation import segment_evaluate
    from segments.tasks import segment_evaluate_task

    if segment_evaluates_inline():
        segment_evaluate(segment_id=segment_id, trigger=trigger)
        return
    transaction.on_commit(lambda: segment_evaluate_task.delay(segment_id, trigger))
