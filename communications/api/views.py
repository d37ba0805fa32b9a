"""Communications API: thin ViewSets over communications.services and .selectors.

Channel managers run campaigns, read their stats and messages, edit any contact's
preferences and read survey summaries. Partner users have their inbox (portal messages,
read state, survey answers) and their own company's contacts' preferences, every row through
partners.scoping; whatever is not theirs is a 404, and a foreign contact id in a payload is
rejected like an unknown one.
"""

from __future__ import annotations

from django.db.models import Count
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from communications import selectors, services
from communications.api.serializers import (
    AudienceContactSerializer,
    AudienceSerializer,
    CampaignErrorsSerializer,
    CampaignPreviewSerializer,
    CampaignSerializer,
    CampaignStatsSerializer,
    ContactPreferenceSerializer,
    InboxMessageSerializer,
    MessageSerializer,
    OccurrenceSerializer,
    SurveyAnswerSerializer,
    SurveyResponseSerializer,
    SurveySerializer,
    SurveySummarySerializer,
    TestSendRequestSerializer,
    TestSendResultSerializer,
    UnreadCountSerializer,
)
from communications.filters import (
    CampaignFilterSet,
    ContactPreferenceFilterSet,
    InboxFilterSet,
    MessageFilterSet,
    OccurrenceFilterSet,
)
from communications.models import ContactPreference, Message, Survey, SurveyResponse
from partners.api.permissions import IsManagerOrPartnerUser, IsPartnerUser, request_contact
from partners.models import Contact
from partners.scoping import scoped

AUDIENCE_SAMPLE_SIZE = 10
AUDIENCE_SAMPLE_MAX = 100


class CampaignInvalid(exceptions.ValidationError):
    """400 with the service's errors as they are (template errors keep their int lines)."""

    def __init__(self, errors: dict) -> None:
        super().__init__()
        self.detail = errors


class MailServerError(exceptions.APIException):
    status_code = 502
    default_detail = "The mail server did not accept the e-mail."
    default_code = "mail_server_error"


def _call(function, **kwargs):
    """Call a service; its validation errors become HTTP 400 and nothing is written."""
    try:
        return function(**kwargs)
    except services.CampaignValidationError as error:
        raise CampaignInvalid(error.errors) from error


