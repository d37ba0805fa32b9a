"""Enablement pages outside the API, under /enablement/."""

from django.urls import path
from django.views.generic import TemplateView

from enablement.views import ContentDownloadView
from partners.access import staff_required

app_name = "enablement"

urlpatterns = [
    path("content/<int:pk>/download/", ContentDownloadView.as_view(), name="content-download"),
    path(
        "content/",
        staff_required(
            TemplateView.as_view(
                template_name="manage/placeholder.html", extra_context={"title": "content-list"}
            )
        ),
        name="content-list",
    ),
    path(
        "paths/",
        staff_required(
            TemplateView.as_view(
                template_name="manage/placeholder.html", extra_context={"title": "path-list"}
            )
        ),
        name="path-list",
    ),
    path(
        "certifications/",
        staff_required(
            TemplateView.as_view(
                template_name="manage/placeholder.html",
                extra_context={"title": "certification-list"},
            )
        ),
        name="certification-list",
    ),
]
