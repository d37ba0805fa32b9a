"""The team page of the partner portal: colleagues and their portal access; partner admins
invite, deactivate and reactivate them. An invitation's link sets a password that signs in."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from partners.models import Contact
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = reverse("portal:team")
User = get_user_model()


def action(name, pk):
    return reverse(f"portal:team-{name}", args=[pk])


@pytest.fixture
def partner():
    return PartnerFactory(name="Acme Integrations")


@pytest.fixture
def admin(partner):
    return ContactFactory(
        partner=partner, is_partner_admin=True, user=UserFactory(username="acme-admin")
    )


@pytest.fixture
def colleague(partner):
    return ContactFactory(partner=partner, first_name="Bob", user=UserFactory(username="bob"))


@pytest.fixture
def stranger():
    return ContactFactory(partner=PartnerFactory(name="Other Co"), user=UserFactory(username="eve"))


INVITE = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@acme.example",
    "role": "technical",
}


class TestAccess:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(TEAM)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_staff_get_403(self, client, manager):
        client.force_login(manager)
        assert client.get(TEAM).status_code == 403


class TestTeamPage:
    def test_lists_own_colleagues_with_their_access(self, client, admin, colleague, stranger):
        without_login = ContactFactory(partner=admin.partner, first_name="Nina")
        off = ContactFactory(partner=admin.partner, user=UserFactory(is_active=False))
        client.force_login(admin.user)
        response = client.get(TEAM)
        assert response.status_code == 200
        assert response.context["nav"] == "team"
        status = {row["contact"].pk: row["status"] for row in response.context["members"]}
        assert status == {
            admin.pk: "active",
            colleague.pk: "active",
            without_login.pk: "none",
            off.pk: "deactivated",
        }
        body = response.content.decode()
        assert stranger.email not in body
        assert "Invite a colleague" in body
        assert action("deactivate", colleague.pk) in body
        assert action("deactivate", admin.pk) not in body  # never themselves
        assert action("reactivate", off.pk) in body
        assert action("grant", without_login.pk) in body

    def test_a_colleague_sees_the_team_without_admin_controls(self, client, admin, colleague):
        client.force_login(colleague.user)
        response = client.get(TEAM)
        assert response.status_code == 200
        body = response.content.decode()
        assert response.context["form"] is None
        assert "Send invitation" not in body
        assert action("deactivate", admin.pk) not in body


class TestInvite:
    def test_invite_mails_a_link_that_sets_a_password_and_signs_in(
        self, client, admin, django_capture_on_commit_callbacks
    ):
        # given a partner admin
        client.force_login(admin.user)
        # when they invite a colleague
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(TEAM, INVITE)
        # then a contact with a login exists and an e-mail went out
        assert response.status_code == 302
        grace = Contact.objects.get(email="grace@acme.example")
        assert grace.partner == admin.partner
        (message,) = mail.outbox
        assert message.to == ["grace@acme.example"]
        link = re.search(r"http://\S+/accounts/password-reset/\S+/\S+/", message.body).group(0)
        path = link.removeprefix("http://127.0.0.1:8000")
        # and when the colleague follows the link and chooses a password
        client.logout()
        response = client.get(path, follow=True)
        assert response.status_code == 200
        assert response.context["validlink"]
        set_url = response.redirect_chain[-1][0]
        response = client.post(
            set_url,
            {"new_password1": "Grace-chose-this-1", "new_password2": "Grace-chose-this-1"},
        )
        assert response.status_code == 302
        assert response.url == reverse("password_reset_complete")
        # then they sign in with the e-mail address and land in the portal
        response = client.post(
            reverse("login"),
            {"username": "grace@acme.example", "password": "Grace-chose-this-1"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("portal:home")
        assert client.get(TEAM).context["contact"] == grace
        # and the link does not work twice
        client.logout()
        assert client.get(path, follow=True).context["validlink"] is False

    def test_invalid_invite_shows_errors_and_creates_nothing(self, client, admin, stranger):
        client.force_login(admin.user)
        response = client.post(TEAM, {**INVITE, "email": stranger.email})
        assert response.status_code == 400
        assert "email" in response.context["form"].errors
        response = client.post(TEAM, {**INVITE, "email": "nope", "role": "pirate"})
        assert response.status_code == 400
        assert {"email", "role"} <= set(response.context["form"].errors)
        assert Contact.objects.filter(partner=admin.partner).count() == 1
        assert mail.outbox == []

    def test_a_colleague_cannot_invite(self, client, colleague):
        client.force_login(colleague.user)
        assert client.post(TEAM, INVITE).status_code == 403
        assert not Contact.objects.filter(email="grace@acme.example").exists()

    def test_admin_gives_an_existing_contact_access(
        self, client, admin, django_capture_on_commit_callbacks
    ):
        nina = ContactFactory(partner=admin.partner)
        client.force_login(admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(action("grant", nina.pk))
        assert response.status_code == 302
        nina.refresh_from_db()
        assert nina.user is not None
        assert mail.outbox[0].to == [nina.email]


class TestDeactivate:
    def test_admin_deactivates_and_reactivates_a_colleague(self, client, admin, colleague):
        client.force_login(admin.user)
        assert client.post(action("deactivate", colleague.pk)).status_code == 302
        colleague.user.refresh_from_db()
        assert colleague.user.is_active is False
        assert Contact.objects.filter(pk=colleague.pk).exists()
        assert client.post(action("reactivate", colleague.pk)).status_code == 302
        colleague.user.refresh_from_db()
        assert colleague.user.is_active is True

    def test_a_deactivated_colleague_can_no_longer_open_the_portal(self, client, admin, colleague):
        client.force_login(admin.user)
        client.post(action("deactivate", colleague.pk))
        client.force_login(colleague.user)
        response = client.get(reverse("portal:home"))
        assert response.status_code in (302, 403)

    def test_admin_cannot_deactivate_themselves(self, client, admin):
        client.force_login(admin.user)
        response = client.post(action("deactivate", admin.pk), follow=True)
        assert response.status_code == 200
        assert "cannot deactivate your own" in response.content.decode()
        admin.user.refresh_from_db()
        assert admin.user.is_active

    def test_a_colleague_cannot_deactivate_or_reactivate(self, client, admin, colleague):
        client.force_login(colleague.user)
        assert client.post(action("deactivate", admin.pk)).status_code == 403
        assert client.post(action("reactivate", admin.pk)).status_code == 403
        admin.user.refresh_from_db()
        assert admin.user.is_active

    def test_actions_are_post_only(self, client, admin, colleague):
        client.force_login(admin.user)
        assert client.get(action("deactivate", colleague.pk)).status_code == 405


class TestIsolation:
    @pytest.mark.parametrize("name", ["deactivate", "reactivate", "grant", "resend"])
    def test_foreign_contact_ids_are_404_and_change_nothing(self, client, admin, stranger, name):
        client.force_login(admin.user)
        assert client.post(action(name, stranger.pk)).status_code == 404
        stranger.user.refresh_from_db()
        assert stranger.user.is_active
        assert mail.outbox == []
