"""Domain signals of the segments app; apps above it connect receivers in their ready()."""

from django.dispatch import Signal

# Sent after commit when a segment's membership changed.
# Arguments: segment_id, joined_ids (partner ids), left_ids (partner ids).
segment_members_changed = Signal()
