"""The "Enablement" panel of the manager's partner page (an HTML fragment loaded by htmx)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from enablement import selectors
from partners.access import staff_required
from partners.models import Partner


@staff_required
def partner_panel(request: HttpRequest, partner_pk: int) -> HttpResponse:
    """The partner's enablement completion, each contact's learning path progress and the
    certifications it holds with their expiry; a constant number of queries."""
    try:
        context = selectors.partner_enablement(partner_id=partner_pk)
    except Partner.DoesNotExist as error:
        raise Http404("No such partner.") from error
    return render(request, "enablement/_partner_panel.html", context)
