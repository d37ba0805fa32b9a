import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communications.models import Channel, MessageStatus, ScheduleKind, SuppressionReason
from communications.selectors import (
    campaign_audience,
    campaign_audience_count,
    campaign_stats,
    campaign_stats_by_segment,
    occurrence_audience,
)
from partners.models import ContactRole
from tests.communications.factories import CampaignFactory, MessageFactory, OccurrenceFactory
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def member_of(*segments, **partner_fields):
    partner = PartnerFactory(**partner_fields)
    for segment in segments:
        MembershipFactory(segment=segment, partner=partner)
    return partner


class TestCampaignAudience:
    def test_contacts_of_partners_in_any_included_segment_minus_excluded_ones(self):
        # given
        emea, apac, churned = SegmentFactory(), SegmentFactory(), SegmentFactory()
        in_emea = ContactFactory(partner=member_of(emea))
        in_apac = ContactFactory(partner=member_of(apac))
        in_both = ContactFactory(partner=member_of(emea, apac))
        ContactFactory(partner=member_of(emea, churned))
        ContactFactory(partner=member_of())
        campaign = CampaignFactory(include_segments=[emea, apac], exclude_segments=[churned])

        # when
        audience = campaign_audience(campaign=campaign)

        # then: each contact once, although one partner is in two included segments
        assert sorted(contact.pk for contact in audience) == sorted(
            [in_emea.pk, in_apac.pk, in_both.pk]
        )
        assert campaign_audience_count(campaign=campaign) == 3

    def test_roles_narrow_the_audience_and_empty_roles_mean_everyone(self):
        segment = SegmentFactory()
        partner = member_of(segment)
        sales = ContactFactory(partner=partner, role=ContactRole.SALES)
        technical = ContactFactory(partner=partner, role=ContactRole.TECHNICAL)
        ContactFactory(partner=partner, role=ContactRole.MARKETING)
        everyone = CampaignFactory(include_segments=[segment])
        some = CampaignFactory(include_segments=[segment], roles=["sales", "technical"])

        assert campaign_audience_count(campaign=everyone) == 3
        assert {contact.pk for contact in campaign_audience(campaign=some)} == {
            sales.pk,
            technical.pk,
        }

    def test_interests_match_a_contact_with_any_of_them(self):
        segment = SegmentFactory()
        partner = member_of(segment)
        cloud = ContactFactory(partner=partner, interests=["cloud", "security"])
        ai = ContactFactory(partner=partner, interests=["ai"])
        ContactFactory(partner=partner, interests=["networking"])
        ContactFactory(partner=partner, interests=[])
        campaign = CampaignFactory(include_segments=[segment], interests=["security", "ai"])

        assert {contact.pk for contact in campaign_audience(campaign=campaign)} == {
            cloud.pk,
            ai.pk,
        }

    def test_no_included_segment_means_nobody(self):
        ContactFactory(partner=member_of(SegmentFactory()))

        assert campaign_audience_count(campaign=CampaignFactory()) == 0

    def test_the_audience_is_one_sql_query_whatever_the_filters(self):
        # given
        emea, churned = SegmentFactory(), SegmentFactory()
        for _ in range(5):
            ContactFactory(partner=member_of(emea), interests=["ai"])
        campaign = CampaignFactory(
            include_segments=[emea], exclude_segments=[churned], roles=["sales"], interests=["ai"]
        )

        # when
        with CaptureQueriesContext(connection) as queries:
            contacts = list(campaign_audience(campaign=campaign))

        # then
        assert len(contacts) == 5
        assert len(queries.captured_queries) == 1
        assert "EXISTS" in queries.captured_queries[0]["sql"].upper()


class TestOccurrenceAudience:
    def test_a_join_occurrence_targets_the_joined_partners_contacts_of_the_roles(self):
        # given
        trigger = SegmentFactory()
        partner = member_of(trigger)
        technical = ContactFactory(partner=partner, role=ContactRole.TECHNICAL)
        ContactFactory(partner=partner, role=ContactRole.SALES)
        ContactFactory(partner=member_of(trigger), role=ContactRole.TECHNICAL)
        campaign = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED, trigger_segment=trigger, roles=["technical"]
        )
        occurrence = OccurrenceFactory(campaign=campaign, partner=partner)

        # when
        audience = occurrence_audience(occurrence=occurrence)

        # then
        assert [contact.pk for contact in audience] == [technical.pk]

    def test_a_partner_that_left_the_trigger_segment_or_is_excluded_gets_nothing(self):
        trigger, excluded = SegmentFactory(), SegmentFactory()
        left = PartnerFactory()
        ContactFactory(partner=left)
        excluded_partner = member_of(trigger, excluded)
        ContactFactory(partner=excluded_partner)
        campaign = CampaignFactory(
            schedule_kind=ScheduleKind.TRIGGERED,
            trigger_segment=trigger,
            exclude_segments=[excluded],
        )

        for partner in (left, excluded_partner):
            occurrence = OccurrenceFactory(campaign=campaign, partner=partner)
            assert not occurrence_audience(occurrence=occurrence).exists()

    def test_a_scheduled_occurrence_targets_the_campaign_audience(self):
        segment = SegmentFactory()
        contact = ContactFactory(partner=member_of(segment))
        ContactFactory()
        occurrence = OccurrenceFactory(campaign=CampaignFactory(include_segments=[segment]))

        assert [c.pk for c in occurrence_audience(occurrence=occurrence)] == [contact.pk]


