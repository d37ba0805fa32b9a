from rest_framework.routers import DefaultRouter

from deals.api.views import AccountViewSet, DealViewSet, IncentiveRuleViewSet

router = DefaultRouter()
router.register("deals", DealViewSet, basename="deal")
router.register("accounts", AccountViewSet, basename="account")
router.register("incentive-rules", IncentiveRuleViewSet, basename="incentive-rule")

urlpatterns = router.urls
