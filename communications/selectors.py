"""Reads on communications: audiences, stats, the portal inbox and survey summaries."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    OccurrenceStatus,
    ScheduleKind,
    SuppressionReason,
    Survey,
    SurveyResponse,
)
from partners.models import Contact
from segments.models import Membership, Segment

INBOX_CHANNELS = (Channel.PORTAL, Channel.BOTH)
INBOX_STATUSES = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)


class JsonListOverlaps(models.Expression):
    """True when a JSON list column shares any value with `values` (PostgreSQL `?|`, which
    a GIN index on the column can serve; elsewhere json_each), so a filter on it stays in
    the one SQL query."""

    output_field = models.BooleanField()

    def __init__(self, column: str, values: Sequence[str]) -> None:
        super().__init__()
        self.column = models.F(column)
        self.values = [str(value) for value in values]

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        placeholders = ", ".join(["%s"] * len(self.values))
        sql = (
            f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value IN ({placeholders}))"
        )
        return sql, (*params, *self.values)

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.column)
        return f"({column} ?| %s::text[])", (*params, self.values)


class InSubquery(models.Expression):
    """`column IN (subquery)`; on PostgreSQL `column = ANY(ARRAY(subquery))`, an InitPlan
    run once, which lets the planner hash-join memberships (a plain IN over the campaign's
    segment links was ten times slower for 300,000 contacts: it misjudged the row count)."""

    output_field = models.BooleanField()

    def __init__(self, column: str, queryset: QuerySet) -> None:
        super().__init__()
        self.column = models.F(column)
        self.subquery = models.Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs) -> None:
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


def _members_of_campaign_segments(campaign: Campaign, relation: str) -> QuerySet[Membership]:
    """Memberships of the contact's partner (OuterRef) in the campaign's included or
    excluded segments, read from the campaign's links inside the same query."""
    through = getattr(Campaign, relation).through
    segment_ids = through.objects.filter(campaign_id=campaign.pk).values("segment_id")
    return Membership.objects.filter(
        InSubquery("segment_id", segment_ids), partner_id=OuterRef("partner_id")
    )


def _contact_filters(contacts: QuerySet[Contact], campaign: Campaign) -> QuerySet[Contact]:
    """Roles, interests and excluded segments, which every audience shares."""
    if campaign.roles:
        contacts = contacts.filter(role__in=campaign.roles)
    if campaign.interests:
        contacts = contacts.filter(JsonListOverlaps("interests", campaign.interests))
    return contacts.filter(~Exists(_members_of_campaign_segments(campaign, "exclude_segments")))


def campaign_audience(*, campaign: Campaign) -> QuerySet[Contact]:
    """Contacts of partners in any included segment, minus partners in any excluded
    segment, of the campaign's roles and interests (empty = all). One SQL query; unordered
    (order it for display). Opt-outs and caps are the dispatcher's suppressions, not here."""
    included = _members_of_campaign_segments(campaign, "include_segments")
    return _contact_filters(Contact.objects.filter(Exists(included)), campaign).order_by()


def campaign_audience_count(*, campaign: Campaign) -> int:
    """How many contacts campaign_audience holds now."""
    return campaign_audience(campaign=campaign).count()


def campaign_sample_audience(*, campaign: Campaign) -> QuerySet[Contact]:
    """Contacts to preview or test a campaign with: its audience, or for a triggered
    campaign the contacts of the trigger segment's members, lowest id first."""
    if campaign.schedule_kind == ScheduleKind.TRIGGERED:
        members = Membership.objects.filter(
            partner_id=OuterRef("partner_id"), segment_id=campaign.trigger_segment_id
        )
        contacts = _contact_filters(Contact.objects.filter(Exists(members)), campaign)
    else:
        contacts = campaign_audience(campaign=campaign)
    return contacts.select_related("partner", "partner__tier").order_by("id")


