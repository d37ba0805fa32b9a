"""Who is acting: set once where work enters (a request, a command, a task), read by every
audit entry written inside, whether by django-auditlog's signals or by a set-based write.

    with audit_actor(system="import partners command"):
        partners_import(...)

Nested contexts keep the outer user: a task run eagerly inside a manager's request is recorded
as that manager, with the job's name beside it.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """A user (or the request whose user is read when an entry is written, so that a DRF
    token user authenticated inside the view counts), a system job name, the client address."""

    user: Any = None
    request: Any = None
    system: str = ""
    remote_addr: str | None = None

    def resolve_user(self):
        """The acting user, or None (anonymous, or no user at all)."""
        user = self.user
        if user is None and self.request is not None:
            user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
        return None


_current: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def current_actor() -> Actor:
    """The actor in force here (an empty Actor outside any context)."""
    return _current.get() or Actor()


@contextlib.contextmanager
def audit_actor(
    *, user: Any = None, system: str = "", request: Any = None, remote_addr: str | None = None
):
    """Record the changes made inside as made by this user and/or named system job."""
    outer = _current.get()
    if outer is not None:
        user = user if user is not None else outer.user
        request = request if request is not None else outer.request
        system = system or outer.system
        remote_addr = remote_addr or outer.remote_addr
    token = _current.set(Actor(user=user, request=request, system=system, remote_addr=remote_addr))
    try:
        yield
    finally:
        _current.reset(token)


def system_job_name(task_name: str) -> str:
    """A Celery task's name as a job name: "partners.tasks.tiers_evaluate_task" →
    "tiers evaluate"."""
    return task_name.rsplit(".", 1)[-1].removesuffix("_task").replace("_", " ")
