from rest_framework.routers import DefaultRouter

from enablement.api.views import (
    CertificationViewSet,
    ContentItemViewSet,
    EnrollmentViewSet,
    LearningPathViewSet,
    LearningStepViewSet,
)

router = DefaultRouter()
router.register("content", ContentItemViewSet, basename="content")
router.register("learning-paths", LearningPathViewSet, basename="learning-path")
router.register("learning-steps", LearningStepViewSet, basename="learning-step")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("certifications", CertificationViewSet, basename="certification")

urlpatterns = router.urls
