"""Ecosystem map: industries by technologies."""

from django.views.generic import TemplateView

from partners.access import StaffRequiredMixin


class EcosystemMapView(StaffRequiredMixin, TemplateView):
    template_name = "manage/placeholder.html"
    extra_context = {"title": "Ecosystem map", "nav": "ecosystem"}
