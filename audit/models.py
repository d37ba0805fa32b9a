"""The audit trail: one entry per change of an audited row, whoever or whatever made it."""

from auditlog.models import AbstractLogEntry
from django.db import models


class AuditEntry(AbstractLogEntry):
    """django-auditlog's log entry (settings.AUDITLOG_LOGENTRY_MODEL) plus the name of the
    system job that made the change, so "who" is answerable when no user did it: the actor is
    the user when there is one; `system_actor` names the command or scheduled job ("import
    partners command", "tiers evaluate"), and both are set when a user's request ran a job."""

    system_actor = models.CharField(max_length=100, blank=True, default="")

    class Meta(AbstractLogEntry.Meta):
        verbose_name = "audit entry"
        verbose_name_plural = "audit entries"
        indexes = [
            # The history of one object, newest first: the partner and segment pages.
            models.Index(
                fields=["content_type", "object_id", "-timestamp", "-id"],
                name="audit_object_history_idx",
            ),
        ]

    @property
    def actor_label(self) -> str:
        """Who made the change, as shown in a history: the user, the job, or both."""
        user = self.actor.get_username() if self.actor_id and self.actor else self.actor_email
        system = f"system: {self.system_actor}" if self.system_actor else ""
        if user and system:
            return f"{user} ({system})"
        return user or system or "unknown"
