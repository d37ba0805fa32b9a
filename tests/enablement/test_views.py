import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from enablement import services
from enablement.models import EngagementEvent, EngagementKind
from tests.enablement.factories import ContentItemFactory
from tests.partners.factories import UserFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\nthe partner price list"


def stored_pdf(**audience):
    """A published PDF with the given audience, uploaded through the service."""
    return services.content_create(
        data={
            "kind": "document",
            "title": "Price list",
            "file": SimpleUploadedFile("prices.pdf", PDF, content_type="application/pdf"),
            "published_at": timezone.now() - dt.timedelta(days=1),
            **audience,
        }
    )


def url(item) -> str:
    return f"/enablement/content/{item.pk}/download/"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


class TestContentDownload:
    def test_a_partner_user_downloads_content_of_their_audience(self, partner_client, partner_user):
        # given
        segment = SegmentFactory()
        MembershipFactory(segment=segment, partner=partner_user.contact.partner)
        item = stored_pdf(segments=[segment])
        # when
        response = partner_client.get(url(item))
        # then
        assert response.status_code == 200
        assert body(response) == PDF
        assert response["Content-Disposition"] == 'attachment; filename="prices.pdf"'
        assert response["Content-Type"] == "application/pdf"
        event = EngagementEvent.objects.get()
        assert (event.kind, event.content_id) == (EngagementKind.DOWNLOAD, item.id)

    @pytest.mark.parametrize(
        "audience",
        [
            lambda: {"segments": [SegmentFactory()]},
            lambda: {"min_tier": tier("platinum")},
            lambda: {"roles": ["executive"]},
        ],
        ids=["segment", "tier", "role"],
    )
    def test_content_outside_the_audience_is_404(self, partner_client, audience):
        item = stored_pdf(**audience())
        assert partner_client.get(url(item)).status_code == 404
        assert not EngagementEvent.objects.exists()

    def test_unpublished_and_expired_content_is_404_for_partner_users(self, partner_client):
        draft = stored_pdf(published_at=None)
        expired = stored_pdf(expires_at=timezone.now() - dt.timedelta(minutes=1))
        assert partner_client.get(url(draft)).status_code == 404
        assert partner_client.get(url(expired)).status_code == 404

    def test_staff_download_anything(self, manager_client):
        item = stored_pdf(roles=["executive"])
        response = manager_client.get(url(item))
        assert response.status_code == 200
        assert body(response) == PDF

    def test_a_portal_session_works_too(self, partner_user):
        client = APIClient()
        client.force_login(partner_user)
        assert client.get(url(stored_pdf())).status_code == 200

    def test_anonymous_callers_are_refused(self, api_client):
        assert api_client.get(url(stored_pdf())).status_code == 401

    def test_a_login_that_is_neither_staff_nor_a_contact_gets_404(self):
        client = APIClient()
        client.force_login(UserFactory(username="stranger"))
        assert client.get(url(stored_pdf())).status_code == 404

    def test_content_without_a_file_is_404(self, manager_client):
        assert manager_client.get(url(ContentItemFactory())).status_code == 404
