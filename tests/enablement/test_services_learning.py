import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from enablement import services
from enablement.models import (
    EngagementEvent,
    EngagementKind,
    Enrollment,
    EnrollmentSource,
    StepCompletion,
)
from partners.models import PartnerCertification
from partners.signals import partners_changed
from segments import services as segment_services
from segments.models import EvaluationTrigger, Membership
from tests.enablement.factories import (
    QUIZ,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import CertificationFactory, ContactFactory, PartnerFactory, tier
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db


def nothing_written(enrollment) -> bool:
    enrollment.refresh_from_db()
    return (
        not StepCompletion.objects.exists()
        and not EngagementEvent.objects.exists()
        and enrollment.progress_pct == 0
        and enrollment.completed_at is None
    )


class TestEnrollmentCreate:
    def test_enrols_with_a_due_date_from_the_path(self):
        # given
        path = LearningPathFactory(due_days=14)
        contact = ContactFactory()
        # when
        enrollment = services.enrollment_create(contact=contact, path=path)
        # then
        assert enrollment.source == EnrollmentSource.MANUAL
        assert enrollment.due_at - enrollment.enrolled_at == dt.timedelta(days=14)

    def test_refuses_a_second_enrolment_in_the_same_path(self):
        enrollment = EnrollmentFactory()
        with pytest.raises(ValidationError, match="Already enrolled"):
            services.enrollment_create(contact=enrollment.contact, path=enrollment.path)
        assert Enrollment.objects.count() == 1

    def test_refuses_an_inactive_path(self):
        with pytest.raises(ValidationError, match="not active"):
            services.enrollment_create(
                contact=ContactFactory(), path=LearningPathFactory(is_active=False)
            )


class TestLearningStepComplete:
    def test_completing_a_step_updates_progress_and_records_an_event(self):
        # given
        path = LearningPathFactory()
        first, _second = LearningStepFactory.create_batch(2, path=path)
        enrollment = EnrollmentFactory(path=path)
        # when
        services.learning_step_complete(
            enrollment=enrollment, step=first, actor_contact=enrollment.contact
        )
        # then
        enrollment.refresh_from_db()
        assert (enrollment.progress_pct, enrollment.completed_at) == (50.0, None)
        event = EngagementEvent.objects.get()
        assert (event.kind, event.partner_id, event.step_id) == (
            EngagementKind.COMPLETION,
            enrollment.contact.partner_id,
            first.id,
        )

    def test_a_passed_quiz_is_completed_with_its_score(self):
        # given
        step = LearningStepFactory(quiz=QUIZ, pass_mark=50)
        enrollment = EnrollmentFactory(path=step.path)
        # when: one of two right
        completion = services.learning_step_complete(
            enrollment=enrollment, step=step, answers=[1, 2], actor_contact=enrollment.contact
        )
        # then
        assert completion.score == 50.0
        assert EngagementEvent.objects.get().kind == EngagementKind.QUIZ
        enrollment.refresh_from_db()
        assert enrollment.progress_pct == 100.0
        assert enrollment.completed_at is not None

    def test_a_failed_quiz_raises_with_the_score_and_writes_nothing(self):
        # given
        step = LearningStepFactory(quiz=QUIZ, pass_mark=80)
        enrollment = EnrollmentFactory(path=step.path)
        # when
        with pytest.raises(services.QuizFailedError) as failure:
            services.learning_step_complete(
                enrollment=enrollment, step=step, answers=[1, 2], actor_contact=enrollment.contact
            )
        # then
        assert (failure.value.score, failure.value.pass_mark) == (50.0, 80)
        assert nothing_written(enrollment)

    @pytest.mark.parametrize("answers", [None, [1], [1, 7], ["a", 0]])
    def test_malformed_answers_are_refused(self, answers):
        step = LearningStepFactory(quiz=QUIZ)
        enrollment = EnrollmentFactory(path=step.path)
        with pytest.raises(ValidationError) as error:
            services.learning_step_complete(
                enrollment=enrollment, step=step, answers=answers, actor_contact=None
            )
        assert "answers" in error.value.message_dict
        assert nothing_written(enrollment)

    def test_someone_elses_enrolment_is_refused_and_nothing_written(self):
        step = LearningStepFactory()
        enrollment = EnrollmentFactory(path=step.path)
        with pytest.raises(PermissionDenied):
            services.learning_step_complete(
                enrollment=enrollment, step=step, actor_contact=ContactFactory()
            )
        assert nothing_written(enrollment)

    def test_a_step_of_another_path_is_refused_and_nothing_written(self):
        enrollment = EnrollmentFactory(path=LearningStepFactory().path)
        other_step = LearningStepFactory()
        with pytest.raises(ValidationError, match="not part of the enrolled learning path"):
            services.learning_step_complete(
                enrollment=enrollment, step=other_step, actor_contact=enrollment.contact
            )
        assert nothing_written(enrollment)

    def test_completing_a_step_twice_changes_nothing(self):
        step = LearningStepFactory()
        enrollment = EnrollmentFactory(path=step.path)
        first = services.learning_step_complete(
            enrollment=enrollment, step=step, actor_contact=None
        )
        again = services.learning_step_complete(
            enrollment=enrollment, step=step, actor_contact=None
        )
        assert first.pk == again.pk
        assert EngagementEvent.objects.count() == 1


class TestCertificationAward:
    def test_completing_the_path_certifies_the_partner_and_a_segment_sees_it_at_once(
        self, django_capture_on_commit_callbacks, settings
    ):
        # given: a segment of partners holding the certification, and a path awarding it
        settings.PRM_SEGMENT_CHANGE_DELAY_SECONDS = 0
        certification = CertificationFactory(slug="cloud-architect", validity_days=365)
        segment = SegmentFactory(
            rule={"field": "certifications", "op": "has", "value": "cloud-architect"}
        )
        step = LearningStepFactory(path=LearningPathFactory(awards_certification=certification))
        enrollment = EnrollmentFactory(path=step.path)
        partner = enrollment.contact.partner
        segment_services.segment_evaluate(segment_id=segment.id)
        assert not Membership.objects.filter(segment=segment).exists()
        announced = []
        partners_changed.connect(
            lambda sender, partner_ids, reason, **kwargs: announced.append((reason, partner_ids)),
            weak=False,
            dispatch_uid="test-award",
        )
        # when: the last step is completed (tasks run eagerly on commit)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                services.learning_step_complete(
                    enrollment=enrollment, step=step, actor_contact=enrollment.contact
                )
        finally:
            partners_changed.disconnect(dispatch_uid="test-award")
        # then
        assert ("certification", [partner.id]) in announced
        award = PartnerCertification.objects.get(partner=partner)
        today = timezone.localdate()
        assert (award.certification, award.earned_at) == (certification, today)
        assert award.expires_at == today + dt.timedelta(days=365)
        assert Membership.objects.filter(segment=segment, partner=partner).exists()
        # and when it has expired, re-evaluation takes the partner out
        PartnerCertification.objects.filter(pk=award.pk).update(expires_at=today)
        run = segment_services.segment_evaluate(
            segment_id=segment.id, trigger=EvaluationTrigger.SCHEDULE
        )
        assert run.left == 1
        assert not Membership.objects.filter(segment=segment, partner=partner).exists()

    def test_completing_renews_an_expired_certification(self):
        # given
        certification = CertificationFactory(validity_days=30)
        partner = PartnerFactory()
        today = timezone.localdate()
        PartnerCertification.objects.create(
            partner=partner,
            certification=certification,
            earned_at=today - dt.timedelta(days=400),
            expires_at=today - dt.timedelta(days=35),
        )
        # when
        services.partner_certification_award(partner_id=partner.id, certification=certification)
        # then
        award = PartnerCertification.objects.get(partner=partner)
        assert (award.earned_at, award.expires_at) == (today, today + dt.timedelta(days=30))

    def test_a_renewal_never_shortens_a_longer_running_certification(self):
        certification = CertificationFactory(validity_days=30)
        partner = PartnerFactory()
        later = timezone.localdate() + dt.timedelta(days=300)
        PartnerCertification.objects.create(
            partner=partner, certification=certification, earned_at=timezone.localdate(),
            expires_at=later,
        )  # fmt: skip
        services.partner_certification_award(partner_id=partner.id, certification=certification)
        assert PartnerCertification.objects.get(partner=partner).expires_at == later


