"""Campaigns in a real browser: write one with a personalised template, see its audience and
preview, schedule it; a template error is shown with its line."""

import datetime as dt
import itertools

from django.utils import timezone
from playwright.sync_api import expect

from communications.models import (
    CampaignStatus,
    Channel,
    MessageStatus,
    ScheduleKind,
    SuppressionReason,
    Topic,
)
from partners.models import Contact, ContactRole, Region
from segments.services import segment_evaluate
from tests.communications.factories import (
    CampaignFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.partners.factories import ContactFactory, PartnerFactory, tier
from tests.segments.factories import SegmentFactory

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Sophie",
    "Linus",
    "Hedy",
    "Dennis",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Allen",
    "Backus",
    "Perlman",
    "Berners-Lee",
    "Wilson",
    "Torvalds",
    "Lamarr",
    "Ritchie",
    "Kay",
]
EMEA_PARTNERS = [
    ("Nordwind Systems", "gold"),
    ("Atelier Cloud", "silver"),
    ("Iberia Data", "registered"),
    ("Baltic Bytes", "silver"),
    ("Helvetia Secure", "platinum"),
    ("Rhein IT Services", "gold"),
    ("Lisboa Digital", "registered"),
    ("Vienna Networks", "silver"),
    ("Thames Consulting", "gold"),
    ("Adriatic Soft", "registered"),
    ("Fjord Analytics", "silver"),
    ("Sahara Cloud Partners", "registered"),
]


def _emea_segment():
    """ "EMEA resellers", evaluated: twelve EMEA partners (two or three contacts each) are
    members, an APAC partner is not."""
    names = itertools.cycle(zip(FIRST_NAMES, LAST_NAMES, strict=False))
    roles = itertools.cycle([ContactRole.SALES, ContactRole.TECHNICAL, ContactRole.MARKETING])
    partners = [
        PartnerFactory(name=name, region=Region.EMEA, tier=tier(slug))
        for name, slug in EMEA_PARTNERS
    ]
    partners.append(PartnerFactory(name="Sakura Tech", region=Region.APAC))
    for index, partner in enumerate(partners):
        for _ in range(2 + index % 2):
            first, last = next(names)
            ContactFactory(
                partner=partner,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@{partner.name.split()[0]}.example".lower(),
                role=next(roles),
            )
    segment = SegmentFactory(
        name="EMEA resellers",
        slug="emea-resellers",
        rule={"all": [{"field": "region", "op": "eq", "value": "emea"}]},
    )
    segment_evaluate(segment_id=segment.pk)
    return segment


def _sent_campaign(segment):
    """A completed campaign with delivered, opened, clicked, suppressed and failed messages
    and a survey, so its page shows real figures; and campaigns in every other state."""
    campaign = CampaignFactory(
        name="Q3 partner program update",
        topic=Topic.PROGRAM,
        include_segments=[segment],
        status=CampaignStatus.COMPLETED,
        schedule_kind=ScheduleKind.AT,
        scheduled_at=timezone.now() - dt.timedelta(days=2),
        subject_template="{{ partner.name }}: your program update",
        body_template=(
            '<div style="font-family: sans-serif; max-width: 560px">'
            '<h2 style="color: #0d6efd">Partner program update</h2>'
            "<p>Hello {{ contact.first_name }},</p>"
            "<p>{{ partner.name }} is a <strong>{{ tier.name }}</strong> partner. This quarter "
            "we add new certifications and raise the co-marketing funds of every tier.</p>"
            '<p><a href="https://example.com/program">Read the update</a></p>'
            "<p>The partner team</p></div>"
        ),
    )
    occurrence = OccurrenceFactory(campaign=campaign, status="done")
    now = timezone.now()
    contacts = Contact.objects.filter(partner__memberships__segment=segment).order_by("id")
    for index, contact in enumerate(contacts):
        status, reason = MessageStatus.SENT, ""
        if index % 10 == 7:
            status, reason = MessageStatus.SUPPRESSED, SuppressionReason.OPTED_OUT
        elif index % 10 == 8:
            status, reason = MessageStatus.SUPPRESSED, SuppressionReason.FREQUENCY_CAP
        elif index % 15 == 9:
            status = MessageStatus.FAILED
        sent = status == MessageStatus.SENT
        MessageFactory(
            occurrence=occurrence,
            contact=contact,
            status=status,
            suppression_reason=reason,
            created_at=now - dt.timedelta(days=2, minutes=index),
            opened_at=now - dt.timedelta(days=1, minutes=index) if sent and index % 3 else None,
            clicked_at=now - dt.timedelta(hours=20) if sent and index % 4 == 1 else None,
            unsubscribed_at=now - dt.timedelta(hours=5) if index == 13 else None,
            last_error="550 mailbox unavailable" if status == MessageStatus.FAILED else "",
        )
    survey = SurveyFactory(campaign=campaign)
    for contact, score in zip(contacts, (10, 9, 9, 8, 7, 6, 10, 3, 9, 10), strict=False):
        SurveyResponseFactory(survey=survey, contact=contact, score=score)
    recurring = {
        "schedule_kind": ScheduleKind.RECURRING,
        "recurrence": "weekly",
        "recurrence_weekday": 1,
        "recurrence_time": dt.time(10, 0),
        "recurrence_timezone": "Europe/Paris",
    }
    CampaignFactory(
        name="Cloud webinar series",
        topic=Topic.EVENTS,
        channel=Channel.BOTH,
        include_segments=[segment],
        status=CampaignStatus.SCHEDULED,
        next_occurrence_at=now + dt.timedelta(days=3),
        **recurring,
    )
    CampaignFactory(
        name="Welcome to the program",
        topic=Topic.ENABLEMENT,
        channel=Channel.PORTAL,
        status=CampaignStatus.PAUSED,
        schedule_kind=ScheduleKind.TRIGGERED,
        trigger_segment=segment,
        trigger_delay_minutes=60,
    )
    CampaignFactory(
        name="Security certification reminder",
        topic=Topic.ENABLEMENT,
        include_segments=[segment],
        schedule_kind=ScheduleKind.AT,
        scheduled_at=now + dt.timedelta(days=10),
    )
    CampaignFactory(
        name="Summer promotion",
        topic=Topic.NEWS,
        include_segments=[segment],
        status=CampaignStatus.CANCELLED,
    )
    return campaign


