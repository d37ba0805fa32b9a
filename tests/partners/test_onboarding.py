"""partners/onboarding.py: invitations, portal access, the partner application and its
decision, with the e-mails they send (after commit) and the segments they reach."""

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from partners import onboarding
from partners.models import Contact, LifecycleStage, Partner
from segments import services as segment_services
from segments.models import Membership
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def link_in(message) -> str:
    return re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body).group(0)


@pytest.fixture
def admin():
    user = UserFactory(username="admin-user")
    return ContactFactory(user=user, is_partner_admin=True)


def application(**overrides) -> dict:
    return {
        "name": "Northwind Cloud",
        "partner_type": "msp",
        "first_name": "Nora",
        "last_name": "North",
        "email": "Nora@Northwind.example",
        "role": "executive",
        "region": "emea",
        "country": "NL",
        "employee_count": 40,
        "website": "https://northwind.example",
        "industries": ["healthcare"],
        "technologies": ["aws"],
        "message": "We run clinics' IT.",
        "email_opt_in": True,
        **overrides,
    }


class TestInvite:
    def test_invite_creates_a_contact_with_a_passwordless_login_and_mails_the_link(
        self, admin, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            contact = onboarding.contact_invite(
                partner=admin.partner,
                invited_by=admin,
                first_name="Grace",
                last_name="Hopper",
                email=" Grace@Example.com ",
                role="technical",
            )
        # then
        assert contact.partner == admin.partner
        assert contact.email == "grace@example.com"
        assert not contact.is_partner_admin
        assert contact.user.username == "grace@example.com"
        assert contact.user.is_active and not contact.user.has_usable_password()
        assert onboarding.contact_access_status(contact) == onboarding.PortalAccess.INVITED
        (message,) = mail.outbox
        assert message.to == ["grace@example.com"]
        assert admin.full_name in message.subject
        assert link_in(message).startswith("http://127.0.0.1:8000/accounts/password-reset/")
        assert "grace@example.com" in message.body

    def test_mail_subjects_and_bodies_are_plain_text_not_html_escaped(
        self, admin, django_capture_on_commit_callbacks
    ):
        admin.partner.name = "O'Neil & Sons"
        admin.partner.save()
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.contact_invite(
                partner=admin.partner,
                invited_by=admin,
                first_name="Grace",
                last_name="",
                email="grace@example.com",
                role="sales",
            )
        (message,) = mail.outbox
        assert "O'Neil & Sons" in message.subject
        assert "O'Neil & Sons" in message.body
        assert not message.alternatives

    def test_no_mail_is_sent_when_the_transaction_does_not_commit(self, admin):
        onboarding.contact_invite(
            partner=admin.partner,
            invited_by=admin,
            first_name="Grace",
            last_name="",
            email="grace@example.com",
            role="sales",
        )
        assert mail.outbox == []

    def test_a_colleague_who_is_not_admin_cannot_invite(self):
        colleague = ContactFactory(is_partner_admin=False)
        with pytest.raises(PermissionDenied):
            onboarding.contact_invite(
                partner=colleague.partner,
                invited_by=colleague,
                first_name="X",
                last_name="Y",
                email="x@example.com",
                role="sales",
            )
        assert not Contact.objects.filter(email="x@example.com").exists()

    def test_an_admin_cannot_invite_into_another_company(self, admin):
        other = PartnerFactory()
        with pytest.raises(PermissionDenied):
            onboarding.contact_invite(
                partner=other,
                invited_by=admin,
                first_name="X",
                last_name="Y",
                email="x@example.com",
                role="sales",
            )

    def test_a_known_email_is_rejected_on_the_email_field(self, admin):
        ContactFactory(email="taken@example.com")
        with pytest.raises(ValidationError) as error:
            onboarding.contact_invite(
                partner=admin.partner,
                invited_by=admin,
                first_name="X",
                last_name="Y",
                email="TAKEN@example.com",
                role="sales",
            )
        assert "email" in error.value.error_dict

    def test_granting_access_to_an_existing_contact_creates_one_login(
        self, admin, django_capture_on_commit_callbacks
    ):
        colleague = ContactFactory(partner=admin.partner)
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.contact_access_grant(contact=colleague, invited_by=admin)
        colleague.refresh_from_db()
        assert colleague.user.username == colleague.email
        assert len(mail.outbox) == 1
        with pytest.raises(ValidationError):
            onboarding.contact_access_grant(contact=colleague, invited_by=admin)

    def test_resend_sends_a_new_link_only_while_the_invitation_is_pending(
        self, admin, django_capture_on_commit_callbacks
    ):
        colleague = ContactFactory(partner=admin.partner)
        onboarding.contact_access_grant(contact=colleague, invited_by=admin)
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.contact_invite_resend(contact=colleague, by=admin)
        assert len(mail.outbox) == 1
        colleague.user.set_password("chosen-password-1")
        colleague.user.save()
        with pytest.raises(ValidationError):
            onboarding.contact_invite_resend(contact=colleague, by=admin)


class TestDeactivate:
    def test_deactivate_switches_off_the_login_and_keeps_the_contact(self, admin):
        colleague = ContactFactory(partner=admin.partner, user=UserFactory())
        onboarding.contact_deactivate(contact=colleague, by=admin)
        colleague.refresh_from_db()
        assert colleague.user.is_active is False
        assert (
            authenticate(username=colleague.user.username, password="correct-horse-battery") is None
        )
        assert onboarding.contact_access_status(colleague) == onboarding.PortalAccess.DEACTIVATED

    def test_reactivate_lets_them_sign_in_again(self, admin):
        colleague = ContactFactory(partner=admin.partner, user=UserFactory(is_active=False))
        onboarding.contact_reactivate(contact=colleague, by=admin)
        colleague.refresh_from_db()
        assert authenticate(username=colleague.user.username, password="correct-horse-battery")

    def test_an_admin_cannot_deactivate_themselves(self, admin):
        with pytest.raises(ValidationError):
            onboarding.contact_deactivate(contact=admin, by=admin)
        admin.user.refresh_from_db()
        assert admin.user.is_active

    def test_a_colleague_who_is_not_admin_cannot_deactivate(self, admin):
        colleague = ContactFactory(partner=admin.partner, user=UserFactory())
        with pytest.raises(PermissionDenied):
            onboarding.contact_deactivate(contact=admin, by=colleague)
        admin.user.refresh_from_db()
        assert admin.user.is_active

    def test_an_admin_of_another_company_cannot_deactivate(self, admin):
        stranger = ContactFactory(user=UserFactory())
        with pytest.raises(PermissionDenied):
            onboarding.contact_deactivate(contact=stranger, by=admin)
        stranger.user.refresh_from_db()
        assert stranger.user.is_active

    def test_an_admin_cannot_drop_their_own_admin_rights(self, admin):
        with pytest.raises(ValidationError):
            onboarding.contact_partner_admin_set(contact=admin, is_partner_admin=False, by=admin)

    def test_removing_a_colleague_deletes_the_contact_and_switches_off_the_login(self, admin):
        colleague = ContactFactory(partner=admin.partner, user=UserFactory())
        user = colleague.user
        onboarding.contact_remove(contact=colleague, by=admin)
        assert not Contact.objects.filter(pk=colleague.pk).exists()
        user.refresh_from_db()
        assert user.is_active is False


class TestProfile:
    def test_profile_update_changes_self_service_fields_only_and_keeps_attributes(self, admin):
        partner = admin.partner
        partner.attributes = {"crm_owner": "Jane"}
        partner.save()
        onboarding.partner_profile_update(
            partner=partner,
            data={"employee_count": 77, "lifecycle_stage": "churned", "revenue_12m": 1},
            website="https://acme.example",
            by=admin,
        )
        partner.refresh_from_db()
        assert partner.employee_count == 77
        assert partner.lifecycle_stage == LifecycleStage.ACTIVE
        assert partner.attributes == {"crm_owner": "Jane", "website": "https://acme.example"}

    def test_profile_update_reaches_dynamic_segments(
        self, admin, django_capture_on_commit_callbacks
    ):
        segment = segment_services.segment_create(
            data={
                "name": "Big",
                "slug": "big",
                "objective": "Large partners",
                "kind": "dynamic",
                "rule": {"field": "employee_count", "op": "gte", "value": 1000},
            }
        )
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.partner_profile_update(
                partner=admin.partner, data={"employee_count": 5000}, by=admin
            )
        assert Membership.objects.filter(segment=segment, partner=admin.partner).exists()

    def test_a_contact_edit_of_a_login_updates_its_email(self, admin):
        onboarding.contact_profile_update(
            contact=admin, data={"email": "New@Example.com", "first_name": "Ann"}, by=admin
        )
        admin.user.refresh_from_db()
        assert (admin.user.email, admin.user.first_name) == ("new@example.com", "Ann")

    def test_a_login_named_by_its_email_follows_the_new_email(self, admin):
        user = admin.user
        user.username = user.email = admin.email
        user.save()
        onboarding.contact_profile_update(
            contact=admin, data={"email": "ann@example.com"}, by=admin
        )
        user.refresh_from_db()
        assert (user.username, user.email) == ("ann@example.com", "ann@example.com")

    def test_an_email_of_another_login_is_rejected_and_nothing_changes(self, admin):
        UserFactory(username="someone", email="someone@example.com")
        with pytest.raises(ValidationError) as error:
            onboarding.contact_profile_update(
                contact=admin, data={"email": "someone@example.com"}, by=admin
            )
        assert "email" in error.value.error_dict
        admin.refresh_from_db()
        assert admin.email != "someone@example.com"

    def test_a_colleague_may_edit_themselves_but_not_others(self, admin):
        colleague = ContactFactory(partner=admin.partner, is_partner_admin=False)
        onboarding.contact_profile_update(
            contact=colleague, data={"job_title": "CTO"}, by=colleague
        )
        with pytest.raises(PermissionDenied):
            onboarding.contact_profile_update(contact=admin, data={"job_title": "X"}, by=colleague)


class TestApplication:
    def test_submit_creates_an_applicant_and_its_admin_with_an_inactive_login(
        self, django_capture_on_commit_callbacks
    ):
        # when
        with django_capture_on_commit_callbacks(execute=True):
            partner = onboarding.partner_application_submit(**application())
        # then
        assert partner.lifecycle_stage == LifecycleStage.APPLICANT
        assert partner.external_id.startswith("APP-")
        assert partner.attributes["website"] == "https://northwind.example"
        assert partner.attributes["application"]["message"] == "We run clinics' IT."
        assert sorted(partner.industries.values_list("slug", flat=True)) == ["healthcare"]
        contact = partner.contacts.get()
        assert contact.email == "nora@northwind.example"
        assert contact.is_partner_admin and contact.email_opt_in
        assert contact.user.is_active is False
        assert not contact.user.has_usable_password()
        (message,) = mail.outbox
        assert message.to == ["nora@northwind.example"]
        assert "Northwind Cloud" in message.subject

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [({"name": "northwind cloud"}, "name"), ({"email": "NORA@northwind.example"}, "email")],
    )
    def test_a_known_company_or_email_is_rejected(self, overrides, field):
        onboarding.partner_application_submit(**application())
        with pytest.raises(ValidationError) as error:
            onboarding.partner_application_submit(
                **application(**{"name": "Other Co", "email": "other@example.com", **overrides})
            )
        assert list(error.value.error_dict) == [field]
        assert Partner.objects.count() == 1

    def test_approve_moves_to_onboarding_activates_and_welcomes(
        self, manager, django_capture_on_commit_callbacks
    ):
        # given
        partner = onboarding.partner_application_submit(**application())
        segment = segment_services.segment_create(
            data={
                "name": "Onboarding",
                "slug": "onboarding",
                "objective": "Welcome new partners",
                "kind": "dynamic",
                "rule": {"field": "lifecycle_stage", "op": "eq", "value": "onboarding"},
            }
        )
        # when
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.partner_application_approve(partner=partner, by=manager)
        # then
        partner.refresh_from_db()
        assert partner.lifecycle_stage == onboarding.APPROVED_STAGE == LifecycleStage.ONBOARDING
        assert partner.joined_at is not None
        assert partner.attributes["application"]["decision"] == "approved"
        user = partner.contacts.get().user
        assert user.is_active
        (welcome,) = mail.outbox
        assert welcome.to == ["nora@northwind.example"]
        assert "Welcome" in welcome.subject
        assert "/accounts/password-reset/" in link_in(welcome)
        assert Membership.objects.filter(segment=segment, partner=partner).exists()

    def test_an_application_is_decided_once(self, manager):
        partner = onboarding.partner_application_submit(**application())
        onboarding.partner_application_approve(partner=partner, by=manager)
        with pytest.raises(ValidationError):
            onboarding.partner_application_approve(partner=partner, by=manager)
        with pytest.raises(ValidationError):
            onboarding.partner_application_reject(partner=partner, by=manager, reason="No")

    def test_reject_keeps_the_partner_churned_with_the_reason_and_tells_the_applicant(
        self, manager, django_capture_on_commit_callbacks
    ):
        partner = onboarding.partner_application_submit(**application())
        with django_capture_on_commit_callbacks(execute=True):
            onboarding.partner_application_reject(
                partner=partner, by=manager, reason="We have enough MSPs in the Netherlands."
            )
        partner.refresh_from_db()
        assert partner.lifecycle_stage == LifecycleStage.CHURNED
        assert partner.attributes["application"]["reason"].startswith("We have enough")
        assert partner.contacts.get().user.is_active is False
        (message,) = mail.outbox
        assert "We have enough MSPs" in message.body

    def test_reject_needs_a_reason(self, manager):
        partner = onboarding.partner_application_submit(**application())
        with pytest.raises(ValidationError):
            onboarding.partner_application_reject(partner=partner, by=manager, reason="  ")
        partner.refresh_from_db()
        assert partner.lifecycle_stage == LifecycleStage.APPLICANT


def test_the_demo_partner_user_is_a_partner_admin():
    # given a seeded demo database
    call_command("seed_demo", "--partners", "3", "--seed", "7", stdout=StringIO())
    # then the demo partner login runs its company's portal
    user = authenticate(username="partner", password="partner-demo")
    assert user.contact.is_partner_admin
    # and only that contact of the company is an admin
    assert user.contact.partner.contacts.filter(is_partner_admin=True).count() == 1
