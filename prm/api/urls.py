"""All REST API routes, under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny

from partners.api.urls import router as partners_router
from segments.api.urls import router as segments_router


class TokenObtainView(ObtainAuthToken):
    """POST {username, password} -> {"token": "..."}."""

    permission_classes = (AllowAny,)


urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(partners_router.urls)),
    path("", include(segments_router.urls)),
    path("", include("enablement.api.urls")),
    path("", include("communications.api.urls")),
]