def test_manager_creates_previews_and_schedules_a_campaign(manager_page, screenshot):
    # given a segment whose members have contacts, and campaigns already sent
    segment = _emea_segment()
    sent = _sent_campaign(segment)
    page = manager_page
    base = page.live_server_url

    # the list shows the campaigns with their figures
    page.goto(f"{base}/campaigns/")
    expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
    expect(page.get_by_role("link", name="Q3 partner program update")).to_be_visible()
    screenshot("campaigns-list")

    # the page of a sent campaign shows its figures, chart and survey
    page.get_by_role("link", name="Q3 partner program update").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Completed")
    expect(page.get_by_test_id("audience-count")).to_have_text("30")
    expect(page.frame_locator("iframe.preview-frame").get_by_text("Hello Ada,")).to_be_visible()
    expect(page.get_by_text("Opted out of all e-mail").first).to_be_visible()
    page.wait_for_timeout(500)  # the chart's entry animation
    screenshot("campaign-detail")
    assert sent.pk

    # when the manager writes a new campaign with a template error
    page.goto(f"{base}/campaigns/")
    page.get_by_role("link", name="New campaign").first.click()
    page.get_by_role("textbox", name="Name").fill("Autumn enablement news")
    page.get_by_role("textbox", name="Subject").fill("News for {{ partner.name }}")
    page.get_by_role("textbox", name="Body").fill(
        "Hello {{ contact.first_name }},\n{{ partner.name }\n"
    )
    included = page.locator("#id_include_segments")
    included.get_by_label("EMEA resellers").check()
    page.get_by_text("At a time", exact=True).click()
    moment = timezone.localtime(timezone.now() + dt.timedelta(days=7)).strftime("%Y-%m-%dT09:30")
    page.get_by_label("Send at").fill(moment)
    page.get_by_role("button", name="Save draft").click()

    # then the error is shown next to the body with its line, and nothing is lost
    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    expect(page.locator(".invalid-feedback", has_text="Line 2:")).to_be_visible()
    expect(included.get_by_label("EMEA resellers")).to_be_checked()
    expect(page.get_by_label("Send at")).to_be_visible()
    screenshot("campaign-form")

    # when they fix it (inserting a variable from the list) and save the draft
    page.get_by_role("textbox", name="Body").fill("Hello ")
    page.get_by_role("textbox", name="Body").press("End")
    page.get_by_role("button", name="contact.first_name", exact=True).click()
    page.get_by_role("textbox", name="Body").press("End")
    page.get_by_role("textbox", name="Body").press_sequentially(
        ",\nnew courses for {{ partner.name }} are online."
    )
    # the editor checks the template as it is typed and clears the old error
    expect(page.locator("#body_template-check")).to_contain_text("Template OK")
    expect(page.locator(".invalid-feedback", has_text="Line 2:")).to_have_count(0)
    page.get_by_role("button", name="Save draft").click()

    # then its page shows the audience count and the preview for a sample contact
    expect(page.get_by_test_id("campaign-status")).to_have_text("Draft")
    expect(page.get_by_test_id("audience-count")).to_have_text("30")
    expect(page.get_by_test_id("preview-body")).to_contain_text("Hello Ada,")
    expect(page.get_by_test_id("preview-body")).to_contain_text("Nordwind Systems")

    # when they pick another contact, the preview renders for them
    page.get_by_label("Render for").select_option(label="Edsger Dijkstra · Atelier Cloud")
    expect(page.get_by_test_id("preview-body")).to_contain_text("Hello Edsger,")

    # when they schedule it, it becomes scheduled for the time they chose
    page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("Scheduled")
    expect(page.get_by_text("Campaign scheduled.")).to_be_visible()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    expect(page.get_by_test_id("audience-count")).to_have_text("30")
    expect(page.get_by_test_id("preview-body")).to_be_visible()
    screenshot("campaign-scheduled")
