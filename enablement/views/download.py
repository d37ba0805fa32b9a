"""The gated file download: the only way a stored content file leaves the server."""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from enablement import selectors, services
from enablement.models import ContentItem, EngagementKind
from partners.api.permissions import request_contact


class ContentDownloadView(APIView):
    """GET /enablement/content/<id>/download/ — the file as an attachment. Partner users get
    it only while the content is visible to them (content_for_contact), staff always; anyone
    else gets 404, anonymous callers 401. Works with a portal session or an API token."""

    permission_classes = [IsAuthenticated]

    # A path with an id that is not a number is not this page: the site's HTML 404 answers it.
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            (404, "text/html"): OpenApiTypes.STR,
        }
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        contact = request_contact(request)
        if request.user.is_staff:
            items = ContentItem.objects.all()
        elif contact is not None:
            items = selectors.content_for_contact(contact=contact)
        else:
            raise Http404
        item = items.exclude(file="").filter(pk=pk).first()
        if item is None:
            raise Http404
        try:
            handle = item.file.open("rb")
        except FileNotFoundError as error:
            raise Http404 from error
        if contact is not None:
            services.engagement_event_record(
                contact=contact, kind=EngagementKind.DOWNLOAD, content=item
            )
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=item.file_name,
            content_type=services.content_type_for(item.file.name),
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