class TestAutoEnrol:
    def test_partners_joining_the_segment_have_their_contacts_enrolled(
        self, django_capture_on_commit_callbacks
    ):
        # given: a path auto-enrolling from the gold segment, technical people only
        segment = SegmentFactory(rule={"field": "tier", "op": "at_least", "value": "gold"})
        path = LearningPathFactory(auto_enrol_segment=segment, due_days=30, roles=["technical"])
        gold = PartnerFactory(tier=tier("gold"))
        engineer = ContactFactory(partner=gold, role="technical")
        ContactFactory(partner=gold, role="sales")
        ContactFactory(partner=PartnerFactory(tier=tier("silver")), role="technical")
        # when: the segment is evaluated and its join announced after commit
        with django_capture_on_commit_callbacks(execute=True):
            run = segment_services.segment_evaluate(segment_id=segment.id)
        # then
        assert run.joined == 1
        enrollment = Enrollment.objects.get()
        assert (enrollment.contact, enrollment.path, enrollment.source) == (
            engineer,
            path,
            EnrollmentSource.AUTO,
        )
        assert enrollment.due_at - enrollment.enrolled_at == dt.timedelta(days=30)

    def test_running_twice_adds_nothing_and_keeps_manual_enrolments(self):
        segment = SegmentFactory()
        path = LearningPathFactory(auto_enrol_segment=segment)
        contact = ContactFactory()
        manual = services.enrollment_create(contact=contact, path=path)
        segment_services.segment_evaluate(segment_id=segment.id)
        assert services.enrollments_auto_enrol(segment_id=segment.id) == 0
        ContactFactory(partner=contact.partner)
        segment_services.segment_evaluate(segment_id=segment.id)
        assert services.enrollments_auto_enrol(segment_id=segment.id) == 1
        assert services.enrollments_auto_enrol(segment_id=segment.id) == 0
        manual.refresh_from_db()
        assert manual.source == EnrollmentSource.MANUAL

    def test_inactive_paths_do_not_enrol(self, django_capture_on_commit_callbacks):
        segment = SegmentFactory()
        LearningPathFactory(auto_enrol_segment=segment, is_active=False)
        ContactFactory()
        with django_capture_on_commit_callbacks(execute=True):
            segment_services.segment_evaluate(segment_id=segment.id)
        assert not Enrollment.objects.exists()

    def test_a_new_auto_enrolling_path_enrols_current_members(
        self, django_capture_on_commit_callbacks
    ):
        segment = SegmentFactory()
        contact = ContactFactory()
        segment_services.segment_evaluate(segment_id=segment.id)
        with django_capture_on_commit_callbacks(execute=True):
            path = services.learning_path_create(
                data={"title": "Onboarding", "auto_enrol_segment": segment}
            )
        assert Enrollment.objects.get().contact == contact
        assert path.slug == "onboarding"


class TestSteps:
    def test_a_quiz_of_the_wrong_shape_is_refused(self):
        path = LearningPathFactory()
        content = LearningStepFactory().content
        with pytest.raises(ValidationError) as error:
            services.learning_step_create(
                data={"path": path, "order": 1, "content": content, "quiz": [{"question": "?"}]}
            )
        assert "quiz" in error.value.message_dict

    def test_a_step_cannot_move_to_another_path(self):
        step = LearningStepFactory()
        with pytest.raises(ValidationError, match="stays in its path"):
            services.learning_step_update(step=step, data={"path": LearningPathFactory()})

    def test_adding_a_step_lowers_the_progress_of_open_enrolments(self):
        step = LearningStepFactory()
        enrollment = EnrollmentFactory(path=step.path)
        other = LearningStepFactory(path=step.path)
        services.learning_step_complete(enrollment=enrollment, step=step, actor_contact=None)
        services.learning_step_create(
            data={"path": step.path, "order": 99, "content": other.content}
        )
        enrollment.refresh_from_db()
        assert enrollment.progress_pct == pytest.approx(33.3)
