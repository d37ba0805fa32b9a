from rest_framework.routers import DefaultRouter

from communications.api.views import (
    CampaignViewSet,
    ContactPreferenceViewSet,
    InboxViewSet,
    SurveyViewSet,
)

router = DefaultRouter()
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("contact-preferences", ContactPreferenceViewSet, basename="contact-preference")
router.register("inbox", InboxViewSet, basename="inbox")
router.register("surveys", SurveyViewSet, basename="survey")

urlpatterns = router.urls
