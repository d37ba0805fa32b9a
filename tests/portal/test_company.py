"""The company pages of the partner portal: profile, profile edit, contacts and their
communication preferences; isolation between partners on each of them."""

import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communications.models import ContactPreference
from partners.models import Contact, Partner
from segments import services as segment_services
from segments.models import Membership
from tests.partners.factories import (
    ContactFactory,
    IndustryFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    UserFactory,
    tier,
)

pytestmark = pytest.mark.django_db

COMPANY = reverse("portal:company")
EDIT = reverse("portal:company-edit")
CONTACTS = reverse("portal:company-contacts")
NEW_CONTACT = reverse("portal:company-contact-new")


def contact_edit(pk):
    return reverse("portal:company-contact-edit", args=[pk])


def contact_delete(pk):
    return reverse("portal:company-contact-delete", args=[pk])


def preferences(pk):
    return reverse("portal:company-contact-preferences", args=[pk])


@pytest.fixture
def partner():
    return PartnerFactory(
        name="Acme Integrations",
        tier=tier("silver"),
        industries=["healthcare"],
        technologies=["aws"],
        attributes={"website": "https://acme.example", "crm_owner": "Jane"},
    )


@pytest.fixture
def admin(partner):
    return ContactFactory(
        partner=partner,
        first_name="Ada",
        is_partner_admin=True,
        user=UserFactory(username="acme-admin"),
    )


@pytest.fixture
def colleague(partner):
    return ContactFactory(
        partner=partner, first_name="Bob", last_name="Builder", user=UserFactory(username="bob")
    )


@pytest.fixture
def stranger():
    """A contact of another partner."""
    return ContactFactory(
        partner=PartnerFactory(name="Other Co"), first_name="Eve", user=UserFactory(username="eve")
    )


def profile_post(**overrides):
    data = {
        "name": "Acme Integrations GmbH",
        "partner_type": "msp",
        "employee_count": "250",
        "region": "emea",
        "country": "AT",
        "website": "https://acme.example/en",
        "industries": ["healthcare", "retail"],
        "technologies": ["azure"],
    }
    data.update(overrides)
    return data


def contact_post(**overrides):
    data = {
        "first_name": "Carla",
        "last_name": "Cruz",
        "email": "carla@acme.example",
        "role": "marketing",
        "job_title": "Marketing lead",
        "phone": "+43 1 234",
        "language": "de",
        "interests": "cloud, security",
        "email_opt_in": "on",
    }
    data.update(overrides)
    return data


class TestAccess:
    @pytest.mark.parametrize(
        "url",
        [COMPANY, EDIT, CONTACTS, NEW_CONTACT, reverse("portal:company-contact-edit", args=[1])],
    )
    def test_anonymous_is_sent_to_login(self, client, url):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize("url", [COMPANY, EDIT, CONTACTS, NEW_CONTACT])
    def test_staff_get_403(self, client, manager, url):
        client.force_login(manager)
        assert client.get(url).status_code == 403


class TestCompanyPage:
    def test_shows_the_own_profile_tags_certifications_and_contacts(
        self, client, admin, colleague, stranger
    ):
        PartnerCertificationFactory(partner=admin.partner, certification__name="Cloud Architect")
        PartnerCertificationFactory(partner=stranger.partner, certification__name="Foreign Cert")
        client.force_login(admin.user)
        response = client.get(COMPANY)
        assert response.status_code == 200
        body = response.content.decode()
        assert response.context["nav"] == "company"
        assert response.context["company"] == admin.partner
        assert "Acme Integrations" in body and "Healthcare" in body and "Aws" in body
        assert "https://acme.example" in body and "Silver" in body
        assert "Cloud Architect" in body and "Foreign Cert" not in body
        assert {c.pk for c in response.context["contacts"]} == {admin.pk, colleague.pk}
        assert "Other Co" not in body and stranger.email not in body
        assert EDIT in body

    def test_a_colleague_sees_the_profile_read_only(self, client, admin, colleague):
        client.force_login(colleague.user)
        response = client.get(COMPANY)
        assert response.status_code == 200
        assert EDIT not in response.content.decode()
        assert "partner admins keep this profile" in response.content.decode()


