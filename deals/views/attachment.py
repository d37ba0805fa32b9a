"""A registration's attachment: the only way its file leaves the server (the storage has no
URL). Staff here; partner users through the portal's own route, scoped to their company."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views import View

from deals.models import DealRegistration
from partners.access import StaffRequiredMixin
from prm.uploads import content_type_for


def attachment_response(deal: DealRegistration | None) -> FileResponse:
    """The deal's file as a download, or 404 when there is none (or it is gone from disk)."""
    if deal is None or not deal.attachment:
        raise Http404
    try:
        handle = deal.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=deal.attachment.name.rsplit("/", 1)[-1],
        content_type=content_type_for(deal.attachment.name),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class DealAttachmentView(StaffRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        return attachment_response(DealRegistration.objects.filter(pk=pk).first())
