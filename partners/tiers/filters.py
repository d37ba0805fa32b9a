"""The FilterSet of the tier change list (API and, later, the manager portal)."""

from __future__ import annotations

import django_filters as filters

from partners.filters import RepeatedOrCommaSeparatedWidget
from partners.models import TierChange, TierChangeDirection, TierChangeSource, TierChangeStatus


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
