"""Partner portal pages, under /portal/. Each area keeps its routes in its own block."""

from django.urls import path
from django.views.generic import TemplateView

from portal.views import home
from portal.views.base import PortalView


class _Placeholder(PortalView, TemplateView):
    template_name = "portal/home.html"


app_name = "portal"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    # learning (content, paths, quizzes, certifications)
    path("learning/", _Placeholder.as_view(), name="learning"),
    # inbox (messages, surveys)
    path("inbox/", _Placeholder.as_view(), name="inbox"),
    # company profile, contacts, preferences
    path("company/", _Placeholder.as_view(), name="company"),
    # team (invite, deactivate)
    path("team/", _Placeholder.as_view(), name="team"),
]
