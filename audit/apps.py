from django.apps import AppConfig, apps


class AuditConfig(AppConfig):
    """The audit trail. The lowest app: every other app may import it, it imports none."""

    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from celery.signals import task_postrun, task_prerun
        from django.db.models.signals import pre_save

        from audit import receivers
        from audit.models import AuditEntry
        from audit.tracked import TRACKED_MODELS

        for label, options in TRACKED_MODELS.items():
            model = apps.get_model(label)
            if not auditlog.contains(model):
                auditlog.register(model, **options)
        pre_save.connect(
            receivers.audit_entry_set_actor, sender=AuditEntry, dispatch_uid="audit_set_actor"
        )
        task_prerun.connect(receivers.task_actor_enter, dispatch_uid="audit_task_enter")
        task_postrun.connect(receivers.task_actor_exit, dispatch_uid="audit_task_exit")
