"""Public pages behind the signed links of an e-mail: one-click unsubscribe (RFC 8058), the
preference page of a contact, the open pixel and the click redirect. No login: the token is
the credential; a bad, forged or expired token answers 400 and changes nothing."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from communications import tracking
from communications.forms import PreferencesForm


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "communications/invalid_link.html", status=400)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class UnsubscribeView(View):
    """GET: a page that asks to confirm (link scanners fetch GETs, so a GET changes
    nothing). POST: unsubscribe, from the page or from a mail client's RFC 8058 one-click
    POST (`List-Unsubscribe=One-Click`, no CSRF token possible: the signed URL is the
    credential)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            message = tracking.message_for_unsubscribe(token=token)
        except (tracking.BadToken, tracking.LinkNotFound):
            return _invalid_link(request)
        return _no_store(
            render(
                request,
                "communications/unsubscribe_confirm.html",
                {"message": message, "email": message.to_email or message.contact.email},
            )
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            message = tracking.message_unsubscribe(token=token)
        except (tracking.BadToken, tracking.LinkNotFound):
            return _invalid_link(request)
        return _no_store(
            render(
                request,
                "communications/unsubscribed.html",
                {
                    "email": message.to_email or message.contact.email,
                    "preferences_url": tracking.preferences_url(contact_id=message.contact_id),
                },
            )
        )


@method_decorator(never_cache, name="dispatch")
class PreferencesView(View):
    """A contact's own preferences: all campaign e-mail on or off, topics, weekly cap."""

    template_name = "communications/preferences.html"

    def _contact(self, token: str):
        try:
            return tracking.contact_for_preferences(token=token)
        except (tracking.BadToken, tracking.LinkNotFound):
            return None

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        contact = self._contact(token)
        if contact is None:
            return _invalid_link(request)
        preference = tracking.contact_preference_get(contact=contact)
        form = PreferencesForm(initial=PreferencesForm.initial_for(preference))
        saved = request.GET.get("saved") == "1"
        return _no_store(
            render(request, self.template_name, {"form": form, "contact": contact, "saved": saved})
        )

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        contact = self._contact(token)
        if contact is None:
            return _invalid_link(request)
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return _no_store(
                render(request, self.template_name, {"form": form, "contact": contact}, status=400)
            )
        tracking.contact_preference_save(
            contact=contact,
            receive_email=form.cleaned_data["receive_email"],
            topics_wanted=form.cleaned_data["topics"],
            max_per_week=form.cleaned_data["max_per_week"],
        )
        return HttpResponseRedirect(f"{request.path}?saved=1")


@require_GET
@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """The 1x1 GIF of an HTML e-mail: records the first open."""
    try:
        tracking.message_mark_opened(token=token)
    except tracking.BadToken:
        return HttpResponse("invalid tracking link", status=400, content_type="text/plain")
    return HttpResponse(tracking.PIXEL_GIF, content_type="image/gif")


@require_GET
@never_cache
def click(request: HttpRequest, token: str, index: int) -> HttpResponse:
    """A tracked link: records the first click and redirects to the message's own URL."""
    try:
        url = tracking.message_mark_clicked(token=token, index=index)
    except tracking.BadToken:
        return _invalid_link(request)
    except tracking.LinkNotFound as error:
        raise Http404("no such link") from error
    return HttpResponseRedirect(url)
