"""Demo enablement for the quick start: content in every gated audience (each demo segment,
minimum tiers, roles, everyone), drafts, scheduled and expired items, three learning paths
with quizzes over that content, enrolments in every state and months of views.

Run after seed_demo and seed_demo_segments (it gates by the demo segments that exist).
Deterministic for a seed: the same seed gives the same titles, enrolments and events (dates
are relative to today)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from enablement.models import (
    ContentItem,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    EnrollmentSource,
    LearningPath,
    StepCompletion,
)
from enablement.quiz import quiz_errors
from enablement.selectors import contacts_in_audience
from enablement.services import content as content_services
from enablement.services import learning as learning_services
from partners.models import Certification, Contact, Tier
from segments.models import Segment

DEMO_PARTNER_EXTERNAL_ID = "DEMO-0000001"

# (title, kind, audience, source, summary). Audience: "all", "segment:<slug>", "tier:<slug>",
# "role:<role>"; source: "url", "body" or a small generated file ("pdf", "txt").
CONTENT = [
    ("Partner program guide 2026", "document", "all", "pdf", "Tiers, benefits, how to grow."),
    ("Brand and co-marketing toolkit", "link", "all", "url", "Logos, templates, guidelines."),
    ("Deal registration in five minutes", "video", "all", "url", "Register and track deals."),
    ("Product roadmap briefing", "news", "all", "body", "What ships in the next two quarters."),
    (
        "Getting started: your first 30 days",
        "playbook",
        "segment:onboarding-basics",
        "body",
        "A step-by-step start for new partners.",
    ),
    (
        "Cloud basics for resellers",
        "video",
        "segment:onboarding-basics",
        "url",
        "The vocabulary of cloud, without jargon.",
    ),
    (
        "EMEA cloud migration playbook",
        "playbook",
        "segment:emea-cloud-msps",
        "body",
        "Land and expand cloud migrations in EMEA.",
    ),
    (
        "AWS, Azure and GCP: positioning sheet",
        "document",
        "segment:emea-cloud-msps",
        "url",
        "How our offer sits next to each hyperscaler.",
    ),
    (
        "Close the gap to your next tier",
        "playbook",
        "segment:tier-edge",
        "body",
        "Which deals and certifications move you up.",
    ),
    (
        "Advanced threat response workshop",
        "video",
        "segment:security-specialists",
        "url",
        "Deep-dive recording for certified specialists.",
    ),
    (
        "Security co-selling kit",
        "document",
        "segment:security-specialists",
        "txt",
        "Joint pitch, references and battle cards.",
    ),
    (
        "We miss you: reactivation offer",
        "news",
        "segment:dormant-high-value",
        "body",
        "Rebates for partners who come back this quarter.",
    ),
    (
        "Welcome to the partner program",
        "news",
        "segment:new-partners",
        "body",
        "Your contacts, your portal and your first steps.",
    ),
    (
        "Executive briefing: FY27 strategy",
        "document",
        "segment:gold-and-above",
        "url",
        "The strategy deck shared with top partners.",
    ),
    (
        "Joint business plan template",
        "document",
        "segment:emea-cloud-top",
        "url",
        "Plan the year with your partner manager.",
    ),
    (
        "Quarterly account review pack",
        "document",
        "segment:strategic-accounts",
        "body",
        "What we review with strategic accounts each quarter.",
    ),
    (
        "Silver benefits explained",
        "document",
        "tier:silver",
        "body",
        "Discounts, MDF and support at Silver and above.",
    ),
    (
        "Gold: market development funds",
        "playbook",
        "tier:gold",
        "body",
        "Claim and spend MDF at Gold and above.",
    ),
    (
        "Platinum: executive sponsor programme",
        "news",
        "tier:platinum",
        "body",
        "Your executive sponsor and what to ask of them.",
    ),
    ("Sales battle cards", "document", "role:sales", "url", "Objections and answers."),
    (
        "Reference architecture library",
        "link",
        "role:technical",
        "url",
        "Diagrams and sizing for common deployments.",
    ),
    (
        "Campaign-in-a-box",
        "playbook",
        "role:marketing",
        "body",
        "Ready-made e-mails, landing pages and social posts.",
    ),
    (
        "Partner economics for executives",
        "document",
        "role:executive",
        "body",
        "Margins, rebates and the business case.",
    ),
]
# Not visible today: a draft, a scheduled item and an expired one (title, kind, state).
HIDDEN = [
    ("Pricing update (draft)", "news", "draft"),
    ("Summer launch announcement", "news", "scheduled"),
    ("Spring promotion 2026", "news", "expired"),
]

PATHS = [
    {
        "title": "Partner onboarding essentials",
        "description": "Everything a new partner needs in the first month.",
        "audience": "all",
        "due_days": 30,
        "certification": None,
        "steps": [
            "Partner program guide 2026",
            "Deal registration in five minutes",
            "Brand and co-marketing toolkit",
        ],
        "quiz": [
            {
                "question": "Where do you register a deal?",
                "options": ["In the partner portal", "By e-mail to support", "Nowhere"],
                "answer_index": 0,
            },
            {
                "question": "What decides your partner tier?",
                "options": ["Company age", "Revenue, deals and certifications", "Region"],
                "answer_index": 1,
            },
        ],
    },
    {
        "title": "Cloud sales specialist",
        "description": "Position and sell cloud migrations.",
        "audience": "tier:silver",
        "due_days": 60,
        "certification": "cloud-architect",
        "steps": [
            "Cloud basics for resellers",
            "AWS, Azure and GCP: positioning sheet",
            "EMEA cloud migration playbook",
        ],
        "quiz": [
            {
                "question": "Which is a hyperscaler?",
                "options": ["Azure", "A spreadsheet", "A CRM"],
                "answer_index": 0,
            },
            {
                "question": "What comes first in a migration?",
                "options": ["Cut-over", "Assessment", "Invoice"],
                "answer_index": 1,
            },
            {
                "question": "Who owns the landing zone design?",
                "options": ["Nobody", "The customer's auditor", "The partner's architect"],
                "answer_index": 2,
            },
        ],
    },
    {
        "title": "Security specialist track",
        "description": "Prepare for the Security Specialist certification.",
        "audience": "role:technical",
        "due_days": 90,
        "certification": "security-specialist",
        "steps": [
            "Reference architecture library",
            "Advanced threat response workshop",
            "Security co-selling kit",
        ],
        "quiz": [
            {
                "question": "What is the first step of incident response?",
                "options": ["Preparation", "Blame", "Deletion"],
                "answer_index": 0,
            },
            {
                "question": "Least privilege means…",
                "options": ["Everyone is admin", "Only the access a role needs", "No access"],
                "answer_index": 1,
            },
        ],
    },
]
EVENT_DAYS = 365  # views spread over the last year


def _body(title: str, summary: str) -> str:
    return f"<h2>{title}</h2><p>{summary}</p><p>Questions? Ask your partner manager.</p>"


def _pdf(title: str, summary: str) -> bytes:
    """A one-page PDF with the title and summary (valid: objects, xref and trailer)."""
    text = f"BT /F1 20 Tf 72 720 Td ({title}) Tj /F1 12 Tf 0 -32 Td ({summary}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n"
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return out.encode("latin-1")


def _file(title: str, summary: str, extension: str) -> ContentFile:
    name = f"{slugify(title)}.{extension}"
    if extension == "pdf":
        return ContentFile(_pdf(title, summary), name=name)
    text = f"{title}\n\n{summary}\n\n- Qualify the need\n- Agree the plan\n- Register the deal\n"
    return ContentFile(text.encode(), name=name)


def _audience(spec: str, *, segments: dict[str, Segment], tiers: dict[str, Tier]) -> dict | None:
    """Audience fields for a spec; None when its segment or tier does not exist."""
    kind, _, value = spec.partition(":")
    if kind == "all":
        return {}
    if kind == "segment":
        return {"segments": [segments[value]]} if value in segments else None
    if kind == "tier":
        return {"min_tier": tiers[value]} if value in tiers else None
    return {"roles": [value]}


def _content_write(*, now: dt.datetime, segments, tiers) -> dict[str, ContentItem]:
    items = {}
    for index, (title, kind, spec, source, summary) in enumerate(CONTENT):
        audience = _audience(spec, segments=segments, tiers=tiers)
        if audience is None:
            continue
        data = {
            "title": title,
            "kind": kind,
            "summary": summary,
            "published_at": now - dt.timedelta(days=300 - 11 * index),
            **audience,
        }
        if source == "url":
            data["url"] = f"https://partners.example.com/library/{index + 1}"
        elif source in ("pdf", "txt"):
            data["file"] = _file(title, summary, source)
        else:
            data["body"] = _body(title, summary)
        items[title] = content_services.content_create(data=data)
    states = {
        "draft": {"published_at": None},
        "scheduled": {"published_at": now + dt.timedelta(days=21)},
        "expired": {
            "published_at": now - dt.timedelta(days=200),
            "expires_at": now - dt.timedelta(days=110),
        },
    }
    for title, kind, state in HIDDEN:
        content_services.content_create(
            data={"title": title, "kind": kind, "body": _body(title, state), **states[state]}
        )
    return items


def _paths_write(*, items, segments, tiers) -> list[LearningPath]:
    paths = []
    for definition in PATHS:
        audience = _audience(definition["audience"], segments=segments, tiers=tiers) or {}
        certification = Certification.objects.filter(slug=definition["certification"]).first()
        path = learning_services.learning_path_create(
            data={
                "title": definition["title"],
                "description": definition["description"],
                "due_days": definition["due_days"],
                "awards_certification": certification,
                **audience,
            }
        )
        steps = [title for title in definition["steps"] if title in items]
        for order, title in enumerate(steps, start=1):
            last = order == len(steps)
            quiz = definition["quiz"] if last else []
            if quiz_errors(quiz):
                raise ValueError(f"Demo quiz of {title}: {quiz_errors(quiz)}")
            learning_services.learning_step_create(
                data={
                    "path": path,
                    "order": order,
                    "content": items[title],
                    "quiz": quiz,
                    "pass_mark": 70,
                    "title": f"Quiz: {title}" if last else "",
                }
            )
        paths.append(path)
    return paths


def _enrollments_write(rng, *, paths: list[LearningPath], now: dt.datetime) -> int:
    """Enrol a share of each path's audience: completed (passed the quiz), in progress, and
    failed (stuck below the pass mark at the quiz, past due); dates over the last year."""
    demo_contact = (
        Contact.objects.filter(partner__external_id=DEMO_PARTNER_EXTERNAL_ID).order_by("id").first()
    )
    enrollments, completions = [], []
    for path_index, path in enumerate(paths):
        steps = list(path.steps.order_by("order"))
        audience = np.array(
            contacts_in_audience(audience=path)
            .exclude(partner__lifecycle_stage__in=["applicant", "churned"])
            .order_by("id")
            .values_list("id", flat=True)
        )
        share = (0.35, 0.2, 0.15)[path_index % 3]
        chosen = audience[rng.random(len(audience)) < share]
        if demo_contact is not None and path_index == 0 and demo_contact.id not in set(chosen):
            chosen = np.append(chosen, demo_contact.id)
        n = len(chosen)
        ago = rng.integers(5, EVENT_DAYS, n)
        state = rng.choice(3, n, p=[0.5, 0.35, 0.15])  # 0 completed, 1 in progress, 2 failed
        for i, contact_id in enumerate(chosen.tolist()):
            is_demo_user = contact_id == getattr(demo_contact, "id", None)
            if is_demo_user:  # the demo partner user: in progress, one step before the quiz
                ago[i], state[i] = 12, 1
            enrolled = now - dt.timedelta(days=int(ago[i]), hours=int(rng.integers(0, 24)))
            due = enrolled + dt.timedelta(days=path.due_days) if path.due_days else None
            if state[i] == 0:
                done = len(steps)
            elif state[i] == 1:
                done = int(rng.integers(0, len(steps)))
            else:
                done = len(steps) - 1
            if is_demo_user:
                done = max(len(steps) - 1, 1)
            # Steps done between enrolment and now (and the due date).
            span = max(1, min(int(ago[i]), path.due_days or 30))
            moments = sorted(
                enrolled + dt.timedelta(hours=int(h)) for h in rng.integers(1, span * 24, done)
            )
            enrollments.append(
                Enrollment(
                    contact_id=contact_id,
                    path_id=path.id,
                    enrolled_at=enrolled,
                    due_at=due,
                    completed_at=moments[-1] if state[i] == 0 and moments else None,
                    progress_pct=round(100 * done / len(steps), 1) if steps else 0,
                    source=EnrollmentSource.MANUAL,
                )
            )
            completions.append(
                [
                    (
                        step,
                        moment,
                        float(rng.choice([70.0, 80.0, 100.0])) if step.has_quiz else None,
                    )
                    for step, moment in zip(steps, moments, strict=False)
                ]
            )
    created = Enrollment.objects.bulk_create(enrollments, batch_size=2000)
    if not all(e.pk for e in created):  # backends without RETURNING ids
        keys = {
            (e.contact_id, e.path_id): e.pk
            for e in Enrollment.objects.filter(path__in=paths).only("contact_id", "path_id")
        }
        for e in created:
            e.pk = keys[(e.contact_id, e.path_id)]
    rows = [
        StepCompletion(enrollment_id=e.pk, step=step, completed_at=moment, score=score)
        for e, done in zip(created, completions, strict=True)
        for step, moment, score in done
    ]
    StepCompletion.objects.bulk_create(rows, batch_size=5000)
    contact_partner = dict(
        Contact.objects.filter(enrollments__path__in=paths).distinct().values_list("id", "partner")
    )
    events = [
        EngagementEvent(
            contact_id=e.contact_id,
            partner_id=contact_partner[e.contact_id],
            kind=EngagementKind.QUIZ if score is not None else EngagementKind.COMPLETION,
            step=step,
            content_id=step.content_id,
            at=moment,
        )
        for e, done in zip(created, completions, strict=True)
        for step, moment, score in done
    ]
    EngagementEvent.objects.bulk_create(events, batch_size=5000)
    return len(created)


def _views_write(rng, *, items: dict[str, ContentItem], now: dt.datetime) -> int:
    """Content views (and downloads of files) over the last year by contacts in each item's
    audience."""
    events = []
    for item in items.values():
        rows = np.array(
            contacts_in_audience(audience=item)
            .exclude(partner__lifecycle_stage="applicant")
            .order_by("id")
            .values_list("id", "partner_id")
        )
        if not len(rows):
            continue
        age = (now - item.published_at).days
        n = int(min(len(rows) * 0.6, 400) * rng.uniform(0.5, 1.0))
        picks = rows[rng.integers(0, len(rows), n)]
        # Most views soon after publication, a long tail after.
        days = np.minimum(rng.exponential(max(age, 1) / 3, n), max(age - 1, 0)).astype(int)
        events.extend(
            EngagementEvent(
                contact_id=int(contact),
                partner_id=int(partner),
                kind=EngagementKind.VIEW,
                content_id=item.id,
                at=item.published_at
                + dt.timedelta(days=int(day), minutes=int(rng.integers(0, 1440))),
            )
            for (contact, partner), day in zip(picks.tolist(), days.tolist(), strict=True)
        )
        if item.file:
            # About a third of the views of a file go on to download it.
            downloading = rng.random(n) < 0.35
            events.extend(
                EngagementEvent(
                    contact_id=int(contact),
                    partner_id=int(partner),
                    kind=EngagementKind.DOWNLOAD,
                    content_id=item.id,
                    at=item.published_at
                    + dt.timedelta(days=int(day), minutes=int(rng.integers(0, 1440)) + 2),
                )
                for (contact, partner), day, yes in zip(
                    picks.tolist(), days.tolist(), downloading.tolist(), strict=True
                )
                if yes
            )
    EngagementEvent.objects.bulk_create(events, batch_size=5000)
    return len(events)


@transaction.atomic
def demo_enablement_seed(*, seed: int = 42, now: dt.datetime | None = None) -> dict[str, int]:
    """Create the demo content, learning paths, enrolments and events. Returns counts.

    The partners' engagement figures are left as seed_demo wrote them (their history is
    that seed's story); the whole-table engagement_rollup would take seconds here."""
    now = now or timezone.now()
    rng = np.random.default_rng(seed)
    segments = {segment.slug: segment for segment in Segment.objects.all()}
    tiers = {tier.slug: tier for tier in Tier.objects.all()}
    items = _content_write(now=now, segments=segments, tiers=tiers)
    paths = _paths_write(items=items, segments=segments, tiers=tiers)
    enrollments = _enrollments_write(rng, paths=paths, now=now)
    views = _views_write(rng, items=items, now=now)
    return {
        "content": ContentItem.objects.count(),
        "paths": len(paths),
        "enrollments": enrollments,
        "views": views,
    }
