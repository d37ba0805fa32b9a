import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignStatus,
    ContactPreference,
    MessageStatus,
    ScheduleKind,
    SuppressionReason,
)
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
)
from tests.partners.factories import ContactFactory
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS_URL = "/api/campaigns/"
PREFERENCES_URL = "/api/contact-preferences/"


def campaign_url(campaign, action: str = "") -> str:
    return f"{CAMPAIGNS_URL}{campaign.pk}/{action + '/' if action else ''}"


@pytest.fixture
def segment():
    """ "emea", with one member partner that has one contact (Ada)."""
    segment = SegmentFactory(slug="emea")
    MembershipFactory(segment=segment, partner=ContactFactory(first_name="Ada").partner)
    return segment


def body(**overrides) -> dict:
    data = {
        "name": "Spring news",
        "subject_template": "News for {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }}, see https://example.com/spring",
        "include_segments": ["emea"],
    }
    data.update(overrides)
    return data


class TestAuth:
    @pytest.mark.parametrize(
        "url", [CAMPAIGNS_URL, PREFERENCES_URL, "/api/inbox/", "/api/surveys/"]
    )
    def test_anonymous_requests_are_refused_with_401(self, api_client, url):
        assert api_client.get(url).status_code == 401

    def test_partner_users_may_not_use_campaigns_or_surveys(self, partner_client):
        campaign = CampaignFactory()

        assert partner_client.get(CAMPAIGNS_URL).status_code == 403
        assert partner_client.post(CAMPAIGNS_URL, body(), format="json").status_code == 403
        assert partner_client.post(campaign_url(campaign, "schedule")).status_code == 403
        assert partner_client.get(campaign_url(campaign, "stats")).status_code == 403
        assert partner_client.get("/api/surveys/").status_code == 403

    def test_the_schema_builds(self, manager_client):
        assert manager_client.get("/api/schema/").status_code == 200


class TestCampaignCrud:
    def test_a_manager_creates_a_campaign_with_segment_slugs_and_a_survey(
        self, manager_client, segment
    ):
        response = manager_client.post(
            CAMPAIGNS_URL,
            body(roles=["sales"], survey={"question": "How likely…?"}),
            format="json",
        )

        assert response.status_code == 201, response.content
        data = response.json()
        assert (data["status"], data["include_segments"]) == ("draft", ["emea"])
        assert data["survey"]["question"] == "How likely…?"
        assert data["created_by"] == "manager"

    def test_an_unknown_segment_is_a_400_and_nothing_is_saved(self, manager_client, segment):
        response = manager_client.post(
            CAMPAIGNS_URL, body(include_segments=["emea", "nowhere"]), format="json"
        )

        assert response.status_code == 400
        assert "nowhere" in str(response.json()["include_segments"])
        assert not Campaign.objects.exists()

    def test_a_template_syntax_error_is_a_400_with_its_line_and_nothing_is_saved(
        self, manager_client, segment
    ):
        response = manager_client.post(
            CAMPAIGNS_URL,
            body(body_template="Hello\n{{ contact.first_name }\nBye"),
            format="json",
        )

        assert response.status_code == 400
        [error] = response.json()["body_template"]
        assert error["line"] == 2
        assert isinstance(error["message"], str)
        assert not Campaign.objects.exists()

    def test_a_schedule_in_the_past_is_a_400(self, manager_client, segment):
        past = (timezone.now() - dt.timedelta(hours=1)).isoformat()

        response = manager_client.post(
            CAMPAIGNS_URL, body(schedule_kind="at", scheduled_at=past), format="json"
        )

        assert response.status_code == 400
        assert response.json() == {"scheduled_at": ["the schedule is in the past"]}
        assert not Campaign.objects.exists()

    def test_creating_and_scheduling_an_empty_audience_is_a_400_and_saves_nothing(
        self, manager_client, segment
    ):
        response = manager_client.post(
            CAMPAIGNS_URL, body(roles=["executive"], schedule=True), format="json"
        )

        assert response.status_code == 400
        assert "the audience is empty" in response.json()["audience"][0]
        assert not Campaign.objects.exists()

    def test_create_and_schedule_in_one_call(self, manager_client, segment):
        response = manager_client.post(CAMPAIGNS_URL, body(schedule=True), format="json")

        assert response.status_code == 201, response.content
        assert response.json()["status"] == "scheduled"
        assert response.json()["next_occurrence_at"] is not None

    def test_update_and_list_with_filters(self, manager_client, segment):
        campaign = CampaignFactory(include_segments=[segment])
        CampaignFactory(status=CampaignStatus.CANCELLED)

        patched = manager_client.patch(campaign_url(campaign), {"name": "Renamed"}, format="json")
        listed = manager_client.get(CAMPAIGNS_URL, {"status": "draft", "segment": "emea"})

        assert patched.status_code == 200, patched.content
        assert patched.json()["name"] == "Renamed"
        assert [row["id"] for row in listed.json()["results"]] == [campaign.pk]

    def test_a_campaign_with_messages_cannot_be_deleted(self, manager_client):
        message = MessageFactory()

        response = manager_client.delete(campaign_url(message.campaign))

        assert response.status_code == 400
        assert Campaign.objects.filter(pk=message.campaign_id).exists()


