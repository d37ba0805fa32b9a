from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The partner self-service portal: pages for partner users, every query scoped to their
    own company through partners.scoping."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "Partner portal"
