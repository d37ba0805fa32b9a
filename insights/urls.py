"""Staff pages of insights (channel manager portal)."""

from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.OverviewView.as_view(), name="overview"),
    path("segments/compare/", views.CompareView.as_view(), name="compare"),
    path("matrix/", views.MatrixView.as_view(), name="matrix"),
    path("forecast/", views.ForecastView.as_view(), name="forecast"),
    path("deals/", views.DealsView.as_view(), name="deals"),
    path("suggestions/", views.SuggestionsView.as_view(), name="suggestions"),
]
