"""partners.scoping: the one place a partner user's rows are scoped to their company."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.utils import timezone

from communications.models import ContactPreference, Message, SurveyResponse
from deals.models import DealRegistration, DealTransition
from enablement.models import EngagementEvent, Enrollment, LearningStep, StepCompletion
from partners.models import (
    Certification,
    Contact,
    Partner,
    PartnerCertification,
    PerformanceRecord,
    Tier,
    TierChange,
    TierChangeDirection,
    TierChangeSource,
)
from partners.scoping import (
    partner_scope_of,
    scoped,
    scoped_get_or_404,
    scoped_ids,
    user_contact,
)
from segments.models import Membership, MembershipEvent, Segment
from tests.communications.factories import (
    ContactPreferenceFactory,
    MessageFactory,
    SurveyResponseFactory,
)
from tests.deals.factories import DealRegistrationFactory, DealTransitionFactory
from tests.enablement.factories import (
    EngagementEventFactory,
    EnrollmentFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    ContactFactory,
    PartnerCertificationFactory,
    PerformanceRecordFactory,
    UserFactory,
)
from tests.segments.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _step_completion(contact):
    enrollment = EnrollmentFactory(contact=contact)
    step = LearningStepFactory(path=enrollment.path)
    return StepCompletion.objects.create(
        enrollment=enrollment, step=step, completed_at=timezone.now()
    )


def _membership_event(contact):
    membership = MembershipFactory(partner=contact.partner)
    return MembershipEvent.objects.create(
        segment=membership.segment, partner=contact.partner, kind="joined", at=timezone.now()
    )


def _tier_change(contact):
    return TierChange.objects.create(
        partner=contact.partner,
        direction=TierChangeDirection.UP,
        source=TierChangeSource.MANUAL,
    )


# Each model with a partner_scope, and how to make one row of it for a contact's partner.
MAKERS = {
    Partner: lambda contact: contact.partner,
    Contact: lambda contact: contact,
    PartnerCertification: lambda contact: PartnerCertificationFactory(partner=contact.partner),
    PerformanceRecord: lambda contact: PerformanceRecordFactory(partner=contact.partner),
    TierChange: _tier_change,
    Membership: lambda contact: MembershipFactory(partner=contact.partner),
    MembershipEvent: _membership_event,
    Enrollment: lambda contact: EnrollmentFactory(contact=contact),
    StepCompletion: _step_completion,
    EngagementEvent: lambda contact: EngagementEventFactory(contact=contact),
    Message: lambda contact: MessageFactory(contact=contact),
    ContactPreference: lambda contact: ContactPreferenceFactory(contact=contact),
    SurveyResponse: lambda contact: SurveyResponseFactory(contact=contact),
    DealRegistration: lambda contact: DealRegistrationFactory(partner=contact.partner),
    DealTransition: lambda contact: DealTransitionFactory(deal__partner=contact.partner),
}


def test_every_model_with_a_partner_scope_is_covered_here():
    declared = {model for model in apps.get_models() if getattr(model, "partner_scope", None)}

    assert declared == set(MAKERS)


@pytest.fixture
def two_companies():
    return ContactFactory(), ContactFactory()


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda model: model._meta.label)
class TestScopedPerModel:
    def test_scoped_returns_the_partners_rows_only(self, model, two_companies):
        own_contact, other_contact = two_companies
        own, other = MAKERS[model](own_contact), MAKERS[model](other_contact)

        rows = set(scoped(model, partner=own_contact.partner))

        assert own in rows
        assert other not in rows

    def test_scoped_narrows_a_given_queryset(self, model, two_companies):
        own_contact, other_contact = two_companies
        own, other = MAKERS[model](own_contact), MAKERS[model](other_contact)

        rows = scoped(model.objects.filter(pk__in=[own.pk, other.pk]), partner=own_contact.partner)

        assert list(rows) == [own]

    def test_scoped_get_or_404_finds_an_own_row(self, model, two_companies):
        own_contact, _ = two_companies
        own = MAKERS[model](own_contact)

        assert scoped_get_or_404(model, partner=own_contact.partner, pk=own.pk) == own

    def test_scoped_get_or_404_raises_404_for_another_partners_row(self, model, two_companies):
        own_contact, other_contact = two_companies
        other = MAKERS[model](other_contact)

        with pytest.raises(Http404):
            scoped_get_or_404(model, partner=own_contact.partner, pk=other.pk)

    def test_scoped_ids_drops_another_partners_ids(self, model, two_companies):
        own_contact, other_contact = two_companies
        own, other = MAKERS[model](own_contact), MAKERS[model](other_contact)

        assert scoped_ids(model, partner=own_contact.partner, ids=[own.pk, other.pk]) == [own.pk]


def test_scoped_get_or_404_raises_404_for_a_missing_or_malformed_id(two_companies):
    own_contact, _ = two_companies

    for bad in (0, "not-a-number", None):
        with pytest.raises(Http404):
            scoped_get_or_404(Contact, partner=own_contact.partner, pk=bad)


def test_scoped_ids_of_nothing_is_empty(two_companies):
    own_contact, _ = two_companies

    assert scoped_ids(Contact, partner=own_contact.partner, ids=[]) == []


@pytest.mark.parametrize("model", [Tier, Certification, Segment, LearningStep])
def test_a_model_without_partner_scope_is_refused_loudly(model, two_companies):
    own_contact, _ = two_companies

    with pytest.raises(ImproperlyConfigured, match="partner_scope"):
        scoped(model, partner=own_contact.partner)
    with pytest.raises(ImproperlyConfigured):
        partner_scope_of(model)
    with pytest.raises(ImproperlyConfigured):
        scoped_ids(model.objects.all(), partner=own_contact.partner, ids=[1])


def test_user_contact_of_a_partner_user_is_their_contact():
    contact = ContactFactory(user=UserFactory(username="portal"))

    found = user_contact(contact.user)

    assert found == contact
    assert found.partner == contact.partner


def test_user_contact_of_staff_is_none_even_with_a_contact():
    contact = ContactFactory(user=UserFactory(username="staff-with-contact", is_staff=True))

    assert user_contact(contact.user) is None


def test_user_contact_of_an_anonymous_visitor_is_none():
    assert user_contact(AnonymousUser()) is None
    assert user_contact(None) is None


def test_user_contact_of_an_inactive_login_is_none():
    contact = ContactFactory(user=UserFactory(username="gone", is_active=False))

    assert user_contact(contact.user) is None


def test_user_contact_of_a_login_without_contact_is_none():
    assert user_contact(UserFactory(username="lonely")) is None
