"""Deal notices: the partner is told of every decision on a registration (portal inbox and
e-mail through the dispatcher), channel managers of the reviews that are overdue."""

import datetime as dt
from decimal import Decimal

import factory
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications import dispatch, notices, selectors
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    OccurrenceStatus,
    SuppressionReason,
    Topic,
)
from deals import signals
from deals.models import DealRegistration, DealStatus, ExtensionStatus, IncentiveRule
from deals.services import (
    deal_approve,
    deal_create,
    deal_extension_approve,
    deal_extension_reject,
    deal_extension_request,
    deal_reject,
    deals_bulk_decide,
    deals_expire_due,
    deals_mark_overdue,
    deals_remind_expiring,
)
from tests.communications.factories import ContactPreferenceFactory
from tests.communications.smtp import CountingHandler, SmtpServer
from tests.deals.factories import AccountFactory, DealRegistrationFactory
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return PartnerFactory(name="Initech")


@pytest.fixture
def submitter(partner):
    """A partner user of `partner` who registers deals (a contact with a portal login)."""
    user = UserFactory(username="ada")
    ContactFactory(user=user, partner=partner, first_name="Ada", email="ada@initech.com")
    return user


def contact_of(user):
    return user.contact


def register(partner, user, *, submit=True, amount="120000", name="Data platform", **fields):
    """A registration through the services, its after-commit work (notices) run."""
    values = {
        "partner": partner,
        "user": user,
        "account_name": "Acme GmbH",
        "account_domain": "acme.de",
        "account_country": "DE",
        "name": name,
        "amount": amount,
        "currency": "EUR",
        "expected_close_date": timezone.localdate() + dt.timedelta(days=60),
        **fields,
    }
    return deal_create(**values, submit=submit)


def messages_of(contact, notice=None):
    found = Message.objects.filter(contact=contact).select_related("campaign").order_by("id")
    if notice:
        found = found.filter(campaign__notice_key=notice)
    return list(found)


def emails_to(address):
    return [email for email in mail.outbox if email.to == [address]]


