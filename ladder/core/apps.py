from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ladder.core"
    label = "core"
    verbose_name = "Ladder core"

    def ready(self) -> None:
        from ladder.core import checks  # noqa: F401  (registers the deploy checks)
