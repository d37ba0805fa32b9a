"""Enablement pages outside the API, under /enablement/."""

from django.urls import path

from enablement.views import ContentDownloadView

app_name = "enablement"

urlpatterns = [
    path("content/<int:pk>/download/", ContentDownloadView.as_view(), name="content-download"),
]