class TestPartnerNotices:
    def test_a_submission_in_review_reaches_the_submitters_inbox_and_mailbox(
        self, partner, submitter, client, django_capture_on_commit_callbacks
    ):
        # given a partner user, and no incentive rule (nothing is auto-approved)
        contact = contact_of(submitter)
        # when they submit a registration
        with django_capture_on_commit_callbacks(execute=True):
            deal = register(partner, submitter)
        # then one notice: in the inbox and sent by e-mail
        (message,) = messages_of(contact)
        assert message.campaign.notice_key == "deal_submitted"
        assert message.campaign.is_system and message.campaign.topic == Topic.PROGRAM
        assert message.channel == Channel.BOTH and message.status == MessageStatus.SENT
        assert message.subject == 'In review: your deal registration "Data platform"'
        assert "Acme GmbH" in message.body and "reviews it by" in message.body
        deal.refresh_from_db()
        assert f"{deal.review_due_at:%Y}" in message.body
        (email,) = emails_to("ada@initech.com")
        assert email.subject == message.subject
        assert "Hello Ada," in email.body
        # and the portal inbox shows it
        assert list(selectors.inbox_for_contact(contact=contact)) == [message]
        client.force_login(submitter)
        page = client.get(reverse("portal:inbox"))
        assert page.status_code == 200
        assert "In review: your deal registration" in page.content.decode()

    def test_an_auto_approved_submission_is_one_approval_notice_with_its_incentive(
        self, partner, submitter, django_capture_on_commit_callbacks
    ):
        # given a rule that auto-approves deals under 10,000 EUR
        IncentiveRule.objects.create(
            name="Small deals", currency="EUR", min_amount=0, discount_pct=Decimal("7.5"),
            rebate_pct=2, protection_days=45, auto_approve_below=10000,
        )  # fmt: skip
        # when a deal under it is submitted
        with django_capture_on_commit_callbacks(execute=True):
            deal = register(partner, submitter, amount="8000")
        # then the partner hears of the approval only, with the incentive locked in
        deal.refresh_from_db()
        assert deal.status == DealStatus.APPROVED
        (message,) = messages_of(contact_of(submitter))
        assert message.campaign.notice_key == "deal_approved"
        assert message.subject == 'Approved: your deal registration "Data platform"'
        assert "was approved automatically" in message.body
        assert "(Small deals)" in message.body
        assert "Discount: 7.5%" in message.body and "Rebate: 2%" in message.body
        assert f"Protection: 45 days, until {deal.protection_ends_on:%-d %B %Y}" in message.body
        assert len(emails_to("ada@initech.com")) == 1

    def test_an_approval_tells_the_incentive_the_protection_end_and_the_managers_note(
        self, partner, submitter, manager, django_capture_on_commit_callbacks
    ):
        # given a submitted registration and a rule for its size
        IncentiveRule.objects.create(
            name="Mid band", currency="EUR", min_amount=0, discount_pct=12, rebate_pct=3,
            protection_days=90,
        )  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            deal = register(partner, submitter)
        # when a manager approves it
        with django_capture_on_commit_callbacks(execute=True):
            deal = deal_approve(deal=deal, user=manager, reason="Great fit for the Q3 push")
        # then
        (message,) = messages_of(contact_of(submitter), "deal_approved")
        assert "was approved." in message.body and "automatically" not in message.body
        assert "Note from your channel manager: Great fit for the Q3 push" in message.body
        assert "Discount: 12%" in message.body and "Rebate: 3%" in message.body
        assert f"until {deal.protection_ends_on:%-d %B %Y}" in message.body
        (email,) = [e for e in emails_to("ada@initech.com") if e.subject.startswith("Approved")]
        assert "Discount: 12%" in email.body

    def test_a_rejection_tells_the_reason(
        self, partner, submitter, manager, django_capture_on_commit_callbacks
    ):
        # given
        with django_capture_on_commit_callbacks(execute=True):
            deal = register(partner, submitter)
        # when
        with django_capture_on_commit_callbacks(execute=True):
            deal_reject(deal=deal, user=manager, reason="The customer is a named account & ours")
        # then the reason is in the notice, unescaped (plain text)
        (message,) = messages_of(contact_of(submitter), "deal_rejected")
        assert message.subject == 'Not approved: your deal registration "Data platform"'
        assert "The reason: The customer is a named account & ours" in message.body
        (email,) = [e for e in emails_to("ada@initech.com") if e.subject.startswith("Not")]
        assert "named account & ours" in email.body

    def test_extension_decisions_are_told_with_the_new_end_or_the_reason(
        self, partner, submitter, manager, django_capture_on_commit_callbacks
    ):
        # given two approved registrations, each with an extension asked for
        with django_capture_on_commit_callbacks(execute=True):
            first = deal_approve(deal=register(partner, submitter, name="First"), user=manager)
            second = deal_approve(deal=register(partner, submitter, name="Second"), user=manager)
            for deal in (first, second):
                deal_extension_request(deal=deal, user=submitter, days=30, reason="Board delay")
        # when one extension is approved and the other rejected
        with django_capture_on_commit_callbacks(execute=True):
            first = deal_extension_approve(deal=first, user=manager)
            deal_extension_reject(deal=second, user=manager, reason="Close date too far out")
        # then
        contact = contact_of(submitter)
        (approved,) = messages_of(contact, "deal_extension_approved")
        assert approved.subject == (
            f'Extended: the protection of "First" now ends on {first.protection_ends_on:%-d %B %Y}'
        )
        assert "30 more days" in approved.body
        (rejected,) = messages_of(contact, "deal_extension_rejected")
        assert rejected.subject == 'Extension not approved: "Second"'
        assert "The reason: Close date too far out" in rejected.body
        assert DealRegistration.objects.get(pk=second.pk).extension_status == (
            ExtensionStatus.REJECTED
        )

    def test_the_expiry_reminder_and_the_expiry_are_told(
        self, partner, submitter, manager, django_capture_on_commit_callbacks
    ):
        # given an approved registration whose protection ends in 3 days
        with django_capture_on_commit_callbacks(execute=True):
            deal = deal_approve(deal=register(partner, submitter), user=manager)
        ends = timezone.localdate() + dt.timedelta(days=3)
        DealRegistration.objects.filter(pk=deal.pk).update(protection_ends_on=ends)
        # when the sweep reminds, and later expires it
        with django_capture_on_commit_callbacks(execute=True):
            deals_remind_expiring()
        with django_capture_on_commit_callbacks(execute=True):
            deals_expire_due(today=ends + dt.timedelta(days=1))
        # then
        contact = contact_of(submitter)
        (reminder,) = messages_of(contact, "deal_expiry_near")
        assert reminder.subject == (
            f'Ends soon: the protection of "Data platform" ends on {ends:%-d %B %Y}'
        )
        (expired,) = messages_of(contact, "deal_expired")
        assert expired.subject == 'Expired: the protection of "Data platform"'
        assert f"ended on {ends:%-d %B %Y}" in expired.body
        subjects = [email.subject for email in emails_to("ada@initech.com")]
        assert reminder.subject in subjects and expired.subject in subjects

    def test_a_notice_written_twice_is_one_message(self, partner, submitter):
        # given a submitted registration
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=submitter, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        # when its notice task runs twice (a worker lost after it wrote)
        first = notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        second = notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # then
        assert first["queued"] == 1
        assert Message.objects.count() == 1
        assert CampaignOccurrence.objects.count() == 1
        assert Campaign.objects.filter(notice_key="deal_submitted").count() == 1
        assert second["deals"] == 1  # found again, nothing added

    def test_the_occurrence_is_never_frozen_again_by_the_scheduler(self, partner, submitter):
        # given a notice written for a registration
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=submitter, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # when the scheduler's tick looks for occurrences to freeze
        due = dispatch.occurrences_due_ids()
        # then it is not one of them (it has no segment audience to freeze)
        assert CampaignOccurrence.objects.get().status == OccurrenceStatus.FROZEN
        assert due == []


