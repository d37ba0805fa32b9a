"""Signal receivers: stamp each audit entry with the actor; name Celery tasks as actors."""

from __future__ import annotations

import contextlib

from audit.context import audit_actor, current_actor, system_job_name

_task_contexts: dict[str, contextlib.ExitStack] = {}


def audit_entry_set_actor(sender, instance, **kwargs) -> None:
    """Fill who, from the actor in force, on an entry django-auditlog is about to save."""
    if instance.pk is not None:
        return
    actor = current_actor()
    user = actor.resolve_user()
    if instance.actor_id is None and user is not None:
        instance.actor = user
        instance.actor_email = getattr(user, "email", None) or None
    if not instance.system_actor:
        instance.system_actor = actor.system
    if instance.remote_addr is None:
        instance.remote_addr = actor.remote_addr


def task_actor_enter(sender=None, task_id=None, task=None, **kwargs) -> None:
    """Every Celery task acts as the system job named after it."""
    stack = contextlib.ExitStack()
    stack.enter_context(audit_actor(system=system_job_name(task.name)))
    _task_contexts[task_id] = stack


def task_actor_exit(sender=None, task_id=None, **kwargs) -> None:
    stack = _task_contexts.pop(task_id, None)
    if stack is not None:
        stack.close()
