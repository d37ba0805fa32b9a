"""The portal's learning pages: the library, content, paths, steps and quizzes."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enablement.models import EngagementEvent, EngagementKind, Enrollment, StepCompletion
from partners.models import ContactRole, PartnerCertification
from tests.enablement.factories import (
    QUIZ,
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

LEARNING_URL = reverse("portal:learning")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def contact(partner_user):
    """The signed-in partner user's contact, at a silver partner, in the sales role."""
    contact = partner_user.contact
    contact.partner.tier = tier("silver")
    contact.partner.save(update_fields=["tier"])
    return contact


@pytest.fixture
def portal(client, partner_user, contact):
    client.force_login(partner_user)
    return client


def path_url(path) -> str:
    return reverse("portal:learning-path", args=[path.pk])


def complete_url(step) -> str:
    return reverse("portal:learning-step-complete", args=[step.pk])


def quiz_url(step) -> str:
    return reverse("portal:learning-step-quiz", args=[step.pk])


def page_urls() -> list[tuple[str, str]]:
    """(method, url) of every learning page, with rows visible to anyone."""
    item = ContentItemFactory()
    step = LearningStepFactory(content=item, quiz=QUIZ)
    return [
        ("get", LEARNING_URL),
        ("get", reverse("portal:learning-content", args=[item.pk])),
        ("get", path_url(step.path)),
        ("post", reverse("portal:learning-path-enrol", args=[step.path_id])),
        ("post", complete_url(step)),
        ("get", quiz_url(step)),
    ]


def gated_items(contact):
    """Content the contact may not see: a higher tier, another segment, another role, a
    draft and an expired item."""
    other_segment = SegmentFactory()
    MembershipFactory(segment=other_segment)  # another partner's membership
    now = timezone.now()
    return [
        ContentItemFactory(title="Gold only", min_tier=tier("gold")),
        ContentItemFactory(title="Other segment", segments=[other_segment]),
        ContentItemFactory(title="Technical only", roles=[ContactRole.TECHNICAL]),
        ContentItemFactory(title="Draft", published_at=None),
        ContentItemFactory(
            title="Expired",
            published_at=now - dt.timedelta(days=10),
            expires_at=now - dt.timedelta(days=1),
        ),
    ]


class TestAccess:
    def test_anonymous_visitors_are_sent_to_the_login_page(self, client):
        for method, url in page_urls():
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url

    def test_staff_are_refused(self, client, manager):
        client.force_login(manager)
        for method, url in page_urls():
            assert getattr(client, method)(url).status_code == 403, url

    def test_a_login_without_a_contact_is_refused(self, client):
        client.force_login(UserFactory(username="no-contact"))
        assert client.get(LEARNING_URL).status_code == 403

    def test_action_urls_refuse_get(self, portal, contact):
        step = LearningStepFactory()
        assert portal.get(complete_url(step)).status_code == 405
        assert (
            portal.get(reverse("portal:learning-path-enrol", args=[step.path_id])).status_code
            == 405
        )


