"""Thin Celery tasks: load by id, call one service. All are safe to run twice."""

from celery import chain, shared_task

from segments import services
from segments.models import EvaluationTrigger


@shared_task(acks_late=True, max_retries=0)
def segment_evaluate_task(segment_id: int, trigger: str = EvaluationTrigger.SCHEDULE) -> dict:
    """Evaluate one segment; failures are recorded on its run (the task itself succeeds)."""
    from segments.models import Segment

    if not Segment.objects.filter(pk=segment_id).exists():
        return {"segment": segment_id, "status": "deleted"}
    run = services.segment_evaluate(segment_id=segment_id, trigger=trigger)
    return {"segment": segment_id, "status": run.status, "joined": run.joined, "left": run.left}


@shared_task(acks_late=True)
def segments_refresh_due_task() -> int:
    """Beat tick: run the segments that are due, one after another in dependency order."""
    segment_ids = services.segments_claim_due()
    if segment_ids:
        chain(
            *[
                segment_evaluate_task.si(segment_id, EvaluationTrigger.SCHEDULE)
                for segment_id in segment_ids
            ]
        ).apply_async()
    return len(segment_ids)


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=10,
)
def segments_process_changes_task() -> dict:
    """Re-check a batch of changed partners; re-enqueues itself while changes remain."""
    result = services.segments_process_pending_changes()
    if result["remaining"]:
        segments_process_changes_task.apply_async()
    return result


@shared_task(acks_late=True)
def evaluation_runs_sweep_task() -> int:
    """Mark runs stuck in "running" (a worker was lost) as failed."""
    return services.evaluation_runs_sweep_stuck()
