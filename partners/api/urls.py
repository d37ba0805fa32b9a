from rest_framework.routers import DefaultRouter

from partners.api.views import ContactViewSet, PartnerViewSet

router = DefaultRouter()
router.register("partners", PartnerViewSet, basename="partner")
router.register("contacts", ContactViewSet, basename="contact")
