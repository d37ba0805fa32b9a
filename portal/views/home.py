"""The partner user's home page."""

from django.views.generic import TemplateView

from portal.views.base import PortalView


class HomeView(PortalView, TemplateView):
    template_name = "portal/home.html"
    nav = "home"
