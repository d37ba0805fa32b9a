"""The portal inbox: messages with read state, and answering surveys."""

import datetime as dt

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.models import Channel, MessageStatus, SurveyResponse
from tests.communications.factories import (
    CampaignFactory,
    MessageFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX_URL = reverse("portal:inbox")


@pytest.fixture
def contact(partner_user):
    return partner_user.contact


@pytest.fixture
def portal(client, partner_user):
    client.force_login(partner_user)
    return client


def portal_message(contact, *, minutes_ago: int = 0, **fields):
    return MessageFactory(
        contact=contact,
        channel=fields.pop("channel", Channel.PORTAL),
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago),
        **fields,
    )


def message_url(message) -> str:
    return reverse("portal:inbox-message", args=[message.pk])


def survey_url(message) -> str:
    return reverse("portal:inbox-survey", args=[message.pk])


class TestAccess:
    def test_anonymous_visitors_are_sent_to_the_login_page(self, client):
        message = portal_message(ContactFactory())
        for method, url in (
            ("get", INBOX_URL),
            ("get", message_url(message)),
            ("post", survey_url(message)),
        ):
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url

    def test_staff_are_refused(self, client, manager):
        message = portal_message(ContactFactory())
        client.force_login(manager)
        assert client.get(INBOX_URL).status_code == 403
        assert client.get(message_url(message)).status_code == 403
        assert client.post(survey_url(message), {"score": 5}).status_code == 403
        message.refresh_from_db()
        assert message.read_at is None

    def test_a_login_without_a_contact_is_refused(self, client):
        client.force_login(UserFactory(username="no-contact"))
        assert client.get(INBOX_URL).status_code == 403


class TestInboxPage:
    def test_lists_the_contacts_portal_messages_and_nothing_else(self, portal, contact):
        # given
        portal_only = portal_message(contact, subject="Portal news", minutes_ago=5)
        both = portal_message(contact, subject="Both channels", channel=Channel.BOTH)
        portal_message(contact, subject="E-mail only", channel=Channel.EMAIL)
        portal_message(contact, subject="Failed one", status=MessageStatus.FAILED)
        portal_message(ContactFactory(partner=contact.partner), subject="Colleague's")
        portal_message(ContactFactory(partner=PartnerFactory()), subject="Stranger's")

        # when
        response = portal.get(INBOX_URL)

        # then
        assert response.status_code == 200
        assert response.context["nav"] == "inbox"
        assert {m.pk for m in response.context["inbox_messages"]} == {portal_only.pk, both.pk}
        html = response.content.decode()
        for subject in ("E-mail only", "Failed one", "Colleague&#x27;s", "Stranger&#x27;s"):
            assert subject not in html

    def test_unread_messages_come_first_in_bold_with_the_unread_count(self, portal, contact):
        read_new = portal_message(contact, subject="Read newest", read_at=timezone.now())
        unread_old = portal_message(contact, subject="Unread older", minutes_ago=60)

        response = portal.get(INBOX_URL)

        assert [m.pk for m in response.context["inbox_messages"]] == [unread_old.pk, read_new.pk]
        assert response.context["unread_count"] == 1
        html = response.content.decode()
        assert "1 unread" in html
        unread_row = html[html.index("Unread older") - 400 : html.index("Unread older")]
        assert "fw-bold" in unread_row
        read_row = html[html.index("Read newest") - 400 : html.index("Read newest")]
        assert "fw-bold" not in read_row

    def test_the_unread_filter_lists_only_unread_messages(self, portal, contact):
        portal_message(contact, read_at=timezone.now())
        unread = portal_message(contact)

        response = portal.get(INBOX_URL, {"show": "unread"})

        assert [m.pk for m in response.context["inbox_messages"]] == [unread.pk]

    def test_paginates(self, portal, contact):
        for minutes in range(25):
            portal_message(contact, minutes_ago=minutes)

        first = portal.get(INBOX_URL)
        second = portal.get(INBOX_URL, {"page": 2})

        assert len(first.context["inbox_messages"]) == 20
        assert len(second.context["inbox_messages"]) == 5
        assert "?page=2" in first.content.decode()

    def test_shows_whether_a_survey_was_answered(self, portal, contact):
        asked = portal_message(contact, subject="Tell us", occurrence__campaign=CampaignFactory())
        answered = portal_message(contact, subject="Told us")
        SurveyFactory(campaign=asked.campaign)
        survey = SurveyFactory(campaign=answered.campaign)
        SurveyResponseFactory(survey=survey, contact=contact)

        html = portal.get(INBOX_URL).content.decode()

        assert "Survey answered" in html
        assert ">Survey</span>" in html.replace('<i class="bi bi-bar-chart me-1"></i>', "")

    def test_a_constant_number_of_queries_whatever_the_number_of_messages(self, portal, contact):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert portal.get(INBOX_URL).status_code == 200
            return len(captured)

        def add(count: int) -> None:
            for index in range(count):
                message = portal_message(contact, read_at=timezone.now() if index % 2 else None)
                if index % 3 == 0:
                    survey = SurveyFactory(campaign=message.campaign)
                    SurveyResponseFactory(survey=survey, contact=contact)

        add(3)
        few = queries()
        add(15)
        assert queries() == few

    def test_a_portal_message_frozen_without_text_is_rendered_for_its_contact(
        self, portal, contact
    ):
        campaign = CampaignFactory(subject_template="Hello {{ contact.first_name }}")
        portal_message(contact, subject="", body="", occurrence__campaign=campaign)

        html = portal.get(INBOX_URL).content.decode()

        assert f"Hello {contact.first_name}" in html


