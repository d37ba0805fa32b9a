"""Staff pages of deals (channel manager portal)."""

from django.urls import path

from deals.views import attachment, pipeline, registrations, review, rules

app_name = "deals"

urlpatterns = [
    path("", registrations.DealListView.as_view(), name="list"),
    path("review/", review.DealReviewQueueView.as_view(), name="review_queue"),
    path("review/decide/", review.DealReviewBulkView.as_view(), name="review_bulk"),
    path("pipeline/", pipeline.DealPipelineView.as_view(), name="pipeline"),
    path("rules/", rules.IncentiveRuleListView.as_view(), name="rules"),
    path("rules/new/", rules.IncentiveRuleCreateView.as_view(), name="rule_create"),
    path("rules/<int:pk>/edit/", rules.IncentiveRuleUpdateView.as_view(), name="rule_edit"),
    path("<int:pk>/", registrations.DealDetailView.as_view(), name="detail"),
    path("<int:pk>/attachment/", attachment.DealAttachmentView.as_view(), name="attachment"),
    *(
        path(
            f"<int:pk>/{slug}/",
            registrations.DealActionView.as_view(action_slug=slug),
            name=slug.replace("-", "_"),
        )
        for slug in registrations.ACTIONS
    ),
]
