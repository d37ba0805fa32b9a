"""Domain signals of the deals app; apps above it (communications, insights) connect receivers
in their ready(). All are sent after commit and carry ids, never rows."""

from django.dispatch import Signal

# A registration changed state. Arguments: deal_ids (list of ints), action (the service:
# "submit", "approve", "reject", "withdraw", "won", "lost", "expire", "extension_approve",
# ...), from_status, to_status, actor_id (user id or None), reason (str).
deal_transitioned = Signal()

# Submitted registrations found past their review time by the SLA sweep. Arguments: deal_ids.
deals_review_overdue = Signal()

# Approved registrations whose protection ends within the reminder window. Arguments: deal_ids.
deals_expiry_near = Signal()