class TestLearningPage:
    def test_lists_the_content_the_contact_may_see_and_nothing_gated(self, portal, contact):
        # given
        mine = SegmentFactory()
        MembershipFactory(segment=mine, partner=contact.partner)
        visible = [
            ContentItemFactory(title="Open to all"),
            ContentItemFactory(title="Silver and up", min_tier=tier("silver")),
            ContentItemFactory(title="For my segment", segments=[mine]),
            ContentItemFactory(title="For sales", roles=[ContactRole.SALES]),
        ]
        hidden = gated_items(contact)

        # when
        response = portal.get(LEARNING_URL)

        # then
        assert response.status_code == 200
        assert response.context["nav"] == "learning"
        listed = set(response.context["content_items"])
        assert listed == set(visible)
        html = response.content.decode()
        for item in hidden:
            assert item.title not in html

    def test_filters_by_kind_topic_and_search(self, portal, contact):
        video = ContentItemFactory(title="Cloud demo", kind="video", product_group="Cloud")
        ContentItemFactory(title="Cloud pricing", kind="document", product_group="Cloud")
        ContentItemFactory(title="Security demo", kind="video", product_group="Security")

        by_kind_and_topic = portal.get(LEARNING_URL, {"kind": "video", "topic": "Cloud"})
        by_search = portal.get(LEARNING_URL, {"q": "pricing"})

        assert list(by_kind_and_topic.context["content_items"]) == [video]
        assert [item.title for item in by_search.context["content_items"]] == ["Cloud pricing"]

    def test_topics_offered_are_those_of_visible_content_only(self, portal, contact):
        ContentItemFactory(product_group="Cloud")
        ContentItemFactory(product_group="Secret", min_tier=tier("platinum"))

        response = portal.get(LEARNING_URL)

        choices = [value for value, _ in response.context["filter_form"].fields["topic"].choices]
        assert choices == ["", "Cloud"]

    def test_an_unknown_filter_value_is_ignored_not_an_error(self, portal, contact):
        ContentItemFactory()
        response = portal.get(LEARNING_URL, {"kind": "nonsense", "page": "99"})
        assert response.status_code == 200
        assert len(response.context["content_items"]) == 1

    def test_shows_enrolled_paths_with_progress_and_available_paths_to_enrol(self, portal, contact):
        # given
        enrolled = LearningPathFactory(title="Sales basics")
        EnrollmentFactory(contact=contact, path=enrolled, progress_pct=50)
        available = LearningPathFactory(title="Cloud architect")
        gold_path = LearningPathFactory(title="Gold secrets", min_tier=tier("gold"))
        inactive = LearningPathFactory(title="Retired path", is_active=False)

        # when
        response = portal.get(LEARNING_URL)

        # then
        assert [p.pk for p in response.context["enrolled_paths"]] == [enrolled.pk]
        assert [p.pk for p in response.context["available_paths"]] == [available.pk]
        html = response.content.decode()
        assert 'aria-valuenow="50"' in html
        assert reverse("portal:learning-path-enrol", args=[available.pk]) in html
        assert gold_path.title not in html
        assert inactive.title not in html

    def test_shows_the_partners_certifications_with_expiry_and_no_others(self, portal, contact):
        expires = timezone.localdate() + dt.timedelta(days=200)
        PartnerCertificationFactory(
            partner=contact.partner,
            certification=CertificationFactory(name="Cloud Pro"),
            expires_at=expires,
        )
        PartnerCertificationFactory(certification=CertificationFactory(name="Someone Else's"))

        response = portal.get(LEARNING_URL)

        html = response.content.decode()
        assert "Cloud Pro" in html
        assert f"Valid until {expires:%-d %b %Y}" in html
        assert "Someone Else" not in html
        assert response.context["active_certification_count"] == 1

    def test_a_constant_number_of_queries_whatever_the_number_of_rows(self, portal, contact):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert portal.get(LEARNING_URL).status_code == 200
            return len(captured)

        def add(count: int) -> None:
            for _ in range(count):
                ContentItemFactory(product_group="Cloud")
                path = LearningPathFactory(awards_certification=CertificationFactory())
                LearningStepFactory(path=path)
                EnrollmentFactory(contact=contact, path=LearningPathFactory())
                PartnerCertificationFactory(partner=contact.partner)

        add(3)
        few = queries()
        add(27)
        assert queries() == few


