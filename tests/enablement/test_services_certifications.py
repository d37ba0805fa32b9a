import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from enablement import services
from enablement.models import CertificationReminder
from tests.enablement.factories import LearningPathFactory
from tests.partners.factories import CertificationFactory, PartnerCertificationFactory

pytestmark = pytest.mark.django_db


class TestCertificationRemindersRecord:
    def test_each_expiring_certification_is_reminded_once(self):
        # given
        today = timezone.localdate()
        soon = PartnerCertificationFactory(expires_at=today + dt.timedelta(days=10))
        PartnerCertificationFactory(expires_at=today + dt.timedelta(days=60))
        # when
        first = services.certification_reminders_record(within_days=30)
        second = services.certification_reminders_record(within_days=30)
        # then
        assert (first, second) == (1, 0)
        reminder = CertificationReminder.objects.get()
        assert (reminder.partner_certification, reminder.expires_at) == (soon, soon.expires_at)

    def test_a_renewed_certification_is_reminded_again_before_its_new_expiry(self):
        today = timezone.localdate()
        award = PartnerCertificationFactory(expires_at=today + dt.timedelta(days=10))
        services.certification_reminders_record()
        award.expires_at = today + dt.timedelta(days=20)
        award.save()
        assert services.certification_reminders_record() == 1
        assert CertificationReminder.objects.count() == 2


class TestCatalogue:
    def test_create_checks_skills(self):
        with pytest.raises(ValidationError, match="skill"):
            services.certification_create(data={"slug": "x", "name": "X", "skills": "aws"})

    def test_a_certification_awarded_by_a_path_is_kept(self):
        certification = CertificationFactory()
        LearningPathFactory(awards_certification=certification)
        with pytest.raises(ValidationError, match="kept"):
            services.certification_delete(certification=certification)

    def test_a_certification_held_by_a_partner_is_kept(self):
        award = PartnerCertificationFactory()
        with pytest.raises(ValidationError, match="kept"):
            services.certification_delete(certification=award.certification)
