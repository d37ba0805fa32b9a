"""Staff pages of partners (channel manager portal)."""

from django.urls import path

from partners.views import contacts, ecosystem, imports, partners

app_name = "partners"

urlpatterns = [
    path("", partners.PartnerListView.as_view(), name="list"),
    path("export/", partners.PartnerExportView.as_view(), name="export"),
    path("new/", partners.PartnerCreateView.as_view(), name="create"),
    path("import/", imports.ImportView.as_view(), name="import"),
    path(
        "import/template/<slug:kind>.csv",
        imports.ImportTemplateView.as_view(),
        name="import-template",
    ),
    path("<int:pk>/", partners.PartnerDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", partners.PartnerUpdateView.as_view(), name="update"),
    path("<int:pk>/history/", partners.PartnerHistoryView.as_view(), name="history"),
    path("<int:pk>/delete/", partners.PartnerDeleteView.as_view(), name="delete"),
    path("<int:pk>/contacts/new/", contacts.ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/edit/", contacts.ContactUpdateView.as_view(), name="contact-update"),
    path("contacts/<int:pk>/delete/", contacts.ContactDeleteView.as_view(), name="contact-delete"),
    path("ecosystem/", ecosystem.EcosystemMapView.as_view(), name="ecosystem"),
]
