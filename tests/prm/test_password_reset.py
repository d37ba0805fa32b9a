"""Password reset by e-mail (Django's auth views at /accounts/password-reset/…), end to end
with the locmem outbox."""

import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from tests.partners.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

RESET = reverse("password_reset")


@pytest.fixture
def user():
    user = UserFactory(username="ada", email="ada@acme.example", first_name="Ada")
    ContactFactory(user=user, email="ada@acme.example")
    return user


def reset_path(message) -> str:
    url = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


@pytest.mark.parametrize(
    "name", ["password_reset", "password_reset_done", "password_reset_complete"]
)
def test_the_pages_render_in_the_sign_in_look(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert 'class="auth-page"' in response.content.decode()


def test_the_login_page_offers_the_reset(client):
    assert "Forgot your password?" in client.get(reverse("login")).content.decode()


def test_reset_end_to_end_sets_a_new_password(client, user):
    # when the user asks for a reset
    response = client.post(RESET, {"email": "ADA@acme.example"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    # then one plain-text e-mail with the link went out
    (message,) = mail.outbox
    assert message.to == ["ada@acme.example"]
    assert message.subject == "Reset your partner relationship management password"
    assert not message.alternatives
    assert "Hello Ada" in message.body and "ada" in message.body
    # when they follow the link and choose a new password
    response = client.get(reset_path(message), follow=True)
    assert response.context["validlink"]
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "A-new-password-9", "new_password2": "A-new-password-9"},
    )
    assert response.url == reverse("password_reset_complete")
    # then the new password signs in and the old one no longer does
    assert authenticate(username="ada", password="A-new-password-9") is not None
    assert authenticate(username="ada", password="correct-horse-battery") is None
    # and the link is spent
    response = client.get(reset_path(message), follow=True)
    assert response.context["validlink"] is False
    assert "This link has expired" in response.content.decode()


def test_mismatched_passwords_show_an_error_and_change_nothing(client, user):
    client.post(RESET, {"email": "ada@acme.example"})
    response = client.get(reset_path(mail.outbox[0]), follow=True)
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "A-new-password-9", "new_password2": "Another-one-9"},
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors
    assert authenticate(username="ada", password="correct-horse-battery") is not None


def test_an_unknown_address_sends_nothing_but_looks_the_same(client, user):
    response = client.post(RESET, {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_a_deactivated_login_gets_no_reset_mail(client, user):
    user.is_active = False
    user.save()
    client.post(RESET, {"email": "ada@acme.example"})
    assert mail.outbox == []


def test_an_invited_login_without_a_password_can_ask_for_a_new_link(client, user):
    user.set_unusable_password()
    user.save()
    client.post(RESET, {"email": "ada@acme.example"})
    assert len(mail.outbox) == 1


def test_a_forged_link_is_refused(client, user):
    response = client.get(
        reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"})
    )
    assert response.status_code == 200
    assert response.context["validlink"] is False
