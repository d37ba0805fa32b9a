"""Partner portal pages, under /portal/."""

from django.urls import path

from portal.views import home

app_name = "portal"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
]
