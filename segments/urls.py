"""Staff pages of segments (channel manager portal)."""

from django.urls import path

from segments.views import builder, detail, lists

app_name = "segments"

urlpatterns = [
    path("", lists.SegmentListView.as_view(), name="list"),
    path("new/", builder.SegmentCreateView.as_view(), name="create"),
    path("preview/", builder.SegmentPreviewView.as_view(), name="preview"),
    path("overlap/", lists.SegmentOverlapView.as_view(), name="overlap"),
    path("<int:pk>/", detail.SegmentDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", builder.SegmentUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", detail.SegmentDeleteView.as_view(), name="delete"),
    path("<int:pk>/evaluate/", detail.SegmentEvaluateView.as_view(), name="evaluate"),
    path("<int:pk>/members/", detail.SegmentMembersChangeView.as_view(), name="members-change"),
    path("<int:pk>/members/live/", detail.SegmentMembersLiveView.as_view(), name="members-live"),
    path("<int:pk>/explain/", detail.SegmentExplainView.as_view(), name="explain"),
    path(
        "<int:pk>/explain/search/",
        detail.SegmentExplainSearchView.as_view(),
        name="explain-search",
    ),
    path(
        "partner/<int:partner_pk>/panel/",
        detail.PartnerSegmentsPanelView.as_view(),
        name="partner-panel",
    ),
]
