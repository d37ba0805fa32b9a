"""Domain signals of the partners app; apps above it connect receivers in their ready()."""

from django.dispatch import Signal

# Sent after commit when partner profiles changed (create, update, import, roll-up,
# certification change). Arguments: partner_ids (a list of ints), reason (a short string),
# fields (the changed field names when known, else None).
partners_changed = Signal()

# Sent after commit when partners were deleted. Arguments: partner_ids.
partners_deleted = Signal()