class TestCampaignActions:
    def test_schedule_pause_resume_cancel(self, manager_client, segment):
        campaign = CampaignFactory(
            include_segments=[segment],
            schedule_kind=ScheduleKind.AT,
            scheduled_at=timezone.now() + dt.timedelta(days=1),
        )

        statuses = [
            manager_client.post(campaign_url(campaign, action)).json()["status"]
            for action in ("schedule", "pause", "resume", "cancel")
        ]

        assert statuses == ["scheduled", "paused", "scheduled", "cancelled"]

    def test_scheduling_an_empty_audience_is_a_400_and_the_campaign_stays_a_draft(
        self, manager_client
    ):
        campaign = CampaignFactory(include_segments=[SegmentFactory()])

        response = manager_client.post(campaign_url(campaign, "schedule"))

        assert response.status_code == 400
        assert response.json()["audience"] == [
            "the audience is empty: no contact matches the segments and filters"
        ]
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT

    def test_an_invalid_transition_is_a_400(self, manager_client, segment):
        campaign = CampaignFactory(include_segments=[segment])

        response = manager_client.post(campaign_url(campaign, "resume"))

        assert response.status_code == 400
        assert "paused" in response.json()["status"][0]

    def test_test_send_lands_in_the_outbox_and_records_nothing(self, manager_client, segment):
        campaign = CampaignFactory(
            include_segments=[segment], subject_template="Hi {{ contact.first_name }}"
        )

        response = manager_client.post(
            campaign_url(campaign, "test-send"), {"to_email": "qa@example.com"}, format="json"
        )

        assert response.status_code == 200, response.content
        assert [email.subject for email in mail.outbox] == ["[TEST] Hi Ada"]
        assert campaign.messages.count() == 0

    def test_test_send_to_a_bad_address_is_a_400_and_sends_nothing(self, manager_client, segment):
        campaign = CampaignFactory(include_segments=[segment])

        response = manager_client.post(
            campaign_url(campaign, "test-send"), {"to_email": "nope"}, format="json"
        )

        assert response.status_code == 400
        assert mail.outbox == []

    def test_audience_counts_and_samples_before_scheduling(self, manager_client, segment):
        partner = segment.memberships.get().partner
        ContactFactory(partner=partner, role="technical")
        campaign = CampaignFactory(include_segments=[segment])

        response = manager_client.get(campaign_url(campaign, "audience"), {"sample_size": 1})

        assert response.status_code == 200
        assert response.json()["count"] == 2
        [sample] = response.json()["sample"]
        assert sample["partner"] == partner.pk

    def test_preview_renders_for_the_contact_asked(self, manager_client, segment):
        campaign = CampaignFactory(
            include_segments=[segment],
            body_template="Dear {{ contact.first_name }}: https://example.com/x",
        )
        contact = ContactFactory(first_name="Grace")

        response = manager_client.get(campaign_url(campaign, "preview"), {"contact": contact.pk})

        assert response.status_code == 200
        assert response.json()["body"] == "Dear Grace: https://example.com/x"
        assert response.json()["links"] == ["https://example.com/x"]
        assert (
            manager_client.get(campaign_url(campaign, "preview"), {"contact": 0}).status_code == 404
        )

    def test_stats_with_segments_and_messages_filtered_by_reason(self, manager_client, segment):
        # given
        campaign = CampaignFactory(include_segments=[segment])
        occurrence = OccurrenceFactory(campaign=campaign)
        member = segment.memberships.get().partner.contacts.get()
        MessageFactory(occurrence=occurrence, contact=member, opened_at=timezone.now())
        capped = MessageFactory(
            occurrence=occurrence,
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.FREQUENCY_CAP,
        )
        MessageFactory(
            occurrence=occurrence,
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.OPTED_OUT,
        )

        # when
        stats = manager_client.get(campaign_url(campaign, "stats")).json()
        messages = manager_client.get(
            campaign_url(campaign, "messages"), {"status": "suppressed", "reason": "frequency_cap"}
        ).json()

        # then
        assert (stats["targeted"], stats["sent"], stats["opened"]) == (3, 1, 1)
        assert stats["suppressed_by_reason"]["frequency_cap"] == 1
        assert stats["open_rate"] == 1.0
        assert [(row["segment"], row["targeted"]) for row in stats["by_segment"]] == [("emea", 1)]
        assert messages["count"] == 1
        assert messages["results"][0]["id"] == capped.pk

    def test_a_bad_message_filter_is_a_400(self, manager_client):
        campaign = CampaignFactory()

        response = manager_client.get(campaign_url(campaign, "messages"), {"status": "lost"})

        assert response.status_code == 400


