from rest_framework.routers import DefaultRouter

from partners.api.tier_views import PartnerTierProgressViewSet, TierChangeViewSet, TierViewSet
from partners.api.views import ContactViewSet, PartnerViewSet

router = DefaultRouter()
# Only /partners/{id}/tier-progress/; registered before PartnerViewSet so that the API root
# lists "partners" with the partner list (the last registration of a prefix names it).
router.register("partners", PartnerTierProgressViewSet, basename="partner-tier")
router.register("partners", PartnerViewSet, basename="partner")
router.register("contacts", ContactViewSet, basename="contact")
router.register("tiers", TierViewSet, basename="tier")
router.register("tier-changes", TierChangeViewSet, basename="tier-change")
