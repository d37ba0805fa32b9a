import datetime as dt

import pytest
from django.utils import timezone

from enablement import tasks
from enablement.models import CertificationReminder, Enrollment
from segments import services as segment_services
from tests.enablement.factories import LearningPathFactory
from tests.partners.factories import ContactFactory, PartnerCertificationFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def test_certifications_expiring_task_records_reminders(settings):
    settings.PRM_CERTIFICATION_REMINDER_DAYS = 5
    PartnerCertificationFactory(expires_at=timezone.localdate() + dt.timedelta(days=5))
    PartnerCertificationFactory(expires_at=timezone.localdate() + dt.timedelta(days=6))
    assert tasks.certifications_expiring_task() == 1
    assert CertificationReminder.objects.count() == 1


def test_auto_enrol_task_enrols_only_the_given_members():
    segment = SegmentFactory()
    LearningPathFactory(auto_enrol_segment=segment)
    wanted, other = ContactFactory(), ContactFactory()
    segment_services.segment_evaluate(segment_id=segment.id)
    assert tasks.enrollments_auto_enrol_task(segment.id, [wanted.partner_id]) == 1
    assert list(Enrollment.objects.values_list("contact_id", flat=True)) == [wanted.id]
    assert other.enrollments.count() == 0


def test_engagement_rollup_task_without_ids_rolls_up_everyone():
    assert tasks.engagement_rollup_task() == 0