def create_messages(campaign, states):
    occurrence = OccurrenceFactory(campaign=campaign)
    return [MessageFactory(occurrence=occurrence, campaign=campaign, **state) for state in states]


class TestCampaignStats:
    def test_counts_every_state_and_reason_and_rates_over_emails_sent(
        self, django_assert_num_queries
    ):
        # given
        campaign = CampaignFactory()
        opened = {"opened_at": "2025-01-01T10:00Z"}
        create_messages(
            campaign,
            [
                {"status": MessageStatus.SENT},
                {"status": MessageStatus.SENT, **opened},
                {"status": MessageStatus.SENT, **opened, "clicked_at": "2025-01-01T10:01Z"},
                {"status": MessageStatus.SENT, **opened, "unsubscribed_at": "2025-01-02T09:00Z"},
                {"status": MessageStatus.SENT, "channel": Channel.PORTAL},
                {"status": MessageStatus.FAILED, "last_error": "550 no such user"},
                {"status": MessageStatus.QUEUED},
                {"status": MessageStatus.SENDING},
                *[
                    {"status": MessageStatus.SUPPRESSED, "suppression_reason": reason}
                    for reason in (
                        SuppressionReason.OPTED_OUT,
                        SuppressionReason.OPTED_OUT,
                        SuppressionReason.TOPIC_OPT_OUT,
                        SuppressionReason.FREQUENCY_CAP,
                        SuppressionReason.NO_EMAIL,
                    )
                ],
            ],
        )
        create_messages(CampaignFactory(), [{"status": MessageStatus.SENT}])

        # when
        with django_assert_num_queries(1):
            stats = campaign_stats(campaign=campaign)

        # then
        assert stats == {
            "targeted": 13,
            "queued": 2,
            "sent": 5,
            "emailed": 4,
            "failed": 1,
            "suppressed": 5,
            "suppressed_by_reason": {
                "opted_out": 2,
                "topic_opt_out": 1,
                "frequency_cap": 1,
                "no_email": 1,
            },
            "opened": 3,
            "clicked": 1,
            "read": 0,
            "unsubscribed": 1,
            "open_rate": 0.75,
            "click_rate": 0.25,
        }

    def test_rates_are_none_before_anything_was_sent(self):
        stats = campaign_stats(campaign=CampaignFactory())

        assert (stats["targeted"], stats["open_rate"], stats["click_rate"]) == (0, None, None)

    def test_by_segment_counts_the_messages_of_each_included_segments_members(self):
        # given
        emea, partners_program = SegmentFactory(slug="emea"), SegmentFactory(slug="program")
        campaign = CampaignFactory(include_segments=[emea, partners_program])
        only_emea = ContactFactory(partner=member_of(emea))
        both = ContactFactory(partner=member_of(emea, partners_program))
        neither = ContactFactory()
        occurrence = OccurrenceFactory(campaign=campaign)
        MessageFactory(occurrence=occurrence, contact=only_emea)
        MessageFactory(occurrence=occurrence, contact=both, opened_at="2025-01-01T10:00Z")
        MessageFactory(occurrence=occurrence, contact=neither)
        MessageFactory(
            occurrence=occurrence,
            contact=ContactFactory(partner=both.partner),
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.FREQUENCY_CAP,
        )

        # when
        rows = {row["segment"]: row for row in campaign_stats_by_segment(campaign=campaign)}

        # then
        assert set(rows) == {"emea", "program"}
        assert (rows["emea"]["targeted"], rows["emea"]["sent"], rows["emea"]["opened"]) == (3, 2, 1)
        assert rows["emea"]["suppressed_by_reason"]["frequency_cap"] == 1
        assert (rows["program"]["targeted"], rows["program"]["sent"]) == (2, 1)
        assert rows["program"]["open_rate"] == 1.0

    def test_by_segment_lists_a_segment_without_messages_with_zeros(self):
        campaign = CampaignFactory(include_segments=[SegmentFactory(slug="quiet")])

        [row] = campaign_stats_by_segment(campaign=campaign)

        assert (row["segment"], row["targeted"], row["open_rate"]) == ("quiet", 0, None)
