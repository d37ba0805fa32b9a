"""The channel manager's campaign pages: list, editor, campaign page and its fragments,
life-cycle buttons, test send and the partner page's messages panel."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communications.models import (
    Campaign,
    CampaignStatus,
    MessageStatus,
    Recurrence,
    ScheduleKind,
    SuppressionReason,
)
from partners.panels import partner_panels
from tests.communications.factories import (
    CampaignFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("communications:campaign-list")
CREATE_URL = reverse("communications:campaign-create")


def url(name: str, campaign) -> str:
    return reverse(f"communications:{name}", args=[campaign.pk])


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def segment():
    """ "emea", with two member partners that have one contact each (Ada and Grace)."""
    segment = SegmentFactory(slug="emea", name="EMEA partners")
    for first_name in ("Ada", "Grace"):
        contact = ContactFactory(first_name=first_name)
        MembershipFactory(segment=segment, partner=contact.partner)
    return segment


def form_data(segment, **overrides) -> dict:
    data = {
        "name": "Spring news",
        "topic": "news",
        "channel": "email",
        "subject_template": "News for {{ partner.name }}",
        "body_template": "Hello {{ contact.first_name }},\nsee https://example.com/spring",
        "include_segments": [segment.pk],
        "schedule_kind": "now",
        "recurrence_timezone": "UTC",
        "trigger_delay_minutes": "0",
    }
    data.update(overrides)
    return data


def campaign_with_messages(name: str, count: int, **kwargs) -> Campaign:
    occurrence = OccurrenceFactory(campaign=CampaignFactory(name=name, **kwargs))
    for _ in range(count):
        MessageFactory(occurrence=occurrence)
    return occurrence.campaign


# ---------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------

PAGES = [
    ("get", lambda c: LIST_URL),
    ("get", lambda c: CREATE_URL),
    ("get", lambda c: url("campaign-detail", c)),
    ("get", lambda c: url("campaign-edit", c)),
    ("get", lambda c: url("campaign-audience", c)),
    ("get", lambda c: url("campaign-preview", c)),
    ("post", lambda c: url("campaign-schedule", c)),
    ("post", lambda c: url("campaign-test-send", c)),
    ("post", lambda c: url("campaign-delete", c)),
    ("post", lambda c: reverse("communications:campaign-template-check")),
    ("get", lambda c: reverse("communications:partner-panel", args=[PartnerFactory().pk])),
]


class TestAccess:
    @pytest.mark.parametrize(("method", "make_url"), PAGES)
    def test_anonymous_is_sent_to_the_login_page(self, client, method, make_url):
        target = make_url(CampaignFactory())
        response = getattr(client, method)(target)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")

    @pytest.mark.parametrize(("method", "make_url"), PAGES)
    def test_partner_user_is_refused_with_403(self, client, partner_user, method, make_url):
        campaign = CampaignFactory()
        client.force_login(partner_user)
        response = getattr(client, method)(make_url(campaign))
        assert response.status_code == 403
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT

    def test_unknown_campaign_is_404(self, staff):
        assert (
            staff.get(reverse("communications:campaign-detail", args=[999999])).status_code == 404
        )


# ---------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------


class TestList:
    def test_shows_campaigns_with_schedule_and_figures(self, staff):
        campaign = campaign_with_messages("Spring news", 3)
        campaign.messages.filter(pk=campaign.messages.first().pk).update(
            opened_at=timezone.now(), clicked_at=timezone.now()
        )
        CampaignFactory(
            name="Weekly digest",
            schedule_kind=ScheduleKind.RECURRING,
            recurrence=Recurrence.WEEKLY,
            recurrence_weekday=0,
            recurrence_time=dt.time(9, 0),
            recurrence_timezone="Europe/Berlin",
        )
        response = staff.get(LIST_URL)
        assert response.status_code == 200
        assert response.context["nav"] == "campaigns"
        rows = {c.name: stats for c, stats in response.context["rows"]}
        assert rows["Spring news"]["targeted"] == 3
        assert rows["Spring news"]["sent"] == 3
        assert rows["Spring news"]["opened"] == 1
        assert rows["Spring news"]["clicked"] == 1
        assert rows["Weekly digest"]["targeted"] == 0
        assert "Weekly on Monday at 09:00 (Europe/Berlin)" in response.content.decode()

    def test_filters_by_status_channel_and_topic(self, staff):
        CampaignFactory(name="Draft news", status=CampaignStatus.DRAFT, topic="news")
        CampaignFactory(name="Scheduled event", status=CampaignStatus.SCHEDULED, topic="events")
        CampaignFactory(name="Portal event", topic="events", channel="portal")
        names = lambda response: {c.name for c, _ in response.context["rows"]}  # noqa: E731
        assert names(staff.get(LIST_URL, {"status": "scheduled"})) == {"Scheduled event"}
        assert names(staff.get(LIST_URL, {"topic": "events"})) == {
            "Scheduled event",
            "Portal event",
        }
        assert names(staff.get(LIST_URL, {"channel": "portal"})) == {"Portal event"}

    def test_search_matches_name(self, staff):
        CampaignFactory(name="Spring news")
        CampaignFactory(name="Webinar invitation")
        response = staff.get(LIST_URL, {"q": "webinar"})
        assert [c.name for c, _ in response.context["rows"]] == ["Webinar invitation"]

    def test_unknown_filter_value_is_a_400_with_the_error(self, staff):
        CampaignFactory()
        response = staff.get(LIST_URL, {"status": "bogus"})
        assert response.status_code == 400
        assert response.context["rows"] == []
        assert "bogus" in response.content.decode()

    def test_empty_list_invites_to_create_a_campaign(self, staff):
        response = staff.get(LIST_URL)
        assert response.status_code == 200
        assert "Create the first campaign" in response.content.decode()

    def test_number_of_queries_does_not_grow_with_rows(self, staff):
        segment = SegmentFactory()

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert staff.get(LIST_URL).status_code == 200
            return len(captured)

        for n in range(3):
            campaign_with_messages(f"Small {n}", 2, include_segments=[segment])
        few = queries()
        for n in range(20):
            campaign = campaign_with_messages(f"More {n}", 2, include_segments=[segment])
            SurveyFactory(campaign=campaign)
        assert queries() == few


# ---------------------------------------------------------------------------------------
# Create and edit
# ---------------------------------------------------------------------------------------


class TestCreate:
    def test_form_shows_the_personalisation_variables_and_segments(self, staff, segment):
        segment.member_count = 2  # what an evaluation records
        segment.save(update_fields=["member_count"])
        response = staff.get(CREATE_URL)
        assert response.status_code == 200
        content = response.content.decode()
        assert "contact.first_name" in content
        assert "recommended_content" in content
        assert "EMEA partners · 2 partners" in content

    def test_valid_post_saves_a_draft_and_redirects_to_it(self, staff, segment, manager):
        excluded = SegmentFactory(slug="churned")
        response = staff.post(
            CREATE_URL,
            form_data(
                segment,
                exclude_segments=[excluded.pk],
                roles=["sales", "technical"],
                interests="Cloud, security",
                has_survey="on",
                survey_question="Would you recommend us?",
            ),
        )
        campaign = Campaign.objects.get()
        assert response.status_code == 302
        assert response["Location"] == url("campaign-detail", campaign)
        assert campaign.status == CampaignStatus.DRAFT
        assert campaign.created_by == manager
        assert list(campaign.include_segments.all()) == [segment]
        assert list(campaign.exclude_segments.all()) == [excluded]
        assert campaign.roles == ["sales", "technical"]
        assert campaign.interests == ["cloud", "security"]
        assert campaign.survey.question == "Would you recommend us?"

    def test_save_and_schedule_schedules_at_the_time_in_the_chosen_zone(self, staff, segment):
        moment = (timezone.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT09:30")
        staff.post(
            CREATE_URL,
            form_data(
                segment,
                schedule_kind="at",
                scheduled_at=moment,
                recurrence_timezone="Europe/Berlin",
                schedule="",
            ),
        )
        campaign = Campaign.objects.get()
        assert campaign.status == CampaignStatus.SCHEDULED
        berlin = campaign.scheduled_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
        assert berlin.strftime("%H:%M") in ("09:30", "08:30")  # CET or CEST
        assert campaign.next_occurrence_at == campaign.scheduled_at

    def test_template_syntax_error_is_shown_on_the_field_with_its_line(self, staff, segment):
        response = staff.post(
            CREATE_URL,
            form_data(segment, body_template="Hello,\n{{ contact.first_name }\nBye"),
        )
        assert response.status_code == 400
        errors = response.context["form"].errors["body_template"]
        assert errors[0].startswith("Line 2:")
        assert "Line 2:" in response.content.decode()
        assert not Campaign.objects.exists()

    def test_unknown_segment_is_a_form_error(self, staff, segment):
        response = staff.post(CREATE_URL, form_data(segment, include_segments=[999999]))
        assert response.status_code == 400
        assert "include_segments" in response.context["form"].errors
        assert not Campaign.objects.exists()

    def test_no_segment_is_a_form_error_from_the_service(self, staff, segment):
        response = staff.post(CREATE_URL, form_data(segment, include_segments=[]))
        assert response.status_code == 400
        assert response.context["form"].errors["include_segments"] == [
            "Choose at least one segment to send to"
        ]

    def test_a_time_in_the_past_is_a_form_error(self, staff, segment):
        past = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = staff.post(CREATE_URL, form_data(segment, schedule_kind="at", scheduled_at=past))
        assert response.status_code == 400
        assert response.context["form"].errors["scheduled_at"] == ["The schedule is in the past"]
        assert not Campaign.objects.exists()

    def test_weekly_without_weekday_is_a_form_error(self, staff, segment):
        response = staff.post(
            CREATE_URL,
            form_data(
                segment, schedule_kind="recurring", recurrence="weekly", recurrence_time="09:00"
            ),
        )
        assert response.status_code == 400
        assert "recurrence_weekday" in response.context["form"].errors

    def test_recurring_monthly_campaign_is_saved_with_its_schedule(self, staff, segment):
        response = staff.post(
            CREATE_URL,
            form_data(
                segment,
                schedule_kind="recurring",
                recurrence="monthly",
                recurrence_day="5",
                recurrence_weekday="2",  # ignored: not weekly
                recurrence_time="08:00",
                recurrence_timezone="America/New_York",
            ),
        )
        assert response.status_code == 302
        campaign = Campaign.objects.get()
        assert (campaign.recurrence, campaign.recurrence_day) == (Recurrence.MONTHLY, 5)
        assert campaign.recurrence_weekday is None
        assert campaign.recurrence_time == dt.time(8, 0)
        assert campaign.recurrence_timezone == "America/New_York"

    def test_triggered_campaign_needs_its_segment(self, staff, segment):
        response = staff.post(
            CREATE_URL, form_data(segment, schedule_kind="triggered", include_segments=[])
        )
        assert response.status_code == 400
        assert "trigger_segment" in response.context["form"].errors

    @pytest.mark.parametrize(
        "garbage",
        [
            {"include_segments": ["abc"]},
            {"schedule_kind": "sometimes"},
            {"schedule_kind": "at", "scheduled_at": "tomorrow-ish"},
            {"schedule_kind": "triggered", "trigger_segment": "999999"},
            {"schedule_kind": "triggered", "trigger_delay_minutes": "-5"},
            {"schedule_kind": "triggered", "trigger_delay_minutes": "99999999999"},
            {"schedule_kind": "recurring", "recurrence": "hourly"},
            {"schedule_kind": "recurring", "recurrence_weekday": "9"},
            {"schedule_kind": "recurring", "recurrence_day": "31"},
            {"recurrence_timezone": "Mars/Olympus_Mons"},
            {"topic": "gossip"},
            {"roles": ["janitor"]},
            {"name": "x" * 201},
            {"has_survey": "on", "survey_question": ""},
        ],
    )
    def test_garbage_input_is_a_form_error_never_a_500(self, staff, segment, garbage):
        response = staff.post(CREATE_URL, form_data(segment, **garbage))
        assert response.status_code == 400
        assert response.context["form"].errors
        assert not Campaign.objects.exists()

    def test_bad_interest_slug_is_a_form_error(self, staff, segment):
        response = staff.post(CREATE_URL, form_data(segment, interests="cloud, not a slug!"))
        assert response.status_code == 400
        assert "interests" in response.context["form"].errors

    def test_save_and_schedule_with_an_empty_audience_saves_nothing(self, staff):
        empty = SegmentFactory(slug="nobody")
        response = staff.post(CREATE_URL, form_data(empty, schedule=""))
        assert response.status_code == 400
        assert "audience is empty" in response.content.decode()
        assert not Campaign.objects.exists()


class TestEdit:
    def test_form_is_filled_with_the_campaign(self, staff, segment):
        campaign = CampaignFactory(
            name="Digest",
            include_segments=[segment],
            schedule_kind=ScheduleKind.AT,
            scheduled_at=dt.datetime(2030, 1, 2, 8, 0, tzinfo=dt.UTC),
            recurrence_timezone="Europe/Berlin",
        )
        response = staff.get(url("campaign-edit", campaign))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.initial["name"] == "Digest"
        assert form.initial["scheduled_at"] == dt.datetime(2030, 1, 2, 9, 0)  # Berlin time
        assert 'value="2030-01-02T09:00"' in response.content.decode()

    def test_post_changes_the_campaign(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.post(url("campaign-edit", campaign), form_data(segment, name="Renamed"))
        assert response.status_code == 302
        campaign.refresh_from_db()
        assert campaign.name == "Renamed"

    def test_invalid_template_changes_nothing(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment], name="Before")
        response = staff.post(
            url("campaign-edit", campaign),
            form_data(segment, name="After", subject_template="{% if %}"),
        )
        assert response.status_code == 400
        assert response.context["form"].errors["subject_template"][0].startswith("Line 1:")
        campaign.refresh_from_db()
        assert campaign.name == "Before"

    def test_completed_campaign_cannot_be_edited(self, staff, segment):
        campaign = CampaignFactory(status=CampaignStatus.COMPLETED)
        response = staff.get(url("campaign-edit", campaign), follow=True)
        assert response.redirect_chain[-1][0] == url("campaign-detail", campaign)
        assert "can no longer be changed" in response.content.decode()


# ---------------------------------------------------------------------------------------
# The campaign page and its fragments
# ---------------------------------------------------------------------------------------


class TestDetail:
    def test_shows_stats_chart_occurrences_and_messages(self, staff, segment):
        campaign = campaign_with_messages("Spring news", 2, include_segments=[segment])
        occurrence = campaign.occurrences.get()
        MessageFactory(
            occurrence=occurrence,
            status=MessageStatus.SUPPRESSED,
            suppression_reason=SuppressionReason.OPTED_OUT,
        )
        MessageFactory(occurrence=occurrence, status=MessageStatus.FAILED, last_error="550")
        other = campaign_with_messages("Other", 1)
        response = staff.get(url("campaign-detail", campaign))
        assert response.status_code == 200
        stats = response.context["stats"]
        assert (stats["targeted"], stats["sent"], stats["failed"], stats["suppressed"]) == (
            4,
            2,
            1,
            1,
        )
        assert ("Opted out of all e-mail", 1) in response.context["suppressed_by_reason"]
        assert response.context["chart"]["data"]["datasets"][0]["data"][0] == 4
        assert [o.pk for o in response.context["occurrences"]] == [occurrence.pk]
        assert response.context["occurrences"][0].message_count == 4
        shown = {message.campaign_id for message in response.context["page_obj"]}
        assert shown == {campaign.pk} and other.pk not in shown
        assert 'data-chart="campaign-funnel"' in response.content.decode()

    def test_messages_filter_by_status(self, staff):
        campaign = campaign_with_messages("Spring news", 2)
        MessageFactory(occurrence=campaign.occurrences.get(), status=MessageStatus.FAILED)
        response = staff.get(url("campaign-detail", campaign), {"status": "failed"})
        assert [m.status for m in response.context["page_obj"]] == [MessageStatus.FAILED]

    def test_unknown_message_status_is_a_400(self, staff):
        campaign = campaign_with_messages("Spring news", 1)
        response = staff.get(url("campaign-detail", campaign), {"status": "bogus"})
        assert response.status_code == 400

    def test_messages_are_paginated_in_a_constant_number_of_queries(self, staff):
        campaign = campaign_with_messages("Spring news", 3)

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert staff.get(url("campaign-detail", campaign)).status_code == 200
            return len(captured)

        few = queries()
        occurrence = campaign.occurrences.get()
        for _ in range(30):
            MessageFactory(occurrence=occurrence)
        assert queries() == few

    def test_survey_summary_is_shown(self, staff):
        survey = SurveyFactory(campaign=CampaignFactory(), question="Recommend us?")
        SurveyResponseFactory(survey=survey, score=10)
        SurveyResponseFactory(survey=survey, score=3)
        response = staff.get(url("campaign-detail", survey.campaign))
        summary = response.context["survey_summary"]
        assert (summary["count"], summary["nps"]) == (2, 0.0)
        assert "Recommend us?" in response.content.decode()

    def test_buttons_follow_the_status(self, staff):
        draft = staff.get(url("campaign-detail", CampaignFactory()))
        assert draft.context["actions"] == ["schedule"]
        assert draft.context["can_delete"] is True
        paused = staff.get(url("campaign-detail", CampaignFactory(status=CampaignStatus.PAUSED)))
        assert paused.context["actions"] == ["resume", "cancel"]


class TestAudience:
    def test_counts_and_samples_the_audience(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        ContactFactory(first_name="Outsider")
        response = staff.get(url("campaign-audience", campaign))
        assert response.status_code == 200
        assert response.context["count"] == 2
        assert {c.first_name for c in response.context["sample"]} == {"Ada", "Grace"}
        assert "<html" not in response.content.decode()

    def test_empty_audience_says_so(self, staff):
        campaign = CampaignFactory(include_segments=[SegmentFactory()])
        response = staff.get(url("campaign-audience", campaign))
        assert response.context["count"] == 0
        assert "No contact matches" in response.content.decode()


class TestPreview:
    def test_renders_for_the_first_contact_of_the_audience(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.get(url("campaign-preview", campaign))
        assert response.status_code == 200
        preview = response.context["preview"]
        assert preview["body"].startswith("Hello Ada,")
        assert preview["subject"].startswith("News for Partner")
        assert "Hello Ada," in response.content.decode()

    def test_renders_for_a_chosen_contact(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        grace = segment.memberships.get(partner__contacts__first_name="Grace").partner
        contact = grace.contacts.get()
        response = staff.get(url("campaign-preview", campaign), {"contact": contact.pk})
        assert response.context["preview"]["body"].startswith("Hello Grace,")
        assert response.context["chosen"] == contact.pk

    def test_html_body_is_shown_in_a_sandboxed_frame(self, staff, segment):
        campaign = CampaignFactory(
            include_segments=[segment], body_template="<p>Hi {{ contact.first_name }}</p>"
        )
        content = staff.get(url("campaign-preview", campaign)).content.decode()
        assert 'sandbox="allow-same-origin"' in content
        assert 'srcdoc="&lt;p&gt;Hi Ada&lt;/p&gt;"' in content

    def test_bad_contact_parameter_is_400_and_unknown_contact_404(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        assert staff.get(url("campaign-preview", campaign), {"contact": "x"}).status_code == 400
        assert staff.get(url("campaign-preview", campaign), {"contact": 999999}).status_code == 404
        huge = {"contact": "9" * 30}
        assert staff.get(url("campaign-preview", campaign), huge).status_code == 404

    def test_render_error_and_empty_audience_are_explained(self, staff, segment):
        broken = CampaignFactory(include_segments=[segment], body_template="a\n{{ 1 / 0 }}")
        content = staff.get(url("campaign-preview", broken)).content.decode()
        assert "line 2" in content
        empty = CampaignFactory(include_segments=[SegmentFactory()])
        content = staff.get(url("campaign-preview", empty)).content.decode()
        assert "audience is empty" in content


class TestActions:
    def test_schedule_then_pause_resume_and_cancel(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        for action, status in [
            ("schedule", CampaignStatus.SCHEDULED),
            ("pause", CampaignStatus.PAUSED),
            ("resume", CampaignStatus.SCHEDULED),
            ("cancel", CampaignStatus.CANCELLED),
        ]:
            response = staff.post(url(f"campaign-{action}", campaign))
            assert response.status_code == 302
            assert response["Location"] == url("campaign-detail", campaign)
            campaign.refresh_from_db()
            assert campaign.status == status

    def test_refused_transition_is_a_message_not_an_error(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.post(url("campaign-pause", campaign), follow=True)
        assert response.status_code == 200
        assert "Could not pause the campaign" in response.content.decode()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT

    def test_scheduling_an_empty_audience_is_refused_with_a_message(self, staff):
        campaign = CampaignFactory(include_segments=[SegmentFactory()])
        response = staff.post(url("campaign-schedule", campaign), follow=True)
        assert "audience is empty" in response.content.decode()
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT

    def test_actions_need_a_post(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        assert staff.get(url("campaign-schedule", campaign)).status_code == 405
        campaign.refresh_from_db()
        assert campaign.status == CampaignStatus.DRAFT


class TestDelete:
    def test_deletes_a_draft_and_returns_to_the_list(self, staff):
        campaign = CampaignFactory(name="Typo")
        response = staff.post(url("campaign-delete", campaign), follow=True)
        assert response.redirect_chain[-1][0] == LIST_URL
        assert "Campaign “Typo” deleted." in response.content.decode()
        assert not Campaign.objects.exists()

    def test_campaign_with_messages_is_kept_with_a_message(self, staff):
        campaign = campaign_with_messages("Sent", 1)
        response = staff.post(url("campaign-delete", campaign), follow=True)
        assert "cancel it instead" in response.content.decode()
        assert Campaign.objects.filter(pk=campaign.pk).exists()


class TestTemplateCheck:
    CHECK_URL = reverse("communications:campaign-template-check")

    def test_reports_a_syntax_error_with_its_line(self, staff):
        response = staff.post(self.CHECK_URL, {"body_template": "Hi\nthere\n{{ name }\nBye"})
        assert response.status_code == 200
        assert response.context["errors"][0]["line"] == 3
        assert "Line 3:" in response.content.decode()

    def test_says_a_good_template_is_ok(self, staff):
        response = staff.post(self.CHECK_URL, {"subject_template": "Hi {{ contact.first_name }}"})
        assert response.context["errors"] == []
        assert "Template OK" in response.content.decode()

    def test_private_attributes_are_reported(self, staff):
        response = staff.post(self.CHECK_URL, {"body_template": "{{ contact.__class__ }}"})
        assert "not allowed" in response.content.decode()

    def test_without_a_template_field_is_a_400(self, staff):
        assert staff.post(self.CHECK_URL, {"name": "x"}).status_code == 400


class TestTestSend:
    def test_delivers_one_mail_to_the_address(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.post(url("campaign-test-send", campaign), {"to_email": "me@example.com"})
        assert response.status_code == 200
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["me@example.com"]
        assert mail.outbox[0].subject.startswith("[TEST] News for")
        assert "Sent “[TEST]" in response.content.decode()
        assert not campaign.messages.exists()

    def test_renders_for_the_chosen_contact(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        grace = ContactFactory(first_name="Grace", partner=PartnerFactory())
        staff.post(
            url("campaign-test-send", campaign),
            {"to_email": "me@example.com", "contact": grace.pk},
        )
        assert mail.outbox[0].body.startswith("Hello Grace,")

    def test_invalid_address_is_a_400_and_sends_nothing(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.post(url("campaign-test-send", campaign), {"to_email": "not-an-address"})
        assert response.status_code == 400
        assert "is-invalid" in response.content.decode()
        assert mail.outbox == []

    def test_out_of_range_contact_is_a_400(self, staff, segment):
        campaign = CampaignFactory(include_segments=[segment])
        response = staff.post(
            url("campaign-test-send", campaign), {"to_email": "me@example.com", "contact": "9" * 30}
        )
        assert response.status_code == 400
        assert mail.outbox == []

    def test_empty_audience_is_a_400_with_the_reason(self, staff):
        campaign = CampaignFactory(include_segments=[SegmentFactory()])
        response = staff.post(url("campaign-test-send", campaign), {"to_email": "me@example.com"})
        assert response.status_code == 400
        assert "audience is empty" in response.content.decode()
        assert mail.outbox == []


# ---------------------------------------------------------------------------------------
# The partner page's panel
# ---------------------------------------------------------------------------------------


class TestPartnerPanel:
    def test_is_registered_for_the_partner_page(self):
        panel = next(panel for panel in partner_panels() if panel.key == "messages")
        assert (panel.title, panel.url_name, panel.order) == (
            "Messages",
            "communications:partner-panel",
            30,
        )

    def test_shows_the_latest_messages_of_the_partners_contacts_only(self, staff):
        contact = ContactFactory(first_name="Ada")
        mine = MessageFactory(contact=contact, occurrence__campaign__name="Spring news")
        MessageFactory(occurrence__campaign__name="Someone else's")
        response = staff.get(reverse("communications:partner-panel", args=[contact.partner.pk]))
        assert response.status_code == 200
        assert response.context["messages_received"] == [mine]
        content = response.content.decode()
        assert "Spring news" in content and "Someone else" not in content
        assert "<html" not in content

    def test_partner_without_messages_shows_an_empty_state(self, staff):
        response = staff.get(reverse("communications:partner-panel", args=[PartnerFactory().pk]))
        assert "No message sent" in response.content.decode()

    def test_unknown_partner_is_404(self, staff):
        response = staff.get(reverse("communications:partner-panel", args=[999999]))
        assert response.status_code == 404

    def test_number_of_queries_does_not_grow_with_messages(self, staff):
        partner = PartnerFactory()
        panel_url = reverse("communications:partner-panel", args=[partner.pk])

        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert staff.get(panel_url).status_code == 200
            return len(captured)

        MessageFactory(contact=ContactFactory(partner=partner))
        few = queries()
        for _ in range(12):
            MessageFactory(contact=ContactFactory(partner=partner))
        assert queries() == few