class TestMessagePage:
    def test_shows_the_message_and_marks_it_read(self, portal, contact):
        message = portal_message(contact, subject="Quarterly update", body="Line one\nLine two")

        response = portal.get(message_url(message))

        assert response.status_code == 200
        html = response.content.decode()
        assert '<h1 class="h3 mb-0">Quarterly update</h1>' in html
        assert "Line one<br>Line two" in html
        message.refresh_from_db()
        assert message.read_at is not None

    def test_reading_again_keeps_the_first_read_time(self, portal, contact):
        first_read = timezone.now() - dt.timedelta(days=2)
        message = portal_message(contact, read_at=first_read)

        portal.get(message_url(message))

        message.refresh_from_db()
        assert message.read_at == first_read

    def test_a_text_body_is_escaped(self, portal, contact):
        message = portal_message(contact, body="Price < 5 & <b>not bold</b>")

        html = portal.get(message_url(message)).content.decode()

        assert "&lt;b&gt;not bold&lt;/b&gt;" in html

    def test_an_html_body_is_shown_in_a_sandboxed_frame(self, portal, contact):
        body = '<p>Hi <a href="https://example.com">there</a></p><script>alert(1)</script>'
        message = portal_message(contact, body=body)

        html = portal.get(message_url(message)).content.decode()

        frame = html[html.index("<iframe") : html.index("</iframe>")]
        assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in frame
        assert "allow-scripts" not in frame and "allow-same-origin" not in frame
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame
        assert "<script>alert(1)" not in html

    def test_a_message_of_a_colleague_is_not_found_and_stays_unread(self, portal, contact):
        colleague_message = portal_message(ContactFactory(partner=contact.partner))

        response = portal.get(message_url(colleague_message))

        assert response.status_code == 404
        colleague_message.refresh_from_db()
        assert colleague_message.read_at is None

    def test_a_message_of_another_partner_is_not_found(self, portal, contact):
        stranger_message = portal_message(ContactFactory(partner=PartnerFactory()))
        assert portal.get(message_url(stranger_message)).status_code == 404

    def test_an_email_only_message_is_not_in_the_portal(self, portal, contact):
        email = portal_message(contact, channel=Channel.EMAIL)
        assert portal.get(message_url(email)).status_code == 404