class TestCompanyEdit:
    def test_form_shows_only_self_service_fields(self, client, admin):
        client.force_login(admin.user)
        response = client.get(EDIT)
        assert response.status_code == 200
        fields = set(response.context["form"].fields)
        assert fields == {
            "name",
            "partner_type",
            "employee_count",
            "region",
            "country",
            "website",
            "industries",
            "technologies",
        }
        assert response.context["form"].initial["website"] == "https://acme.example"

    def test_admin_saves_the_profile_through_the_services(
        self, client, admin, django_capture_on_commit_callbacks
    ):
        IndustryFactory(slug="retail")
        TechnologyFactory(slug="azure")
        segment = segment_services.segment_create(
            data={
                "name": "Austria",
                "slug": "austria",
                "objective": "Austrian partners",
                "kind": "dynamic",
                "rule": {"field": "country", "op": "eq", "value": "AT"},
            }
        )
        client.force_login(admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(EDIT, profile_post())
        assert response.status_code == 302
        assert response.url == COMPANY
        partner = Partner.objects.get(pk=admin.partner.pk)
        assert partner.name == "Acme Integrations GmbH"
        assert partner.employee_count == 250
        assert str(partner.country) == "AT"
        assert sorted(partner.industries.values_list("slug", flat=True)) == ["healthcare", "retail"]
        assert list(partner.technologies.values_list("slug", flat=True)) == ["azure"]
        assert partner.attributes == {"website": "https://acme.example/en", "crm_owner": "Jane"}
        assert partner.tier.slug == "silver"
        # the edit went through partners.services, so the segment re-checked the partner
        assert Membership.objects.filter(segment=segment, partner=partner).exists()

    def test_posted_protected_fields_are_ignored(self, client, admin):
        client.force_login(admin.user)
        response = client.post(
            EDIT,
            profile_post(
                tier=tier("platinum").pk,
                lifecycle_stage="churned",
                external_id="HACKED",
                revenue_12m="99999999",
                industries=[],
                technologies=[],
            ),
        )
        assert response.status_code == 302
        partner = Partner.objects.get(pk=admin.partner.pk)
        assert partner.tier.slug == "silver"
        assert partner.lifecycle_stage == "active"
        assert partner.external_id != "HACKED"
        assert partner.revenue_12m != 99999999

    def test_invalid_input_shows_errors_and_changes_nothing(self, client, admin):
        client.force_login(admin.user)
        response = client.post(
            EDIT,
            profile_post(name="", employee_count="-3", industries=["no-such-industry"]),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert {"name", "employee_count", "industries"} <= set(errors)
        assert Partner.objects.get(pk=admin.partner.pk).name == "Acme Integrations"

    def test_a_colleague_who_is_not_admin_gets_403_and_nothing_changes(
        self, client, admin, colleague
    ):
        client.force_login(colleague.user)
        assert client.get(EDIT).status_code == 403
        assert client.post(EDIT, profile_post()).status_code == 403
        assert Partner.objects.get(pk=admin.partner.pk).name == "Acme Integrations"


class TestContacts:
    def test_list_shows_own_contacts_with_roles_only(self, client, admin, colleague, stranger):
        client.force_login(colleague.user)
        response = client.get(CONTACTS)
        assert response.status_code == 200
        shown = {person.pk for person, _ in response.context["contacts"]}
        assert shown == {admin.pk, colleague.pk}
        body = response.content.decode()
        assert colleague.get_role_display() in body
        assert stranger.email not in body
        # a colleague may edit themselves only
        assert contact_edit(colleague.pk) in body
        assert contact_edit(admin.pk) not in body

    def test_admin_adds_a_contact_to_the_own_company_whatever_partner_is_posted(
        self, client, admin, stranger
    ):
        client.force_login(admin.user)
        response = client.post(NEW_CONTACT, contact_post(partner=stranger.partner.pk))
        assert response.status_code == 302
        carla = Contact.objects.get(email="carla@acme.example")
        assert carla.partner == admin.partner
        assert carla.interests == ["cloud", "security"]
        assert carla.user is None

    def test_adding_a_known_email_shows_the_error_on_the_field(self, client, admin, stranger):
        client.force_login(admin.user)
        response = client.post(NEW_CONTACT, contact_post(email=stranger.email))
        assert response.status_code == 400
        assert "email" in response.context["form"].errors
        assert Contact.objects.filter(email=stranger.email).count() == 1

    def test_a_colleague_cannot_add_contacts(self, client, colleague):
        client.force_login(colleague.user)
        assert client.get(NEW_CONTACT).status_code == 403
        assert client.post(NEW_CONTACT, contact_post()).status_code == 403
        assert not Contact.objects.filter(email="carla@acme.example").exists()

    def test_a_colleague_edits_their_own_details(self, client, colleague):
        client.force_login(colleague.user)
        page = client.get(contact_edit(colleague.pk))
        assert page.status_code == 200
        assert "Your details" in page.content.decode()
        response = client.post(
            contact_edit(colleague.pk),
            contact_post(first_name="Robert", email="robert@acme.example", role="technical"),
        )
        assert response.status_code == 302
        colleague.refresh_from_db()
        assert (colleague.first_name, colleague.role) == ("Robert", "technical")
        colleague.user.refresh_from_db()
        assert colleague.user.email == "robert@acme.example"
        assert (
            "is_partner_admin" not in client.get(contact_edit(colleague.pk)).context["form"].fields
        )

    def test_a_colleague_cannot_edit_another_colleague(self, client, admin, colleague):
        client.force_login(colleague.user)
        assert client.get(contact_edit(admin.pk)).status_code == 403
        assert client.post(contact_edit(admin.pk), contact_post()).status_code == 403
        admin.refresh_from_db()
        assert admin.first_name == "Ada"

    def test_admin_edits_a_colleague_and_makes_them_admin(self, client, admin, colleague):
        client.force_login(admin.user)
        response = client.post(
            contact_edit(colleague.pk),
            contact_post(email=colleague.email, is_partner_admin="on"),
        )
        assert response.status_code == 302
        colleague.refresh_from_db()
        assert colleague.first_name == "Carla"
        assert colleague.is_partner_admin

    def test_an_invalid_edit_shows_errors_and_changes_nothing(self, client, admin, colleague):
        client.force_login(admin.user)
        response = client.post(
            contact_edit(colleague.pk), contact_post(email="not-an-email", role="pirate")
        )
        assert response.status_code == 400
        assert {"email", "role"} <= set(response.context["form"].errors)
        colleague.refresh_from_db()
        assert colleague.first_name == "Bob"

    def test_admin_removes_a_colleague_but_not_themselves(self, client, admin, colleague):
        client.force_login(admin.user)
        assert client.post(contact_delete(colleague.pk)).status_code == 302
        assert not Contact.objects.filter(pk=colleague.pk).exists()
        client.post(contact_delete(admin.pk))
        assert Contact.objects.filter(pk=admin.pk).exists()

    def test_a_colleague_cannot_remove_anyone(self, client, admin, colleague):
        client.force_login(colleague.user)
        assert client.post(contact_delete(admin.pk)).status_code == 403
        assert Contact.objects.filter(pk=admin.pk).exists()


class TestPreferences:
    def test_a_contact_sets_their_own_preferences_through_the_services(self, client, colleague):
        client.force_login(colleague.user)
        response = client.get(preferences(colleague.pk))
        assert response.status_code == 200
        assert response.context["form"].initial["receive_email"] is True
        response = client.post(
            preferences(colleague.pk), {"topics": ["news", "events"], "max_per_week": "2"}
        )
        assert response.status_code == 302
        preference = ContactPreference.objects.get(contact=colleague)
        assert preference.unsubscribed_all is True
        assert preference.max_per_week == 2
        assert "enablement" in preference.topics_opted_out
        assert "news" not in preference.topics_opted_out

    def test_admin_sets_a_colleagues_preferences(self, client, admin, colleague):
        client.force_login(admin.user)
        response = client.post(preferences(colleague.pk), {"receive_email": "on"})
        assert response.status_code == 302
        assert ContactPreference.objects.get(contact=colleague).unsubscribed_all is False

    def test_a_colleague_cannot_set_anothers_preferences(self, client, admin, colleague):
        client.force_login(colleague.user)
        assert client.get(preferences(admin.pk)).status_code == 403
        assert client.post(preferences(admin.pk), {}).status_code == 403
        assert not ContactPreference.objects.filter(contact=admin).exists()

    def test_invalid_weekly_cap_is_shown_on_the_field(self, client, colleague):
        client.force_login(colleague.user)
        response = client.post(preferences(colleague.pk), {"max_per_week": "1000"})
        assert response.status_code == 400
        assert "max_per_week" in response.context["form"].errors
        assert not ContactPreference.objects.filter(contact=colleague).exists()


class TestIsolation:
    """A partner admin of A with the ids of B's contacts: 404, and nothing changes."""

    def test_foreign_contact_pages_are_404(self, client, admin, stranger):
        client.force_login(admin.user)
        for url in (contact_edit(stranger.pk), preferences(stranger.pk)):
            assert client.get(url).status_code == 404

    def test_foreign_contact_writes_are_404_and_change_nothing(self, client, admin, stranger):
        client.force_login(admin.user)
        assert client.post(contact_edit(stranger.pk), contact_post()).status_code == 404
        assert client.post(preferences(stranger.pk), {"max_per_week": "1"}).status_code == 404
        assert client.post(contact_delete(stranger.pk)).status_code == 404
        stranger.refresh_from_db()
        assert stranger.first_name == "Eve"
        assert not ContactPreference.objects.filter(contact=stranger).exists()

    def test_unknown_ids_are_404(self, client, admin):
        client.force_login(admin.user)
        assert client.get(contact_edit(987654)).status_code == 404


class TestQueries:
    @pytest.mark.parametrize("url", [COMPANY, CONTACTS, reverse("portal:team")])
    def test_pages_take_the_same_number_of_queries_for_3_or_30_contacts(self, client, admin, url):
        client.force_login(admin.user)
        ContactFactory.create_batch(2, partner=admin.partner, user=factory.SubFactory(UserFactory))
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        ContactFactory.create_batch(27, partner=admin.partner, user=factory.SubFactory(UserFactory))
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == len(few)
