"""Shape checks for the communications API; business rules live in communications.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communications.models import (
    Campaign,
    CampaignOccurrence,
    ContactPreference,
    Message,
    SuppressionReason,
    Survey,
    SurveyResponse,
    Topic,
)
from communications.services.validation import CAMPAIGN_FIELDS
from communications.templating import body_is_html
from partners.models import Contact, ContactRole
from segments.models import Segment

# ---------------------------------------------------------------------------------------
# Campaigns
# ---------------------------------------------------------------------------------------


class SurveyInlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["id", "question", "comment_prompt"]
        read_only_fields = ["id"]


def _segments_field(help_text: str) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Segment.objects.all(),
        required=False,
        help_text=help_text,
    )


class CampaignSerializer(serializers.ModelSerializer):
    """A campaign: templates, audience (segment slugs, roles, interests), schedule, survey.
    Status changes go through the actions (schedule, pause, resume, cancel)."""

    include_segments = _segments_field("Slugs: contacts of partners in any of these segments.")
    exclude_segments = _segments_field("Slugs: minus partners in any of these segments.")
    trigger_segment = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Segment.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug; for schedule_kind=triggered: partners joining it get the campaign.",
    )
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ContactRole.choices),
        required=False,
        help_text="Contact roles to send to; empty = every role.",
    )
    interests = serializers.ListField(
        child=serializers.SlugField(max_length=64),
        required=False,
        help_text="Contacts with any of these interests; empty = everyone.",
    )
    survey = SurveyInlineSerializer(
        required=False, allow_null=True, help_text="An NPS survey (0-10 + comment) it carries."
    )
    schedule = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="On create: schedule it at once (if that fails, nothing is saved).",
    )
    # Null when made by a system job or when its author's account was deleted.
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            *CAMPAIGN_FIELDS,
            "include_segments",
            "exclude_segments",
            "survey",
            "schedule",
            "status",
            "next_occurrence_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "next_occurrence_at",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # scheduling an existing campaign is an action
            fields.pop("schedule", None)
        return fields


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "line": {"type": "integer", "nullable": True},
                        "message": {"type": "string"},
                    },
                    "required": ["line", "message"],
                },
                {"type": "string"},
            ]
        },
    }
)
class TemplateErrorsField(serializers.ListField):
    """A template's errors: {line, message} for a template that does not render, a plain
    message for a missing or blank one (found by the fuzz test: the schema had only the
    first)."""


class CampaignErrorsSerializer(serializers.Serializer):
    subject_template = TemplateErrorsField(required=False)
    body_template = TemplateErrorsField(required=False)
    include_segments = serializers.ListField(child=serializers.CharField(), required=False)
    scheduled_at = serializers.ListField(child=serializers.CharField(), required=False)
    reentry_days = serializers.ListField(child=serializers.CharField(), required=False)
    audience = serializers.ListField(child=serializers.CharField(), required=False)
    status = serializers.ListField(child=serializers.CharField(), required=False)


class AudienceContactSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "email", "role", "partner", "partner_name"]
        read_only_fields = fields


class AudienceSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    sample = AudienceContactSerializer(many=True)


class CampaignPreviewSerializer(serializers.Serializer):
    contact = serializers.IntegerField()
    subject = serializers.CharField()
    body = serializers.CharField()
    is_html = serializers.BooleanField()
    links = serializers.ListField(child=serializers.URLField())


class TestSendRequestSerializer(serializers.Serializer):
    to_email = serializers.EmailField()
    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.select_related("partner", "partner__tier"),
        required=False,
        allow_null=True,
        help_text="Render for this contact; default: the first contact of the audience.",
    )


class TestSendResultSerializer(serializers.Serializer):
    to_email = serializers.EmailField()
    contact = serializers.IntegerField()
    subject = serializers.CharField()


class _CountsSerializer(serializers.Serializer):
    targeted = serializers.IntegerField()
    queued = serializers.IntegerField()
    sent = serializers.IntegerField()
    emailed = serializers.IntegerField(help_text="Sent by e-mail (the rest: inbox only).")
    failed = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    suppressed_by_reason = serializers.DictField(child=serializers.IntegerField())
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    read = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    open_rate = serializers.FloatField(allow_null=True, help_text="opened / emailed")
    click_rate = serializers.FloatField(allow_null=True, help_text="clicked / emailed")


class SegmentStatsSerializer(_CountsSerializer):
    segment = serializers.CharField()
    name = serializers.CharField()


class CampaignStatsSerializer(_CountsSerializer):
    by_segment = SegmentStatsSerializer(many=True)


class MessageSerializer(serializers.ModelSerializer):
    """A Message row as the dispatcher froze and sent it (the body is left out)."""

    contact_email = serializers.CharField(source="contact.email", read_only=True)
    contact_name = serializers.CharField(source="contact.full_name", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    # Declared: a read-only model field loses allow_blank, and the schema then left out the
    # "" of every message that was not suppressed.
    suppression_reason = serializers.ChoiceField(
        choices=SuppressionReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "campaign",
            "occurrence",
            "contact",
            "contact_email",
            "contact_name",
            "partner",
            "partner_name",
            "channel",
            "status",
            "suppression_reason",
            "to_email",
            "subject",
            "message_id",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "opened_at",
            "clicked_at",
            "read_at",
            "unsubscribed_at",
        ]
        read_only_fields = fields


class OccurrenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignOccurrence
        fields = ["id", "campaign", "key", "due_at", "partner", "status", "frozen_at", "created_at"]
        read_only_fields = fields


# ---------------------------------------------------------------------------------------
# Contact preferences (keyed by contact: no row = the defaults)
# ---------------------------------------------------------------------------------------


class ContactPreferenceSerializer(serializers.Serializer):
    """A contact's communication preferences; a contact without a row has the defaults
    (every topic, the global frequency cap)."""

    contact = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), help_text="The contact (its id is also the URL key)."
    )
    contact_email = serializers.EmailField(source="email", read_only=True)
    contact_name = serializers.CharField(source="full_name", read_only=True)
    partner = serializers.IntegerField(source="partner_id", read_only=True)
    unsubscribed_all = serializers.BooleanField(required=False)
    topics_opted_out = serializers.ListField(
        child=serializers.ChoiceField(choices=Topic.choices), required=False
    )
    max_per_week = serializers.IntegerField(
        min_value=0,
        max_value=100,
        allow_null=True,
        required=False,
        help_text="Overrides the global frequency cap; null = the default.",
    )
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # the URL names the contact
            fields["contact"].read_only = True
        return fields

    def to_representation(self, contact: Contact) -> dict:
        preference = _preference_of(contact)
        return {
            "contact": contact.pk,
            "contact_email": contact.email,
            "contact_name": contact.full_name,
            "partner": contact.partner_id,
            "unsubscribed_all": preference.unsubscribed_all,
            "topics_opted_out": list(preference.topics_opted_out),
            "max_per_week": preference.max_per_week,
            "updated_at": serializers.DateTimeField().to_representation(preference.updated_at)
            if preference.updated_at
            else None,
        }


def _preference_of(contact: Contact) -> ContactPreference:
    try:
        return contact.preference
    except ContactPreference.DoesNotExist:
        return ContactPreference(contact=contact)


# ---------------------------------------------------------------------------------------
# Inbox and surveys
# ---------------------------------------------------------------------------------------


class SurveyAnswerSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SurveyResponseSerializer(serializers.ModelSerializer):
    contact_email = serializers.CharField(source="contact.email", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "contact",
            "contact_email",
            "partner",
            "partner_name",
            "message",
            "score",
            "comment",
            "answered_at",
        ]
        read_only_fields = fields


class InboxSurveySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    comment_prompt = serializers.CharField()
    answer = serializers.DictField(allow_null=True, help_text="{score, comment, answered_at}")


class InboxMessageSerializer(serializers.ModelSerializer):
    """A portal message as its recipient sees it. HTML bodies are the campaign's trusted
    template with escaped personal data; show them in a sandboxed frame all the same."""

    topic = serializers.CharField(source="campaign.topic", read_only=True)
    is_read = serializers.SerializerMethodField()
    is_html = serializers.SerializerMethodField()
    survey = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id",
            "subject",
            "body",
            "is_html",
            "topic",
            "created_at",
            "sent_at",
            "read_at",
            "is_read",
            "survey",
        ]
        read_only_fields = fields

    def get_is_read(self, message: Message) -> bool:
        return message.read_at is not None

    def get_is_html(self, message: Message) -> bool:
        return body_is_html(message.body)

    @extend_schema_field(InboxSurveySerializer(allow_null=True))
    def get_survey(self, message: Message) -> dict | None:
        try:
            survey = message.campaign.survey
        except Survey.DoesNotExist:
            return None
        answers = self.context.get("answers", {})
        answer = answers.get(survey.pk)
        return {
            "id": survey.pk,
            "question": survey.question,
            "comment_prompt": survey.comment_prompt,
            "answer": {
                "score": answer.score,
                "comment": answer.comment,
                "answered_at": serializers.DateTimeField().to_representation(answer.answered_at),
            }
            if answer
            else None,
        }


class SurveySerializer(serializers.ModelSerializer):
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    response_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Survey
        fields = ["id", "campaign", "campaign_name", "question", "comment_prompt", "response_count"]
        read_only_fields = fields


class NpsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text="% promoters - % detractors.")


class SegmentNpsSerializer(NpsSerializer):
    segment = serializers.CharField()
    name = serializers.CharField()


class SurveySummarySerializer(NpsSerializer):
    survey = serializers.IntegerField()
    campaign = serializers.IntegerField()
    question = serializers.CharField()
    by_segment = SegmentNpsSerializer(many=True)


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
