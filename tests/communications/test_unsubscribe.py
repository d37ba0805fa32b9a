import re
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.test import Client

from communications import dispatch, tracking
from communications.models import (
    CampaignStatus,
    ContactPreference,
    Message,
    MessageStatus,
    SuppressionReason,
    Topic,
)
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
)
from tests.communications.smtp import SmtpServer
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF like a browser-less mail client meets it."""
    return Client(enforce_csrf_checks=True)


def unsubscribe_path(message) -> str:
    return urlsplit(tracking.unsubscribe_url(message_id=message.id)).path


def preferences_path(contact) -> str:
    return urlsplit(tracking.preferences_url(contact_id=contact.id)).path


def audience_of_one(**contact_fields):
    segment = StaticSegmentFactory()
    partner = PartnerFactory()
    MembershipFactory(segment=segment, partner=partner)
    return segment, ContactFactory(partner=partner, **contact_fields)


def freeze_and_send(segment, **campaign_fields) -> Message:
    campaign = CampaignFactory(
        include_segments=[segment], status=CampaignStatus.SCHEDULED, **campaign_fields
    )
    occurrence = OccurrenceFactory(campaign=campaign)
    dispatch.occurrence_freeze(occurrence_id=occurrence.id)
    dispatch.messages_send_batch()
    return Message.objects.get(occurrence=occurrence)


class TestHeaders:
    def test_every_email_carries_list_unsubscribe_and_one_click_post_headers(self, smtp, settings):
        # given
        settings.PRM_PUBLIC_BASE_URL = "https://prm.example.com/"
        settings.DEFAULT_FROM_EMAIL = "Partner Program <program@example.com>"
        segment, _ = audience_of_one()
        # when
        message = freeze_and_send(segment)
        # then
        (email,) = smtp.handler.parsed()
        https, mailto = re.fullmatch(
            r"<([^>]+)>, <([^>]+)>", email["List-Unsubscribe"].strip()
        ).groups()
        token = re.fullmatch(r"https://prm\.example\.com/u/([A-Za-z0-9_\-:]+)/", https).group(1)
        assert tracking.unsign(token, salt=tracking.UNSUBSCRIBE_SALT) == message.id
        assert mailto.startswith("mailto:program@example.com?subject=unsubscribe%20")
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert https in email.get_content()  # and in the footer of the body

    def test_the_header_link_unsubscribes_with_a_one_click_post(self, smtp, csrf_client):
        # given
        segment, contact = audience_of_one()
        freeze_and_send(segment)
        (email,) = smtp.handler.parsed()
        https = re.match(r"<([^>]+)>", email["List-Unsubscribe"].strip()).group(1)
        # when
        response = csrf_client.post(
            urlsplit(https).path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        # then
        assert response.status_code == 200
        assert ContactPreference.objects.get(contact=contact).unsubscribed_all


class TestUnsubscribe:
    def test_one_click_post_unsubscribes_the_contact_and_records_it_on_the_message(
        self, csrf_client
    ):
        # given
        message = MessageFactory()
        # when
        response = csrf_client.post(unsubscribe_path(message), {"List-Unsubscribe": "One-Click"})
        # then
        assert response.status_code == 200
        assert b"You are unsubscribed" in response.content
        assert ContactPreference.objects.get(contact=message.contact).unsubscribed_all
        assert Message.objects.get(pk=message.pk).unsubscribed_at is not None

    def test_get_shows_a_confirmation_and_changes_nothing(self, client):
        # given
        message = MessageFactory()
        # when
        response = client.get(unsubscribe_path(message))
        # then
        assert response.status_code == 200
        assert b'method="post"' in response.content
        assert not ContactPreference.objects.exists()
        assert Message.objects.get(pk=message.pk).unsubscribed_at is None

    def test_unsubscribing_twice_keeps_the_first_time(self, csrf_client):
        # given
        message = MessageFactory()
        csrf_client.post(unsubscribe_path(message))
        first = Message.objects.get(pk=message.pk).unsubscribed_at
        # when
        response = csrf_client.post(unsubscribe_path(message))
        # then
        assert response.status_code == 200
        assert Message.objects.get(pk=message.pk).unsubscribed_at == first

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_a_forged_token_answers_400_and_changes_nothing(self, csrf_client, method):
        # given
        message = MessageFactory()
        token = tracking.sign(message.id, salt=tracking.UNSUBSCRIBE_SALT)
        payload, timestamp, _signature = token.split(":")
        forged = f"{payload}:{timestamp}:{'x' * 43}"
        # when
        response = getattr(csrf_client, method)(f"/u/{forged}/")
        # then
        assert response.status_code == 400
        assert b"not valid" in response.content
        assert not ContactPreference.objects.exists()

    def test_a_token_naming_another_message_cannot_be_made_without_the_key(self, csrf_client):
        # given: a valid token for message 1 with its payload swapped for message 2
        first, second = MessageFactory(), MessageFactory()
        token = tracking.sign(first.id, salt=tracking.UNSUBSCRIBE_SALT)
        other_payload = tracking.sign(second.id, salt=tracking.UNSUBSCRIBE_SALT).split(":")[0]
        forged = ":".join([other_payload, *token.split(":")[1:]])
        # when
        response = csrf_client.post(f"/u/{forged}/")
        # then
        assert response.status_code == 400
        assert not ContactPreference.objects.exists()

    def test_an_open_or_click_token_does_not_unsubscribe(self, csrf_client):
        # given
        message = MessageFactory()
        token = tracking.sign(message.id, salt=tracking.CLICK_SALT)
        # when
        response = csrf_client.post(f"/u/{token}/")
        # then
        assert response.status_code == 400
        assert not ContactPreference.objects.exists()

    def test_an_expired_link_answers_400(self, csrf_client, settings):
        # given
        settings.PRM_TRACKING_TOKEN_MAX_AGE_DAYS = 365
        message = MessageFactory()
        with mock.patch("django.core.signing.time.time", return_value=time.time() - 366 * 86400):
            token = tracking.sign(message.id, salt=tracking.UNSUBSCRIBE_SALT)
        # when
        response = csrf_client.post(f"/u/{token}/")
        # then
        assert response.status_code == 400
        assert not ContactPreference.objects.exists()

    def test_after_unsubscribing_the_next_campaign_suppresses_the_contact(self, csrf_client):
        # given
        segment, contact = audience_of_one()
        message = MessageFactory(contact=contact, partner=contact.partner)
        csrf_client.post(unsubscribe_path(message))
        campaign = CampaignFactory(include_segments=[segment], status=CampaignStatus.SCHEDULED)
        occurrence = OccurrenceFactory(campaign=campaign)
        # when
        dispatch.occurrence_freeze(occurrence_id=occurrence.id)
        # then
        frozen = Message.objects.get(occurrence=occurrence)
        assert (frozen.status, frozen.suppression_reason) == (
            MessageStatus.SUPPRESSED,
            SuppressionReason.OPTED_OUT,
        )


class TestPreferences:
    def test_the_page_shows_the_contacts_current_choices_without_service_messages(self, client):
        # given
        preference = ContactPreferenceFactory(topics_opted_out=["events"], max_per_week=2)
        # when
        response = client.get(preferences_path(preference.contact))
        # then
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial["receive_email"] is True
        assert "events" not in form.initial["topics"] and "news" in form.initial["topics"]
        assert form.initial["max_per_week"] == 2
        assert Topic.SYSTEM not in dict(form.fields["topics"].choices)

    def test_saving_sets_all_mail_topics_and_weekly_cap(self, csrf_client):
        # given
        contact = ContactFactory()
        path = preferences_path(contact)
        page = csrf_client.get(path)
        token = page.cookies["csrftoken"].value
        # when
        response = csrf_client.post(
            path,
            {
                "receive_email": "on",
                "topics": ["news", "program"],
                "max_per_week": "1",
                "csrfmiddlewaretoken": token,
            },
        )
        # then
        assert response.status_code == 302 and response["Location"] == f"{path}?saved=1"
        preference = ContactPreference.objects.get(contact=contact)
        assert not preference.unsubscribed_all
        assert preference.topics_opted_out == ["enablement", "events", "survey"]
        assert preference.max_per_week == 1

    def test_turning_all_mail_off_and_clearing_the_cap(self, client):
        # given
        preference = ContactPreferenceFactory(max_per_week=4)
        # when
        client.post(preferences_path(preference.contact), {"topics": ["news"]})
        # then
        preference.refresh_from_db()
        assert preference.unsubscribed_all and preference.max_per_week is None

    def test_an_invalid_cap_is_shown_again_and_nothing_is_saved(self, client):
        # given
        contact = ContactFactory()
        # when
        response = client.post(
            preferences_path(contact), {"receive_email": "on", "max_per_week": "0"}
        )
        # then
        assert response.status_code == 400
        assert "max_per_week" in response.context["form"].errors
        assert not ContactPreference.objects.exists()

    @pytest.mark.parametrize("method", ["get", "post"])
    def test_a_bad_or_foreign_token_answers_400(self, client, method):
        # given
        message = MessageFactory()
        unsubscribe_token = tracking.sign(message.contact_id, salt=tracking.UNSUBSCRIBE_SALT)
        # when
        forged = getattr(client, method)("/preferences/bm90LWEtdG9rZW4:1:abc/")
        foreign = getattr(client, method)(f"/preferences/{unsubscribe_token}/")
        # then
        assert forged.status_code == foreign.status_code == 400
        assert not ContactPreference.objects.exists()