class TestContentPage:
    def test_shows_visible_content_and_records_a_view(self, portal, contact):
        item = ContentItemFactory(title="Partner pricing guide", summary="All the prices")

        response = portal.get(reverse("portal:learning-content", args=[item.pk]))

        assert response.status_code == 200
        assert "Partner pricing guide" in response.content.decode()
        assert item.url in response.content.decode()
        event = EngagementEvent.objects.get()
        assert (event.kind, event.content, event.contact) == (EngagementKind.VIEW, item, contact)

    def test_a_file_is_offered_through_the_gated_download_view(self, portal, contact):
        item = ContentItemFactory(url="", file=ContentFile(b"%PDF-1.4 test", name="guide.pdf"))

        response = portal.get(reverse("portal:learning-content", args=[item.pk]))

        assert reverse("enablement:content-download", args=[item.pk]) in response.content.decode()

    def test_a_rich_text_body_is_shown_sanitised(self, portal, contact):
        item = ContentItemFactory(url="", body="<p>Hello <b>partner</b></p>")
        item.body = '<p>Hello</p><script>alert("x")</script>'  # written past the services
        item.save(update_fields=["body"])

        html = portal.get(reverse("portal:learning-content", args=[item.pk])).content.decode()

        assert "<p>Hello</p>" in html
        assert 'alert("x")' not in html

    def test_content_the_contact_may_not_see_is_not_found_and_records_nothing(
        self, portal, contact
    ):
        for item in gated_items(contact):
            response = portal.get(reverse("portal:learning-content", args=[item.pk]))
            assert response.status_code == 404, item.title
        assert not EngagementEvent.objects.exists()


class TestPathPage:
    def test_shows_the_steps_in_order_with_their_state(self, portal, contact):
        # given
        path = LearningPathFactory(title="Onboarding")
        second = LearningStepFactory(path=path, order=2, title="Second step")
        first = LearningStepFactory(path=path, order=1, title="First step")
        quiz = LearningStepFactory(path=path, order=3, title="Final quiz", quiz=QUIZ)
        enrollment = EnrollmentFactory(contact=contact, path=path)
        StepCompletion.objects.create(
            enrollment=enrollment, step=first, completed_at=timezone.now()
        )

        # when
        response = portal.get(path_url(path))

        # then
        assert response.status_code == 200
        steps = response.context["steps"]
        assert [step.pk for step in steps] == [first.pk, second.pk, quiz.pk]
        assert steps[0].completion is not None and steps[1].completion is None
        assert response.context["next_step"] == second
        html = response.content.decode()
        assert html.index("First step") < html.index("Second step") < html.index("Final quiz")
        assert complete_url(second) in html
        assert complete_url(first) not in html  # already done
        assert quiz_url(quiz) in html
        assert "answer_index" not in html

    def test_not_enrolled_shows_the_enrol_button_and_no_step_actions(self, portal, contact):
        step = LearningStepFactory()

        html = portal.get(path_url(step.path)).content.decode()

        assert "Enrol</button>" in html
        assert complete_url(step) not in html

    def test_a_step_whose_content_is_gated_shows_no_content_link(self, portal, contact):
        secret = ContentItemFactory(title="Gold material", min_tier=tier("gold"))
        step = LearningStepFactory(content=secret)

        html = portal.get(path_url(step.path)).content.decode()

        assert "Gold material" not in html
        assert reverse("portal:learning-content", args=[secret.pk]) not in html
        assert f"Step {step.order}" in html

    def test_a_path_the_contact_may_not_see_is_not_found(self, portal, contact):
        other_segment = SegmentFactory()
        for path in (
            LearningPathFactory(min_tier=tier("gold")),
            LearningPathFactory(segments=[other_segment]),
            LearningPathFactory(roles=[ContactRole.EXECUTIVE]),
            LearningPathFactory(is_active=False),
        ):
            assert portal.get(path_url(path)).status_code == 404

    def test_shows_the_certification_earned_once_completed(self, portal, contact):
        certification = CertificationFactory(name="Cloud Architect")
        path = LearningPathFactory(awards_certification=certification)
        EnrollmentFactory(contact=contact, path=path, completed_at=timezone.now(), progress_pct=100)
        PartnerCertificationFactory(partner=contact.partner, certification=certification)

        html = portal.get(path_url(path)).content.decode()

        assert "You completed this path" in html
        assert "holds the <strong>Cloud Architect</strong> certification" in html


