from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "enablement"

    def ready(self) -> None:
        from partners.panels import partner_panel_register
        from segments.signals import segment_members_changed

        partner_panel_register(
            key="enablement", title="Enablement", url_name="enablement:partner-panel", order=20
        )

        segment_members_changed.connect(
            _on_segment_members_changed, dispatch_uid="enablement.segment_members_changed"
        )


def _on_segment_members_changed(sender, segment_id, joined_ids, left_ids=None, **kwargs) -> None:
    """Partners that joined a segment: their contacts are enrolled in the paths that
    auto-enrol from it (a task enqueued on commit; leaving a segment keeps the enrolment)."""
    if not joined_ids:
        return
    from enablement.services import enrollments_auto_enrol_enqueue

    enrollments_auto_enrol_enqueue(segment_id=segment_id, partner_ids=joined_ids)
