"""Partners and contacts API: thin ViewSets over partners.services and partners.selectors."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from partners import exports, imports, selectors, services
from partners.api.serializers import (
    ContactSerializer,
    ImportErrorsSerializer,
    ImportResultSerializer,
    ImportUploadSerializer,
    PartnerSerializer,
)
from partners.filters import ContactFilterSet, PartnerFilterSet, search_result_ordering

ORDERING_FIELDS = [
    "id",
    "name",
    "external_id",
    "partner_type",
    "region",
    "country",
    "lifecycle_stage",
    "employee_count",
    "annual_revenue",
    "joined_at",
    "tech_savviness",
    "revenue_12m",
    "deals_won_12m",
    "engagement_score",
    "last_activity_at",
    "created_at",
    "updated_at",
    "tier__rank",
]


def _run_import(request: Request, import_function) -> Response:
    try:
        data = request.data
    except ParseError as error:  # a malformed upload: the documented shape as well
        errors = [{"row": None, "column": None, "message": str(error.detail)}]
        return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    upload = ImportUploadSerializer(data=data)
    if not upload.is_valid():  # no file: the documented {"errors": [...]} shape all the same
        errors = [
            {"row": None, "column": field, "message": str(message)}
            for field, messages in upload.errors.items()
            for message in messages
        ]
        return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
    try:
        result = import_function(
            file=upload.validated_data["file"], filename=upload.validated_data["file"].name
        )
    except imports.ImportValidationError as error:
        return Response({"errors": error.errors}, status=status.HTTP_400_BAD_REQUEST)
    return Response(
        {"created": result.created, "updated": result.updated}, status=status.HTTP_201_CREATED
    )


IMPORT_SCHEMA = extend_schema(
    request={"multipart/form-data": ImportUploadSerializer},
    responses={
        201: ImportResultSerializer,
        400: OpenApiResponse(
            ImportErrorsSerializer, description="Every row error; nothing written."
        ),
    },
)


class PartnerOrderingFilter(OrderingFilter):
    """DRF's ordering; a searched list asks for it in the form PostgreSQL sorts (same order,
    see partners.filters.search_result_ordering)."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        if SearchFilter().get_search_terms(request):
            return queryset.order_by(*search_result_ordering(list(ordering)))
        return queryset.order_by(*ordering)


class PartnerViewSet(viewsets.ModelViewSet):
    """Partner profiles: list with filters on every field and `?search=`, CRUD, import, export."""

    serializer_class = PartnerSerializer
    filterset_class = PartnerFilterSet
    filter_backends = [DjangoFilterBackend, SearchFilter, PartnerOrderingFilter]
    search_fields = ["name", "external_id"]
    ordering_fields = ORDERING_FIELDS
    ordering = ["name", "id"]

    def get_queryset(self):
        return selectors.partner_list()

    def perform_create(self, serializer):
        partner = services.partner_create(data=serializer.validated_data)
        serializer.instance = selectors.partner_get(partner_id=partner.id)

    def perform_update(self, serializer):
        partner = services.partner_update(
            partner=serializer.instance, data=serializer.validated_data
        )
        serializer.instance = selectors.partner_get(partner_id=partner.id)

    def perform_destroy(self, instance):
        services.partner_delete(partner=instance)

    @IMPORT_SCHEMA
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: Request) -> Response:
        """Upsert partners from a CSV/XLSX file: all rows or, on any error, none."""
        return _run_import(request, imports.partners_import)

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv")
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
        },
    )
    @action(detail=False, methods=["get"], url_path="export", pagination_class=None)
    def export(self, request: Request):
        """The filtered list (same filters as the list) as CSV or XLSX, import columns."""
        file_format = request.query_params.get("file_format", "csv")
        if file_format not in exports.FORMATS:
            raise ValidationError({"file_format": [f"Expected one of {list(exports.FORMATS)}."]})
        queryset = self.filter_queryset(self.get_queryset())
        return exports.partners_export_response(queryset=queryset, file_format=file_format)


class ContactViewSet(viewsets.ModelViewSet):
    """People at partners: CRUD, filters, `?search=` on name and e-mail, import."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    search_fields = ["first_name", "last_name", "email", "partner__name"]
    ordering_fields = ["id", "last_name", "first_name", "email", "role", "created_at"]
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self):
        return selectors.contact_list()

    def perform_create(self, serializer):
        serializer.instance = services.contact_create(data=serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.contact_update(
            contact=serializer.instance, data=serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.contact_delete(contact=instance)

    @IMPORT_SCHEMA
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: Request) -> Response:
        """Upsert contacts (matched on e-mail) from CSV/XLSX: all rows or, on error, none."""
        return _run_import(request, imports.contacts_import)