def occurrence_audience(*, occurrence: CampaignOccurrence) -> QuerySet[Contact]:
    """The contacts an occurrence is frozen for. A segment-join occurrence: the contacts of
    its partner, while the partner is still in the trigger segment and in no excluded
    segment (roles and interests apply); any other occurrence: campaign_audience."""
    campaign = occurrence.campaign
    if occurrence.partner_id is None:
        return campaign_audience(campaign=campaign)
    still_member = Membership.objects.filter(
        partner_id=OuterRef("partner_id"), segment_id=campaign.trigger_segment_id
    )
    contacts = Contact.objects.filter(Exists(still_member), partner_id=occurrence.partner_id)
    return _contact_filters(contacts, campaign).order_by()


# ---------------------------------------------------------------------------------------
# Stats
# ---------------------------------------------------------------------------------------


def _message_counts(prefix: str = "") -> dict:
    """Conditional counts over Message rows (reached through `prefix`), for aggregate()."""

    def count(condition: Q | None = None) -> Count:
        return Count(f"{prefix}id", filter=condition)

    def field(name: str) -> str:
        return f"{prefix}{name}"

    counts = {
        "targeted": count(),
        "queued": count(
            Q(**{f"{field('status')}__in": [MessageStatus.QUEUED, MessageStatus.SENDING]})
        ),
        "sent": count(Q(**{field("status"): MessageStatus.SENT})),
        "emailed": count(
            Q(
                **{
                    field("status"): MessageStatus.SENT,
                    f"{field('channel')}__in": [Channel.EMAIL, Channel.BOTH],
                }
            )
        ),
        "failed": count(Q(**{field("status"): MessageStatus.FAILED})),
        "suppressed": count(Q(**{field("status"): MessageStatus.SUPPRESSED})),
        "opened": count(Q(**{f"{field('opened_at')}__isnull": False})),
        "clicked": count(Q(**{f"{field('clicked_at')}__isnull": False})),
        "read": count(Q(**{f"{field('read_at')}__isnull": False})),
        "unsubscribed": count(Q(**{f"{field('unsubscribed_at')}__isnull": False})),
    }
    for reason in SuppressionReason.values:
        counts[f"suppressed_{reason}"] = count(
            Q(**{field("status"): MessageStatus.SUPPRESSED, field("suppression_reason"): reason})
        )
    return counts


def _shape_stats(row: dict) -> dict:
    """Flat aggregate values -> the stats JSON, with rates over messages sent."""
    stats = {
        key: row.get(key) or 0
        for key in (
            "targeted",
            "queued",
            "sent",
            "emailed",
            "failed",
            "suppressed",
            "opened",
            "clicked",
            "read",
            "unsubscribed",
        )
    }
    stats["suppressed_by_reason"] = {
        reason: row.get(f"suppressed_{reason}") or 0 for reason in SuppressionReason.values
    }
    # Opens and clicks are tracked in e-mails only: the rates are over e-mails sent.
    emailed = stats["emailed"]
    stats["open_rate"] = round(stats["opened"] / emailed, 4) if emailed else None
    stats["click_rate"] = round(stats["clicked"] / emailed, 4) if emailed else None
    return stats


def campaign_stats(*, campaign: Campaign) -> dict:
    """Counts of the campaign's messages (one aggregate query): targeted, queued, sent (of
    which emailed: by e-mail, the rest reached the portal inbox only), failed, suppressed
    (and by reason), opened, clicked, read, unsubscribed, and open and click rates over the
    e-mails sent (None before any was sent)."""
    row = Message.objects.filter(campaign_id=campaign.pk).aggregate(**_message_counts())
    return _shape_stats(row)


def campaign_stats_by_segment(*, campaign: Campaign) -> list[dict]:
    """campaign_stats per included segment (and the trigger segment of a triggered
    campaign), counting the messages of partners who are members now (one query)."""
    segments = list(
        Segment.objects.filter(
            Q(campaigns_including=campaign) | Q(triggered_campaigns=campaign)
        ).distinct()
    )
    rows = {
        row["segment_id"]: row
        for row in Membership.objects.filter(
            segment__in=[segment.id for segment in segments],
            partner__messages__campaign_id=campaign.pk,
        )
        .values("segment_id")
        .annotate(**_message_counts("partner__messages__"))
        .order_by()
    }
    return [
        {"segment": segment.slug, "name": segment.name, **_shape_stats(rows.get(segment.id, {}))}
        for segment in sorted(segments, key=lambda segment: segment.slug)
    ]


