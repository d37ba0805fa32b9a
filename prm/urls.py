from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.forms.team import PortalPasswordResetForm
from prm import brute_force, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset by e-mail; the same confirm page sets the password of an invited login.
    # Rate-limited per address and per e-mail (prm/brute_force.py).
    path(
        "accounts/password-reset/",
        brute_force.PasswordResetView.as_view(
            form_class=PortalPasswordResetForm,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("api/", include("prm.api.urls")),
    # Channel manager portal: each app serves its own staff pages.
    path("partners/tiers/", include("partners.tiers.urls")),
    path("partners/", include("partners.urls")),
    path("segments/", include("segments.urls")),
    path("deals/", include("deals.urls")),
    path("enablement/", include("enablement.urls")),
    path("insights/", include("insights.urls")),
    path("", include("communications.urls")),
    # Partner self-service portal.
    path("portal/", include("portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
