from django.apps import AppConfig


class SegmentsConfig(AppConfig):
    name = "segments"

    def ready(self) -> None:
        from partners.panels import partner_panel_register
        from partners.signals import partners_changed

        partners_changed.connect(_on_partners_changed, dispatch_uid="segments.partners_changed")
        partner_panel_register(
            key="segments", title="Segments", url_name="segments:partner-panel", order=10
        )


def _on_partners_changed(sender, partner_ids, reason=None, fields=None, **kwargs) -> None:
    """Changed partners are re-checked against the dynamic segments, batched; the reason and
    the changed fields are kept as the cause of the joins and leaves that follow."""
    from segments.services import segments_partners_changed

    segments_partners_changed(partner_ids=partner_ids, reason=reason, fields=fields)
