"""Tier program API: tiers and their requirements, evaluation, what-if, the tier change
history with approve/reject, and a partner's progress toward its next tier."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from partners import tiers
from partners.api.permissions import request_contact
from partners.api.tier_serializers import (
    ThresholdErrorsSerializer,
    TierChangeSerializer,
    TierEvaluateRequestSerializer,
    TierEvaluateResultSerializer,
    TierProgressSerializer,
    TierSerializer,
    WhatIfRequestSerializer,
    WhatIfResultSerializer,
)
from partners.models import Partner, TierChangeSource
from partners.scoping import scoped
from partners.tiers.filters import TierChangeFilterSet
from prm.api.permissions import IsChannelManager


class TierViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Tiers with their requirements (by slug or id); managers edit requirements, run the
    evaluation now, and try proposed thresholds (what-if)."""

    serializer_class = TierSerializer
    ordering_fields = ["rank", "slug", "name"]
    ordering = ["rank"]
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        return tiers.tier_list()

    def get_object(self):
        """A tier by slug, or else by id."""
        value = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        condition = Q(slug=value) | Q(pk=int(value)) if value.isdigit() else Q(slug=value)
        matches = sorted(self.get_queryset().filter(condition), key=lambda t: t.slug != value)
        if not matches:
            raise Http404
        self.check_object_permissions(self.request, matches[0])
        return matches[0]

    def perform_update(self, serializer):
        tier = tiers.tier_update(tier=serializer.instance, data=serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=tier.pk)

    @extend_schema(request=TierEvaluateRequestSerializer, responses=TierEvaluateResultSerializer)
    @action(detail=False, methods=["post"])
    def evaluate(self, request: Request) -> Response:
        """Evaluate every partner's tier now: apply the moves or queue them for approval."""
        body = TierEvaluateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = tiers.tiers_evaluate(
            apply=body.validated_data.get("apply"), source=TierChangeSource.MANUAL
        )
        return Response(TierEvaluateResultSerializer(result).data)

    @extend_schema(
        request=WhatIfRequestSerializer,
        responses={
            200: WhatIfResultSerializer,
            400: OpenApiResponse(ThresholdErrorsSerializer, description="Each invalid value."),
        },
    )
    @action(detail=False, methods=["post"], url_path="what-if")
    def what_if(self, request: Request) -> Response:
        """How many partners would move up or down (and who) under proposed thresholds,
        compared with their current tier; nothing is saved."""
        try:
            data = request.data
        except ParseError as error:  # not JSON: answered in the documented shape too
            raise ValidationError(
                {"thresholds": [{"path": "", "message": str(error.detail)}]}
            ) from error
        body = WhatIfRequestSerializer(data=data)
        if not body.is_valid():  # missing or not JSON: the documented {path, message} shape
            messages = body.errors.get("thresholds") or ["Expected an object of thresholds."]
            raise ValidationError(
                {"thresholds": [{"path": "", "message": str(message)} for message in messages]}
            )
        try:
            result = tiers.tiers_what_if(thresholds=body.validated_data["thresholds"])
        except tiers.ThresholdsError as error:
            raise ValidationError({"thresholds": error.errors}) from error
        return Response(WhatIfResultSerializer(result).data)


class TierChangeViewSet(viewsets.ReadOnlyModelViewSet):
    """The tier change history, filtered by status, partner, direction, source; pending
    changes are approved or rejected here."""

    serializer_class = TierChangeSerializer
    filterset_class = TierChangeFilterSet
    search_fields = ["partner__name", "partner__external_id"]
    ordering_fields = ["id", "created_at", "decided_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return tiers.tier_change_list()

    def _decided(self, change) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=change.pk)).data)

    @extend_schema(request=None, responses=TierChangeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        """Apply a pending change (superseded if the partner's tier changed meanwhile)."""
        return self._decided(tiers.tier_change_approve(change=self.get_object(), user=request.user))

    @extend_schema(request=None, responses=TierChangeSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk=None) -> Response:
        """Reject a pending change; the partner keeps its tier."""
        return self._decided(tiers.tier_change_reject(change=self.get_object(), user=request.user))


class IsChannelManagerOrOwnPartner(BasePermission):
    """Channel managers see every partner; a partner user only their own company."""

    message = "Partner users may only see their own company."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)

    def has_object_permission(self, request, view, obj: Partner) -> bool:
        if IsChannelManager().has_permission(request, view):
            return True
        contact = getattr(request.user, "contact", None)
        return contact is not None and contact.partner_id == obj.pk


class PartnerTierProgressViewSet(viewsets.GenericViewSet):
    """GET /api/partners/{id}/tier-progress/ (registered on the partners prefix)."""

    queryset = Partner.objects.all()
    lookup_value_regex = "[0-9]+"
    permission_classes = [IsChannelManagerOrOwnPartner]
    filter_backends: list = []
    pagination_class = None

    def get_queryset(self):
        # A partner user's partners are only their own (partners.scoping): another
        # company's id is a 404, as everywhere in the portal, not a 403 that confirms it.
        if IsChannelManager().has_permission(self.request, self):
            return super().get_queryset()
        contact = request_contact(self.request)
        if contact is None:
            return Partner.objects.none()
        return scoped(super().get_queryset(), partner=contact.partner)

    @extend_schema(responses=TierProgressSerializer)
    @action(detail=True, methods=["get"], url_path="tier-progress")
    def tier_progress(self, request: Request, pk=None) -> Response:
        """The partner's tier, next tier and, per requirement, what is still missing."""
        progress = tiers.tier_progress(partner=self.get_object())
        return Response(TierProgressSerializer(progress).data)
