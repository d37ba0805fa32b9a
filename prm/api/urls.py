"""All REST API routes, under /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from partners.api.urls import router as partners_router
from prm.api.auth import ApiTokenViewSet, TokenObtainView
from prm.api.exceptions import api_not_found
from segments.api.urls import router as segments_router

# The caller's own tokens. A namespace of their own: they are per-user credentials, not partner
# data, so the partner-isolation matrix of API routes (un-namespaced) does not enumerate them;
# tests/prm/test_api_tokens.py proves a user sees and revokes only their own.
token_patterns = (
    [
        path(
            "auth/tokens/",
            ApiTokenViewSet.as_view({"get": "list", "delete": "destroy_all"}),
            name="token-list",
        ),
        path(
            "auth/tokens/<str:token_key>/",
            ApiTokenViewSet.as_view({"get": "retrieve", "delete": "destroy"}),
            name="token-detail",
        ),
    ],
    "api-auth",
)

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("", include(token_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file of its own: no inline script, so
    # the docs page runs under the content security policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(partners_router.urls)),
    path("", include(segments_router.urls)),
    path("", include("enablement.api.urls")),
    path("", include("communications.api.urls")),
    path("", include("deals.api.urls")),
    # Last: any other /api/ path. Only those ending in "/", so that APPEND_SLASH still
    # redirects /api/partners to /api/partners/; any character, so that a path with a line break in
    # it is answered in JSON too.
    re_path(r"^[\s\S]*/$", api_not_found),
]
