import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enablement.models import (
    ContentItem,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningPath,
    StepCompletion,
)
from partners.models import Certification
from tests.enablement.factories import (
    QUIZ,
    ContentItemFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import CertificationFactory, ContactFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

CONTENT_URL = "/api/content/"
PATHS_URL = "/api/learning-paths/"
STEPS_URL = "/api/learning-steps/"
ENROLLMENTS_URL = "/api/enrollments/"
CERTIFICATIONS_URL = "/api/certifications/"
PDF = b"%PDF-1.7\nbody"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def complete_url(enrollment) -> str:
    return f"{ENROLLMENTS_URL}{enrollment.pk}/complete-step/"


class TestConventions:
    @pytest.mark.parametrize(
        "url", [CONTENT_URL, PATHS_URL, STEPS_URL, ENROLLMENTS_URL, CERTIFICATIONS_URL]
    )
    def test_anonymous_requests_are_refused_with_401(self, api_client, url):
        assert api_client.get(url).status_code == 401

    @pytest.mark.parametrize(
        ("url", "body"),
        [
            (CONTENT_URL, {"kind": "link", "title": "T", "url": "https://example.com"}),
            (PATHS_URL, {"title": "T"}),
            (STEPS_URL, {}),
            (CERTIFICATIONS_URL, {"slug": "x", "name": "X"}),
        ],
    )
    def test_partner_users_may_not_write_manager_resources(self, partner_client, url, body):
        assert partner_client.post(url, body, format="json").status_code == 403

    def test_partner_users_may_not_read_steps_with_their_answers(self, partner_client):
        assert partner_client.get(STEPS_URL).status_code == 403

    def test_partner_users_may_not_change_or_delete_content(self, partner_client):
        item = ContentItemFactory()
        assert partner_client.patch(f"{CONTENT_URL}{item.pk}/", {"title": "x"}).status_code == 403
        assert partner_client.delete(f"{CONTENT_URL}{item.pk}/").status_code == 403
        assert ContentItem.objects.get(pk=item.pk).title == item.title

    def test_lists_are_paginated(self, manager_client):
        ContentItemFactory.create_batch(3)
        body = manager_client.get(CONTENT_URL, {"page_size": 2}).json()
        assert (body["count"], len(body["results"])) == (3, 2)
        assert body["next"] is not None

    def test_the_schema_builds(self, manager_client):
        assert manager_client.get("/api/schema/").status_code == 200


class TestContentForManagers:
    def test_upload_a_file_with_its_audience(self, manager_client):
        # given
        segment = SegmentFactory()
        # when
        response = manager_client.post(
            CONTENT_URL,
            {
                "kind": "document",
                "title": "Battle card",
                "file": SimpleUploadedFile("card.pdf", PDF, content_type="application/pdf"),
                "segments": [segment.slug],
                "roles": ["sales", "marketing"],
                "min_tier": "silver",
            },
            format="multipart",
        )
        # then
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["download_url"].endswith(f"/enablement/content/{body['id']}/download/")
        assert (body["file_name"], body["segments"], body["min_tier"]) == (
            "card.pdf",
            [segment.slug],
            "silver",
        )
        assert body["roles"] == ["marketing", "sales"]
        assert "file" not in body

    def test_an_upload_over_the_size_limit_is_400(self, manager_client, settings):
        settings.PRM_CONTENT_MAX_UPLOAD_BYTES = 10
        response = manager_client.post(
            CONTENT_URL,
            {
                "kind": "document",
                "title": "Big",
                "file": SimpleUploadedFile("big.pdf", PDF, content_type="application/pdf"),
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert "the limit is 10 bytes" in response.json()["file"][0]
        assert not ContentItem.objects.exists()

    def test_an_upload_of_a_type_not_accepted_is_400(self, manager_client):
        response = manager_client.post(
            CONTENT_URL,
            {
                "kind": "document",
                "title": "Tool",
                "file": SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdos"),
            },
            format="multipart",
        )
        assert response.status_code == 400
        assert "not accepted" in response.json()["file"][0]
        assert not ContentItem.objects.exists()

    def test_two_sources_are_400(self, manager_client):
        response = manager_client.post(
            CONTENT_URL,
            {"kind": "news", "title": "T", "url": "https://example.com", "body": "text"},
            format="json",
        )
        assert response.status_code == 400
        assert "exactly one of file, url or body" in str(response.json())

    def test_managers_see_drafts_and_filter(self, manager_client):
        draft = ContentItemFactory(published_at=None, kind="news", url="", body="soon")
        live = ContentItemFactory(kind="video")
        assert ids(manager_client.get(CONTENT_URL)) == {draft.id, live.id}
        assert ids(manager_client.get(CONTENT_URL, {"is_visible": "true"})) == {live.id}
        assert ids(manager_client.get(CONTENT_URL, {"kind": "news,link"})) == {draft.id}


class TestContentForPartnerUsers:
    def test_the_list_is_exactly_what_the_audience_allows(self, partner_client, partner_user):
        # given: a sales contact of a partner without tier, member of one segment
        mine = SegmentFactory()
        MembershipFactory(segment=mine, partner=partner_user.contact.partner)
        everyone = ContentItemFactory()
        for_my_segment = ContentItemFactory(segments=[mine])
        ContentItemFactory(segments=[SegmentFactory()])
        ContentItemFactory(min_tier=tier("registered"))
        ContentItemFactory(roles=["technical"])
        ContentItemFactory(published_at=None)
        ContentItemFactory(expires_at=timezone.now() - dt.timedelta(seconds=1))
        # when / then
        assert ids(partner_client.get(CONTENT_URL)) == {everyone.id, for_my_segment.id}

    def test_detail_outside_the_audience_is_404(self, partner_client):
        hidden = ContentItemFactory(roles=["executive"])
        assert partner_client.get(f"{CONTENT_URL}{hidden.pk}/").status_code == 404
        assert not EngagementEvent.objects.exists()

    def test_detail_records_a_view_and_hides_the_audience(self, partner_client, partner_user):
        item = ContentItemFactory(roles=["sales"])
        response = partner_client.get(f"{CONTENT_URL}{item.pk}/")
        assert response.status_code == 200
        assert not {"roles", "segments", "min_tier", "file"} & set(response.json())
        event = EngagementEvent.objects.get()
        assert (event.kind, event.contact, event.content) == (
            EngagementKind.VIEW,
            partner_user.contact,
            item,
        )


class TestLearningPaths:
    def test_managers_create_paths_and_steps(self, manager_client):
        certification = CertificationFactory(slug="cloud")
        content = ContentItemFactory()
        response = manager_client.post(
            PATHS_URL,
            {"title": "Cloud basics", "awards_certification": "cloud", "roles": ["technical"]},
            format="json",
        )
        assert response.status_code == 201, response.content
        path = LearningPath.objects.get()
        assert (path.slug, path.awards_certification) == ("cloud-basics", certification)
        step = manager_client.post(
            STEPS_URL,
            {"path": path.id, "order": 1, "content": content.id, "quiz": QUIZ, "pass_mark": 50},
            format="json",
        )
        assert step.status_code == 201, step.content
        bad = manager_client.post(
            STEPS_URL,
            {"path": path.id, "order": 2, "content": content.id, "quiz": [{"question": "?"}]},
            format="json",
        )
        assert bad.status_code == 400
        assert "quiz" in bad.json()

    def test_partner_users_see_their_paths_without_quiz_answers(self, partner_client):
        # given
        hidden_content = ContentItemFactory(roles=["executive"])
        path = LearningPathFactory(roles=["sales"])
        LearningStepFactory(path=path, order=1, quiz=QUIZ)
        LearningStepFactory(path=path, order=2, content=hidden_content)
        LearningPathFactory(roles=["technical"])
        # when
        response = partner_client.get(PATHS_URL)
        # then
        assert ids(response) == {path.id}
        quiz_step, hidden_step = response.json()["results"][0]["steps"]
        assert quiz_step["questions"][0] == {"question": "2 + 2?", "options": ["3", "4"]}
        assert "answer_index" not in str(response.json())
        assert (hidden_step["content"], hidden_step["title"]) == (None, "")


class TestEnrollments:
    def test_partner_users_see_only_their_own(self, partner_client, partner_user):
        mine = EnrollmentFactory(contact=partner_user.contact)
        colleague = EnrollmentFactory(contact=ContactFactory(partner=partner_user.contact.partner))
        assert ids(partner_client.get(ENROLLMENTS_URL)) == {mine.id}
        assert partner_client.get(f"{ENROLLMENTS_URL}{colleague.pk}/").status_code == 404

    def test_partner_users_enrol_themselves_in_a_path_they_may_see(
        self, partner_client, partner_user
    ):
        # given
        path = LearningPathFactory(due_days=7)
        other = ContactFactory()
        # when: naming someone else as contact is ignored
        response = partner_client.post(
            ENROLLMENTS_URL, {"path": path.id, "contact": other.id}, format="json"
        )
        # then
        assert response.status_code == 201, response.content
        enrollment = Enrollment.objects.get()
        assert enrollment.contact == partner_user.contact
        assert response.json()["due_at"] is not None

    def test_partner_users_may_not_enrol_in_a_path_outside_their_audience(self, partner_client):
        path = LearningPathFactory(roles=["technical"])
        response = partner_client.post(ENROLLMENTS_URL, {"path": path.id}, format="json")
        assert response.status_code == 400
        assert not Enrollment.objects.exists()

    def test_managers_enrol_any_contact_and_partner_users_may_not_withdraw(
        self, manager_client, partner_client, partner_user
    ):
        path = LearningPathFactory()
        response = manager_client.post(
            ENROLLMENTS_URL, {"path": path.id, "contact": partner_user.contact.id}, format="json"
        )
        assert response.status_code == 201, response.content
        again = manager_client.post(
            ENROLLMENTS_URL, {"path": path.id, "contact": partner_user.contact.id}, format="json"
        )
        assert again.status_code == 400
        url = f"{ENROLLMENTS_URL}{response.json()['id']}/"
        assert partner_client.delete(url).status_code == 403
        assert manager_client.delete(url).status_code == 204


class TestCompleteStep:
    def test_a_partner_user_completes_a_step_of_their_enrolment(self, partner_client, partner_user):
        step = LearningStepFactory(quiz=QUIZ, pass_mark=100)
        LearningStepFactory(path=step.path)
        enrollment = EnrollmentFactory(contact=partner_user.contact, path=step.path)
        response = partner_client.post(
            complete_url(enrollment), {"step": step.id, "answers": [1, 0]}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["score"], body["enrollment"]["progress_pct"]) == (100.0, 50.0)

    def test_a_failed_quiz_is_400_with_the_score_and_nothing_saved(
        self, partner_client, partner_user
    ):
        step = LearningStepFactory(quiz=QUIZ, pass_mark=100)
        enrollment = EnrollmentFactory(contact=partner_user.contact, path=step.path)
        response = partner_client.post(
            complete_url(enrollment), {"step": step.id, "answers": [0, 0]}, format="json"
        )
        assert response.status_code == 400
        assert (response.json()["score"], response.json()["pass_mark"]) == (50.0, 100)
        assert not StepCompletion.objects.exists()

    def test_someone_elses_enrolment_is_404_and_nothing_saved(self, partner_client):
        step = LearningStepFactory()
        enrollment = EnrollmentFactory(path=step.path)
        response = partner_client.post(complete_url(enrollment), {"step": step.id}, format="json")
        assert response.status_code == 404
        assert not StepCompletion.objects.exists()
        assert not EngagementEvent.objects.exists()

    def test_a_step_of_another_path_is_400_and_nothing_saved(self, partner_client, partner_user):
        enrollment = EnrollmentFactory(contact=partner_user.contact)
        other = LearningStepFactory()
        response = partner_client.post(complete_url(enrollment), {"step": other.id}, format="json")
        assert response.status_code == 400
        assert "step" in response.json()
        assert not StepCompletion.objects.exists()
        enrollment.refresh_from_db()
        assert enrollment.progress_pct == 0


class TestCertifications:
    def test_managers_manage_the_catalogue_and_partner_users_read_it(
        self, manager_client, partner_client
    ):
        response = manager_client.post(
            CERTIFICATIONS_URL,
            {"slug": "cloud", "name": "Cloud", "validity_days": 365, "skills": ["aws"]},
            format="json",
        )
        assert response.status_code == 201, response.content
        certification = Certification.objects.get(slug="cloud")
        assert certification.skills == ["aws"]
        assert ids(partner_client.get(CERTIFICATIONS_URL)) == {certification.id}
        url = f"{CERTIFICATIONS_URL}{certification.pk}/"
        assert partner_client.delete(url).status_code == 403
        assert manager_client.delete(url).status_code == 204