class TestEnrol:
    def test_enrols_the_contact_through_the_service(self, portal, contact):
        path = LearningPathFactory(due_days=30)

        response = portal.post(reverse("portal:learning-path-enrol", args=[path.pk]))

        assert response.status_code == 302
        assert response["Location"] == path_url(path)
        enrollment = Enrollment.objects.get()
        assert (enrollment.contact, enrollment.path) == (contact, path)
        assert enrollment.due_at is not None

    def test_enrolling_twice_keeps_one_enrolment_and_says_so(self, portal, contact):
        path = LearningPathFactory()
        url = reverse("portal:learning-path-enrol", args=[path.pk])
        portal.post(url)

        response = portal.post(url, follow=True)

        assert Enrollment.objects.count() == 1
        assert "Already enrolled" in response.content.decode()

    def test_a_path_the_contact_may_not_see_cannot_be_enrolled_in(self, portal, contact):
        path = LearningPathFactory(min_tier=tier("platinum"))

        response = portal.post(reverse("portal:learning-path-enrol", args=[path.pk]))

        assert response.status_code == 404
        assert not Enrollment.objects.exists()


class TestMarkComplete:
    def test_completes_the_step_through_the_service(self, portal, contact):
        # given
        path = LearningPathFactory()
        step = LearningStepFactory(path=path, order=1)
        LearningStepFactory(path=path, order=2)
        enrollment = EnrollmentFactory(contact=contact, path=path)

        # when
        response = portal.post(complete_url(step))

        # then
        assert response.status_code == 302
        assert response["Location"] == f"{path_url(path)}#step-{step.pk}"
        completion = StepCompletion.objects.get()
        assert (completion.enrollment, completion.step) == (enrollment, step)
        enrollment.refresh_from_db()
        assert enrollment.progress_pct == 50
        assert enrollment.completed_at is None
        assert EngagementEvent.objects.filter(kind=EngagementKind.COMPLETION).count() == 1

    def test_completing_the_last_step_awards_the_certification_and_says_so(self, portal, contact):
        # given
        certification = CertificationFactory(name="Sales Pro", validity_days=365)
        path = LearningPathFactory(title="Sales path", awards_certification=certification)
        step = LearningStepFactory(path=path)
        enrollment = EnrollmentFactory(contact=contact, path=path)

        # when
        response = portal.post(complete_url(step), follow=True)

        # then
        enrollment.refresh_from_db()
        assert enrollment.completed_at is not None
        award = PartnerCertification.objects.get(partner=contact.partner)
        assert award.certification == certification
        html = response.content.decode()
        assert "You completed Sales path." in html
        assert "earned the Sales Pro certification" in html
        assert "You completed this path" in html

    def test_without_an_enrolment_nothing_changes(self, portal, contact):
        step = LearningStepFactory()
        colleague = ContactFactory(partner=contact.partner)
        theirs = EnrollmentFactory(contact=colleague, path=step.path)

        response = portal.post(complete_url(step))

        assert response.status_code == 404
        assert not StepCompletion.objects.exists()
        theirs.refresh_from_db()
        assert theirs.progress_pct == 0

    def test_a_step_of_a_path_the_contact_may_not_see_is_not_found(self, portal, contact):
        path = LearningPathFactory(min_tier=tier("gold"))
        step = LearningStepFactory(path=path)
        EnrollmentFactory(contact=contact, path=path)  # e.g. enrolled before a tier drop

        response = portal.post(complete_url(step))

        assert response.status_code == 404
        assert not StepCompletion.objects.exists()

    def test_another_partners_enrolment_is_never_touched(self, portal, contact):
        step = LearningStepFactory()
        stranger = ContactFactory(partner=PartnerFactory())
        theirs = EnrollmentFactory(contact=stranger, path=step.path)

        assert portal.post(complete_url(step)).status_code == 404
        assert portal.post(quiz_url(step), {"question_0": 1}).status_code == 302

        assert not StepCompletion.objects.filter(enrollment=theirs).exists()

    def test_a_quiz_step_is_not_marked_complete_without_its_quiz(self, portal, contact):
        step = LearningStepFactory(quiz=QUIZ)
        EnrollmentFactory(contact=contact, path=step.path)

        response = portal.post(complete_url(step))

        assert response.status_code == 302
        assert response["Location"] == quiz_url(step)
        assert not StepCompletion.objects.exists()


