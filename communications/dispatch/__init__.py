"""Dispatch: freeze an occurrence's recipients into Message rows, then send them exactly once.

Freeze (occurrence_freeze): one INSERT … SELECT … ON CONFLICT DO NOTHING over the
occurrence's audience (selectors.occurrence_audience, one SQL query), where SQL decides per
contact: queued, delivered to the portal inbox (portal channel: sent at once, no SMTP), or
suppressed with a reason: opted_out, topic_opt_out, no_email, frequency_cap.

Send (messages_send_batch): a short transaction claims a batch with SELECT … FOR UPDATE
SKIP LOCKED (queued -> sending, claimed_at, attempts + 1); each message is rendered and its
Message-ID, subject, body and links are stored before anything is sent; the batch goes out
on one SMTP connection (its MIME written by dispatch.mime, MAIL/RCPT/DATA pipelined where
the server offers PIPELINING: dispatch.smtp), and each message is marked sent in its own
statement right after the server accepted it. Transient SMTP errors put a message back
in the queue with an exponential backoff (counted from claimed_at) until
PRM_MESSAGE_MAX_ATTEMPTS, then it is failed with the error; a permanent (5xx) refusal
fails it at once.

Exactly once: a message is sent only by the worker that claimed it, and every later claim
skips a message that is not queued. A worker killed mid-batch leaves its messages in
"sending"; the sweeper (messages_sweep) queues them again after
PRM_MESSAGE_SENDING_TIMEOUT_SECONDS, and a worker starts no send after half that lease, so
a live worker's claim is never swept. One window remains: from the moment the SMTP server
has taken a message (it replies 250 to the end of DATA) until the commit of the
single-row UPDATE that marks it sent, which runs right after that reply (one database
round trip, about a millisecond). A worker that dies inside it leaves a delivered message
in "sending", and it is delivered again after the sweep, with the same Message-ID, which
receivers use to drop duplicates. While sending, commits do not wait for the disk flush
(see _commits_without_flush_wait): that changes nothing for a killed worker, but a crash
of the database server itself can lose the last few hundred milliseconds of "sent" marks,
and those messages would go out twice too.
"""

from communications.dispatch.claim import messages_claim, messages_ready, retry_delay
from communications.dispatch.common import HALTED_CAMPAIGN_STATUSES, setting
from communications.dispatch.freeze import (
    CAP_WINDOW,
    occurrence_freeze,
    occurrence_freeze_sql,
    occurrences_due_ids,
)
from communications.dispatch.mime import build_email
from communications.dispatch.send import (
    OUTCOMES,
    Outcome,
    is_permanent_smtp_error,
    messages_send_batch,
)
from communications.dispatch.sweep import messages_sweep, occurrences_complete

__all__ = [
    "CAP_WINDOW",
    "HALTED_CAMPAIGN_STATUSES",
    "OUTCOMES",
    "Outcome",
    "build_email",
    "is_permanent_smtp_error",
    "messages_claim",
    "messages_ready",
    "messages_send_batch",
    "messages_sweep",
    "occurrence_freeze",
    "occurrence_freeze_sql",
    "occurrences_complete",
    "occurrences_due_ids",
    "retry_delay",
    "setting",
]