class TestPreferences:
    def _submitted(self, partner, submitter):
        return DealRegistrationFactory(
            partner=partner, submitted_by=submitter, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip

    def test_a_contact_unsubscribed_from_all_email_gets_the_inbox_copy_only(
        self, partner, submitter
    ):
        # given
        contact = contact_of(submitter)
        ContactPreferenceFactory(contact=contact, unsubscribed_all=True)
        deal = self._submitted(partner, submitter)
        # when
        result = notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        dispatch.messages_send_batch()
        # then
        (message,) = messages_of(contact)
        assert (message.channel, message.status) == (Channel.PORTAL, MessageStatus.SENT)
        assert result["queued"] == 0 and result["inbox_only"] == 1
        assert list(selectors.inbox_for_contact(contact=contact)) == [message]
        assert mail.outbox == []

    def test_a_contact_without_email_consent_gets_the_inbox_copy_only(self, partner):
        # given
        user = UserFactory(username="no-consent")
        contact = ContactFactory(user=user, partner=partner, email_opt_in=False)
        deal = self._submitted(partner, user)
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        dispatch.messages_send_batch()
        # then
        (message,) = messages_of(contact)
        assert message.channel == Channel.PORTAL and message.status == MessageStatus.SENT
        assert mail.outbox == []

    def test_a_contact_who_opted_out_of_the_program_topic_gets_no_notice(self, partner, submitter):
        # given
        contact = contact_of(submitter)
        ContactPreferenceFactory(contact=contact, topics_opted_out=[Topic.PROGRAM])
        deal = self._submitted(partner, submitter)
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        dispatch.messages_send_batch()
        # then the message records why it was not delivered, and nothing reached them
        (message,) = messages_of(contact)
        assert message.status == MessageStatus.SUPPRESSED
        assert message.suppression_reason == SuppressionReason.TOPIC_OPT_OUT
        assert list(selectors.inbox_for_contact(contact=contact)) == []
        assert mail.outbox == []

    def test_an_opt_out_of_another_topic_changes_nothing(self, partner, submitter):
        # given
        contact = contact_of(submitter)
        ContactPreferenceFactory(contact=contact, topics_opted_out=[Topic.NEWS, Topic.EVENTS])
        deal = self._submitted(partner, submitter)
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        dispatch.messages_send_batch()
        # then
        (message,) = messages_of(contact)
        assert message.status == MessageStatus.SENT and message.channel == Channel.BOTH
        assert len(mail.outbox) == 1

    def test_an_email_opt_out_after_the_notice_was_written_keeps_only_the_inbox_copy(
        self, partner, submitter
    ):
        # given a queued notice
        contact = contact_of(submitter)
        deal = self._submitted(partner, submitter)
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # when the contact unsubscribes before the dispatcher sends it
        ContactPreferenceFactory(contact=contact, unsubscribed_all=True)
        dispatch.messages_send_batch()
        # then
        (message,) = messages_of(contact)
        assert (message.channel, message.status) == (Channel.PORTAL, MessageStatus.SENT)
        assert mail.outbox == []


class TestRecipients:
    def test_a_registration_a_manager_entered_tells_every_portal_login_of_the_partner(
        self, partner, manager
    ):
        # given two portal logins and a contact without one at the partner, and another partner
        logins = [
            ContactFactory(partner=partner, user=UserFactory(username=f"login{n}"))
            for n in range(2)
        ]
        no_login = ContactFactory(partner=partner)
        gone = ContactFactory(partner=partner, user=UserFactory(username="gone", is_active=False))
        other = ContactFactory(user=UserFactory(username="other"))
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=manager, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # then
        told = set(Message.objects.values_list("contact_id", flat=True))
        assert told == {contact.pk for contact in logins}
        assert not {no_login.pk, gone.pk, other.pk} & told

    def test_a_submitter_now_at_another_partner_is_not_told_but_the_partner_is(self, partner):
        # given a registration whose submitter's contact belongs to another partner now
        moved = ContactFactory(user=UserFactory(username="moved"))
        colleague = ContactFactory(partner=partner, user=UserFactory(username="colleague"))
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=moved.user, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # then
        assert list(Message.objects.values_list("contact_id", flat=True)) == [colleague.pk]

    def test_the_submitter_alone_is_told_not_their_colleagues(self, partner, submitter):
        # given a colleague with a portal login
        ContactFactory(partner=partner, user=UserFactory(username="colleague"))
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=submitter, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        # when
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        # then
        assert list(Message.objects.values_list("contact_id", flat=True)) == [
            contact_of(submitter).pk
        ]


def _submitted_deals(count, *, partners):
    """`count` submitted registrations spread over `partners`, each submitted by a login."""
    submitters = [
        ContactFactory(partner=partner, user=UserFactory(username=f"u-{partner.pk}")).user
        for partner in partners
    ]
    account = AccountFactory()
    return DealRegistrationFactory.create_batch(
        count,
        partner=factory_cycle(partners),
        submitted_by=factory_cycle(submitters),
        account=account,
        status=DealStatus.SUBMITTED,
        review_due_at=timezone.now(),
    )


def factory_cycle(values):
    return factory.Iterator(values)


class TestBulk:
    def test_a_bulk_decision_sends_one_signal_with_every_id(
        self, manager, django_capture_on_commit_callbacks
    ):
        # given 12 submitted registrations
        deals = _submitted_deals(12, partners=PartnerFactory.create_batch(3))
        received = []

        def receiver(sender, **kwargs):
            received.append(kwargs)

        signals.deal_transitioned.connect(receiver, dispatch_uid="test-bulk")
        try:
            # when they are rejected at once
            with django_capture_on_commit_callbacks(execute=True):
                deals_bulk_decide(
                    deal_ids=[d.pk for d in deals], user=manager, decision="reject",
                    reason="Duplicate",
                )  # fmt: skip
                assert received == []  # after commit only
        finally:
            signals.deal_transitioned.disconnect(dispatch_uid="test-bulk")
        # then
        (signal,) = received
        assert sorted(signal["deal_ids"]) == sorted(d.pk for d in deals)
        assert (signal["action"], signal["to_status"]) == ("reject", DealStatus.REJECTED)
        assert signal["reason"] == "Duplicate" and signal["actor_id"] == manager.pk

    def test_a_bulk_decision_tells_the_submitter_of_each_registration(
        self, manager, django_capture_on_commit_callbacks
    ):
        # given 30 submitted registrations of 10 partners
        deals = _submitted_deals(30, partners=PartnerFactory.create_batch(10))
        # when they are rejected in one decision
        with django_capture_on_commit_callbacks(execute=True):
            deals_bulk_decide(
                deal_ids=[d.pk for d in deals], user=manager, decision="reject",
                reason="Outside the programme",
            )  # fmt: skip
        # then each submitter has the notice of each of their registrations, by e-mail too
        told = Message.objects.filter(campaign__notice_key="deal_rejected")
        assert sorted(told.values_list("occurrence__partner_id", "contact__user_id")) == sorted(
            (deal.partner_id, deal.submitted_by_id) for deal in deals
        )
        assert sorted(email.to[0] for email in mail.outbox) == sorted(
            deal.submitted_by.contact.email for deal in deals
        )
        assert all("Outside the programme" in email.body for email in mail.outbox)

    def test_the_notices_of_60_registrations_take_as_many_queries_as_those_of_4(
        self, django_capture_on_commit_callbacks
    ):
        # given a small and a large lot of rejected registrations, and the notice's campaign
        # paused by a manager (its e-mail waits: sending marks each message on its own)
        small = _submitted_deals(4, partners=PartnerFactory.create_batch(2))
        large = _submitted_deals(60, partners=PartnerFactory.create_batch(20))
        campaign = notices.notice_campaign(notice="deal_rejected")
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.PAUSED)

        def queries_of_notices(deals):
            DealRegistration.objects.filter(pk__in=[d.pk for d in deals]).update(
                status=DealStatus.REJECTED, decision_reason="Duplicate"
            )
            with (
                CaptureQueriesContext(connection) as queries,
                django_capture_on_commit_callbacks(execute=True),
            ):
                signals.deal_transitioned.send(
                    sender=DealRegistration, deal_ids=[d.pk for d in deals], action="reject",
                    from_status=DealStatus.SUBMITTED, to_status=DealStatus.REJECTED,
                    actor_id=None, reason="Duplicate",
                )  # fmt: skip
            return len(queries)

        # when each lot's decision is announced (the receiver, its task, the senders)
        small_queries = queries_of_notices(small)
        large_queries = queries_of_notices(large)
        # then every registration is told, in as many queries for 60 as for 4
        assert Message.objects.filter(campaign=campaign).count() == 64
        assert large_queries == small_queries

    def test_500_registrations_are_written_in_a_few_queries(self, django_assert_max_num_queries):
        # given 500 submitted registrations of 50 partners
        deals = _submitted_deals(500, partners=PartnerFactory.create_batch(50))
        ids = [deal.pk for deal in deals]
        notices.notice_campaign(notice="deal_submitted")
        # when their notice is written
        with django_assert_max_num_queries(10):
            result = notices.deal_notices_create(notice="deal_submitted", deal_ids=ids)
        # then
        assert result["deals"] == 500 and result["queued"] == 500
        assert Message.objects.count() == 500