class TestQuiz:
    @pytest.fixture
    def step(self, contact):
        certification = CertificationFactory(name="Quiz Master")
        path = LearningPathFactory(title="Quiz path", awards_certification=certification)
        step = LearningStepFactory(path=path, title="Check yourself", quiz=QUIZ, pass_mark=100)
        EnrollmentFactory(contact=contact, path=path)
        return step

    def test_shows_the_questions_and_options_without_the_answers(self, portal, step):
        response = portal.get(quiz_url(step))

        assert response.status_code == 200
        html = response.content.decode()
        assert "Quiz: Check yourself" in html
        assert "Capital of France?" in html and "Oslo" in html
        assert "answer_index" not in html
        assert "Submit answers" in html

    def test_a_wrong_answer_shows_the_score_and_the_form_again_and_saves_nothing(
        self, portal, step
    ):
        response = portal.post(quiz_url(step), {"question_0": 0, "question_1": 0})

        assert response.status_code == 200
        html = response.content.decode()
        assert "Not passed: you scored 50%." in html
        assert "100% is needed to pass" in html
        assert "Submit answers" in html
        assert not StepCompletion.objects.exists()

    def test_a_pass_completes_the_step_awards_the_certification_and_shows_the_score(
        self, portal, step, contact
    ):
        response = portal.post(quiz_url(step), {"question_0": 1, "question_1": 0}, follow=True)

        completion = StepCompletion.objects.get()
        assert completion.score == 100
        assert PartnerCertification.objects.filter(
            partner=contact.partner, certification__name="Quiz Master"
        ).exists()
        html = response.content.decode()
        assert "Passed" in html and "<strong>100%</strong>" in html
        assert "earned the Quiz Master certification" in html
        assert EngagementEvent.objects.filter(kind=EngagementKind.QUIZ).count() == 1

    def test_a_retry_after_a_failure_can_pass(self, portal, step):
        portal.post(quiz_url(step), {"question_0": 0, "question_1": 0})
        portal.post(quiz_url(step), {"question_0": 1, "question_1": 0})
        assert StepCompletion.objects.get().score == 100

    def test_unanswered_questions_are_form_errors(self, portal, step):
        response = portal.post(quiz_url(step), {"question_0": 1})

        assert response.status_code == 400
        assert "Choose an answer." in response.content.decode()
        assert not StepCompletion.objects.exists()

    def test_an_option_that_does_not_exist_is_a_form_error(self, portal, step):
        response = portal.post(quiz_url(step), {"question_0": 7, "question_1": 0})
        assert response.status_code == 400
        assert not StepCompletion.objects.exists()

    def test_not_enrolled_is_sent_to_the_path_to_enrol(self, portal, contact):
        step = LearningStepFactory(quiz=QUIZ)

        response = portal.get(quiz_url(step))

        assert response.status_code == 302
        assert response["Location"] == path_url(step.path)

    def test_the_quiz_of_a_gated_path_is_not_found(self, portal, contact):
        step = LearningStepFactory(path=LearningPathFactory(min_tier=tier("gold")), quiz=QUIZ)
        EnrollmentFactory(contact=contact, path=step.path)

        assert portal.get(quiz_url(step)).status_code == 404
        assert portal.post(quiz_url(step), {"question_0": 1, "question_1": 0}).status_code == 404
        assert not StepCompletion.objects.exists()