def _filter(request: Request, filterset_class, queryset):
    filterset = filterset_class(request.query_params, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


CAMPAIGN_ERRORS = OpenApiResponse(
    CampaignErrorsSerializer, description="Every problem; nothing was saved or sent."
)


class CampaignViewSet(viewsets.ModelViewSet):
    """Campaigns for channel managers: CRUD (only drafts without messages can be deleted),
    schedule, pause, resume, cancel, test send, audience and preview before scheduling,
    stats (overall and per segment), messages and occurrences."""

    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    search_fields = ["name", "subject_template"]
    ordering_fields = ["id", "name", "created_at", "updated_at", "next_occurrence_at", "status"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return selectors.campaign_list()

    def _respond(self, campaign, *, status_code: int = status.HTTP_200_OK) -> Response:
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(self.get_serializer(campaign).data, status=status_code)

    @extend_schema(responses={201: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        schedule = data.pop("schedule", False)
        campaign = _call(
            services.campaign_create, data=data, created_by=request.user, schedule=schedule
        )
        return self._respond(campaign, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    def update(self, request: Request, *args, **kwargs) -> Response:
        partial = kwargs.pop("partial", False)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        campaign = _call(
            services.campaign_update,
            campaign=serializer.instance,
            data=dict(serializer.validated_data),
        )
        return self._respond(campaign)

    @extend_schema(responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance) -> None:
        _call(services.campaign_delete, campaign=instance)

    def _transition(self, service) -> Response:
        return self._respond(_call(service, campaign=self.get_object()))

    @extend_schema(request=None, responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    @action(detail=True, methods=["post"])
    def schedule(self, request: Request, pk=None) -> Response:
        """Draft -> scheduled, after checking templates, schedule and a non-empty audience."""
        return self._transition(services.campaign_schedule)

    @extend_schema(request=None, responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk=None) -> Response:
        """Hold a scheduled or sending campaign: nothing more is sent until it is resumed."""
        return self._transition(services.campaign_pause)

    @extend_schema(request=None, responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk=None) -> Response:
        """Continue a paused campaign (a recurring one from its next occurrence)."""
        return self._transition(services.campaign_resume)

    @extend_schema(request=None, responses={200: CampaignSerializer, 400: CAMPAIGN_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk=None) -> Response:
        """Stop for good: pending occurrences are cancelled and their messages not sent."""
        return self._transition(services.campaign_cancel)

    @extend_schema(
        request=TestSendRequestSerializer,
        responses={200: TestSendResultSerializer, 400: CAMPAIGN_ERRORS, 502: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["post"], url_path="test-send")
    def test_send(self, request: Request, pk=None) -> Response:
        """Send one "[TEST]" e-mail to an address, rendered for a contact (default: the first
        of the audience); no message is recorded."""
        campaign = self.get_object()
        body = TestSendRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = _call(
                services.campaign_test_send,
                campaign=campaign,
                to_email=body.validated_data["to_email"],
                contact=body.validated_data.get("contact"),
            )
        except services.TestSendFailed as error:
            raise MailServerError(str(error)) from error
        return Response(TestSendResultSerializer(result).data)

    @extend_schema(
        parameters=[OpenApiParameter("sample_size", OpenApiTypes.INT, description="Default 10.")],
        responses=AudienceSerializer,
    )
    @action(detail=True, methods=["get"])
    def audience(self, request: Request, pk=None) -> Response:
        """How many contacts the campaign would reach now, and a sample of them (for a
        triggered campaign: the contacts of the trigger segment's current members)."""
        campaign = self.get_object()
        size = request.query_params.get("sample_size", str(AUDIENCE_SAMPLE_SIZE))
        if not size.isdigit() or not 0 <= int(size) <= AUDIENCE_SAMPLE_MAX:
            raise exceptions.ValidationError(
                {"sample_size": [f"expected a number from 0 to {AUDIENCE_SAMPLE_MAX}"]}
            )
        contacts = selectors.campaign_sample_audience(campaign=campaign)
        sample = contacts[: int(size)]
        return Response(
            {
                "count": contacts.count(),
                "sample": AudienceContactSerializer(sample, many=True).data,
            }
        )

    @extend_schema(
        parameters=[OpenApiParameter("contact", OpenApiTypes.INT, description="A contact id.")],
        responses={200: CampaignPreviewSerializer, 400: CAMPAIGN_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def preview(self, request: Request, pk=None) -> Response:
        """The subject and body rendered for a contact (default: the first of the
        audience), with the links found in the body. Nothing is saved or sent."""
        campaign = self.get_object()
        contact = None
        contact_id = request.query_params.get("contact")
        if contact_id is not None:
            if not contact_id.isdigit():
                raise exceptions.ValidationError({"contact": ["expected a contact id"]})
            contact = get_object_or_404(
                Contact.objects.select_related("partner", "partner__tier"), pk=int(contact_id)
            )
        return Response(_call(services.campaign_preview, campaign=campaign, contact=contact))

    @extend_schema(responses=CampaignStatsSerializer)
    @action(detail=True, methods=["get"])
    def stats(self, request: Request, pk=None) -> Response:
        """Targeted, queued, sent, failed, suppressed (by reason), opened, clicked, read,
        unsubscribed and rates, overall and per segment (members now)."""
        campaign = self.get_object()
        return Response(
            {
                **selectors.campaign_stats(campaign=campaign),
                "by_segment": selectors.campaign_stats_by_segment(campaign=campaign),
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("reason", OpenApiTypes.STR, description="Suppression reason."),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("contact", OpenApiTypes.INT),
            OpenApiParameter("partner", OpenApiTypes.INT),
            OpenApiParameter("occurrence", OpenApiTypes.INT),
        ],
        responses=MessageSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[])
    def messages(self, request: Request, pk=None) -> Response:
        """The campaign's messages (paginated, newest first), filtered by status, reason,
        channel, contact, partner or occurrence."""
        campaign = self.get_object()
        messages = _filter(
            request, MessageFilterSet, selectors.campaign_messages(campaign=campaign)
        )
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(responses=OccurrenceSerializer(many=True))
    @action(detail=True, methods=["get"], filterset_class=None, search_fields=[])
    def occurrences(self, request: Request, pk=None) -> Response:
        """The campaign's occurrences (one per sending, or per joining partner)."""
        campaign = self.get_object()
        occurrences = _filter(
            request, OccurrenceFilterSet, campaign.occurrences.order_by("-due_at", "-id")
        )
        page = self.paginate_queryset(occurrences)
        return self.get_paginated_response(OccurrenceSerializer(page, many=True).data)


class ContactPreferenceViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Communication preferences, keyed by contact id (a contact without a row has the
    defaults). Managers: every contact; POST {contact, …} sets, DELETE resets. Partner
    users: read and update the contacts of their own company."""

    serializer_class = ContactPreferenceSerializer
    permission_classes = [IsManagerOrPartnerUser]
    partner_actions = frozenset({"update", "partial_update"})
    filterset_class = ContactPreferenceFilterSet
    search_fields = ["email", "first_name", "last_name"]
    ordering_fields = ["id", "email", "last_name"]
    ordering = ["id"]
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        contacts = Contact.objects.select_related("preference")
        contact = request_contact(self.request)
        if contact is not None:
            return scoped(contacts, partner=contact.partner)
        return contacts

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        contact = request_contact(self.request)
        if contact is not None and not kwargs.get("many") and "contact" in serializer.fields:
            # A payload's contact id must be one of the partner's own contacts.
            serializer.fields["contact"].queryset = scoped(Contact, partner=contact.partner)
        return serializer

    def _save(self, contact: Contact, data: dict) -> Contact:
        data = {key: value for key, value in data.items() if key != "contact"}
        _call(services.contact_preference_update, contact=contact, data=data)
        return self.get_queryset().get(pk=contact.pk)

    @extend_schema(responses={200: ContactPreferenceSerializer, 201: ContactPreferenceSerializer})
    def create(self, request: Request) -> Response:
        """Set a contact's preferences (201 when the contact had none yet)."""
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        contact = body.validated_data["contact"]
        existed = ContactPreference.objects.filter(contact=contact).exists()
        contact = self._save(contact, body.validated_data)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.get_serializer(contact).data, status=code)

    def update(self, request: Request, pk=None, partial: bool = False) -> Response:
        contact = self.get_object()
        body = self.get_serializer(contact, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._save(contact, body.validated_data)).data)

    def partial_update(self, request: Request, pk=None) -> Response:
        return self.update(request, pk=pk, partial=True)

    def destroy(self, request: Request, pk=None) -> Response:
        """Reset to the defaults."""
        services.contact_preference_reset(contact=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A partner user's portal inbox: their portal messages, newest first. Opening one
    marks it read; a message carrying a survey is answered at {id}/survey/."""

    serializer_class = InboxMessageSerializer
    permission_classes = [IsPartnerUser]
    filterset_class = InboxFilterSet
    search_fields = ["subject"]
    ordering_fields = ["created_at", "sent_at"]
    ordering = ["-created_at", "-id"]

    @property
    def contact(self) -> Contact:
        return request_contact(self.request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return Message.objects.none()
        return scoped(
            selectors.inbox_for_contact(contact=self.contact), partner=self.contact.partner
        )

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.request.user.is_authenticated and self.contact is not None:
            context["answers"] = {
                answer.survey_id: answer
                for answer in scoped(SurveyResponse, partner=self.contact.partner).filter(
                    contact=self.contact
                )
            }
        return context

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        messages = [services.message_render_for_inbox(message=message) for message in page]
        return self.get_paginated_response(self.get_serializer(messages, many=True).data)

    def _read(self) -> Response:
        message = services.message_mark_read(message=self.get_object(), contact=self.contact)
        message = services.message_render_for_inbox(message=message)
        return Response(self.get_serializer(message).data)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        """The message; marks it read."""
        return self._read()

    @extend_schema(request=None, responses=InboxMessageSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk=None) -> Response:
        """Mark the message read (the first read time is kept)."""
        return self._read()

    @extend_schema(
        request=SurveyAnswerSerializer,
        responses={201: SurveyResponseSerializer, 200: SurveyResponseSerializer},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def survey(self, request: Request, pk=None) -> Response:
        """Answer the survey the message carries: score 0-10 and an optional comment.
        201 for a first answer; answering again replaces it (200)."""
        message = self.get_object()
        body = SurveyAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        survey = Survey.objects.filter(campaign_id=message.campaign_id).first()
        if survey is None:
            raise exceptions.ValidationError({"survey": ["this message carries no survey"]})
        existed = selectors.survey_response_for(survey=survey, contact=self.contact) is not None
        answer = _call(
            services.survey_answer,
            message_or_contact=message,
            survey=survey,
            score=body.validated_data["score"],
            comment=body.validated_data.get("comment", ""),
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(SurveyResponseSerializer(answer).data, status=code)

    @extend_schema(responses=UnreadCountSerializer)
    @action(detail=False, methods=["get"], url_path="unread-count", filterset_class=None)
    def unread_count(self, request: Request) -> Response:
        """How many inbox messages are unread."""
        return Response({"unread": selectors.inbox_unread_count(contact=self.contact)})


class SurveyViewSet(viewsets.ReadOnlyModelViewSet):
    """Surveys carried by campaigns, for channel managers: answers and the NPS summary."""

    serializer_class = SurveySerializer
    ordering_fields = ["id"]
    ordering = ["-id"]
    search_fields = ["question", "campaign__name"]

    def get_queryset(self):
        return Survey.objects.select_related("campaign").annotate(response_count=Count("responses"))

    @extend_schema(responses=SurveySummarySerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def summary(self, request: Request, pk=None) -> Response:
        """NPS, count and average score, overall and per included segment."""
        return Response(selectors.survey_summary(survey=self.get_object()))

    @extend_schema(responses=SurveyResponseSerializer(many=True))
    @action(detail=True, methods=["get"])
    def responses(self, request: Request, pk=None) -> Response:
        """Every answer with its contact and partner, newest first."""
        page = self.paginate_queryset(selectors.survey_responses(survey=self.get_object()))
        return self.get_paginated_response(SurveyResponseSerializer(page, many=True).data)
