"""The SLA sweep through a real Celery worker on Redis: overdue reviews marked and their
channel manager e-mailed, protections that ended expired and the partner told, all the way
to a real SMTP server."""

import datetime as dt

import pytest
from django.utils import timezone

from communications.models import Message, MessageStatus
from deals import tasks
from deals.models import DealRegistration, DealStatus
from tests.celery_worker import private_queue, wait_until, worker_process
from tests.communications.smtp import CountingHandler, smtp_server
from tests.deals.factories import DealRegistrationFactory
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory


def _subjects_to(handler, address):
    return [email["Subject"] for email in handler.parsed() if email["To"] == address]


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_sweep_in_a_worker_marks_overdue_emails_the_manager_and_expires(tmp_path):
    # given a partner with a channel manager and a portal user
    manager = UserFactory(username="grace", email="grace@vendor.com", is_staff=True)
    partner = PartnerFactory(channel_manager=manager)
    submitter = UserFactory(username="ada")
    ContactFactory(user=submitter, partner=partner, email="ada@initech.com")
    # and a registration past its review time, and one whose protection ended yesterday
    now = timezone.now()
    overdue = DealRegistrationFactory(
        partner=partner, submitted_by=submitter, name="Late review",
        status=DealStatus.SUBMITTED, submitted_at=now - dt.timedelta(days=5),
        review_due_at=now - dt.timedelta(days=1),
    )  # fmt: skip
    ended = DealRegistrationFactory(
        partner=partner, submitted_by=submitter, name="Old deal", status=DealStatus.APPROVED,
        protection_ends_on=timezone.localdate() - dt.timedelta(days=1),
    )  # fmt: skip
    handler = CountingHandler()
    log = tmp_path / "worker.log"
    with smtp_server(handler) as server, private_queue() as queue:
        worker_settings = {
            **server.email_settings(),
            "PRM_PUBLIC_BASE_URL": "https://prm.example.com",
            "PRM_MESSAGE_RETRY_BACKOFF_SECONDS": 0,
        }
        with worker_process(log, queue=queue, settings=worker_settings):
            # when the beat's sweep task runs in the worker
            tasks.deals_sla_sweep_task.delay()
            # then the manager's e-mail and the partner's notice reach the SMTP server
            arrived = wait_until(
                lambda: (
                    _subjects_to(handler, "grace@vendor.com")
                    and _subjects_to(handler, "ada@initech.com")
                ),
                timeout=60,
            )
            assert arrived, log.read_text()[-3000:]
    overdue.refresh_from_db()
    ended.refresh_from_db()
    assert overdue.status == DealStatus.SUBMITTED and overdue.overdue_at is not None
    assert ended.status == DealStatus.EXPIRED and ended.closed_at is not None
    (to_manager,) = [e for e in handler.parsed() if e["To"] == "grace@vendor.com"]
    assert to_manager["Subject"] == "1 deal registration overdue for review"
    body = to_manager.get_body(preferencelist=("plain",)).get_content()
    assert "Late review" in body and f"https://prm.example.com/deals/{overdue.pk}/" in body
    assert "Old deal" not in body
    assert _subjects_to(handler, "ada@initech.com") == ['Expired: the protection of "Old deal"']
    notice = Message.objects.get(campaign__notice_key="deal_expired")
    assert notice.status == MessageStatus.SENT
    assert handler.received[notice.message_id] == 1
    assert DealRegistration.objects.filter(status=DealStatus.EXPIRED).count() == 1
