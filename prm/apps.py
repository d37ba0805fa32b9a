from django.apps import AppConfig


class PrmConfig(AppConfig):
    name = "prm"
    verbose_name = "PRM"

    def ready(self) -> None:
        # Connects the lockout log line (a receiver of django-axes' user_locked_out).
        from prm import brute_force  # noqa: F401
