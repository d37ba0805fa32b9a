import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from insights import tasks
from tests.partners.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_runs_the_refresh_daily_and_the_digest_weekly():
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    refresh = schedule["insights.tasks.partners_at_risk_refresh_task"]
    digest = schedule["insights.tasks.weekly_digest_task"]

    assert refresh.day_of_week == set(range(7))
    assert digest.day_of_week == {1}  # Mondays


def test_tasks_call_their_services():
    UserFactory(username="boss", email="boss@example.com", is_staff=True)

    assert tasks.partners_at_risk_refresh_task.apply().get() == {
        "updated": 0,
        "changed": 0,
        "at_risk": 0,
    }
    assert tasks.weekly_digest_task.apply().get() == 1
    assert len(mail.outbox) == 1


def test_commands_send_the_digest_and_refresh_the_flags(capsys):
    UserFactory(username="boss", email="boss@example.com", is_staff=True)

    call_command("send_insights_digest")
    call_command("refresh_at_risk")

    output = capsys.readouterr().out
    assert "Digest sent to 1 manager(s)." in output
    assert "0 partner(s) at risk; 0 flag(s) changed." in output
    assert mail.outbox[0].to == ["boss@example.com"]