class TestOverdue:
    def test_each_channel_manager_gets_one_email_listing_their_overdue_reviews(
        self, settings, django_capture_on_commit_callbacks
    ):
        # given two managers' partners with overdue reviews, and one partner without a manager
        settings.PRM_PUBLIC_BASE_URL = "https://prm.example.com"
        settings.MANAGERS = [("Channel desk", "desk@vendor.com")]
        grace = UserFactory(username="grace", email="grace@vendor.com", is_staff=True)
        alan = UserFactory(username="alan", email="alan@vendor.com", is_staff=True)
        grace_deals = [
            DealRegistrationFactory(partner=PartnerFactory(channel_manager=grace), name=f"G{n}")
            for n in range(2)
        ]
        alan_deal = DealRegistrationFactory(partner=PartnerFactory(channel_manager=alan))
        orphan = DealRegistrationFactory(partner=PartnerFactory(channel_manager=None))
        past = timezone.now() - dt.timedelta(hours=1)
        DealRegistration.objects.update(status=DealStatus.SUBMITTED, review_due_at=past)
        # when the sweep marks them overdue
        with django_capture_on_commit_callbacks(execute=True):
            marked = deals_mark_overdue()
        # then one e-mail per manager, each with their registrations and links
        assert len(marked) == 4
        assert sorted(email.to[0] for email in mail.outbox) == [
            "alan@vendor.com", "desk@vendor.com", "grace@vendor.com",
        ]  # fmt: skip
        (to_grace,) = emails_to("grace@vendor.com")
        assert to_grace.subject == "2 deal registrations overdue for review"
        for deal in grace_deals:
            assert f"https://prm.example.com/deals/{deal.pk}/" in to_grace.body
        assert f"/deals/{alan_deal.pk}/" not in to_grace.body
        (to_alan,) = emails_to("alan@vendor.com")
        assert to_alan.subject == "1 deal registration overdue for review"
        (to_desk,) = emails_to("desk@vendor.com")
        assert f"/deals/{orphan.pk}/" in to_desk.body
        assert "a partner without a channel manager" in to_desk.body
        assert "https://prm.example.com/deals/review/" in to_desk.body

    def test_without_managers_set_active_staff_hear_of_unowned_reviews(self, settings):
        # given no MANAGERS, two active staff users and an inactive one
        settings.MANAGERS = []
        UserFactory(username="s1", email="s1@vendor.com", is_staff=True)
        UserFactory(username="s2", email="s2@vendor.com", is_staff=True)
        UserFactory(username="s3", email="s3@vendor.com", is_staff=True, is_active=False)
        UserFactory(username="p1", email="p1@vendor.com")
        deal = DealRegistrationFactory(
            status=DealStatus.SUBMITTED, review_due_at=timezone.now() - dt.timedelta(hours=1)
        )
        # when
        result = notices.deals_overdue_notify(deal_ids=[deal.pk])
        # then
        assert result == {"emails": 2}
        assert sorted(email.to[0] for email in mail.outbox) == ["s1@vendor.com", "s2@vendor.com"]

    def test_a_registration_decided_meanwhile_is_left_out(self, manager):
        # given a registration found overdue, then approved before the e-mail went
        deal = DealRegistrationFactory(
            partner=PartnerFactory(channel_manager=manager), status=DealStatus.APPROVED
        )
        # when
        result = notices.deals_overdue_notify(deal_ids=[deal.pk])
        # then
        assert result == {"emails": 0} and mail.outbox == []


