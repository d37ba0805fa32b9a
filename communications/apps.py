from django.apps import AppConfig


class CommunicationsConfig(AppConfig):
    name = "communications"

    def ready(self) -> None:
        from partners.panels import partner_panel_register
        from segments.signals import segment_members_changed

        segment_members_changed.connect(
            _on_segment_members_changed, dispatch_uid="communications.segment_members_changed"
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
