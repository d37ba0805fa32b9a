import datetime as dt

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from enablement import selectors
from enablement.models import ContentItem
from tests.enablement.factories import ContentItemFactory, LearningPathFactory
from tests.partners.factories import (
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def visible(contact) -> set[int]:
    return set(selectors.content_for_contact(contact=contact).values_list("id", flat=True))


@pytest.fixture
def contact():
    """A sales contact of a silver partner."""
    return ContactFactory(role="sales", partner=PartnerFactory(tier=tier("silver")))


class TestContentForContact:
    def test_content_without_audience_is_visible_to_everyone(self, contact):
        # given
        item = ContentItemFactory()
        # when / then
        assert visible(contact) == {item.id}

    def test_segment_audience_admits_members_of_any_of_its_segments_only(self, contact):
        # given
        inside, outside = SegmentFactory(), SegmentFactory()
        MembershipFactory(segment=inside, partner=contact.partner)
        for_members = ContentItemFactory(segments=[outside, inside])
        ContentItemFactory(segments=[outside])
        # when / then
        assert visible(contact) == {for_members.id}

    def test_membership_of_another_partner_does_not_count(self, contact):
        # given
        segment = SegmentFactory()
        MembershipFactory(segment=segment)
        ContentItemFactory(segments=[segment])
        # when / then
        assert visible(contact) == set()

    def test_tier_audience_admits_the_tier_and_better_but_not_lower_or_no_tier(self, contact):
        # given
        for_silver = ContentItemFactory(min_tier=tier("silver"))
        for_registered = ContentItemFactory(min_tier=tier("registered"))
        ContentItemFactory(min_tier=tier("gold"))
        no_tier = ContactFactory(partner=PartnerFactory(tier=None))
        # when / then
        assert visible(contact) == {for_silver.id, for_registered.id}
        assert visible(no_tier) == set()

    def test_role_audience_admits_only_the_listed_roles(self, contact):
        # given
        for_sales = ContentItemFactory(roles=["marketing", "sales"])
        ContentItemFactory(roles=["technical"])
        everyone = ContentItemFactory(roles=[])
        # when / then
        assert visible(contact) == {for_sales.id, everyone.id}

    def test_drafts_future_and_expired_content_are_hidden(self, contact):
        # given
        now = timezone.now()
        ContentItemFactory(published_at=None)
        ContentItemFactory(published_at=now + dt.timedelta(hours=1))
        ContentItemFactory(published_at=now - dt.timedelta(days=2), expires_at=now)
        running = ContentItemFactory(expires_at=now + dt.timedelta(hours=1))
        # when / then
        assert visible(contact) == {running.id}

    def test_all_parts_of_the_audience_must_hold(self, contact):
        # given
        segment = SegmentFactory()
        MembershipFactory(segment=segment, partner=contact.partner)
        ContentItemFactory(segments=[segment], min_tier=tier("silver"), roles=["technical"])
        both = ContentItemFactory(segments=[segment], min_tier=tier("silver"), roles=["sales"])
        # when / then
        assert visible(contact) == {both.id}

    def test_a_segment_that_gates_content_cannot_be_deleted(self, contact):
        # given: deleting it would open the content to everyone
        segment = SegmentFactory()
        item = ContentItemFactory(segments=[segment])
        # when / then
        with pytest.raises(ProtectedError):
            segment.delete()
        assert list(item.segments.all()) == [segment]

    def test_is_one_sql_query(self, contact, django_assert_num_queries):
        # given
        segment = SegmentFactory()
        MembershipFactory(segment=segment, partner=contact.partner)
        ContentItemFactory.create_batch(3, segments=[segment], min_tier=tier("silver"))
        # when / then
        with django_assert_num_queries(1):
            assert len(list(selectors.content_for_contact(contact=contact))) == 3


class TestLearningPathsForContact:
    def test_only_active_paths_in_the_audience(self, contact):
        # given
        mine = LearningPathFactory(roles=["sales"])
        LearningPathFactory(roles=["technical"])
        LearningPathFactory(is_active=False)
        # when
        paths = selectors.learning_paths_for_contact(contact=contact)
        # then
        assert [path.id for path in paths] == [mine.id]


class TestContactsInAudience:
    def test_is_the_reverse_of_visible_to(self):
        # given
        segment = SegmentFactory()
        gold = PartnerFactory(tier=tier("gold"))
        MembershipFactory(segment=segment, partner=gold)
        admitted = ContactFactory(partner=gold, role="technical")
        ContactFactory(partner=gold, role="sales")
        ContactFactory(partner=PartnerFactory(tier=tier("platinum")), role="technical")
        item = ContentItemFactory(segments=[segment], min_tier=tier("silver"), roles=["technical"])
        # when
        contacts = selectors.contacts_in_audience(audience=item)
        # then
        assert [contact.id for contact in contacts] == [admitted.id]
        assert ContentItem.objects.visible_to(contact=admitted).filter(pk=item.pk).exists()


class TestCertificationsExpiring:
    def test_lists_active_certifications_expiring_within_the_window(self):
        # given
        today = timezone.localdate()
        soon = PartnerCertificationFactory(expires_at=today + dt.timedelta(days=30))
        PartnerCertificationFactory(expires_at=today + dt.timedelta(days=31))
        PartnerCertificationFactory(expires_at=today)  # expired today
        PartnerCertificationFactory(expires_at=None)
        # when
        expiring = selectors.certifications_expiring(within_days=30)
        # then
        assert [award.id for award in expiring] == [soon.id]