def campaign_messages(*, campaign: Campaign) -> QuerySet[Message]:
    """The campaign's Message rows with their contact and partner, newest first."""
    return (
        Message.objects.filter(campaign_id=campaign.pk)
        .select_related("contact", "partner")
        .order_by("-created_at", "-id")
    )


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign with its segments and survey, for channel managers."""
    return Campaign.objects.select_related(
        "trigger_segment", "created_by", "survey"
    ).prefetch_related("include_segments", "exclude_segments")


# ---------------------------------------------------------------------------------------
# Portal inbox
# ---------------------------------------------------------------------------------------


def inbox_for_contact(*, contact: Contact) -> QuerySet[Message]:
    """A partner user's portal inbox: their messages on the portal channel (portal or both)
    that were not suppressed or failed, newest first. Undelivered messages of a cancelled
    occurrence or campaign are left out; delivered ones stay."""
    return (
        Message.objects.filter(
            contact_id=contact.pk, channel__in=INBOX_CHANNELS, status__in=INBOX_STATUSES
        )
        .exclude(
            Q(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])
            & (
                Q(occurrence__status=OccurrenceStatus.CANCELLED)
                | Q(campaign__status=CampaignStatus.CANCELLED)
            )
        )
        .select_related("campaign", "campaign__survey", "contact__partner__tier")
        .order_by("-created_at", "-id")
    )


def inbox_unread_count(*, contact: Contact) -> int:
    """How many inbox messages the contact has not read."""
    return inbox_for_contact(contact=contact).filter(read_at__isnull=True).count()


def survey_response_for(*, survey: Survey, contact: Contact) -> SurveyResponse | None:
    """The contact's answer to a survey, if any."""
    return SurveyResponse.objects.filter(survey=survey, contact=contact).first()


# ---------------------------------------------------------------------------------------
# Surveys
# ---------------------------------------------------------------------------------------


def _nps_counts(prefix: str = "") -> dict:
    score = f"{prefix}score"
    return {
        "count": Count(f"{prefix}id"),
        "average": Avg(score),
        "promoters": Count(f"{prefix}id", filter=Q(**{f"{score}__gte": 9})),
        "passives": Count(f"{prefix}id", filter=Q(**{f"{score}__in": [7, 8]})),
        "detractors": Count(f"{prefix}id", filter=Q(**{f"{score}__lte": 6})),
    }


def _shape_nps(row: dict) -> dict:
    count = row.get("count") or 0
    promoters, detractors = row.get("promoters") or 0, row.get("detractors") or 0
    average = row.get("average")
    return {
        "count": count,
        "average": round(float(average), 2) if average is not None else None,
        "promoters": promoters,
        "passives": row.get("passives") or 0,
        "detractors": detractors,
        "nps": round((promoters - detractors) * 100 / count, 1) if count else None,
    }


def survey_summary(*, survey: Survey) -> dict:
    """NPS (% promoters 9-10 minus % detractors 0-6), count and average score of a survey,
    overall and per included segment (partners that are members now)."""
    overall = SurveyResponse.objects.filter(survey=survey).aggregate(**_nps_counts())
    segments = list(Segment.objects.filter(campaigns_including=survey.campaign_id))
    rows = {
        row["segment_id"]: row
        for row in Membership.objects.filter(
            segment__in=[segment.id for segment in segments],
            partner__survey_responses__survey=survey,
        )
        .values("segment_id")
        .annotate(**_nps_counts("partner__survey_responses__"))
        .order_by()
    }
    return {
        "survey": survey.pk,
        "campaign": survey.campaign_id,
        "question": survey.question,
        **_shape_nps(overall),
        "by_segment": [
            {"segment": segment.slug, "name": segment.name, **_shape_nps(rows.get(segment.id, {}))}
            for segment in sorted(segments, key=lambda segment: segment.slug)
        ],
    }


