"""Housekeeping tasks of the project itself (the apps keep theirs in their own tasks.py)."""

from celery import shared_task
from django.conf import settings

from prm.brute_force import login_logs_prune


@shared_task
def login_logs_prune_task() -> dict[str, int]:
    return login_logs_prune(older_than_days=settings.PRM_LOGIN_LOG_RETENTION_DAYS)
