from django.apps import AppConfig
from django.db import transaction

# Registrations per notice task: a sweep that expires thousands is split up.
NOTICE_TASK_CHUNK = 500


class CommunicationsConfig(AppConfig):
    name = "communications"

    def ready(self) -> None:
        from deals.signals import deal_transitioned, deals_expiry_near, deals_review_overdue
        from partners.panels import partner_panel_register
        from segments.signals import segment_members_changed

        segment_members_changed.connect(
            _on_segment_members_changed, dispatch_uid="communications.segment_members_changed"
        )
        deal_transitioned.connect(
            _on_deal_transitioned, dispatch_uid="communications.deal_transitioned"
        )
        deals_expiry_near.connect(
            _on_deals_expiry_near, dispatch_uid="communications.deals_expiry_near"
        )
        deals_review_overdue.connect(
            _on_deals_review_overdue, dispatch_uid="communications.deals_review_overdue"
        )
        partner_panel_register(
            key="messages", title="Messages", url_name="communications:partner-panel", order=30
        )


def _on_segment_members_changed(sender, segment_id, joined_ids, left_ids=None, **kwargs) -> None:
    """Partners that joined a segment start the campaigns triggered by it: one occurrence per
    partner and campaign, due after the campaign's delay (sent after the segment's commit)."""
    if not joined_ids:
        return
    from communications.scheduling import occurrences_create_for_joins

    occurrences_create_for_joins(segment_id=segment_id, partner_ids=joined_ids)


def _enqueue_notices(notice: str, deal_ids, reason: str = "") -> None:
    from communications.tasks import deal_notices_task

    ids = sorted({int(pk) for pk in deal_ids})
    for start in range(0, len(ids), NOTICE_TASK_CHUNK):
        chunk = ids[start : start + NOTICE_TASK_CHUNK]
        # The deals app sends after its commit; on_commit keeps this right if a caller
        # sends from inside a transaction.
        transaction.on_commit(
            lambda chunk=chunk: deal_notices_task.delay(notice, chunk, reason or "")
        )


def _on_deal_transitioned(sender, deal_ids, action, reason="", **kwargs) -> None:
    """The partner is told of decisions on their registrations (communications.notices)."""
    from communications.notices import ACTION_NOTICES

    notice = ACTION_NOTICES.get(action)
    if notice and deal_ids:
        _enqueue_notices(notice, deal_ids, reason)


def _on_deals_expiry_near(sender, deal_ids, **kwargs) -> None:
    """The partner is reminded that a registration's protection ends soon."""
    if deal_ids:
        _enqueue_notices("deal_expiry_near", deal_ids)


def _on_deals_review_overdue(sender, deal_ids, **kwargs) -> None:
    """The channel managers are told of reviews past their time."""
    if not deal_ids:
        return
    from communications.tasks import deals_overdue_notify_task

    ids = sorted({int(pk) for pk in deal_ids})
    transaction.on_commit(lambda: deals_overdue_notify_task.delay(ids))