def survey_responses(*, survey: Survey) -> QuerySet[SurveyResponse]:
    """A survey's answers with contact and partner, newest first."""
    return (
        SurveyResponse.objects.filter(survey=survey)
        .select_related("contact", "partner")
        .order_by("-answered_at", "-id")
    )


# ---------------------------------------------------------------------------------------
# Manager portal: dashboard
# ---------------------------------------------------------------------------------------


def campaign_performance_recent(*, limit: int = 6) -> list[dict]:
    """The latest campaigns past their draft (newest first) with campaign_stats each: one
    query picks them, one GROUP BY counts only their messages."""
    campaigns = list(
        Campaign.objects.exclude(status=CampaignStatus.DRAFT)
        .order_by("-created_at", "-id")
        .values("id", "name", "status", "channel", "created_at")[:limit]
    )
    rows = {
        row["campaign_id"]: row
        for row in Message.objects.filter(campaign_id__in=[c["id"] for c in campaigns])
        .values("campaign_id")
        .annotate(**_message_counts())
        .order_by()
    }
    return [{**campaign, **_shape_stats(rows.get(campaign["id"], {}))} for campaign in campaigns]


def campaign_status_counts() -> dict[str, int]:
    """How many campaigns are in each status (every status present, zero when none)."""
    counts = dict(Campaign.objects.values_list("status").annotate(count=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in CampaignStatus.values}


# ---------------------------------------------------------------------------------------
# Manager portal: campaign pages and the partner page's messages panel
# ---------------------------------------------------------------------------------------


def campaigns_stats(*, campaign_ids: Sequence[int]) -> dict[int, dict]:
    """campaign_stats of many campaigns in one GROUP BY query: {campaign id: stats}, zeros
    for a campaign without messages."""
    ids = list(campaign_ids)
    rows = {
        row["campaign_id"]: row
        for row in Message.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(**_message_counts())
        .order_by()
    }
    return {campaign_id: _shape_stats(rows.get(campaign_id, {})) for campaign_id in ids}


def campaign_occurrences(*, campaign: Campaign) -> QuerySet[CampaignOccurrence]:
    """The campaign's occurrences, latest due first, with their partner (segment-join
    occurrences) and how many messages each froze and sent."""
    return (
        CampaignOccurrence.objects.filter(campaign_id=campaign.pk)
        .select_related("partner")
        .annotate(
            message_count=Count("messages"),
            sent_count=Count("messages", filter=Q(messages__status=MessageStatus.SENT)),
        )
        .order_by("-due_at", "-id")
    )


def partner_messages(*, partner_id: int) -> QuerySet[Message]:
    """Messages received by a partner's contacts, with campaign and contact, newest first."""
    return (
        Message.objects.filter(partner_id=partner_id)
        .select_related("campaign", "contact")
        .order_by("-created_at", "-id")
    )


# ---------------------------------------------------------------------------------------
# Partner portal: the inbox page
# ---------------------------------------------------------------------------------------


def inbox_unread_first(*, contact: Contact, unread_only: bool = False) -> QuerySet[Message]:
    """The contact's inbox (inbox_for_contact) with unread messages first, then newest
    first; only the unread ones if `unread_only`."""
    messages = inbox_for_contact(contact=contact)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    is_unread = models.ExpressionWrapper(
        Q(read_at__isnull=True), output_field=models.BooleanField()
    )
    return messages.alias(is_unread=is_unread).order_by("-is_unread", "-created_at", "-id")


def survey_answers_of(*, contact: Contact, survey_ids) -> dict[int, SurveyResponse]:
    """The contact's answers to these surveys, by survey id (one query)."""
    answers = SurveyResponse.objects.filter(contact_id=contact.pk, survey_id__in=list(survey_ids))
    return {answer.survey_id: answer for answer in answers}
