import re
import time
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from communications import dispatch, tracking
from communications.models import CampaignStatus, Message
from tests.communications.factories import CampaignFactory, MessageFactory, OccurrenceFactory
from tests.communications.smtp import SmtpServer
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

LINKS = ["https://example.com/deals?a=1&b=2", "https://example.com/events"]
HTML_BODY = (
    "<html><body><p>Hello {{ contact.first_name }}</p>"
    '<p><a href="https://example.com/deals?a=1&amp;b=2">Deals</a> '
    "<a href='https://example.com/events'>Events</a> "
    '<a href="mailto:team@example.com">Write to us</a></p></body></html>'
)


@pytest.fixture
def smtp(settings):
    server = SmtpServer().start()
    for name, value in server.email_settings().items():
        setattr(settings, name, value)
    yield server
    server.stop()


def path_of(url: str) -> str:
    return urlsplit(url).path


def sent_email(smtp, *, body_template=HTML_BODY):
    """Freeze and send one campaign to one contact; (message, received e-mail)."""
    segment = StaticSegmentFactory()
    partner = PartnerFactory()
    MembershipFactory(segment=segment, partner=partner)
    ContactFactory(partner=partner, first_name="Ada")
    campaign = CampaignFactory(
        include_segments=[segment], status=CampaignStatus.SCHEDULED, body_template=body_template
    )
    occurrence = OccurrenceFactory(campaign=campaign)
    dispatch.occurrence_freeze(occurrence_id=occurrence.id)
    dispatch.messages_send_batch()
    (email,) = smtp.handler.parsed()
    return Message.objects.get(occurrence=occurrence), email


def old_token(message_id: int, *, salt: str, days: int) -> str:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days * 86400):
        return tracking.sign(message_id, salt=salt)


class TestTrackedEmail:
    def test_html_email_has_the_open_pixel_and_tracked_links_to_its_own_urls(self, smtp):
        # when
        message, email = sent_email(smtp)
        # then
        html = email.get_body(("html",)).get_content()
        hrefs = re.findall(r"""href=["']([^"']+)["']""", html)
        clicks = [href for href in hrefs if "/c/" in href]
        assert [path_of(href).rsplit("/", 2)[-2] for href in clicks] == ["0", "1"]
        assert message.links == LINKS
        assert "mailto:team@example.com" in hrefs  # not a web link: left alone
        assert not any(href.startswith("https://example.com") for href in hrefs)
        (pixel,) = re.findall(r'<img src="([^"]+\.gif)"', html)
        assert path_of(pixel).startswith("/o/")
        text = email.get_body(("plain",)).get_content()
        assert clicks[0] in text and "Unsubscribe: " in text

    def test_plain_text_email_tracks_its_urls_and_has_the_unsubscribe_footer(self, smtp):
        # when
        message, email = sent_email(
            smtp, body_template="Hi, see https://example.com/a and https://example.com/a/b."
        )
        # then
        text = email.get_content()
        assert message.links == ["https://example.com/a", "https://example.com/a/b"]
        assert "https://example.com/a" not in text
        assert re.search(r"/c/[^/\s]+/0/ and \S+/c/[^/\s]+/1/\.", text)
        assert "Unsubscribe: http" in text and "Manage your e-mail preferences: http" in text

    def test_following_a_tracked_link_of_a_sent_email_reaches_its_url(self, smtp, client):
        # given
        _message, email = sent_email(smtp)
        html = email.get_body(("html",)).get_content()
        second = re.findall(r'href=["\']([^"\']+/c/[^"\']+)["\']', html)[1]
        # when
        response = client.get(path_of(second))
        # then
        assert response.status_code == 302
        assert response["Location"] == "https://example.com/events"


class TestOpenPixel:
    def test_pixel_answers_a_gif_and_records_the_first_open_only(self, client):
        # given
        message = MessageFactory()
        url = path_of(tracking.message_links(message_id=message.id, contact_id=1).open_pixel)
        # when
        first = client.get(url)
        opened_at = Message.objects.get(pk=message.pk).opened_at
        second = client.get(url)
        # then
        assert first.status_code == second.status_code == 200
        assert first["Content-Type"] == "image/gif" and first.content == tracking.PIXEL_GIF
        assert opened_at is not None
        assert Message.objects.get(pk=message.pk).opened_at == opened_at

    @pytest.mark.parametrize(
        "token",
        ["MQ:1xWZLT:forgedsignatureforgedsignatureforgedsig", "garbage", "MQ::"],
    )
    def test_pixel_with_a_bad_signature_is_400_and_records_nothing(self, client, token):
        # given
        MessageFactory()
        # when
        response = client.get(f"/o/{token}.gif")
        # then
        assert response.status_code == 400
        assert not Message.objects.filter(opened_at__isnull=False).exists()

    def test_a_token_made_for_another_purpose_is_refused(self, client):
        # given
        message = MessageFactory()
        token = tracking.sign(message.id, salt=tracking.UNSUBSCRIBE_SALT)
        # when
        response = client.get(f"/o/{token}.gif")
        # then
        assert response.status_code == 400
        assert Message.objects.get(pk=message.pk).opened_at is None

    def test_an_expired_token_is_refused(self, client, settings):
        # given
        settings.PRM_TRACKING_TOKEN_MAX_AGE_DAYS = 30
        message = MessageFactory()
        token = old_token(message.id, salt=tracking.OPEN_SALT, days=31)
        # when
        response = client.get(f"/o/{token}.gif")
        # then
        assert response.status_code == 400


