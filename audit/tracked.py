"""What the audit trail records: the audited models, by label, and the fields left out.

The lowest app names the models by label only (no import of the apps above it). Left out:
timestamps the row keeps itself (created_at, updated_at) and figures the system recomputes on
a schedule from other data — a partner's engagement score, last activity, enablement
completion and at-risk flags (nightly roll-ups of activity: every active partner would get an
entry a day that says nothing anyone decided) and a segment's evaluation bookkeeping (member
count, last/next evaluation, failures, version; membership changes are already recorded as
MembershipEvents). revenue_12m and deals_won_12m stay audited: an import sets them as the
ERP's figure and the performance roll-up overwrites them, and tiers follow from them.
"""

TIMESTAMPS = ["created_at", "updated_at"]

TRACKED_MODELS: dict[str, dict] = {
    "partners.Partner": {
        "exclude_fields": [
            *TIMESTAMPS,
            "engagement_score",
            "last_activity_at",
            "enablement_completion_pct",
            "is_at_risk",
            "at_risk_reasons",
        ],
    },
    "partners.Contact": {"exclude_fields": TIMESTAMPS},
    "partners.Tier": {"m2m_fields": {"required_certifications"}},
    "segments.Segment": {
        "exclude_fields": [
            *TIMESTAMPS,
            "member_count",
            "last_evaluated_at",
            "next_evaluation_at",
            "consecutive_failures",
            "last_error",
            "version",
        ],
    },
    "enablement.ContentItem": {"exclude_fields": TIMESTAMPS, "m2m_fields": {"segments"}},
    "enablement.LearningPath": {"exclude_fields": TIMESTAMPS, "m2m_fields": {"segments"}},
    "enablement.LearningStep": {},
    "communications.Campaign": {
        # next_occurrence_at is the scheduler's own bookkeeping, moved at every occurrence.
        "exclude_fields": [*TIMESTAMPS, "next_occurrence_at"],
        "m2m_fields": {"include_segments", "exclude_segments"},
    },
}
