"""Enablement pages outside the API, under /enablement/: the gated download and the channel
manager's screens."""

from django.urls import path

from enablement.views import ContentDownloadView, certifications, content, panel, paths

app_name = "enablement"

urlpatterns = [
    path("content/<int:pk>/download/", ContentDownloadView.as_view(), name="content-download"),
    # Content library
    path("content/", content.ContentListView.as_view(), name="content-list"),
    path("content/new/", content.ContentCreateView.as_view(), name="content-create"),
    path("content/<int:pk>/", content.ContentDetailView.as_view(), name="content-detail"),
    path("content/<int:pk>/edit/", content.ContentUpdateView.as_view(), name="content-update"),
    path("content/<int:pk>/delete/", content.ContentDeleteView.as_view(), name="content-delete"),
    # Learning paths and their steps
    path("paths/", paths.PathListView.as_view(), name="path-list"),
    path("paths/new/", paths.PathCreateView.as_view(), name="path-create"),
    path("paths/<int:pk>/", paths.PathDetailView.as_view(), name="path-detail"),
    path("paths/<int:pk>/edit/", paths.PathUpdateView.as_view(), name="path-update"),
    path("paths/<int:pk>/delete/", paths.PathDeleteView.as_view(), name="path-delete"),
    path("paths/<int:pk>/steps/", paths.StepAddView.as_view(), name="step-add"),
    path(
        "paths/<int:pk>/steps/<int:step_pk>/edit/",
        paths.StepEditView.as_view(),
        name="step-edit",
    ),
    path(
        "paths/<int:pk>/steps/<int:step_pk>/move/",
        paths.StepMoveView.as_view(),
        name="step-move",
    ),
    path(
        "paths/<int:pk>/steps/<int:step_pk>/delete/",
        paths.StepDeleteView.as_view(),
        name="step-delete",
    ),
    # Certification catalogue
    path(
        "certifications/",
        certifications.CertificationListView.as_view(),
        name="certification-list",
    ),
    path(
        "certifications/new/",
        certifications.CertificationCreateView.as_view(),
        name="certification-create",
    ),
    path(
        "certifications/<int:pk>/",
        certifications.CertificationDetailView.as_view(),
        name="certification-detail",
    ),
    path(
        "certifications/<int:pk>/edit/",
        certifications.CertificationUpdateView.as_view(),
        name="certification-update",
    ),
    path(
        "certifications/<int:pk>/delete/",
        certifications.CertificationDeleteView.as_view(),
        name="certification-delete",
    ),
    # The partner page's panel
    path("partner/<int:partner_pk>/panel/", panel.partner_panel, name="partner-panel"),
]