class TestThroughSmtp:
    def test_a_rejection_reaches_a_real_smtp_server_through_the_dispatcher(
        self, settings, partner, submitter, manager, django_capture_on_commit_callbacks
    ):
        # given an SMTP server and a submitted registration
        server = SmtpServer(CountingHandler()).start()
        try:
            for name, value in server.email_settings().items():
                setattr(settings, name, value)
            with django_capture_on_commit_callbacks(execute=True):
                deal = register(partner, submitter)
            # and a manager who edits the notice campaign's template (it is not what is sent)
            Campaign.objects.filter(notice_key="deal_submitted").update(
                subject_template="Edited", body_template="Edited"
            )
            # when the registration is rejected
            with django_capture_on_commit_callbacks(execute=True):
                deal_reject(deal=deal, user=manager, reason="Not a new opportunity")
            # then both notices went out through SMTP, as written from the registration
            received = {email["Subject"]: email for email in server.handler.parsed()}
        finally:
            server.stop()
        rejected = received['Not approved: your deal registration "Data platform"']
        assert rejected["To"] == "ada@initech.com"
        text = rejected.get_body(preferencelist=("plain",)).get_content()
        assert "The reason: Not a new opportunity" in text
        message = Message.objects.get(campaign__notice_key="deal_rejected")
        assert rejected["Message-ID"] == message.message_id
        assert message.status == MessageStatus.SENT
        assert 'In review: your deal registration "Data platform"' in received


class TestCampaignPages:
    def test_managers_see_the_notice_campaigns_with_their_messages(
        self, client, manager, partner, submitter
    ):
        # given a notice written
        deal = DealRegistrationFactory(
            partner=partner, submitted_by=submitter, status=DealStatus.SUBMITTED,
            review_due_at=timezone.now(),
        )  # fmt: skip
        notices.deal_notices_create(notice="deal_submitted", deal_ids=[deal.pk])
        campaign = Campaign.objects.get(notice_key="deal_submitted")
        client.force_login(manager)
        # when a manager opens the campaign list and the notice's campaign
        listing = client.get(reverse("communications:campaign-list"))
        detail = client.get(reverse("communications:campaign-detail", args=[campaign.pk]))
        # then both show it
        assert listing.status_code == 200 and campaign.name in listing.content.decode()
        assert detail.status_code == 200 and campaign.name in detail.content.decode()
