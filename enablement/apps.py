from django.apps import AppConfig


class EnablementConfig(AppConfig):
    name = "enablement"
