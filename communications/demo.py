"""Demo campaigns for the quick start: past campaigns over the demo segments (sent, with
messages delivered, opened and clicked at plausible rates, and survey answers), and
scheduled ones (a one-off to come, a monthly newsletter, a segment-join welcome).

Run after seed_demo and seed_demo_segments. A small static segment, the partner advisory
board (with the demo partner in it), carries an NPS survey, so the demo partner user has
messages in the portal inbox. Deterministic for a seed (dates relative to now)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from communications import selectors
from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Message,
    MessageStatus,
    OccurrenceStatus,
    SurveyResponse,
)
from communications.services.campaigns import campaign_create
from partners.models import LifecycleStage, Partner
from segments import services as segment_services
from segments.models import Segment

DEMO_PARTNER_EXTERNAL_ID = "DEMO-0000001"
ADVISORY_BOARD = "advisory-board"

# name, topic, channel, segments, days ago, survey?, open rate, click rate
PAST = [
    (
        "Welcome to the 2026 partner program",
        "program",
        "both",
        ["new-partners", "onboarding-basics"],
        330,
        False,
        0.52,
        0.14,
    ),
    (
        "EMEA cloud migration webinar",
        "events",
        "email",
        ["emea-cloud-msps"],
        270,
        False,
        0.38,
        0.09,
    ),
    (
        "Security specialist deep-dive",
        "enablement",
        "both",
        ["security-specialists"],
        210,
        False,
        0.45,
        0.12,
    ),
    ("Close the gap to your next tier", "program", "both", ["tier-edge"], 150, False, 0.41, 0.11),
    (
        "Partner satisfaction survey",
        "survey",
        "both",
        ["gold-and-above", ADVISORY_BOARD],
        95,
        True,
        0.47,
        0.18,
    ),
    (
        "We miss you: come back offer",
        "news",
        "email",
        ["dormant-high-value"],
        60,
        False,
        0.22,
        0.04,
    ),
    ("Advisory board: Q4 priorities", "survey", "portal", [ADVISORY_BOARD], 20, True, 0.7, 0.3),
]
COMMENTS = {
    "promoter": ["Great support from our partner manager.", "The portal saves us time.", ""],
    "passive": ["Good, but deal registration is slow.", "More training in our language.", ""],
    "detractor": ["Rebates arrive late.", "Too many e-mails.", ""],
}


def _board_ensure(rng) -> Segment:
    """The advisory board: a static segment of 24 active partners, the demo partner first."""
    board = Segment.objects.filter(slug=ADVISORY_BOARD).first()
    if board is not None:
        return board
    board = segment_services.segment_create(
        data={
            "slug": ADVISORY_BOARD,
            "name": "Partner advisory board",
            "objective": "Partners who review the program with us every quarter.",
            "kind": "static",
        }
    )
    active = list(
        Partner.objects.filter(lifecycle_stage=LifecycleStage.ACTIVE)
        .order_by("id")
        .values_list("id", flat=True)
    )
    picked = (
        set(rng.choice(active, min(23, len(active)), replace=False).tolist()) if active else set()
    )
    picked.update(
        Partner.objects.filter(external_id=DEMO_PARTNER_EXTERNAL_ID).values_list("id", flat=True)
    )
    segment_services.segment_members_add(segment=board, partner_ids=picked)
    return board


def _body(name: str) -> str:
    return (
        "Hello {{ contact.first_name }},\n\n"
        f"{name}: read more at https://partners.example.com/news\n\n"
        "Your partner team"
    )


def _past_write(rng, *, segments: dict[str, Segment], now: dt.datetime) -> tuple[int, int]:
    messages_written, answers_written = 0, 0
    for name, topic, channel, slugs, days_ago, survey, open_rate, click_rate in PAST:
        chosen = [segments[slug] for slug in slugs if slug in segments]
        if not chosen:
            continue
        data = {
            "name": name,
            "topic": topic,
            "channel": channel,
            "subject_template": name,
            "body_template": _body(name),
            "include_segments": chosen,
            "schedule_kind": "now",
        }
        if survey:
            data["survey"] = {
                "question": "How likely are you to recommend our partner program?",
                "comment_prompt": "What is the one thing we should change?",
            }
        campaign = campaign_create(data=data)
        sent_at = now - dt.timedelta(days=days_ago, hours=int(rng.integers(0, 8)))
        Campaign.objects.filter(pk=campaign.pk).update(
            status=CampaignStatus.COMPLETED, created_at=sent_at - dt.timedelta(days=3)
        )
        occurrence = CampaignOccurrence.objects.create(
            campaign=campaign,
            key=sent_at.strftime("%Y%m%dT%H%M"),
            due_at=sent_at,
            status=OccurrenceStatus.DONE,
            frozen_at=sent_at,
        )
        audience = list(
            selectors.campaign_audience(campaign=campaign)
            .order_by("id")
            .values_list("id", "partner_id", "email", "first_name")
        )
        n = len(audience)
        failed = rng.random(n) < 0.02
        opened = ~failed & (rng.random(n) < open_rate)
        clicked = opened & (rng.random(n) < click_rate / open_rate)
        open_after = rng.exponential(20, n)  # hours
        click_after = rng.exponential(2, n)
        link = "https://partners.example.com/news"
        rows = []
        for i, (contact_id, partner_id, email, first_name) in enumerate(audience):
            opened_at = sent_at + dt.timedelta(hours=float(open_after[i])) if opened[i] else None
            rows.append(
                Message(
                    campaign=campaign,
                    occurrence=occurrence,
                    contact_id=contact_id,
                    partner_id=partner_id,
                    channel=channel,
                    status=MessageStatus.FAILED if failed[i] else MessageStatus.SENT,
                    last_error="550 mailbox unavailable" if failed[i] else "",
                    to_email=email,
                    subject=name,
                    body=f"Hello {first_name},\n\n{name}: read more at {link}\n\nYour partner team",
                    links=[link],
                    attempts=1,
                    created_at=sent_at,
                    sent_at=None if failed[i] else sent_at,
                    opened_at=opened_at,
                    read_at=opened_at if channel != "email" else None,
                    clicked_at=opened_at + dt.timedelta(hours=float(click_after[i]))
                    if clicked[i]
                    else None,
                )
            )
        Message.objects.bulk_create(rows, batch_size=5000)
        messages_written += len(rows)
        if survey:
            answers_written += _answers_write(rng, campaign=campaign, rows=rows)
    return messages_written, answers_written


def _answers_write(rng, *, campaign: Campaign, rows: list[Message]) -> int:
    """About a third of the opened messages answer the survey (NPS skewed to promoters)."""
    keys = {
        contact_id: pk
        for contact_id, pk in Message.objects.filter(campaign=campaign).values_list(
            "contact_id", "id"
        )
    }
    answers = []
    for message in rows:
        if message.opened_at is None or rng.random() > 0.35:
            continue
        score = int(rng.choice(11, p=np.array([1, 1, 1, 2, 2, 4, 6, 12, 18, 16, 12]) / 75))
        group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        answers.append(
            SurveyResponse(
                survey=campaign.survey,
                contact_id=message.contact_id,
                partner_id=message.partner_id,
                message_id=keys[message.contact_id],
                score=score,
                comment=COMMENTS[group][int(rng.integers(0, 3))],
                answered_at=message.opened_at + dt.timedelta(minutes=int(rng.integers(1, 600))),
            )
        )
    SurveyResponse.objects.bulk_create(answers, batch_size=5000)
    return len(answers)


def _scheduled_write(*, segments: dict[str, Segment], now: dt.datetime) -> int:
    def present(*slugs):
        return [segments[slug] for slug in slugs if slug in segments]

    definitions = []
    if present("gold-and-above"):
        definitions.append(
            {
                "name": "Executive briefing invitation",
                "topic": "events",
                "channel": "both",
                "include_segments": present("gold-and-above"),
                "schedule_kind": "at",
                "scheduled_at": now + dt.timedelta(days=10),
            }
        )
    if present("onboarding-basics", "emea-cloud-msps"):
        definitions.append(
            {
                "name": "Monthly partner newsletter",
                "topic": "news",
                "channel": "email",
                "include_segments": present("onboarding-basics", "emea-cloud-msps", "tier-edge"),
                "schedule_kind": "recurring",
                "recurrence": "monthly",
                "recurrence_day": 1,
                "recurrence_time": dt.time(9, 0),
            }
        )
    if "new-partners" in segments:
        definitions.append(
            {
                "name": "Welcome to the program",
                "topic": "program",
                "channel": "both",
                "schedule_kind": "triggered",
                "trigger_segment": segments["new-partners"],
                "trigger_delay_minutes": 60,
            }
        )
    for definition in definitions:
        campaign_create(
            data={
                "subject_template": definition["name"],
                "body_template": _body(definition["name"]),
                **definition,
            },
            schedule=True,
            now=now,
        )
    if present("gold-and-above", "tier-edge"):
        campaign_create(  # a draft being written
            data={
                "name": "Spring promotion (draft)",
                "topic": "news",
                "channel": "email",
                "subject_template": "Spring promotion",
                "body_template": _body("Spring promotion"),
                "include_segments": present("gold-and-above", "tier-edge"),
                "schedule_kind": "now",
            },
            now=now,
        )
    return len(definitions)


@transaction.atomic
def demo_campaigns_seed(*, seed: int = 42, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the demo campaigns with their message history. Returns counts."""
    now = now or timezone.now()
    # The board draws from its own stream: whether it exists already changes nothing else.
    _board_ensure(np.random.default_rng([seed, 1]))
    rng = np.random.default_rng(seed)
    segments = {segment.slug: segment for segment in Segment.objects.all()}
    messages, answers = _past_write(rng, segments=segments, now=now)
    scheduled = _scheduled_write(segments=segments, now=now)
    return {
        "campaigns": Campaign.objects.count(),
        "scheduled": scheduled,
        "messages": messages,
        "survey_answers": answers,
    }
