"""One FilterSet per list, shared by the API and (later) the manager portal's list pages."""

from __future__ import annotations

import json

import django_filters as filters
from django.db.models import Exists, F, OrderBy, OuterRef, QuerySet
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django_countries import countries
from drf_spectacular.utils import extend_schema_field

from partners.models import (
    Contact,
    ContactRole,
    LifecycleStage,
    Partner,
    PartnerCertification,
    PartnerType,
    Region,
    Tier,
)


class RepeatedOrCommaSeparatedWidget(filters.widgets.QueryArrayWidget):
    """Reads `?f=a,b`, `?f=a&f=b` and `?f[]=a` alike (QueryArrayWidget splits commas only
    for plain dicts, not for a request's QueryDict)."""

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        return sorted({part.strip() for value in values for part in value.split(",")} - {""})


class MultiValueFilter(filters.BaseCSVFilter, filters.CharFilter):
    """Matches any of the given values."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "in")
        kwargs.setdefault("widget", RepeatedOrCommaSeparatedWidget)
        super().__init__(*args, **kwargs)


def _choice_values_filter(choices, field_name: str, label: str) -> filters.MultipleChoiceFilter:
    return filters.MultipleChoiceFilter(
        field_name=field_name,
        choices=choices,
        label=label,
        widget=RepeatedOrCommaSeparatedWidget,
    )


# Partner columns that hold no null (id, name, external_id, created_at, …).
_PARTNER_NOT_NULL_COLUMNS = frozenset(
    field.name
    for field in Partner._meta.concrete_fields
    if not field.null and not field.is_relation
)


def search_result_ordering(ordering: list[str]) -> list[str | OrderBy]:
    """The same order for a searched list, in a form PostgreSQL sorts instead of walking an index.

    With `?search=` and a LIMIT, the planner walks the btree index of the sort column (name)
    and filters row by row, expecting the matches spread evenly; a name fragment's matches
    cluster alphabetically, so it could read 60,000+ rows (~100-300 ms of database CPU) for
    one page. Asking non-null columns for NULLS FIRST (ascending) or NULLS LAST (descending)
    changes no order (they hold no null), but the default index cannot serve it: PostgreSQL
    then finds the matches with the trigram indexes and sorts those few (~5 ms).
    Nullable columns keep their ordering as given, nulls where they always were."""
    result: list[str | OrderBy] = []
    for term in ordering:
        name = term.removeprefix("-")
        descending = term.startswith("-")
        if name not in _PARTNER_NOT_NULL_COLUMNS:
            result.append(term)
        elif descending:
            result.append(F(name).desc(nulls_last=True))
        else:
            result.append(F(name).asc(nulls_first=True))
    return result


def _country_choices() -> list:
    """The ISO 3166 countries, read when a form validates or renders a country."""
    return list(countries)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TierSlugsFilter(filters.ModelMultipleChoiceFilter):
    """Tier slugs (unknown slugs are a 400, unlike free tags)."""


class PartnerFilterSet(filters.FilterSet):
    """Filters on every profile field. Repeated or comma-separated values mean "any of"."""

    name = filters.CharFilter(lookup_expr="icontains")
    external_id = MultiValueFilter(field_name="external_id")
    partner_type = _choice_values_filter(PartnerType.choices, "partner_type", "Partner type")
    tier = TierSlugsFilter(
        field_name="tier__slug",
        to_field_name="slug",
        queryset=Tier.objects.all(),
        widget=RepeatedOrCommaSeparatedWidget,
        label="Any of these tier slugs",
    )
    tier_rank_min = filters.NumberFilter(field_name="tier__rank", lookup_expr="gte")
    tier_rank_max = filters.NumberFilter(field_name="tier__rank", lookup_expr="lte")
    has_tier = filters.BooleanFilter(field_name="tier", lookup_expr="isnull", exclude=True)
    region = _choice_values_filter(Region.choices, "region", "Region")
    # A callable, not the list: every request deep-copies the filters and their form fields,
    # and copying ~250 country choices each time cost ~10 ms of CPU per partner list request.
    country = _choice_values_filter(_country_choices, "country", "Country (ISO 3166 alpha-2)")
    lifecycle_stage = _choice_values_filter(
        LifecycleStage.choices, "lifecycle_stage", "Lifecycle stage"
    )
    employee_count = filters.RangeFilter()
    annual_revenue = filters.RangeFilter()
    tech_savviness = filters.RangeFilter()
    revenue_12m = filters.RangeFilter()
    deals_won_12m = filters.RangeFilter()
    engagement_score = filters.RangeFilter()
    joined_at = filters.DateFromToRangeFilter()
    last_activity_at = filters.IsoDateTimeFromToRangeFilter()
    updated_at = filters.IsoDateTimeFromToRangeFilter()
    industries = MultiValueFilter(method="filter_industries", label="Any of these industry slugs")
    technologies = MultiValueFilter(
        method="filter_technologies", label="Any of these technology slugs"
    )
    certifications = MultiValueFilter(
        method="filter_certifications", label="Any of these active certification slugs"
    )
    has_certification = filters.BooleanFilter(
        method="filter_has_certification",
        label="Has (true) or lacks (false) an active certification",
    )
    attributes = filters.CharFilter(
        method="filter_attributes",
        label="Custom attribute `key:value` (value parsed as JSON when it can be)",
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def filter_industries(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        through = Partner.industries.through
        return queryset.filter(
            Exists(through.objects.filter(partner_id=OuterRef("pk"), industry__slug__in=value))
        )

    def filter_technologies(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        through = Partner.technologies.through
        return queryset.filter(
            Exists(through.objects.filter(partner_id=OuterRef("pk"), technology__slug__in=value))
        )

    def filter_certifications(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        active = PartnerCertification.objects.active(on=timezone.localdate()).filter(
            partner_id=OuterRef("pk"), certification__slug__in=value
        )
        return queryset.filter(Exists(active))

    def filter_has_certification(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        active = PartnerCertification.objects.active(on=timezone.localdate()).filter(
            partner_id=OuterRef("pk")
        )
        return queryset.filter(Exists(active) if value else ~Exists(active))

    def filter_attributes(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key, separator, raw = value.partition(":")
        if not separator or not key:
            from django.core.exceptions import ValidationError

            raise ValidationError({"attributes": ["Expected key:value."]})
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        # KeyTransform, not a `attributes__<key>` kwarg: the key is data, never a lookup path.
        return queryset.alias(_attribute=KeyTransform(key, "attributes")).filter(_attribute=parsed)


class ContactFilterSet(filters.FilterSet):
    partner = filters.NumberFilter(field_name="partner_id")
    partner_external_id = MultiValueFilter(field_name="partner__external_id")
    role = _choice_values_filter(ContactRole.choices, "role", "Role")
    email = filters.CharFilter(lookup_expr="iexact")
    language = MultiValueFilter(field_name="language")
    email_opt_in = filters.BooleanFilter()
    has_login = filters.BooleanFilter(field_name="user", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Contact
        fields: list[str] = []
