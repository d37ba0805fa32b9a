"""Segments API: thin ViewSet over segments.services and segments.selectors."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from partners.api.serializers import PartnerSerializer
from partners.models import Partner
from segments import selectors, services
from segments.api.serializers import (
    EvaluateResultSerializer,
    EvaluationRunSerializer,
    MembersChangeSerializer,
    MembershipEventSerializer,
    MembersUploadSerializer,
    OverlapPairSerializer,
    PreviewSerializer,
    RuleSerializer,
    SegmentSerializer,
    WarningSerializer,
)
from segments.fields import field_catalogue
from segments.filters import EvaluationRunFilterSet, MembershipEventFilterSet, SegmentFilterSet
from segments.models import EvaluationTrigger, Segment, SegmentKind
from segments.rules import RuleError, validate_rule

MAX_OVERLAP_SEGMENTS = 100


def _rule_errors_as_400(function, **kwargs):
    """Call a service; rule and model errors become HTTP 400 with their paths."""
    try:
        return function(**kwargs)
    except RuleError as error:
        raise ValidationError({"rule": error.errors}) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict"):
            raise ValidationError(error.message_dict) from error
        raise ValidationError(error.messages) from error


def _parse_moment(value: str) -> datetime:
    """An ISO date (the end of that day) or date-time; naive values are in local time."""
    try:
        # A date first: parse_datetime reads "2026-12-07" as its midnight, not its end.
        day = parse_date(value)
        moment = datetime.combine(day, time.max) if day else parse_datetime(value)
        if moment is None:
            raise ValueError(value)
    except ValueError as error:
        raise ValidationError({"as_of": ["expected an ISO 8601 date or date-time"]}) from error
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class SegmentViewSet(viewsets.ModelViewSet):
    """Segments: CRUD, preview, evaluate, members, explain, history, overlap and warnings."""

    serializer_class = SegmentSerializer
    filterset_class = SegmentFilterSet
    search_fields = ["name", "slug", "objective"]
    ordering_fields = ["name", "slug", "member_count", "last_evaluated_at", "created_at"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.segment_list()

    def filter_queryset(self, queryset):
        """The list's filters (`kind`, `name`, …) apply to the list only: a detail action's
        lookup ignores them (`?kind=left` on the history was the history's own filter, and
        answered 400 from the segment list's `kind`)."""
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def _filter(self, filterset_class, queryset):
        """Apply an action's own FilterSet (the list's is for segments); bad values are 400."""
        filterset = filterset_class(self.request.query_params, queryset=queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    def perform_create(self, serializer):
        serializer.instance = _rule_errors_as_400(
            services.segment_create, data=serializer.validated_data, owner=self.request.user
        )

    def perform_update(self, serializer):
        serializer.instance = _rule_errors_as_400(
            services.segment_update, segment=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        _rule_errors_as_400(services.segment_delete, segment=instance)

    @extend_schema(request=RuleSerializer, responses=PreviewSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """Count and sample the partners a rule would match now; nothing is saved."""
        body = RuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = body.validated_data["rule"]
        errors = validate_rule(rule)
        if errors:
            raise ValidationError({"rule": errors})
        return Response(selectors.segment_preview(rule=rule))

    @extend_schema(request=None, responses=EvaluateResultSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request: Request, pk=None) -> Response:
        """Evaluate the segment now: {matched, joined, left} and the run's status."""
        segment = self.get_object()
        if segment.kind != SegmentKind.DYNAMIC:
            raise ValidationError({"segment": ["a static segment has no rule to evaluate"]})
        run = services.segment_evaluate(segment_id=segment.id, trigger=EvaluationTrigger.API)
        body = {
            "run": run.id,
            "status": run.status,
            "matched": run.matched,
            "joined": run.joined,
            "left": run.left,
            "duration_ms": run.duration_ms,
            "error": run.error,
        }
        return Response(body)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description="The members as they were at the end of this day (YYYY-MM-DD).",
            )
        ],
        responses=PartnerSerializer(many=True),
    )
    @extend_schema(methods=["POST"], request=MembersChangeSerializer, responses=SegmentSerializer)
    @action(detail=True, methods=["get", "post"])
    def members(self, request: Request, pk=None) -> Response:
        """GET: the members, paginated, with the partner fields. POST (static segments): add
        partners by id or external_id. `?as_of=YYYY-MM-DD`: the members at the end of that
        day, from the join and leave history."""
        segment = self.get_object()
        if request.method == "POST":
            return self._change_members(request, segment, remove=False)
        as_of = request.query_params.get("as_of")
        if as_of:
            members = selectors.segment_members_as_of(segment=segment, at=_parse_moment(as_of))
        else:
            members = selectors.segment_members(segment=segment)
        page = self.paginate_queryset(members)
        return self.get_paginated_response(PartnerSerializer(page, many=True).data)

    @extend_schema(request=MembersChangeSerializer, responses=SegmentSerializer)
    @action(detail=True, methods=["post"], url_path="members/remove")
    def members_remove(self, request: Request, pk=None) -> Response:
        """Remove partners from a static segment by id or external_id."""
        return self._change_members(request, self.get_object(), remove=True)

    def _change_members(self, request: Request, segment: Segment, *, remove: bool) -> Response:
        body = MembersChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _rule_errors_as_400(
            services.segment_members_change,
            segment=segment,
            partner_ids=body.validated_data.get("partner_ids", []),
            external_ids=body.validated_data.get("external_ids", []),
            remove=remove,
        )
        segment.refresh_from_db()
        return Response(SegmentSerializer(segment).data)

    @extend_schema(request={"multipart/form-data": MembersUploadSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="members/import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def members_import(self, request: Request, pk=None) -> Response:
        """Static segments: add (or with replace=true, set) members from a CSV of external_ids."""
        segment = self.get_object()
        body = MembersUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > settings.PRM_IMPORT_MAX_BYTES:
            raise ValidationError(
                {"file": [f"larger than the limit of {settings.PRM_IMPORT_MAX_BYTES:,} bytes"]}
            )
        try:
            text = upload.read().decode("utf-8-sig")
            rows = list(csv.DictReader(io.StringIO(text)))
        except (UnicodeDecodeError, csv.Error) as error:
            raise ValidationError({"file": [f"not a readable UTF-8 CSV file: {error}"]}) from error
        if "\0" in text:  # no CSV of ids holds one, and the database refuses it (was a 500)
            raise ValidationError({"file": ["not a CSV file: it contains NUL bytes"]})
        if not rows or "external_id" not in rows[0]:
            raise ValidationError({"file": ["expected a CSV with an external_id column"]})
        result = _rule_errors_as_400(
            services.segment_members_set_from_external_ids,
            segment=segment,
            external_ids=[row["external_id"] or "" for row in rows],
            replace=body.validated_data["replace"],
        )
        return Response(result, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("partner", OpenApiTypes.INT, required=True)],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True, methods=["get"])
    def explain(self, request: Request, pk=None) -> Response:
        """Why a partner is (or is not) a member: each condition, its result and the value."""
        segment = self.get_object()
        partner_id = request.query_params.get("partner", "")
        if not partner_id.isdigit():
            raise ValidationError({"partner": ["a partner id is required, e.g. ?partner=42"]})
        partner = get_object_or_404(Partner, pk=int(partner_id))
        return Response(selectors.segment_explain(segment=segment, partner=partner))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATETIME,
                description="Instead of events, the members at this moment.",
            )
        ],
        responses=MembershipEventSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk=None) -> Response:
        """Join and leave events (filter by since, until, partner, kind), or with `as_of` the
        membership as it was at that moment."""
        segment = self.get_object()
        as_of = request.query_params.get("as_of")
        if as_of:
            moment = _parse_moment(as_of)
            partners = selectors.segment_members_as_of(segment=segment, at=moment).values(
                "id", "external_id", "name"
            )
            page = self.paginate_queryset(partners)
            return self.get_paginated_response(list(page))
        events = self._filter(MembershipEventFilterSet, selectors.segment_events(segment=segment))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(MembershipEventSerializer(page, many=True).data)

    @extend_schema(responses=EvaluationRunSerializer(many=True))
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, pk=None) -> Response:
        """The segment's evaluation runs, newest first, with duration and errors."""
        segment = self.get_object()
        runs = self._filter(EvaluationRunFilterSet, selectors.segment_runs(segment=segment))
        page = self.paginate_queryset(runs)
        return self.get_paginated_response(EvaluationRunSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "segments", OpenApiTypes.STR, description="Comma-separated slugs (default all)."
            )
        ],
        responses=OverlapPairSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def overlap(self, request: Request) -> Response:
        """Pairwise shared members and Jaccard index for the chosen segments."""
        slugs = [
            slug.strip()
            for value in request.query_params.getlist("segments")
            for slug in value.split(",")
            if slug.strip()
        ]
        segments = Segment.objects.filter(is_active=True)
        if slugs:
            segments = Segment.objects.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - set(segments.values_list("slug", flat=True)))
            if unknown:
                raise ValidationError({"segments": [f"unknown: {', '.join(unknown)}"]})
        segments = list(segments.order_by("slug")[: MAX_OVERLAP_SEGMENTS + 1])
        if len(segments) > MAX_OVERLAP_SEGMENTS:
            raise ValidationError({"segments": [f"choose at most {MAX_OVERLAP_SEGMENTS} segments"]})
        return Response(selectors.segment_overlap(segments=segments))

    @extend_schema(responses=WarningSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def warnings(self, request: Request) -> Response:
        """Tiny, near-duplicate, stale and failing segments, and over-segmentation."""
        return Response(selectors.segment_warnings())

    # A list of field descriptions (the fuzz test found it documented as one object).
    @extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
    @action(detail=False, methods=["get"], pagination_class=None)
    def fields(self, request: Request) -> Response:
        """The rule language: every field with its type, operators and choices."""
        return Response(field_catalogue())
