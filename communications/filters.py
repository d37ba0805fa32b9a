"""FilterSets of the communications app, shared by the API and the portal's list pages.
Repeated or comma-separated values mean "any of"."""

from __future__ import annotations

import django_filters as filters

from communications.models import (
    Campaign,
    CampaignOccurrence,
    CampaignStatus,
    Channel,
    Message,
    MessageStatus,
    OccurrenceStatus,
    ScheduleKind,
    SuppressionReason,
    Topic,
)
from communications.selectors import JsonListOverlaps
from partners.filters import MultiValueFilter, RepeatedOrCommaSeparatedWidget
from partners.models import Contact


def _choices(choices, field_name: str, label: str) -> filters.MultipleChoiceFilter:
    return filters.MultipleChoiceFilter(
        field_name=field_name, choices=choices, label=label, widget=RepeatedOrCommaSeparatedWidget
    )


class CampaignFilterSet(filters.FilterSet):
    status = _choices(CampaignStatus.choices, "status", "Status")
    topic = _choices(Topic.choices, "topic", "Topic")
    channel = _choices(Channel.choices, "channel", "Channel")
    schedule_kind = _choices(ScheduleKind.choices, "schedule_kind", "Schedule")
    segment = MultiValueFilter(
        field_name="include_segments__slug", distinct=True, label="Sent to any of these segments"
    )
    trigger_segment = MultiValueFilter(field_name="trigger_segment__slug")
    is_system = filters.BooleanFilter()
    created_at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Campaign
        fields: list[str] = []


class MessageFilterSet(filters.FilterSet):
    status = _choices(MessageStatus.choices, "status", "Status")
    reason = _choices(SuppressionReason.choices, "suppression_reason", "Suppression reason")
    channel = _choices(Channel.choices, "channel", "Channel")
    contact = filters.NumberFilter(field_name="contact_id")
    partner = filters.NumberFilter(field_name="partner_id")
    occurrence = filters.NumberFilter(field_name="occurrence_id")
    to_email = filters.CharFilter(lookup_expr="iexact")
    opened = filters.BooleanFilter(field_name="opened_at", lookup_expr="isnull", exclude=True)
    clicked = filters.BooleanFilter(field_name="clicked_at", lookup_expr="isnull", exclude=True)
    sent_at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = Message
        fields: list[str] = []


class OccurrenceFilterSet(filters.FilterSet):
    status = _choices(OccurrenceStatus.choices, "status", "Status")
    partner = filters.NumberFilter(field_name="partner_id")
    due_at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = CampaignOccurrence
        fields: list[str] = []


class InboxFilterSet(filters.FilterSet):
    unread = filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")
    topic = _choices(Topic.choices, "campaign__topic", "Topic")

    class Meta:
        model = Message
        fields: list[str] = []


class ContactPreferenceFilterSet(filters.FilterSet):
    """Over contacts: the preference resource is keyed by contact (no row = defaults)."""

    partner = filters.NumberFilter(field_name="partner_id")
    email = filters.CharFilter(lookup_expr="iexact")
    unsubscribed_all = filters.BooleanFilter(field_name="preference__unsubscribed_all")
    topic_opted_out = filters.ChoiceFilter(
        choices=Topic.choices, method="filter_topic_opted_out", label="Opted out of this topic"
    )
    has_preference = filters.BooleanFilter(
        field_name="preference", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Contact
        fields: list[str] = []

    def filter_topic_opted_out(self, queryset, name: str, value: str):
        return queryset.filter(JsonListOverlaps("preference__topics_opted_out", [value]))
