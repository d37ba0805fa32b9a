"""Enablement API: thin ViewSets over enablement.services and enablement.selectors.

Channel managers use everything. Partner users read what their audience allows (content,
paths and the certification catalogue are not partner-owned: enablement's gating selectors
decide) and act on their own enrolments, which go through partners.scoping as well as being
narrowed to their contact, so another person's (or partner's) object is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from enablement import selectors, services
from enablement.api.serializers import (
    CertificationSerializer,
    CompleteStepRefusedSerializer,
    CompleteStepResultSerializer,
    CompleteStepSerializer,
    ContentItemReadSerializer,
    ContentItemSerializer,
    EnrollmentSerializer,
    LearningPathPublicSerializer,
    LearningPathSerializer,
    LearningStepSerializer,
    SelfEnrollmentSerializer,
)
from enablement.filters import (
    CertificationFilterSet,
    ContentItemFilterSet,
    EnrollmentFilterSet,
    LearningPathFilterSet,
    LearningStepFilterSet,
)
from enablement.models import EngagementKind, LearningStep
from partners.api.permissions import IsManagerOrPartnerUser, request_contact
from partners.models import Contact
from partners.scoping import scoped
from prm.api.schema import AnyOfSerializer


class PartnerScopedViewSet(viewsets.ModelViewSet):
    """Managers get `manager_queryset()` and `serializer_class`; partner users get
    `partner_queryset(contact)` and `partner_serializer_class`, and may use the actions
    in `partner_actions` beyond reading."""

    permission_classes = [IsManagerOrPartnerUser]
    partner_actions: frozenset[str] = frozenset()
    partner_serializer_class = None

    @property
    def contact(self) -> Contact | None:
        return request_contact(self.request)

    def manager_queryset(self):
        raise NotImplementedError

    def partner_queryset(self, contact: Contact):
        raise NotImplementedError

    def get_queryset(self):
        contact = self.contact
        if contact is not None:
            return self.partner_queryset(contact)
        queryset = self.manager_queryset()
        user = self.request.user
        return queryset if user and user.is_staff else queryset.none()

    def get_serializer_class(self):
        if self.contact is not None and self.partner_serializer_class is not None:
            return self.partner_serializer_class
        return self.serializer_class


def _by_caller(*, manager, partner, name: str) -> dict:
    """The list and detail answers of a viewset whose partner users get another shape."""

    def answer(many: bool) -> AnyOfSerializer:
        return AnyOfSerializer(
            component_name=name,
            serializers=[manager, partner],
            resource_type_field_name=None,
            many=many,
        )

    return {
        "list": extend_schema(responses=answer(many=True)),
        "retrieve": extend_schema(responses=answer(many=False)),
    }


@extend_schema_view(
    **_by_caller(
        manager=ContentItemSerializer, partner=ContentItemReadSerializer, name="ContentItemAny"
    )
)
class ContentItemViewSet(PartnerScopedViewSet):
    """The content library. Managers: CRUD (multipart upload for files). Partner users: the
    published content their audience allows; opening one records a view."""

    serializer_class = ContentItemSerializer
    partner_serializer_class = ContentItemReadSerializer
    filterset_class = ContentItemFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    search_fields = ["title", "summary", "slug"]
    ordering_fields = ["id", "title", "kind", "published_at", "expires_at", "created_at"]
    ordering = ["-published_at", "-id"]

    def manager_queryset(self):
        return selectors.content_list()

    def partner_queryset(self, contact: Contact):
        return selectors.content_for_contact(contact=contact)

    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        item = self.get_object()
        if self.contact is not None:
            services.engagement_event_record(
                contact=self.contact, kind=EngagementKind.VIEW, content=item
            )
        return Response(self.get_serializer(item).data)

    def perform_create(self, serializer):
        serializer.instance = services.content_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.content_update(
            content=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.content_delete(content=instance)


@extend_schema_view(
    **_by_caller(
        manager=LearningPathSerializer,
        partner=LearningPathPublicSerializer,
        name="LearningPathAny",
    )
)
class LearningPathViewSet(PartnerScopedViewSet):
    """Learning paths. Managers: CRUD (steps at /api/learning-steps/). Partner users: the
    active paths their audience allows, quiz answers hidden."""

    serializer_class = LearningPathSerializer
    partner_serializer_class = LearningPathPublicSerializer
    filterset_class = LearningPathFilterSet
    search_fields = ["title", "description", "slug"]
    ordering_fields = ["id", "title", "created_at"]
    ordering = ["title", "id"]

    def manager_queryset(self):
        return selectors.learning_path_list()

    def partner_queryset(self, contact: Contact):
        return selectors.learning_paths_for_contact(contact=contact)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.contact is not None:
            context["visible_content_ids"] = set(
                selectors.content_for_contact(contact=self.contact).values_list("id", flat=True)
            )
        return context

    def perform_create(self, serializer):
        serializer.instance = services.learning_path_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.learning_path_update(
            path=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.learning_path_delete(path=instance)


class LearningStepViewSet(viewsets.ModelViewSet):
    """Steps of learning paths, for channel managers (partner users read them in the path)."""

    serializer_class = LearningStepSerializer
    filterset_class = LearningStepFilterSet
    ordering_fields = ["path", "order", "id"]
    ordering = ["path", "order", "id"]

    def get_queryset(self):
        return selectors.learning_step_list()

    def perform_create(self, serializer):
        serializer.instance = services.learning_step_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.learning_step_update(
            step=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.learning_step_delete(step=instance)


class EnrollmentViewSet(PartnerScopedViewSet):
    """Enrolments. Managers: all, and enrol any contact. Partner users: their own, enrol
    themselves in a path they may see, and complete steps."""

    serializer_class = EnrollmentSerializer
    partner_serializer_class = SelfEnrollmentSerializer
    filterset_class = EnrollmentFilterSet
    partner_actions = frozenset({"create", "complete_step"})
    http_method_names = ["get", "post", "delete", "head", "options"]
    ordering_fields = ["id", "enrolled_at", "due_at", "completed_at", "progress_pct"]
    ordering = ["-enrolled_at", "-id"]

    def manager_queryset(self):
        return selectors.enrollment_list()

    def partner_queryset(self, contact: Contact):
        return scoped(selectors.enrollment_list(contact=contact), partner=contact.partner)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.contact is not None and self.action == "create":
            context["visible_paths"] = selectors.learning_paths_for_contact(contact=self.contact)
        return context

    def perform_create(self, serializer):
        contact = self.contact or serializer.validated_data["contact"]
        enrollment = services.enrollment_create(
            contact=contact, path=serializer.validated_data["path"]
        )
        serializer.instance = selectors.enrollment_list().get(pk=enrollment.pk)

    def perform_destroy(self, instance):
        services.enrollment_delete(enrollment=instance)

    @extend_schema(
        request=CompleteStepSerializer,
        responses={
            200: CompleteStepResultSerializer,
            400: OpenApiResponse(
                CompleteStepRefusedSerializer,
                description="Invalid input or a quiz below its pass mark; nothing saved.",
            ),
        },
    )
    @action(detail=True, methods=["post"], url_path="complete-step")
    def complete_step(self, request: Request, pk=None) -> Response:
        """Complete a step of this enrolment; a quiz is graded here (below the pass mark:
        400 with the score, nothing saved)."""
        enrollment = self.get_object()
        body = CompleteStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step = LearningStep.objects.filter(pk=body.validated_data["step"]).first()
        if step is None:
            raise ValidationError({"step": ["No such step."]})
        try:
            completion = services.learning_step_complete(
                enrollment=enrollment,
                step=step,
                answers=body.validated_data.get("answers"),
                actor_contact=self.contact,
            )
        except services.QuizFailedError as failure:
            return Response(
                {
                    **failure.message_dict,
                    "score": failure.score,
                    "pass_mark": failure.pass_mark,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        enrollment = selectors.enrollment_list().get(pk=enrollment.pk)
        return Response(
            {
                "step": step.id,
                "score": completion.score,
                "enrollment": EnrollmentSerializer(
                    enrollment, context=self.get_serializer_context()
                ).data,
            }
        )


class CertificationViewSet(PartnerScopedViewSet):
    """The certification catalogue: CRUD for managers, read for partner users."""

    serializer_class = CertificationSerializer
    filterset_class = CertificationFilterSet
    search_fields = ["name", "slug", "description"]
    ordering_fields = ["id", "name", "slug", "validity_days"]
    ordering = ["name", "id"]

    def manager_queryset(self):
        return selectors.certification_list()

    def partner_queryset(self, contact: Contact):
        return selectors.certification_list()

    def perform_create(self, serializer):
        serializer.instance = services.certification_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.certification_update(
            certification=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.certification_delete(certification=instance)
