"""Public pages that recipients reach from an e-mail, without a login (every one is
addressed by a signed token, see communications.tracking), and the channel manager's
campaign pages under campaigns/."""

from django.urls import path, register_converter

from communications.views import campaigns, public


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
    path("u/<signed:token>/", public.UnsubscribeView.as_view(), name="unsubscribe"),
    path("preferences/<signed:token>/", public.PreferencesView.as_view(), name="preferences"),
    path("o/<signed:token>.gif", public.open_pixel, name="open"),
    path("c/<signed:token>/<int:index>/", public.click, name="click"),
    path("campaigns/", campaigns.CampaignListView.as_view(), name="campaign-list"),
    path("campaigns/new/", campaigns.CampaignCreateView.as_view(), name="campaign-create"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/edit/", campaigns.CampaignUpdateView.as_view(), name="campaign-edit"),
    path("campaigns/<int:pk>/audience/", campaigns.campaign_audience, name="campaign-audience"),
    path("campaigns/<int:pk>/preview/", campaigns.campaign_preview, name="campaign-preview"),
    path("campaigns/<int:pk>/test-send/", campaigns.campaign_test_send, name="campaign-test-send"),
    *[
        path(
            f"campaigns/<int:pk>/{action}/",
            campaigns.campaign_action,
            {"action": action},
            name=f"campaign-{action}",
        )
        for action in campaigns.ACTIONS
    ],
    path("campaigns/<int:pk>/delete/", campaigns.campaign_delete, name="campaign-delete"),
    path("campaigns/template-check/", campaigns.template_check, name="campaign-template-check"),
    path(
        "campaigns/partner/<int:partner_pk>/panel/",
        campaigns.partner_panel,
        name="partner-panel",
    ),
]
