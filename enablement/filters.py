"""FilterSets of the enablement app, shared by the API and (later) the portal's list pages."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet
from django.utils import timezone

from enablement.models import (
    ContentItem,
    ContentKind,
    Enrollment,
    EnrollmentSource,
    LearningPath,
    LearningStep,
)
from partners.filters import MultiValueFilter, RepeatedOrCommaSeparatedWidget
from partners.models import Certification


class ContentItemFilterSet(filters.FilterSet):
    """Repeated or comma-separated values mean "any of"."""

    kind = filters.MultipleChoiceFilter(
        choices=ContentKind.choices, widget=RepeatedOrCommaSeparatedWidget
    )
    product_group = MultiValueFilter(field_name="product_group")
    business_unit = MultiValueFilter(field_name="business_unit")
    target_market = MultiValueFilter(field_name="target_market")
    segment = MultiValueFilter(
        field_name="segments__slug", distinct=True, label="Targeted at any of these segments"
    )
    min_tier = filters.CharFilter(field_name="min_tier__slug")
    is_visible = filters.BooleanFilter(
        method="filter_is_visible", label="Published and not expired now"
    )
    published_at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = ContentItem
        fields: list[str] = []

    def filter_is_visible(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        visible = ContentItem.objects.published(at=timezone.now()).values("id")
        return queryset.filter(id__in=visible) if value else queryset.exclude(id__in=visible)


class LearningPathFilterSet(filters.FilterSet):
    is_active = filters.BooleanFilter()
    awards_certification = MultiValueFilter(field_name="awards_certification__slug")
    auto_enrol_segment = MultiValueFilter(field_name="auto_enrol_segment__slug")

    class Meta:
        model = LearningPath
        fields: list[str] = []


class LearningStepFilterSet(filters.FilterSet):
    path = filters.NumberFilter(field_name="path_id")
    content = filters.NumberFilter(field_name="content_id")

    class Meta:
        model = LearningStep
        fields: list[str] = []


class EnrollmentFilterSet(filters.FilterSet):
    path = filters.NumberFilter(field_name="path_id")
    contact = filters.NumberFilter(field_name="contact_id")
    partner = filters.NumberFilter(field_name="contact__partner_id")
    source = filters.ChoiceFilter(choices=EnrollmentSource.choices)
    is_completed = filters.BooleanFilter(
        field_name="completed_at", lookup_expr="isnull", exclude=True
    )
    due_before = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Enrollment
        fields: list[str] = []


class CertificationFilterSet(filters.FilterSet):
    slug = MultiValueFilter(field_name="slug")

    class Meta:
        model = Certification
        fields: list[str] = []
