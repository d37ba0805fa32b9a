"""FilterSets of the segments app, shared by the API and the manager portal."""

import django_filters as filters

from partners.filters import MultiValueFilter
from segments.models import (
    EvaluationRun,
    EvaluationStatus,
    EvaluationTrigger,
    MembershipEvent,
    MembershipEventKind,
    Segment,
    SegmentKind,
)


class SegmentFilterSet(filters.FilterSet):
    name = filters.CharFilter(lookup_expr="icontains")
    slug = MultiValueFilter(field_name="slug")
    kind = filters.ChoiceFilter(choices=SegmentKind.choices)
    is_active = filters.BooleanFilter()
    owner = filters.CharFilter(field_name="owner__username")
    failing = filters.BooleanFilter(method="filter_failing")

    class Meta:
        model = Segment
        fields: list[str] = []

    def filter_failing(self, queryset, name, value):
        if value:
            return queryset.filter(consecutive_failures__gt=0)
        return queryset.filter(consecutive_failures=0)


class MembershipEventFilterSet(filters.FilterSet):
    """History filters: `?since=`, `?until=` (ISO date-times), `?partner=`, `?kind=`."""

    since = filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = filters.IsoDateTimeFilter(field_name="at", lookup_expr="lte")
    partner = filters.NumberFilter(field_name="partner_id")
    kind = filters.ChoiceFilter(choices=MembershipEventKind.choices)

    class Meta:
        model = MembershipEvent
        fields: list[str] = []


class EvaluationRunFilterSet(filters.FilterSet):
    trigger = filters.ChoiceFilter(choices=EvaluationTrigger.choices)
    status = filters.ChoiceFilter(choices=EvaluationStatus.choices)

    class Meta:
        model = EvaluationRun
        fields: list[str] = []
