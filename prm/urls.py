from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from prm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("prm.api.urls")),
    # Channel manager portal: each app serves its own staff pages.
    path("partners/tiers/", include("partners.tiers.urls")),
    path("partners/", include("partners.urls")),
    path("segments/", include("segments.urls")),
    path("enablement/", include("enablement.urls")),
    path("", include("communications.urls")),
    # Partner self-service portal.
    path("portal/", include("portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
