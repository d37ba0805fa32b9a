from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from prm import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("prm.api.urls")),
    path("enablement/", include("enablement.urls")),
    path("", include("communications.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
