"""Staff pages of partners (channel manager portal)."""

from django.urls import path
from django.views.generic import TemplateView

from partners.access import staff_required
from partners.views import ecosystem

app_name = "partners"

urlpatterns = [
    path(
        "",
        staff_required(
            TemplateView.as_view(
                template_name="manage/placeholder.html", extra_context={"title": "list"}
            )
        ),
        name="list",
    ),
    path("ecosystem/", ecosystem.EcosystemMapView.as_view(), name="ecosystem"),
]
