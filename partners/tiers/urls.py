"""Staff pages of tiers (channel manager portal), under /partners/tiers/."""

from django.urls import path

from partners.tiers import views

app_name = "tiers"

urlpatterns = [
    path("", views.TierListView.as_view(), name="list"),
    path("what-if/", views.TierWhatIfView.as_view(), name="what-if"),
    path("evaluate/", views.TierEvaluateView.as_view(), name="evaluate"),
    path("changes/", views.TierChangeQueueView.as_view(), name="changes"),
    path("changes/bulk/", views.TierChangeBulkView.as_view(), name="changes-bulk"),
    path("changes/<int:pk>/approve/", views.TierChangeApproveView.as_view(), name="change-approve"),
    path("changes/<int:pk>/reject/", views.TierChangeRejectView.as_view(), name="change-reject"),
    path("<slug:slug>/edit/", views.TierUpdateView.as_view(), name="update"),
]
