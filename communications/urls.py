"""Public pages that recipients reach from an e-mail, without a login: every one is
addressed by a signed token (see communications.tracking)."""

from django.urls import path, register_converter
from django.views.generic import TemplateView

from communications import views
from partners.access import staff_required


class SignedTokenConverter:
    """What django.core.signing produces: URL-safe base64 and ':' separators."""

    regex = r"[A-Za-z0-9_\-:]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SignedTokenConverter, "signed")

app_name = "communications"

urlpatterns = [
    path("u/<signed:token>/", views.UnsubscribeView.as_view(), name="unsubscribe"),
    path("preferences/<signed:token>/", views.PreferencesView.as_view(), name="preferences"),
    path("o/<signed:token>.gif", views.open_pixel, name="open"),
    path("c/<signed:token>/<int:index>/", views.click, name="click"),
    path(
        "campaigns/",
        staff_required(
            TemplateView.as_view(
                template_name="manage/placeholder.html", extra_context={"title": "campaign-list"}
            )
        ),
        name="campaign-list",
    ),
]
