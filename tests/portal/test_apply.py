"""The partner application: the public form, its thank-you page and the channel manager's
review page (approve, decline). Approval leads to a login and an onboarding segment."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from partners.models import Contact, LifecycleStage, Partner
from portal.forms.apply import DEFAULT_REJECT_REASON
from segments import services as segment_services
from segments.models import Membership
from tests.partners.factories import ContactFactory, IndustryFactory, PartnerFactory

pytestmark = pytest.mark.django_db

APPLY = reverse("portal:apply")
THANKS = reverse("portal:apply-thanks")
APPLICATIONS = reverse("portal:applications")


def approve(pk):
    return reverse("portal:application-approve", args=[pk])


def reject(pk):
    return reverse("portal:application-reject", args=[pk])


def form_data(**overrides):
    data = {
        "name": "Northwind Cloud",
        "partner_type": "msp",
        "website": "northwind.example",
        "region": "emea",
        "country": "NL",
        "employee_count": "40",
        "industries": ["healthcare"],
        "message": "Managed IT for clinics.",
        "first_name": "Nora",
        "last_name": "North",
        "email": "nora@northwind.example",
        "job_title": "CEO",
        "phone": "+31 20 123",
        "role": "executive",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def applicant(client, django_capture_on_commit_callbacks):
    IndustryFactory(slug="healthcare")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(APPLY, form_data())
    mail.outbox.clear()
    return Partner.objects.get(name="Northwind Cloud")


class TestApplyForm:
    def test_the_form_is_public(self, client):
        response = client.get(APPLY)
        assert response.status_code == 200
        assert "Become a partner" in response.content.decode()

    def test_applying_creates_an_applicant_and_thanks(
        self, client, django_capture_on_commit_callbacks
    ):
        IndustryFactory(slug="healthcare")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(APPLY, form_data())
        assert response.status_code == 302
        assert response.url == THANKS
        partner = Partner.objects.get(name="Northwind Cloud")
        assert partner.lifecycle_stage == LifecycleStage.APPLICANT
        assert partner.attributes["website"] == "https://northwind.example"
        assert list(partner.industries.values_list("slug", flat=True)) == ["healthcare"]
        contact = partner.contacts.get()
        assert contact.is_partner_admin and not contact.email_opt_in
        assert contact.user.is_active is False
        assert mail.outbox[0].to == ["nora@northwind.example"]
        thanks = client.get(THANKS)
        assert thanks.status_code == 200
        assert "Northwind Cloud" in thanks.content.decode()

    def test_an_application_with_the_hidden_field_filled_is_thanked_and_dropped(self, client):
        response = client.post(APPLY, form_data(fax_number="+1 555 0100", industries=[]))
        assert response.status_code == 302
        assert response.url == THANKS
        assert not Partner.objects.exists()
        assert not Contact.objects.exists()
        assert mail.outbox == []

    def test_the_hidden_field_is_in_the_form_but_not_shown(self, client):
        page = client.get(APPLY).content.decode()
        assert re.search(r'<div class="apply-extra" aria-hidden="true">', page)
        assert 'name="fax_number"' in page and 'tabindex="-1"' in page

    def test_applications_from_one_address_are_throttled(self, client, settings):
        cache.clear()  # the counters live in the process-wide cache
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "partner-application": "2/hour",
            },
        }
        responses = [
            client.post(
                APPLY, form_data(name=f"Company {n}", email=f"a{n}@example.com", industries=[])
            )
            for n in range(3)
        ]
        assert [response.status_code for response in responses] == [302, 302, 429]
        assert 3500 <= int(responses[-1]["Retry-After"]) <= 3600
        assert "Too many partner applications" in responses[-1].content.decode()
        assert Partner.objects.count() == 2
        # Looking at the form is not counted.
        assert client.get(APPLY).status_code == 200

    def test_consent_and_required_fields_are_checked(self, client):
        response = client.post(APPLY, form_data(accept_terms="", email="bad", name=""))
        assert response.status_code == 400
        assert {"accept_terms", "email", "name"} <= set(response.context["form"].errors)
        assert not Partner.objects.exists()

    def test_a_known_company_or_email_is_shown_on_its_field(self, client):
        existing = ContactFactory(partner=PartnerFactory(name="Northwind Cloud"))
        response = client.post(APPLY, form_data(email=existing.email.upper(), industries=[]))
        assert response.status_code == 400
        assert {"name", "email"} <= set(response.context["form"].errors)
        assert Partner.objects.count() == 1

    def test_login_page_links_to_the_application_and_the_reset(self, client):
        body = client.get(reverse("login")).content.decode()
        assert APPLY in body
        assert reverse("password_reset") in body


class TestApplicationsPage:
    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(APPLICATIONS)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_partner_users_get_403(self, client, partner_user, applicant):
        client.force_login(partner_user)
        assert client.get(APPLICATIONS).status_code == 403
        assert client.post(approve(applicant.pk)).status_code == 403
        assert client.post(reject(applicant.pk), {"reason": "x"}).status_code == 403
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.APPLICANT

    def test_lists_applicants_only(self, client, manager, applicant):
        active = PartnerFactory(name="Long Time Partner")
        client.force_login(manager)
        response = client.get(APPLICATIONS)
        assert response.status_code == 200
        assert response.context["nav"] == "applications"
        assert list(response.context["applicants"]) == [applicant]
        body = response.content.decode()
        assert "nora@northwind.example" in body and "Managed IT for clinics." in body
        assert active.name not in body

    def test_the_list_has_a_constant_number_of_queries(
        self, client, manager, django_assert_max_num_queries
    ):
        for _ in range(12):
            partner = PartnerFactory(lifecycle_stage="applicant", industries=["retail"])
            ContactFactory.create_batch(2, partner=partner)
        client.force_login(manager)
        with django_assert_max_num_queries(12):
            assert client.get(APPLICATIONS).status_code == 200

    def test_approve_activates_welcomes_and_joins_the_onboarding_segment(
        self, client, manager, applicant, django_capture_on_commit_callbacks
    ):
        # given a dynamic onboarding segment
        segment = segment_services.segment_create(
            data={
                "name": "Onboarding",
                "slug": "onboarding",
                "objective": "Guide new partners through onboarding",
                "kind": "dynamic",
                "rule": {"field": "lifecycle_stage", "op": "eq", "value": "onboarding"},
            }
        )
        assert not Membership.objects.filter(segment=segment, partner=applicant).exists()
        # when a manager approves
        client.force_login(manager)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(approve(applicant.pk))
        # then
        assert response.status_code == 302
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.ONBOARDING
        assert Membership.objects.filter(segment=segment, partner=applicant).exists()
        (welcome,) = mail.outbox
        link = re.search(r"http://\S+/accounts/password-reset/\S+/\S+/", welcome.body).group(0)
        # and the new partner admin sets a password and signs in to the portal
        client.logout()
        response = client.get(link.removeprefix("http://127.0.0.1:8000"), follow=True)
        client.post(
            response.redirect_chain[-1][0],
            {"new_password1": "Nora-chose-this-1", "new_password2": "Nora-chose-this-1"},
        )
        response = client.post(
            reverse("login"),
            {"username": "nora@northwind.example", "password": "Nora-chose-this-1"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == reverse("portal:home")
        team = client.get(reverse("portal:team"))
        assert team.context["contact"] == Contact.objects.get(email="nora@northwind.example")
        assert team.context["is_admin"]

    def test_an_applicant_cannot_sign_in_before_approval(self, client, applicant):
        user = applicant.contacts.get().user
        user.set_password("Known-password-1")
        user.save()
        response = client.post(
            reverse("login"), {"username": user.username, "password": "Known-password-1"}
        )
        assert response.status_code == 200
        assert not response.wsgi_request.user.is_authenticated

    def test_decline_churns_and_tells_the_applicant_the_reason(
        self, client, manager, applicant, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        response = client.post(reject(applicant.pk), {"reason": "x" * 2001})
        assert response.status_code == 400
        assert "reason" in response.context["reason_form"].errors
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.APPLICANT
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reject(applicant.pk), {"reason": "Not in our regions yet."})
        assert response.status_code == 302
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.CHURNED
        assert "Not in our regions yet." in mail.outbox[0].body
        assert applicant not in client.get(APPLICATIONS).context["applicants"]

    def test_decline_without_a_reason_sends_the_default_one(
        self, client, manager, applicant, django_capture_on_commit_callbacks
    ):
        client.force_login(manager)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reject(applicant.pk), {"reason": ""})
        assert response.status_code == 302
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.CHURNED
        assert DEFAULT_REJECT_REASON in mail.outbox[0].body

    def test_deciding_twice_shows_a_message_and_changes_nothing(self, client, manager, applicant):
        client.force_login(manager)
        client.post(approve(applicant.pk))
        response = client.post(reject(applicant.pk), {"reason": "Oops"}, follow=True)
        assert "already been decided" in response.content.decode()
        applicant.refresh_from_db()
        assert applicant.lifecycle_stage == LifecycleStage.ONBOARDING

    def test_unknown_applicant_is_404(self, client, manager):
        client.force_login(manager)
        assert client.post(approve(987654)).status_code == 404