class TestClick:
    def click_url(self, message, index: int) -> str:
        return path_of(tracking.message_links(message_id=message.id, contact_id=1).click(index))

    def test_click_redirects_to_the_messages_link_and_records_click_and_open(self, client):
        # given
        message = MessageFactory(links=LINKS)
        # when
        response = client.get(self.click_url(message, 0))
        # then
        assert response.status_code == 302
        assert response["Location"] == LINKS[0]
        message.refresh_from_db()
        assert message.clicked_at is not None and message.opened_at == message.clicked_at

    def test_a_second_click_keeps_the_first_click_time(self, client):
        # given
        message = MessageFactory(links=LINKS)
        client.get(self.click_url(message, 1))
        first = Message.objects.get(pk=message.pk).clicked_at
        # when
        response = client.get(self.click_url(message, 0))
        # then
        assert response.status_code == 302
        assert Message.objects.get(pk=message.pk).clicked_at == first

    def test_an_index_beyond_the_messages_links_is_404(self, client):
        # given
        message = MessageFactory(links=LINKS)
        # when
        response = client.get(self.click_url(message, 2))
        # then
        assert response.status_code == 404
        assert Message.objects.get(pk=message.pk).clicked_at is None

    def test_a_link_that_is_not_a_web_address_is_never_redirected_to(self, client):
        # given
        message = MessageFactory(links=["javascript:alert(1)"])
        # when
        response = client.get(self.click_url(message, 0))
        # then
        assert response.status_code == 404

    def test_a_forged_click_token_is_400(self, client):
        # given
        message = MessageFactory(links=LINKS)
        token = tracking.sign(message.id, salt=tracking.CLICK_SALT)
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        # when
        response = client.get(f"/c/{forged}/0/")
        # then
        assert response.status_code == 400
        assert Message.objects.get(pk=message.pk).clicked_at is None

    def test_a_valid_token_of_a_deleted_message_is_404(self, client):
        # given
        message = MessageFactory(links=LINKS)
        url = self.click_url(message, 0)
        message.delete()
        # when
        response = client.get(url)
        # then
        assert response.status_code == 404

    def test_there_is_no_way_to_ask_for_another_url(self):
        # then: the route takes a signed message id and an index, nothing else
        client = Client()
        assert client.get("/c/x/?next=https://evil.example/").status_code == 404


class TestTokens:
    @pytest.mark.parametrize("salt", [tracking.OPEN_SALT, tracking.UNSUBSCRIBE_SALT])
    def test_a_token_is_the_one_django_signing_makes(self, salt):
        # given: one clock for both
        with mock.patch("django.core.signing.time.time", return_value=1_790_000_000.5):
            # when
            ours = [tracking.sign(value, salt=salt) for value in (1, 12345, 2**40)]
            # then
            assert ours == [signing.dumps(value, salt=salt) for value in (1, 12345, 2**40)]

    def test_tokens_follow_a_changed_secret_key_and_its_fallbacks(self, settings):
        # given
        old_key = settings.SECRET_KEY
        before = tracking.sign(7, salt=tracking.OPEN_SALT)
        # when
        settings.SECRET_KEY = "another-secret-key-long-enough-for-django-0123456789abcdef"
        after = tracking.sign(7, salt=tracking.OPEN_SALT)
        # then
        assert tracking.unsign(after, salt=tracking.OPEN_SALT) == 7
        with pytest.raises(tracking.BadToken):
            tracking.unsign(before, salt=tracking.OPEN_SALT)
        settings.SECRET_KEY_FALLBACKS = [old_key]
        assert tracking.unsign(before, salt=tracking.OPEN_SALT) == 7


class TestDecoration:
    def test_tracked_html_rewrites_only_the_messages_urls_escaped_or_not(self):
        # given
        links = tracking.message_links(message_id=1, contact_id=1)
        body = (
            '<a href="https://example.com/deals?a=1&amp;b=2">x</a>'
            '<a href="https://other.example/">y</a>'
        )
        # when
        html = tracking.tracked_html(body, urls=LINKS, links=links)
        # then
        assert links.click(0).replace("&", "&amp;") in html
        assert 'href="https://other.example/"' in html
        assert html.index(links.unsubscribe) < html.index(links.open_pixel)

    def test_tracked_html_puts_footer_and_pixel_inside_the_body(self):
        # given
        links = tracking.message_links(message_id=1, contact_id=1)
        # when
        html = tracking.tracked_html("<html><body><p>Hi</p></body></html>", urls=[], links=links)
        # then
        assert html.endswith("</body></html>")
        assert links.open_pixel in html
