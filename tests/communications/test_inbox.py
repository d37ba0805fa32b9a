import datetime as dt

import pytest
from django.utils import timezone

from communications.models import (
    CampaignStatus,
    Channel,
    MessageStatus,
    OccurrenceStatus,
    SuppressionReason,
)
from communications.selectors import inbox_for_contact
from tests.communications.factories import CampaignFactory, MessageFactory, OccurrenceFactory
from tests.partners.factories import ContactFactory

pytestmark = pytest.mark.django_db

INBOX_URL = "/api/inbox/"


def portal_message(contact, *, minutes_ago: int = 0, **fields):
    return MessageFactory(
        contact=contact,
        channel=fields.pop("channel", Channel.PORTAL),
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **fields,
    )


class TestInboxForContact:
    def test_lists_delivered_portal_messages_newest_first_and_nothing_else(self):
        # given
        contact = ContactFactory()
        older = portal_message(contact, minutes_ago=10)
        both = portal_message(contact, minutes_ago=5, channel=Channel.BOTH)
        queued = portal_message(contact, minutes_ago=1, status=MessageStatus.QUEUED)
        portal_message(contact, channel=Channel.EMAIL)
        portal_message(
            contact,
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.TOPIC_OPT_OUT,
        )
        portal_message(contact, status=MessageStatus.FAILED)
        portal_message(ContactFactory(partner=contact.partner))

        # when
        inbox = list(inbox_for_contact(contact=contact))

        # then
        assert inbox == [queued, both, older]

    def test_undelivered_messages_of_a_cancelled_campaign_leave_while_delivered_ones_stay(self):
        contact = ContactFactory()
        campaign = CampaignFactory(status=CampaignStatus.CANCELLED)
        sent_before, cancelled = (
            OccurrenceFactory(campaign=campaign, status=status)
            for status in (OccurrenceStatus.DONE, OccurrenceStatus.CANCELLED)
        )
        delivered = portal_message(contact, occurrence=sent_before)
        portal_message(contact, occurrence=cancelled, status=MessageStatus.QUEUED)
        portal_message(ContactFactory(), occurrence=cancelled)

        assert list(inbox_for_contact(contact=contact)) == [delivered]


class TestInboxApi:
    def test_a_partner_user_sees_only_their_own_portal_messages(self, partner_client, partner_user):
        # given
        own = portal_message(partner_user.contact, subject="For you")
        portal_message(ContactFactory(partner=partner_user.contact.partner))
        portal_message(ContactFactory())

        # when
        response = partner_client.get(INBOX_URL)

        # then
        assert response.status_code == 200
        [row] = response.json()["results"]
        assert (row["id"], row["subject"], row["is_read"]) == (own.pk, "For you", False)

    def test_another_persons_message_is_a_404_and_stays_unread(self, partner_client):
        stranger = portal_message(ContactFactory())

        for response in (
            partner_client.get(f"{INBOX_URL}{stranger.pk}/"),
            partner_client.post(f"{INBOX_URL}{stranger.pk}/read/"),
        ):
            assert response.status_code == 404
        stranger.refresh_from_db()
        assert stranger.read_at is None

    def test_opening_a_message_marks_it_read(self, partner_client, partner_user):
        message = portal_message(partner_user.contact, body="<p>Hello</p>")

        response = partner_client.get(f"{INBOX_URL}{message.pk}/")

        assert response.status_code == 200
        assert response.json()["is_read"] is True
        assert response.json()["is_html"] is True
        message.refresh_from_db()
        assert message.read_at is not None

    def test_read_action_unread_filter_and_count(self, partner_client, partner_user):
        first = portal_message(partner_user.contact, minutes_ago=2)
        second = portal_message(partner_user.contact, minutes_ago=1)

        before = partner_client.get(f"{INBOX_URL}unread-count/").json()
        marked = partner_client.post(f"{INBOX_URL}{first.pk}/read/")
        unread = partner_client.get(INBOX_URL, {"unread": "true"}).json()
        after = partner_client.get(f"{INBOX_URL}unread-count/").json()

        assert before == {"unread": 2}
        assert marked.status_code == 200
        assert marked.json()["read_at"] is not None
        assert [row["id"] for row in unread["results"]] == [second.pk]
        assert after == {"unread": 1}

    def test_managers_and_anonymous_callers_have_no_inbox(self, manager_client, api_client):
        assert manager_client.get(INBOX_URL).status_code == 403
        assert api_client.get(INBOX_URL).status_code == 401


class TestInboxRendering:
    def test_a_portal_message_frozen_without_body_is_rendered_on_first_display_and_kept(
        self, partner_client, partner_user
    ):
        # given: the dispatcher delivers portal messages without rendering them
        campaign = CampaignFactory(
            subject_template="For {{ partner.name }}",
            body_template="Hi {{ contact.first_name }}, see https://example.com/p",
        )
        message = portal_message(
            partner_user.contact,
            occurrence=OccurrenceFactory(campaign=campaign),
            subject="",
            body="",
        )

        # when
        listed = partner_client.get(INBOX_URL).json()["results"][0]

        # then
        contact = partner_user.contact
        assert listed["subject"] == f"For {contact.partner.name}"
        assert listed["body"] == f"Hi {contact.first_name}, see https://example.com/p"
        message.refresh_from_db()
        assert (message.subject, message.links) == (listed["subject"], ["https://example.com/p"])

    def test_a_queued_email_copy_is_shown_rendered_but_left_to_the_dispatcher(
        self, partner_client, partner_user
    ):
        message = portal_message(
            partner_user.contact,
            channel=Channel.BOTH,
            status=MessageStatus.QUEUED,
            subject="",
            body="",
        )

        shown = partner_client.get(f"{INBOX_URL}{message.pk}/").json()

        assert shown["subject"].startswith("News for")
        message.refresh_from_db()
        assert message.subject == ""

    def test_a_template_that_fails_shows_the_campaign_name(self, partner_client, partner_user):
        campaign = CampaignFactory(name="Broken news", body_template="{{ ''.__class__ }}")
        portal_message(
            partner_user.contact,
            occurrence=OccurrenceFactory(campaign=campaign),
            subject="",
            body="",
        )

        [row] = partner_client.get(INBOX_URL).json()["results"]

        assert (row["subject"], row["body"]) == ("Broken news", "")
