"""The FilterSet of the tier change list (API and the manager's tier pages), and what a
search of tier changes looks in."""

from __future__ import annotations

import django_filters as filters

from partners.filters import RepeatedOrCommaSeparatedWidget
from partners.models import TierChange, TierChangeDirection, TierChangeSource, TierChangeStatus
from prm.queues import search_words

# What a search of tier changes looks in (the API's ?search= and the manager's queue).
TIER_CHANGE_SEARCH_FIELDS = ("partner__name", "partner__external_id")


class TierChangeFilterSet(filters.FilterSet):
    """Repeated or comma-separated values mean "any of"."""

    status = filters.MultipleChoiceFilter(
        choices=TierChangeStatus.choices, widget=RepeatedOrCommaSeparatedWidget
    )
    direction = filters.MultipleChoiceFilter(
        choices=TierChangeDirection.choices, widget=RepeatedOrCommaSeparatedWidget
    )
    source = filters.MultipleChoiceFilter(
        choices=TierChangeSource.choices, widget=RepeatedOrCommaSeparatedWidget
    )
    partner = filters.NumberFilter(field_name="partner_id", label="Partner id")
    from_tier = filters.CharFilter(field_name="from_tier__slug", label="From tier (slug)")
    to_tier = filters.CharFilter(field_name="to_tier__slug", label="To tier (slug)")
    created_at = filters.IsoDateTimeFromToRangeFilter()
    decided_at = filters.IsoDateTimeFromToRangeFilter()
    search = filters.CharFilter(
        method="filter_search", max_length=200, label="Partner name or external id (every word)"
    )

    class Meta:
        model = TierChange
        fields = [
            "status",
            "direction",
            "source",
            "partner",
            "from_tier",
            "to_tier",
            "created_at",
            "decided_at",
        ]

    def filter_search(self, queryset, name, value):
        return search_words(queryset, value, TIER_CHANGE_SEARCH_FIELDS)