class TestSurvey:
    @pytest.fixture
    def message(self, contact):
        message = portal_message(contact, subject="How are we doing?")
        SurveyFactory(campaign=message.campaign, question="Would you recommend us?")
        return message

    def test_the_message_shows_the_nps_form(self, portal, message):
        html = portal.get(message_url(message)).content.decode()

        assert "Would you recommend us?" in html
        assert 'name="score" id="id_score_10" value="10"' in html
        assert "Send answer" in html

    def test_an_answer_is_stored_with_contact_partner_and_message(self, portal, message, contact):
        response = portal.post(survey_url(message), {"score": 9, "comment": "Great support"})

        assert response.status_code == 302
        assert response["Location"] == message_url(message) + "#survey"
        answer = SurveyResponse.objects.get()
        assert (answer.contact, answer.partner, answer.message) == (
            contact,
            contact.partner,
            message,
        )
        assert (answer.score, answer.comment) == (9, "Great support")

    def test_the_answered_state_is_shown(self, portal, message):
        portal.post(survey_url(message), {"score": 7, "comment": ""})

        html = portal.get(message_url(message)).content.decode()

        assert "You answered <strong>7</strong> out of 10" in html
        assert "Update answer" in html

    def test_answering_again_replaces_the_answer(self, portal, message):
        portal.post(survey_url(message), {"score": 3, "comment": "Meh"})

        response = portal.post(survey_url(message), {"score": 10, "comment": "Better now"})

        assert response.status_code == 302
        answer = SurveyResponse.objects.get()
        assert (answer.score, answer.comment) == (10, "Better now")

    def test_an_invalid_score_shows_the_error_and_stores_nothing(self, portal, message):
        for data in ({"score": 11}, {"score": "x"}, {}):
            response = portal.post(survey_url(message), data)
            assert response.status_code == 400
            assert "Choose a score from 0 to 10." in response.content.decode() or (
                "Select a valid choice" in response.content.decode()
            )
        assert not SurveyResponse.objects.exists()

    def test_the_survey_of_a_colleagues_message_cannot_be_answered(self, portal, contact):
        colleague_message = portal_message(ContactFactory(partner=contact.partner))
        SurveyFactory(campaign=colleague_message.campaign)

        response = portal.post(survey_url(colleague_message), {"score": 0})

        assert response.status_code == 404
        assert not SurveyResponse.objects.exists()

    def test_the_survey_of_another_partners_message_cannot_be_answered(self, portal, contact):
        stranger_message = portal_message(ContactFactory(partner=PartnerFactory()))
        SurveyFactory(campaign=stranger_message.campaign)

        assert portal.post(survey_url(stranger_message), {"score": 0}).status_code == 404
        assert not SurveyResponse.objects.exists()

    def test_a_message_without_a_survey_cannot_be_answered(self, portal, contact):
        message = portal_message(contact)

        assert portal.post(survey_url(message), {"score": 5}).status_code == 404
        assert not SurveyResponse.objects.exists()


class TestUnreadCountTag:
    def test_renders_the_signed_in_contacts_unread_count(self, contact):
        portal_message(contact)
        portal_message(contact)
        portal_message(contact, read_at=timezone.now())
        portal_message(ContactFactory(partner=contact.partner))

        rendered = Template("{% load portal_tags %}{% portal_unread_count %}").render(
            Context({"contact": contact})
        )

        assert rendered == "2"

    def test_renders_zero_outside_the_portal(self):
        rendered = Template("{% load portal_tags %}{% portal_unread_count %}").render(Context({}))
        assert rendered == "0"

    def test_stores_the_count_in_a_variable_for_the_navbar(self, contact):
        portal_message(contact)

        rendered = Template(
            "{% load portal_tags %}{% portal_unread_count as unread %}[{{ unread }}]"
        ).render(Context({"contact": contact}))

        assert rendered == "[1]"