class TestContactPreferences:
    def test_a_contact_without_preferences_shows_the_defaults(self, manager_client):
        contact = ContactFactory()

        response = manager_client.get(f"{PREFERENCES_URL}{contact.pk}/")

        assert response.status_code == 200
        assert response.json() == {
            "contact": contact.pk,
            "contact_email": contact.email,
            "contact_name": contact.full_name,
            "partner": contact.partner_id,
            "unsubscribed_all": False,
            "topics_opted_out": [],
            "max_per_week": None,
            "updated_at": None,
        }
        assert not ContactPreference.objects.exists()

    def test_a_manager_sets_resets_and_filters_preferences(self, manager_client):
        contact = ContactFactory()
        ContactFactory()

        created = manager_client.post(
            PREFERENCES_URL,
            {"contact": contact.pk, "topics_opted_out": ["events"], "max_per_week": 2},
            format="json",
        )
        listed = manager_client.get(PREFERENCES_URL, {"topic_opted_out": "events"})
        reset = manager_client.delete(f"{PREFERENCES_URL}{contact.pk}/")

        assert created.status_code == 201, created.content
        assert created.json()["max_per_week"] == 2
        assert [row["contact"] for row in listed.json()["results"]] == [contact.pk]
        assert reset.status_code == 204
        assert not ContactPreference.objects.exists()

    def test_a_bad_topic_is_a_400(self, manager_client):
        contact = ContactFactory()

        response = manager_client.patch(
            f"{PREFERENCES_URL}{contact.pk}/", {"topics_opted_out": ["gossip"]}, format="json"
        )

        assert response.status_code == 400
        assert not ContactPreference.objects.exists()

    def test_a_partner_user_reads_and_updates_their_companys_contacts_only(
        self, partner_client, partner_user
    ):
        # given
        colleague = ContactFactory(partner=partner_user.contact.partner)
        stranger = ContactFactory()
        ContactPreferenceFactory(contact=stranger, unsubscribed_all=True)

        # when
        listed = partner_client.get(PREFERENCES_URL)
        patched = partner_client.patch(
            f"{PREFERENCES_URL}{colleague.pk}/", {"unsubscribed_all": True}, format="json"
        )
        other_read = partner_client.get(f"{PREFERENCES_URL}{stranger.pk}/")
        other_write = partner_client.patch(
            f"{PREFERENCES_URL}{stranger.pk}/", {"unsubscribed_all": False}, format="json"
        )

        # then
        assert {row["contact"] for row in listed.json()["results"]} == {
            partner_user.contact.pk,
            colleague.pk,
        }
        assert patched.status_code == 200
        assert patched.json()["unsubscribed_all"] is True
        assert (other_read.status_code, other_write.status_code) == (404, 404)
        stranger.preference.refresh_from_db()
        assert stranger.preference.unsubscribed_all is True

    def test_a_partner_user_may_not_create_or_reset(self, partner_client, partner_user):
        own = partner_user.contact

        created = partner_client.post(
            PREFERENCES_URL, {"contact": own.pk, "unsubscribed_all": True}, format="json"
        )
        reset = partner_client.delete(f"{PREFERENCES_URL}{own.pk}/")

        assert (created.status_code, reset.status_code) == (403, 403)
