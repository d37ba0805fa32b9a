from django.apps import AppConfig
from django.db.backends.signals import connection_created


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Insights"

    def ready(self):
        from insights.selectors.base import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="insights-sqlite")
