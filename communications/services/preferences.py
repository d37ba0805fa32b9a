"""A contact's communication preferences: all mail, topics, a weekly cap."""

from __future__ import annotations

from communications.models import ContactPreference, Topic
from communications.services.validation import CampaignValidationError
from partners.models import Contact

MAX_PER_WEEK_LIMIT = 100


def contact_preference_update(*, contact: Contact, data: dict) -> ContactPreference:
    """Set a contact's preferences (creating the row on first change): unsubscribed_all,
    topics_opted_out (topic values), max_per_week (None = the global cap)."""
    errors: dict[str, list] = {}
    topics = data.get("topics_opted_out")
    if topics is not None:
        unknown = sorted(set(topics) - set(Topic.values)) if isinstance(topics, list) else None
        if unknown is None or unknown:
            errors["topics_opted_out"] = [f"expected a list of topics out of {Topic.values}"]
        else:
            data = {**data, "topics_opted_out": sorted(set(topics))}
    max_per_week = data.get("max_per_week")
    if max_per_week is not None and not 0 <= max_per_week <= MAX_PER_WEEK_LIMIT:
        errors["max_per_week"] = [f"expected 0 to {MAX_PER_WEEK_LIMIT}, or null for the default"]
    if errors:
        raise CampaignValidationError(errors)
    values = {
        key: data[key]
        for key in ("unsubscribed_all", "topics_opted_out", "max_per_week")
        if key in data
    }
    preference, _ = ContactPreference.objects.update_or_create(contact=contact, defaults=values)
    return preference


def contact_preference_reset(*, contact: Contact) -> None:
    """Back to the defaults (every topic, the global cap): the preference row goes."""
    ContactPreference.objects.filter(contact=contact).delete()
