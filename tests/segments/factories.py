import factory
from django.utils import timezone

from segments.models import Membership, Segment, SegmentKind
from tests.partners.factories import PartnerFactory


class SegmentFactory(factory.django.DjangoModelFactory):
    """A dynamic segment; its rule matches every partner unless given."""

    class Meta:
        model = Segment
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    slug = factory.Sequence(lambda n: f"segment-{n}")
    objective = factory.LazyAttribute(lambda segment: f"Test objective of {segment.name}")
    kind = SegmentKind.DYNAMIC
    rule = factory.LazyFunction(lambda: {"all": []})


class StaticSegmentFactory(SegmentFactory):
    kind = SegmentKind.STATIC
    rule = None


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    segment = factory.SubFactory(SegmentFactory)
    partner = factory.SubFactory(PartnerFactory)
    joined_at = factory.LazyFunction(timezone.now)
