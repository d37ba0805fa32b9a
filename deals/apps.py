from django.apps import AppConfig


class DealsConfig(AppConfig):
    name = "deals"

    def ready(self) -> None:
        # The deal figures as segment fields: segments sits below deals and never imports it,
        # so deals contributes them to the registry (segments.fields.register_field).
        from deals.stats import segment_field_specs
        from segments.fields import register_field

        for spec in segment_field_specs():
            register_field(spec)
