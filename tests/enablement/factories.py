import datetime as dt

import factory
from django.utils import timezone

from enablement.models import (
    ContentItem,
    ContentKind,
    EngagementEvent,
    EngagementKind,
    Enrollment,
    LearningPath,
    LearningStep,
)
from tests.partners.factories import ContactFactory


class ContentItemFactory(factory.django.DjangoModelFactory):
    """A published link everyone may see, unless told otherwise."""

    class Meta:
        model = ContentItem
        skip_postgeneration_save = True

    kind = ContentKind.LINK
    title = factory.Sequence(lambda n: f"Content {n}")
    slug = factory.Sequence(lambda n: f"content-{n}")
    url = factory.Sequence(lambda n: f"https://example.com/content/{n}")
    published_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))

    @factory.post_generation
    def segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.segments.set(extracted)


class LearningPathFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningPath
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Path {n}")
    slug = factory.Sequence(lambda n: f"path-{n}")

    @factory.post_generation
    def segments(self, create, extracted, **kwargs):
        if create and extracted:
            self.segments.set(extracted)


class LearningStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningStep

    path = factory.SubFactory(LearningPathFactory)
    order = factory.Sequence(lambda n: n + 1)
    content = factory.SubFactory(ContentItemFactory)


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    contact = factory.SubFactory(ContactFactory)
    path = factory.SubFactory(LearningPathFactory)
    enrolled_at = factory.LazyFunction(timezone.now)


class EngagementEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementEvent

    contact = factory.SubFactory(ContactFactory)
    partner = factory.LazyAttribute(lambda event: event.contact.partner)
    kind = EngagementKind.VIEW
    at = factory.LazyFunction(timezone.now)


QUIZ = [
    {"question": "2 + 2?", "options": ["3", "4"], "answer_index": 1},
    {"question": "Capital of France?", "options": ["Paris", "Rome", "Oslo"], "answer_index": 0},
]
