import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from enablement import services
from enablement.models import CertificationReminder
from tests.enablement.factories import (
    EngagementEventFactory,
    EnrollmentFactory,
    LearningStepFactory,
)
from tests.partners.factories import PartnerCertificationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def test_every_enablement_admin_page_renders(admin_client):
    # given: one of each, the content item with a protected file (which has no URL)
    item = services.content_create(
        data={
            "kind": "document",
            "title": "Guide",
            "file": SimpleUploadedFile("g.pdf", b"%PDF-1.4", content_type="application/pdf"),
        }
    )
    step = LearningStepFactory(content=item)
    enrollment = EnrollmentFactory(path=step.path)
    event = EngagementEventFactory()
    reminder = CertificationReminder.objects.create(
        partner_certification=PartnerCertificationFactory(),
        expires_at="2030-01-01",
        reminded_at="2029-12-01T00:00:00Z",
    )
    objects = {
        "contentitem": item,
        "learningpath": step.path,
        "enrollment": enrollment,
        "engagementevent": event,
        "certificationreminder": reminder,
    }
    for model, obj in objects.items():
        # when / then
        base = f"/admin/enablement/{model}/"
        assert admin_client.get(base).status_code == 200, model
        assert admin_client.get(f"{base}{obj.pk}/change/").status_code == 200, model
    page = admin_client.get(f"/admin/enablement/contentitem/{item.pk}/change/").content.decode()
    assert f"/enablement/content/{item.pk}/download/" in page


def test_an_admin_upload_of_a_type_not_accepted_is_refused(admin_client):
    response = admin_client.post(
        "/admin/enablement/contentitem/add/",
        {
            "kind": "document",
            "title": "Tool",
            "slug": "tool",
            "roles": "[]",
            "file": SimpleUploadedFile("tool.exe", b"MZ", content_type="application/x-msdos"),
            "contentitemsegment_set-TOTAL_FORMS": "0",
            "contentitemsegment_set-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
