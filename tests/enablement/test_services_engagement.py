import datetime as dt

import pytest
from django.utils import timezone

from enablement import services
from enablement.models import EngagementEvent, EngagementKind
from partners.models import Partner
from tests.enablement.factories import EngagementEventFactory, EnrollmentFactory
from tests.partners.factories import ContactFactory, PartnerFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def events(contact, kind: str, count: int, *, days_ago: float = 1) -> None:
    EngagementEvent.objects.bulk_create(
        EngagementEvent(
            contact=contact,
            partner_id=contact.partner_id,
            kind=kind,
            at=NOW - dt.timedelta(days=days_ago, minutes=minute),
        )
        for minute in range(count)
    )


def figures(partner: Partner) -> tuple:
    partner.refresh_from_db()
    return partner.engagement_score, partner.last_activity_at, partner.enablement_completion_pct


class TestEngagementRollup:
    def test_figures_match_the_documented_formula(self):
        # given: 25 views (capped at 20 points), 4 downloads (12), 2 completions (10) and
        # 1 quiz (8) in the last 90 days = 50; a download 100 days ago does not count
        active = PartnerFactory()
        first, second = ContactFactory.create_batch(2, partner=active)
        events(first, EngagementKind.VIEW, 25)
        events(second, EngagementKind.DOWNLOAD, 4, days_ago=0.5)
        events(first, EngagementKind.COMPLETION, 2)
        events(first, EngagementKind.QUIZ, 1)
        events(first, EngagementKind.DOWNLOAD, 1, days_ago=100)
        # and 3 enrolments of its people, 2 completed
        EnrollmentFactory(contact=first, completed_at=NOW)
        EnrollmentFactory(contact=first)
        EnrollmentFactory(contact=second, completed_at=NOW)
        # when
        changed = services.engagement_rollup(partner_ids=[active.id], now=NOW)
        # then
        assert changed == 1
        assert figures(active) == (50.0, NOW - dt.timedelta(days=0.5), pytest.approx(66.67))

    def test_the_score_is_capped_at_100(self):
        partner = PartnerFactory()
        events(ContactFactory(partner=partner), EngagementKind.QUIZ, 13)  # 104 points
        services.engagement_rollup(now=NOW)
        assert figures(partner)[0] == 100.0

    def test_only_old_activity_scores_zero_and_keeps_its_last_activity(self):
        partner = PartnerFactory()
        events(ContactFactory(partner=partner), EngagementKind.VIEW, 1, days_ago=200)
        services.engagement_rollup(now=NOW)
        assert figures(partner) == (0.0, NOW - dt.timedelta(days=200), None)

    def test_a_later_last_activity_from_elsewhere_is_kept(self):
        partner = PartnerFactory(last_activity_at=NOW)
        events(ContactFactory(partner=partner), EngagementKind.VIEW, 1, days_ago=3)
        services.engagement_rollup(now=NOW)
        assert figures(partner)[1] == NOW

    def test_partners_without_enablement_keep_their_figures(self):
        imported = PartnerFactory(engagement_score=42.0, enablement_completion_pct=10.0)
        EngagementEventFactory()
        services.engagement_rollup(now=NOW)
        assert figures(imported) == (42.0, None, 10.0)

    def test_withdrawing_the_last_enrolment_clears_the_completion(
        self, django_capture_on_commit_callbacks
    ):
        # given
        enrollment = EnrollmentFactory(completed_at=NOW)
        partner = enrollment.contact.partner
        services.engagement_rollup(partner_ids=[partner.id], now=NOW)
        assert figures(partner)[2] == 100.0
        # when
        with django_capture_on_commit_callbacks(execute=True):
            services.enrollment_delete(enrollment=enrollment)
        # then
        assert figures(partner) == (0.0, None, None)

    def test_only_changed_partners_are_written_and_announced(self):
        partner = PartnerFactory()
        events(ContactFactory(partner=partner), EngagementKind.VIEW, 2)
        assert services.engagement_rollup(now=NOW) == 1
        assert services.engagement_rollup(now=NOW) == 0

    def test_an_event_rolls_its_partner_up_after_commit(self, django_capture_on_commit_callbacks):
        # given
        contact = ContactFactory()
        # when
        with django_capture_on_commit_callbacks(execute=True):
            services.engagement_event_record(contact=contact, kind=EngagementKind.DOWNLOAD)
        # then
        score, last_activity, _ = figures(contact.partner)
        assert score == 3.0
        assert last_activity is not None
