import pytest
from django.db import connection
from django.utils import timezone

from segments.bench_floor import HOT_TABLES, measure_write_floor
from segments.models import Membership, MembershipEvent
from tests.partners.factories import PartnerFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


def table_indexes() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1",
            (list(HOT_TABLES),),
        )
        return cursor.fetchall()


def test_the_write_floor_writes_every_membership_twice_and_leaves_everything_as_it_was():
    # given: two groups of segments with members, and an event
    partners = PartnerFactory.create_batch(3)
    segments = [SegmentFactory(slug=f"floor-{index}") for index in range(3)]
    for segment in segments:
        for partner in partners[: segment.id % 3 + 1]:
            Membership.objects.create(segment=segment, partner=partner, joined_at=timezone.now())
    MembershipEvent.objects.create(
        segment=segments[0], partner=partners[0], kind="joined", at=timezone.now()
    )
    memberships = sorted(Membership.objects.values_list("id", "segment_id", "partner_id"))
    indexes = table_indexes()
    # when
    floor = measure_write_floor(groups=[[segments[0].id, segments[1].id], [segments[2].id]])
    # then: timed both ways, and nothing changed
    assert floor.rows == len(memberships)
    assert floor.written == (len(memberships), len(memberships))
    assert floor.indexed_s > 0 and floor.bulk_insert_s > 0 and floor.bulk_index_s > 0
    assert floor.bulk_s == floor.bulk_insert_s + floor.bulk_index_s
    assert sorted(Membership.objects.values_list("id", "segment_id", "partner_id")) == memberships
    assert MembershipEvent.objects.count() == 1
    assert table_indexes() == indexes
    assert len(indexes) >= 5  # keys included
